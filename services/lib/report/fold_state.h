#pragma once
// What Fold keeps between add() and build(): facts keyed so that the order of the events and
// repeated records do not change them (internal to services/lib/report).

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "services/lib/report/report.h"

namespace caselink::report {

template <typename T>
struct Stamped {
  Seconds t = 0;
  std::string event_id;
  T value{};
};

// What happened in a case after a supervision clue (strongest first, docs/reports.md).
enum class FollowUp { kFiled, kReferred, kSupervision };

struct CaseFacts {
  std::string referring_agency;  // CaseReferral.referring_agency.organ_id
  std::string reporting_agency;  // SuspectedCrimeReported.reporting_agency.organ_id
  std::optional<Stamped<std::string>> earliest_organ;  // producer of the case's earliest organ event
  std::vector<std::pair<Seconds, FollowUp>> follow_ups;
};

struct ReferralFacts {
  std::string case_id;
  Seconds t = 0;
  std::string agency_id, agency_name, offence_code, offence_name;
};

struct FilingFacts {
  std::string case_id;
  Seconds t = 0;
  v1::FilingOutcome outcome = v1::FILING_OUTCOME_UNSPECIFIED;
};

struct DeadlineFacts {
  uint64_t version = 0;  // snapshot version the step, start, due and rule were taken from
  std::string step;
  Seconds started = 0;
  Seconds due = 0;
  RuleInfo rule;
  bool cancelled = false;
  std::string closed_by;  // event_id of the event that met (or overran) the deadline
  std::optional<Seconds> closed_at_fallback;  // the closing snapshot's last_event_occurred_at
};

struct AlertFacts {
  v1::AlertKind kind = v1::ALERT_KIND_UNSPECIFIED;
  std::optional<Seconds> raised_at;  // earliest RAISED record of the alert_id
  bool withdrawn = false;
  std::string step;    // overdue alerts
  std::string reason;  // supervision clues
};

struct RecommendationFacts {
  std::string case_id;
  std::optional<Seconds> issued_at;
  std::optional<Stamped<v1::ReplyOutcome>> reply;
  std::optional<Stamped<v1::RectificationStatus>> follow_up;
};

struct Fold::State {
  std::set<std::string> seen;
  int64_t duplicates = 0;
  std::map<std::string, Seconds> event_time;
  std::map<std::string, CaseFacts> cases;
  std::vector<ReferralFacts> referrals;
  std::vector<FilingFacts> filings;
  std::map<std::pair<std::string, std::string>, DeadlineFacts> deadlines;  // (case, deadline_id)
  std::map<std::pair<std::string, std::string>, AlertFacts> alerts;        // (case, alert_id)
  std::map<std::string, RecommendationFacts> recommendations;              // by recommendation_id
  std::vector<ClassCaseRecord> class_cases;

  void note_organ_event(const v1::Envelope& env);
  void fold_referral(const v1::Envelope& env, Seconds t);
  void fold_filing(const v1::Envelope& env, Seconds t);
  void fold_supervision_action(const v1::Envelope& env, Seconds t);
  void fold_snapshot(const v1::Envelope& env);
  void fold_alert(const v1::Envelope& env, Seconds t);
  void fold_recommendation(const v1::Envelope& env, Seconds t);
};

// The 6-digit division code of an organ id "<prefix>-<6 digits>", or nullopt.
std::optional<std::string> organ_code(std::string_view organ_id);

}  // namespace caselink::report
