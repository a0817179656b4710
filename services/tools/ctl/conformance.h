#pragma once
// The conformance kit for a new agency's adapter (issue 17 §4), the part without a broker: what
// the kit saw the adapter publish, and the feedback it sent the adapter, judged check by check.
// The driver (conformance_run.h) plays the other parties on the sandbox topics and collects
// what is judged here; `caselinkctl conformance` prints the report (docs/integrators.md).
//
// Every check has a fixed name (kChecks) an agency can quote to the operator; a failing check
// gives one reason per defect, naming the event (event id, topic, offset) and the field.

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "services/lib/authz/authz.h"
#include "services/lib/core/record.h"
#include "services/lib/core/result.h"

namespace caselink::standards {
struct Catalogue;
}
namespace caselink::signing {
class KeyRegistry;
}

namespace caselink::ctl::conformance {

// A record the adapter published, as the kit read it from a sandbox topic.
struct Observed {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  std::optional<std::string> key;
  Headers headers;
  std::string value;
  int64_t seen_ms = 0;  // when the kit read it (ms since the epoch)
};

// A feedback record the kit (playing police or a caselink service) sent to the adapter.
struct SentFeedback {
  std::string event_id;
  std::string event_type;  // "caselink.v1.FilingDecision"
  int64_t sent_ms = 0;
};

// Who the adapter is and what it is held to.
struct Profile {
  std::string agency_id;                 // its party id: producer_agency_id of every event
  std::string case_id;                   // the scripted case
  std::string topic_prefix;              // sandbox topics: prefix + the production name
  authz::PartyKind kind = authz::PartyKind::kAgency;
  const standards::Catalogue* catalogue = nullptr;  // facts.catalogue runs with it
  const signing::KeyRegistry* keys = nullptr;       // signature runs with it
  std::chrono::milliseconds ack_deadline{std::chrono::minutes(2)};
  // Payload types (message names, "CaseReferral") the script expects the adapter to send.
  std::vector<std::string> expected_types;
};

enum class Verdict { kPass, kFail, kNotRun };
const char* to_string(Verdict verdict);

struct CheckResult {
  std::string name;
  Verdict verdict = Verdict::kNotRun;
  int checked = 0;                   // events (or feedback records) the check looked at
  std::vector<std::string> reasons;  // one per defect (kFail) or why it did not run (kNotRun)
};

struct CheckInfo {
  const char* name;
  const char* meaning;
};
// Every check, in report order, with what it means (docs/integrators.md lists the same).
const std::vector<CheckInfo>& checks();

struct Report {
  std::string agency_id;
  std::string case_id;
  int events = 0;  // records attributed to the adapter
  std::vector<CheckResult> results;
  [[nodiscard]] bool passed() const;  // no check failed
};

// Whether a record belongs to the scripted case: its key or its envelope's case id is the case.
bool belongs_to_case(const Observed& record, const std::string& case_id);

// Judges the adapter's records (`seen`, already filtered to the case) and the acknowledgements
// of `sent` against `profile`.
Report evaluate(const Profile& profile, const std::vector<Observed>& seen, const std::vector<SentFeedback>& sent);

// The report for people (one line per check, reasons indented) and as one JSON object.
void print_text(const Report& report, std::ostream& out);
void print_json(const Report& report, std::ostream& out);

// "90s", "2m", "1h 30m", "1d", "500ms", or a bare number of seconds; kInvalid otherwise.
Result<std::chrono::milliseconds> parse_duration(const std::string& text);

}  // namespace caselink::ctl::conformance
