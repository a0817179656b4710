#pragma once
// The console's read model: what the topics say about every case, kept in memory and current by
// the follower (follower.h), queried by the JSON API (api.h). Pure: records in, views out; no
// Kafka, so it is tested without a broker.
//
// Fed with every record of the case topics (ctl::case_topics(): the events, the alerts and the
// compacted case-state snapshots) and of the DLQ, in offset order per partition. A case's records
// are kept whole, so its page is the same view `caselinkctl case show` computes (ctl::build_view:
// timeline, deadlines, alerts, re-verified hash chain). Memory grows with the case records read;
// that bound is documented in docs/services/console.md.
//
// Thread-safety: apply() from one thread (the follower), queries from any (the HTTP thread).

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/core/clock.h"
#include "services/tools/ctl/case_history.h"

namespace caselink::console {

// The case list's filters; empty fields match everything.
struct CaseFilter {
  std::string agency;   // a party id of the case (any role), e.g. "sthjj-330100"
  std::string offence;  // the snapshot's offence_code, exact
  std::string status;   // the case state without its prefix, e.g. "FILED" (CASE_STATE_FILED also works)
  std::optional<bool> overdue;
};

// One row of the case list, from the case's latest snapshot and its alerts.
struct CaseSummary {
  std::string case_id;
  bool has_state = false;  // false: events seen, but no snapshot yet (caselink-sync not there yet)
  std::string state;       // e.g. "FILED"
  std::string domain;      // e.g. "ENVIRONMENT"
  std::string offence;
  std::string region;      // the most precise jurisdiction code known
  std::string referring_agency;
  std::vector<std::string> agencies;  // every party id
  uint64_t version = 0;
  std::optional<TimePoint> last_event_at;
  size_t open_deadlines = 0;
  size_t overdue_deadlines = 0;  // OVERDUE, or OPEN and due at or before `now`
  std::optional<TimePoint> next_due_at;  // earliest due time of an open deadline
  std::string next_due_step;
  // Deadlines that went overdue at some point (DEADLINE_OVERDUE alerts), met late or still open:
  // the scenario's wage case missed its filing review although nothing is overdue now.
  size_t missed_deadlines = 0;
  size_t alerts = 0;
  size_t recommendations = 0;
  [[nodiscard]] bool overdue() const { return overdue_deadlines > 0; }
};

// One procuratorial recommendation as the latest snapshot of its case tells it.
struct RecommendationRow {
  std::string case_id;
  v1::RecommendationSummary summary;
  // The class case that caused it (RecommendationIssued.class_case_id, caselink-classcase), or
  // empty for a recommendation of a single case.
  std::string class_case_id;
};

// One class case (caselink.classcase.v1): the ClassCaseOpened and every member that joined later.
struct ClassCaseRow {
  v1::ClassCaseOpened opened;                    // as emitted; members() as at opening
  std::vector<v1::ClassCaseMember> joined;       // ClassCaseMemberJoined members, in topic order
  std::optional<TimePoint> opened_at;            // the event's occurred_at
  [[nodiscard]] size_t member_count() const { return static_cast<size_t>(opened.members_size()) + joined.size(); }
};

// The dead letters counted by reason (header dlq.error.class) and by the topic they came from.
struct DlqCounts {
  size_t total = 0;
  std::map<std::string, size_t> by_reason;
  std::map<std::string, size_t> by_topic;
};

// "FILED" from CASE_STATE_FILED: enum names without their type prefix, for people and filters.
std::string state_name(v1::CaseState state);

class ReadModel {
 public:
  // Takes one record of a case topic or of the DLQ (anything else is ignored). Records that did
  // not decode are counted, not kept.
  void apply(const ctl::CaseRecordRef& record);
  void count_undecodable() { ++undecodable_; }

  // The cases matching `filter`, by case id; `now` decides which open deadlines are overdue.
  [[nodiscard]] std::vector<CaseSummary> cases(const CaseFilter& filter, TimePoint now) const;
  // Every record of one case (for ctl::build_view); nullopt for an unknown case.
  [[nodiscard]] std::optional<ctl::CaseHistory> history(const std::string& case_id) const;
  [[nodiscard]] std::vector<RecommendationRow> recommendations() const;
  // Every class case, by class_case_id; a member that joined before its ClassCaseOpened was read
  // waits for it.
  [[nodiscard]] std::vector<ClassCaseRow> class_cases() const;
  [[nodiscard]] DlqCounts dlq() const;
  [[nodiscard]] size_t case_count() const;
  [[nodiscard]] uint64_t records_applied() const;
  [[nodiscard]] uint64_t undecodable() const { return undecodable_; }

 private:
  struct CaseEntry {
    ctl::CaseHistory history;
    std::optional<v1::CaseStateSnapshot> latest;  // highest version seen
    size_t alerts = 0;
    std::set<std::string> missed;  // deadline ids of DEADLINE_OVERDUE alerts
  };
  void apply_dlq(const ctl::CaseRecordRef& record);
  void apply_class_case(const ctl::CaseRecordRef& record);
  std::map<std::string, ClassCaseRow> class_cases_;
  std::map<std::string, std::string> recommendation_class_case_;  // recommendation_id -> class_case_id

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, CaseEntry> cases_;
  DlqCounts dlq_;
  uint64_t applied_ = 0;
  std::atomic<uint64_t> undecodable_{0};
};

// The summary of one case (pure; ReadModel::cases uses it).
CaseSummary summarize_case(const std::string& case_id, const std::optional<v1::CaseStateSnapshot>& latest,
                           size_t alerts, TimePoint now, size_t missed_deadlines = 0);
bool matches(const CaseSummary& summary, const CaseFilter& filter);

}  // namespace caselink::console
