#pragma once
// Governance reports (issue 18 §3): a fold over decoded envelopes into the numbers of one period
// and one jurisdiction — referrals by agency and offence, filing rate, time per step against its
// legal limit, overdue counts, supervision clues and what followed them, class cases,
// recommendation adoption and rectification. Pure: no Kafka here (caselinkctl reads the topics
// and hands the envelopes in), so the same events in any order give the same Report, and tests
// fold hand-made events. Definitions of every number: docs/reports.md.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/core/result.h"
#include "services/lib/organs/registry.h"

namespace caselink::report {

// Seconds since the Unix epoch (protobuf Timestamp.seconds; the nanoseconds are dropped, so every
// duration of the report is whole seconds and any independent computation can match it exactly).
using Seconds = int64_t;

// [from, to): calendar dates "YYYY-MM-DD" read in China Standard Time (UTC+8), the time zone of
// caselink's calendar dates (referral.proto conventions). Compared with each event's occurred_at.
struct Period {
  std::string from_date;
  std::string to_date;
  Seconds from = 0;
  Seconds to = 0;
  bool contains(Seconds t) const { return t >= from && t < to; }
};

// Parses the two dates; invalid naming the field when a date is malformed or from >= to.
Result<Period> make_period(std::string_view from_date, std::string_view to_date);

// A region of the organ registry and everything below it (a province covers its cities and
// counties, a city its counties), or everything (empty code).
struct Jurisdiction {
  std::string code;   // 6-digit division code; empty = all
  std::string name;   // e.g. "杭州市", "all"
  std::string level;  // "province" | "city" | "county" | "" (all)
  // True when the organ id "<prefix>-<6 digits>" lies in the region.
  bool covers_organ(std::string_view organ_id) const;
};

Jurisdiction all_jurisdictions();
// The region `code` of `registry`; not_found naming the code when the registry does not list it.
Result<Jurisdiction> jurisdiction_from(const organs::Registry& registry, std::string_view code);

// A rate always with its parts; `value` is empty when the denominator is 0 ("no data", never 0%).
struct Rate {
  int64_t numerator = 0;
  int64_t denominator = 0;
  std::optional<double> value() const {
    if (denominator == 0) return std::nullopt;
    return static_cast<double>(numerator) / static_cast<double>(denominator);
  }
  // "66.7% (2/3)" or "no data".
  std::string text() const;
};

struct NamedCount {
  std::string key;   // agency id, offence code, reason, step …
  std::string name;  // display name when the events give one
  int64_t count = 0;
};

struct Referrals {
  int64_t total = 0;
  std::vector<NamedCount> by_agency;   // count descending, then key
  std::vector<NamedCount> by_offence;  // count descending, then key
};

struct Filing {
  int64_t filed = 0;
  int64_t not_filed = 0;
  int64_t revoked = 0;  // reported apart: a revocation follows a filing, it is not a filing decision
  Rate rate;            // filed / (filed + not_filed)
};

// The legal rule behind a step's limit, as the deadline carried it (first seen by rule id).
struct RuleInfo {
  std::string id;
  std::string version;
  std::string legal_source;
  std::string confidence;
};

struct StepTimes {
  std::string step;  // key of the deadline profiles, e.g. "police_filing_review"
  int64_t count = 0;
  Seconds median = 0;  // lower median (element (n-1)/2 of the sorted durations)
  Seconds max = 0;
  Seconds limit_min = 0;  // the limit (due_at - started_at) varies with working days and extensions
  Seconds limit_max = 0;
  int64_t exceeded = 0;  // closed at or after due_at (due_at is exclusive)
  Rate exceeded_rate;    // exceeded / count
  RuleInfo rule;
};

struct OverdueByStep {
  std::string step;
  int64_t raised = 0;
  int64_t withdrawn = 0;
};

struct Overdue {
  int64_t raised = 0;
  int64_t withdrawn = 0;  // a RESOLVED alert with the same alert_id exists: the overdue was wrong
  std::vector<OverdueByStep> by_step;
  int64_t standing() const { return raised - withdrawn; }
};

struct ClueOutcomes {
  int64_t withdrawn = 0;
  int64_t filed = 0;
  int64_t referred = 0;
  int64_t under_supervision = 0;
  int64_t no_follow_up = 0;
};

struct Clues {
  int64_t raised = 0;
  std::vector<NamedCount> by_reason;
  ClueOutcomes outcomes;
  Rate followed_up_rate;  // (filed + referred + under_supervision) / (raised - withdrawn)
};

// Class cases (issue 18 §1). caselink/v1/classcase.proto comes from another branch; until the
// payload is folded (Fold::add_class_case) `available` stays false and the report says "no data".
struct ClassCaseRecord {
  std::string event_id;
  std::string case_id;  // the class case's own key
  std::string class_case_id;
  std::string model_id;
  Seconds opened_at = 0;
  std::vector<std::string> member_case_ids;  // decide the jurisdiction: any member in it counts
};

struct ClassCases {
  bool available = false;
  int64_t opened = 0;
  std::vector<NamedCount> by_model;
};

struct Recommendations {
  int64_t issued = 0;
  int64_t adopted = 0;
  int64_t partly_adopted = 0;
  int64_t not_adopted = 0;
  int64_t no_reply = 0;
  Rate adoption_rate;           // adopted / replied
  Rate adopted_or_partly_rate;  // (adopted + partly) / replied
  int64_t rectified = 0;
  int64_t in_progress = 0;
  int64_t not_rectified = 0;
  int64_t not_stated = 0;
  int64_t no_follow_up = 0;
  Rate rectification_rate;  // rectified / followed up
};

struct Report {
  Period period;
  Jurisdiction jurisdiction;
  int64_t events = 0;      // distinct events folded (all periods, all regions)
  int64_t duplicates = 0;  // records whose event_id was already folded
  int64_t unattributed_cases = 0;  // cases no organ could be found for (only in "all")
  Referrals referrals;
  Filing filing;
  std::vector<StepTimes> steps;  // by step key
  Overdue overdue;
  Clues clues;
  ClassCases class_cases;
  Recommendations recommendations;
};

// Accumulates events (any order, any topic); build() computes a Report for any period and
// jurisdiction from what was folded.
class Fold {
 public:
  Fold();
  ~Fold();
  Fold(Fold&&) noexcept;
  Fold& operator=(Fold&&) noexcept;

  // Folds one envelope; false when its event_id was folded already (the record is ignored).
  bool add(const v1::Envelope& envelope);
  // The class-case hook: call for every ClassCaseOpened (deduplicated by event_id like add()).
  bool add_class_case(const ClassCaseRecord& record);
  // Says the class-case topic was read, so an empty result is 0 and not "no data".
  void class_cases_read() { class_cases_available_ = true; }

  Report build(const Period& period, const Jurisdiction& jurisdiction) const;

  struct State;

 private:
  std::unique_ptr<State> s_;
  bool class_cases_available_ = false;
};

// "2 d 3 h" (people read days and hours; under an hour: minutes).
std::string human_duration(Seconds seconds);

}  // namespace caselink::report
