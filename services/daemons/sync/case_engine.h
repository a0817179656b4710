#pragma once

// The pure domain core of caselink-sync: folds one case's events into its state (transition
// table, deadlines, parties, recommendations, mutual recognition, hash chain) and raises timer
// alerts. No Kafka, no clock of its own: every call gets `now`.

#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "services/daemons/sync/deadline_rules.h"
#include "services/lib/core/clock.h"
#include "services/lib/core/record.h"

namespace caselink::sync {

inline constexpr const char* kHashScheme = "caselink-sync/chain-v1: sha256(prev_hash_32_bytes || envelope_record_value)";
inline constexpr const char* kProducerId = "caselink-sync";
// Header of a state record carrying caselink-sync's bookkeeping (JSON); see docs/services/case-sync.md.
inline constexpr const char* kInternalHeader = "caselink-sync.internal";

// An event that arrived before the event it depends on (events of one case on different topics
// have no order between them) and waits in its case for it; see docs/services/case-sync.md.
struct ParkedEvent {
  std::string topic;  // where it was read, for the dead-letter record if it never fits
  int32_t partition = -1;
  int64_t offset = -1;
  int64_t timestamp_ms = -1;
  std::string value;  // the record value (envelope bytes), re-applied as read
  int64_t parked_at_ns = 0;

  bool operator==(const ParkedEvent&) const = default;
};

// What caselink-sync keeps about a case besides the snapshot. Persisted with every state record
// (header kInternalHeader), so a restart restores it from the state topic.
struct Internal {
  std::string profile;                            // deadline profile name
  std::deque<std::string> applied;                // recently applied event ids (bounded)
  std::set<std::string> marks;                    // "<deadline_id>/approaching|overdue" already alerted
  std::map<std::string, std::string> decided;     // decision step -> event id that decided it
  std::map<uint64_t, std::string> hashes;         // version -> hash (recent window)
  std::map<std::string, int> step_seq;            // step -> number of deadlines started
  std::map<std::string, int64_t> suspended_ns;    // deadline id -> remaining time (ns) while suspended
  std::vector<ParkedEvent> parked;                // early events waiting for their predecessor, oldest first

  std::string to_json() const;
  // Any JSON object of the header's shape (unknown keys skipped); what to_json writes is read by
  // a faster path first (internal_json.cc).
  static bool from_json(const std::string& text, Internal* out);
  // Each reader alone, for tests of the fast path: the general one (nlohmann's SAX), and the
  // fast one (false for whatever it leaves to the general one).
  static bool from_any_json(const std::string& text, Internal* out);
  static bool from_exact_json(const std::string& text, Internal* out);
};

struct CaseRecord {
  v1::CaseStateSnapshot snapshot;
  Internal internal;
};

struct EngineOptions {
  // An APPROACHING alert is raised once this fraction of a deadline's period has elapsed.
  double approaching_fraction = 0.75;
  // How many applied event ids are remembered per case for duplicate detection.
  size_t applied_window = 512;
  // How many recent versions' hashes are kept to check acknowledgements.
  size_t hash_window = 64;
  // Timeline entries kept in the snapshot.
  size_t timeline_size = 8;
  // Who may say what (rules/roles/roles.yaml). Not a setting: always on in the service; off
  // only in the table-driven tests of the transition table, which apply each step to a bare
  // case without parties.
  bool authorize = true;
};

enum class Outcome {
  kApplied,       // new version, publish the snapshot
  kAcknowledged,  // recognition changed (same version), publish the snapshot
  kDuplicate,     // exact redelivery: no effect
  kIgnored,       // not folded by caselink-sync: no effect
  kRejected,      // not allowed: dead-letter + TRANSITION_REJECTED alert (in `alerts`)
};
const char* to_string(Outcome outcome);

struct ApplyResult {
  Outcome outcome = Outcome::kIgnored;
  std::string error_class;  // for kRejected: dlq.error.class
  std::string reason;       // for kRejected
  std::vector<v1::Envelope> alerts;
};

class CaseEngine {
 public:
  CaseEngine(const DeadlineRules& rules, EngineOptions options) : rules_(rules), options_(options) {}

  // Applies `envelope` (whose serialized record value is `raw_value`) to `record`. On
  // kRejected / kDuplicate / kIgnored `record` is unchanged.
  ApplyResult apply(CaseRecord& record, const v1::Envelope& envelope, std::string_view raw_value, TimePoint now) const;

  // Timer pass over one case: APPROACHING / OVERDUE (and follow-up) alerts, each at most once
  // per deadline. Returns the alerts; `changed` tells whether the record changed (publish it).
  std::vector<v1::Envelope> tick(CaseRecord& record, TimePoint now, bool* changed) const;

  // Earliest instant at which tick() could raise something for this record (max() if never).
  TimePoint next_timer(const CaseRecord& record) const;

  // The state record to publish for `record` (value = Envelope{CaseStateSnapshot}). The
  // non-const overload stamps computed_at into `record` and avoids copying the snapshot.
  OutgoingRecord state_record(CaseRecord& record, const std::string& topic, TimePoint now) const;
  OutgoingRecord state_record(const CaseRecord& record, const std::string& topic, TimePoint now) const;
  // Alert envelope -> record.
  static OutgoingRecord alert_record(const v1::Envelope& alert, const std::string& topic);

  // Restores a record from a state-topic record (value + headers). False when unusable.
  static bool restore(const ConsumedRecord& state, CaseRecord* out);

  const DeadlineRules& rules() const { return rules_; }

 private:
  const DeadlineRules& rules_;
  EngineOptions options_;
};

// Purpose of alert event ids: crypto::derived_uuid(kAlertIdPurpose, alert_id), and for the
// resolution of an alert crypto::derived_uuid(kAlertIdPurpose, alert_id + "/resolved/" + stop event id).
inline constexpr const char* kAlertIdPurpose = "caselink-sync/alert";

// The hash of the chain (kHashScheme) after `previous_hex`, in hex.
std::string chain_hash_hex(const std::string& previous_hex, std::string_view raw_value);

}  // namespace caselink::sync
