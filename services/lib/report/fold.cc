// The fold: add() only records facts (keyed so that order and repeats do not matter); build()
// filters them by period and jurisdiction and counts. Definitions: docs/reports.md.
#include <algorithm>
#include <limits>
#include <tuple>

#include "services/lib/report/fold_state.h"
#include "services/lib/report/report.h"

namespace caselink::report {

namespace {

Seconds seconds_of(const google::protobuf::Timestamp& t) { return t.seconds(); }

// Keeps the earliest (time, event id) pair: ties broken by event id so any order gives one answer.
template <typename T>
void keep_latest(std::optional<Stamped<T>>& slot, Seconds t, const std::string& event_id, T value) {
  if (!slot || std::tie(t, event_id) > std::tie(slot->t, slot->event_id)) slot = Stamped<T>{t, event_id, value};
}

// A display name that does not depend on the order the events came in: the smallest non-empty.
void keep_name(std::string& slot, const std::string& name) {
  if (!name.empty() && (slot.empty() || name < slot)) slot = name;
}

std::string confidence_text(v1::Confidence c) {
  const std::string name = v1::Confidence_Name(c);
  return name.rfind("CONFIDENCE_", 0) == 0 ? name.substr(11) : name;
}

// A ClassCaseOpened as the report counts it: opened when the event happened, placed by its
// members (any member in the jurisdiction counts).
ClassCaseRecord class_case_record(const v1::Envelope& env, Seconds t) {
  const auto& opened = env.class_case_opened();
  ClassCaseRecord r{env.event_id(), env.case_id(), opened.class_case_id(), opened.model().model_id(), t, {}};
  for (const auto& m : opened.members()) r.member_case_ids.push_back(m.case_id());
  return r;
}

}  // namespace

Fold::Fold() : s_(std::make_unique<State>()) {}
Fold::~Fold() = default;
Fold::Fold(Fold&&) noexcept = default;
Fold& Fold::operator=(Fold&&) noexcept = default;

void Fold::State::note_organ_event(const v1::Envelope& env) {
  if (!organ_code(env.producer_agency_id())) return;
  CaseFacts& c = cases[env.case_id()];
  const Seconds t = seconds_of(env.occurred_at());
  if (!c.earliest_organ || std::tie(t, env.event_id()) < std::tie(c.earliest_organ->t, c.earliest_organ->event_id)) {
    c.earliest_organ = Stamped<std::string>{t, env.event_id(), env.producer_agency_id()};
  }
}

void Fold::State::fold_referral(const v1::Envelope& env, Seconds t) {
  const auto& r = env.case_referral();
  referrals.push_back({env.case_id(), t, r.referring_agency().organ_id(), r.referring_agency().name(), r.offence_code(),
                       r.offence_name()});
  keep_name(cases[env.case_id()].referring_agency, r.referring_agency().organ_id());
  cases[env.case_id()].follow_ups.push_back({t, FollowUp::kReferred});
}

void Fold::State::fold_filing(const v1::Envelope& env, Seconds t) {
  const auto outcome = env.filing_decision().outcome();
  filings.push_back({env.case_id(), t, outcome});
  if (outcome == v1::FILING_OUTCOME_FILED) cases[env.case_id()].follow_ups.push_back({t, FollowUp::kFiled});
}

void Fold::State::fold_supervision_action(const v1::Envelope& env, Seconds t) {
  const bool filed = env.filing_supervision_action().step() == v1::FILING_SUPERVISION_STEP_FILED_ON_NOTICE;
  cases[env.case_id()].follow_ups.push_back({t, filed ? FollowUp::kFiled : FollowUp::kSupervision});
}

void Fold::State::fold_snapshot(const v1::Envelope& env) {
  const auto& snap = env.case_state_snapshot();
  for (const auto& d : snap.deadlines()) {
    DeadlineFacts& f = deadlines[{env.case_id(), d.deadline_id()}];
    if (snap.version() >= f.version) {
      f.version = snap.version();
      f.step = d.step();
      f.started = seconds_of(d.started_at());
      f.due = seconds_of(d.due_at());
      f.rule = {d.rule().rule_id(), d.rule().rule_version(), d.rule().legal_source(), confidence_text(d.rule().confidence())};
    }
    if (d.status() == v1::DEADLINE_STATUS_CANCELLED) f.cancelled = true;
    const bool closed = d.status() == v1::DEADLINE_STATUS_MET || d.status() == v1::DEADLINE_STATUS_OVERDUE;
    if (closed && !d.closed_by_event_id().empty()) {
      f.closed_by = d.closed_by_event_id();
      if (snap.last_event_id() == d.closed_by_event_id()) f.closed_at_fallback = seconds_of(snap.last_event_occurred_at());
    }
  }
}

void Fold::State::fold_alert(const v1::Envelope& env, Seconds t) {
  const auto& a = env.alert();
  const bool overdue = a.kind() == v1::ALERT_KIND_DEADLINE_OVERDUE || a.kind() == v1::ALERT_KIND_RECOMMENDATION_REPLY_OVERDUE;
  if (!overdue && a.kind() != v1::ALERT_KIND_SUPERVISION_CLUE) return;
  AlertFacts& f = alerts[{env.case_id(), a.alert_id()}];
  f.kind = a.kind();
  if (a.status() == v1::ALERT_STATUS_RESOLVED) {
    f.withdrawn = true;
    return;
  }
  if (a.status() != v1::ALERT_STATUS_RAISED) return;
  if (!f.raised_at || t < *f.raised_at) f.raised_at = t;
  if (a.has_deadline()) keep_name(f.step, a.deadline().step());
  if (a.has_supervision_clue()) {
    keep_name(f.reason, v1::SupervisionClueReason_Name(a.supervision_clue().reason()));
  }
}

void Fold::State::fold_recommendation(const v1::Envelope& env, Seconds t) {
  switch (env.payload_case()) {
    case v1::Envelope::kRecommendationIssued: {
      RecommendationFacts& r = recommendations[env.recommendation_issued().recommendation_id()];
      keep_name(r.case_id, env.case_id());
      if (!r.issued_at || t < *r.issued_at) r.issued_at = t;
      cases[env.case_id()].follow_ups.push_back({t, FollowUp::kSupervision});
      return;
    }
    case v1::Envelope::kRecommendationReplied:
      keep_latest(recommendations[env.recommendation_replied().recommendation_id()].reply, t, env.event_id(),
                  env.recommendation_replied().outcome());
      return;
    case v1::Envelope::kRecommendationFollowedUp:
      keep_latest(recommendations[env.recommendation_followed_up().recommendation_id()].follow_up, t, env.event_id(),
                  env.recommendation_followed_up().rectification());
      return;
    default:
      return;
  }
}

bool Fold::add(const v1::Envelope& env) {
  if (!s_->seen.insert(env.event_id()).second) {
    ++s_->duplicates;
    return false;
  }
  const Seconds t = seconds_of(env.occurred_at());
  s_->event_time[env.event_id()] = t;
  s_->note_organ_event(env);
  switch (env.payload_case()) {
    case v1::Envelope::kCaseReferral: s_->fold_referral(env, t); break;
    case v1::Envelope::kSuspectedCrimeReported:
      keep_name(s_->cases[env.case_id()].reporting_agency, env.suspected_crime_reported().reporting_agency().organ_id());
      break;
    case v1::Envelope::kFilingDecision: s_->fold_filing(env, t); break;
    case v1::Envelope::kFilingSupervisionAction: s_->fold_supervision_action(env, t); break;
    case v1::Envelope::kProcuratorialOpinion:
      s_->cases[env.case_id()].follow_ups.push_back({t, FollowUp::kSupervision});
      break;
    case v1::Envelope::kCaseStateSnapshot: s_->fold_snapshot(env); break;
    case v1::Envelope::kAlert: s_->fold_alert(env, t); break;
    case v1::Envelope::kRecommendationIssued:
    case v1::Envelope::kRecommendationReplied:
    case v1::Envelope::kRecommendationFollowedUp: s_->fold_recommendation(env, t); break;
    case v1::Envelope::kClassCaseOpened: add_class_case(class_case_record(env, t)); return true;
    default: break;
  }
  return true;
}

bool Fold::add_class_case(const ClassCaseRecord& record) {
  class_cases_available_ = true;
  if (!s_->seen.insert("class-case:" + record.event_id).second) {
    ++s_->duplicates;
    return false;
  }
  s_->class_cases.push_back(record);
  return true;
}

}  // namespace caselink::report
