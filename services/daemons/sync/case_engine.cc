#include "services/daemons/sync/case_engine.h"

#include <algorithm>
#include <optional>

#include "services/daemons/sync/transitions.h"
#include "services/lib/authz/authz.h"
#include "services/lib/crypto/derived_uuid.h"
#include "services/lib/crypto/hex.h"
#include "services/lib/crypto/sha256.h"
#include "services/lib/envelope/codec.h"

namespace caselink::sync {

namespace {

using envelope::set_timestamp;
using envelope::to_time_point;

bool is_open(const v1::Deadline& d) {
  return d.closed_by_event_id().empty() &&
         (d.status() == v1::DEADLINE_STATUS_OPEN || d.status() == v1::DEADLINE_STATUS_OVERDUE);
}

std::string unhex(const std::string& hex) {
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

const StepRule* find_rule(const DeadlineRules& rules, const std::string& profile, const std::string& step) {
  const Profile* p = rules.profile(profile);
  if (p == nullptr) return nullptr;
  for (const auto& r : p->steps) {
    if (r.step == step) return &r;
  }
  return nullptr;
}

// The rule of an open deadline: the case's profile's step, else the step of the profile it was
// opened under (its rule id "deadline.<profile>.<step>[@event]"), so a deadline stays judged and
// timed when a later event moves the case to a profile without that step (a demand's domain
// differing from the referral's).
const StepRule* find_rule(const DeadlineRules& rules, const std::string& profile, const v1::Deadline& d) {
  if (const StepRule* r = find_rule(rules, profile, d.step())) return r;
  const std::string& id = d.rule().rule_id();
  const std::string prefix = "deadline.";
  const size_t dot = id.find('.', prefix.size());
  if (id.rfind(prefix, 0) != 0 || dot == std::string::npos) return nullptr;
  return find_rule(rules, id.substr(prefix.size(), dot - prefix.size()), d.step());
}

void upsert_party(v1::CaseStateSnapshot& s, const v1::Organ& organ, v1::PartyRole role, bool required) {
  if (organ.organ_id().empty()) return;
  for (auto& p : *s.mutable_parties()) {
    if (p.party_id() == organ.organ_id()) {
      if (required && !p.required_for_recognition()) p.set_required_for_recognition(true);
      if (p.role() == v1::PARTY_ROLE_OBSERVER) p.set_role(role);
      return;
    }
  }
  auto* p = s.add_parties();
  p->set_party_id(organ.organ_id());
  p->set_role(role);
  p->set_required_for_recognition(required);
  p->set_name(organ.name());
}

// The organ now handling the case for the police: earlier police organs become observers.
// A new police organ also numbers the case anew: the former organ's case numbers are not its
// (issue 15 §4), whichever event changed the organ (a forward, a referral or an acceptance).
void set_police(v1::CaseStateSnapshot& s, const v1::Organ& organ) {
  if (organ.organ_id().empty()) return;
  for (auto& p : *s.mutable_parties()) {
    if (p.role() == v1::PARTY_ROLE_POLICE && p.party_id() != organ.organ_id()) {
      p.set_role(v1::PARTY_ROLE_OBSERVER);
      p.set_required_for_recognition(false);
      s.clear_police_case_number();
      s.clear_earlier_police_case_numbers();
    }
  }
  upsert_party(s, organ, v1::PARTY_ROLE_POLICE, true);
}

std::string party_with_role(const v1::CaseStateSnapshot& s, v1::PartyRole role) {
  std::string found;
  for (const auto& p : s.parties()) {
    if (p.role() == role) found = p.party_id();  // the latest one
  }
  return found;
}

std::string responsible_party(const v1::CaseStateSnapshot& s, const std::string& keyword, const std::string& rec_id,
                              const v1::Envelope& start) {
  if (keyword == "consulted_party") return start.consultation_requested().consulted_party_id();
  if (keyword == "referring_agency") return party_with_role(s, v1::PARTY_ROLE_REFERRING_AGENCY);
  if (keyword == "police") return party_with_role(s, v1::PARTY_ROLE_POLICE);
  if (keyword == "procuratorate") return party_with_role(s, v1::PARTY_ROLE_PROCURATORATE);
  if (keyword == "receiving_agency") return party_with_role(s, v1::PARTY_ROLE_RECEIVING_AGENCY);
  if (keyword == "recommendation_recipient") {
    for (const auto& r : s.recommendations()) {
      if (r.recommendation_id() == rec_id) return r.recipient_party_id();
    }
  }
  return {};
}

std::string recommendation_id(const v1::Envelope& e) {
  switch (e.payload_case()) {
    case v1::Envelope::kRecommendationIssued: return e.recommendation_issued().recommendation_id();
    case v1::Envelope::kRecommendationReplied: return e.recommendation_replied().recommendation_id();
    case v1::Envelope::kRecommendationFollowedUp: return e.recommendation_followed_up().recommendation_id();
    case v1::Envelope::kRecommendationEvaluated: return e.recommendation_evaluated().recommendation_id();
    default: return {};
  }
}

std::string consultation_id(const v1::Envelope& e) {
  if (e.has_consultation_requested()) return e.consultation_requested().consultation_id();
  if (e.has_consultation_answered()) return e.consultation_answered().consultation_id();
  return {};
}

v1::ConsultationSummary* find_consultation(v1::CaseStateSnapshot& s, const std::string& id) {
  for (auto& c : *s.mutable_consultations()) {
    if (c.consultation_id() == id) return &c;
  }
  return nullptr;
}

v1::RecommendationSummary* find_recommendation(v1::CaseStateSnapshot& s, const std::string& id) {
  for (auto& r : *s.mutable_recommendations()) {
    if (r.recommendation_id() == id) return &r;
  }
  return nullptr;
}

std::string state_name(int state) {
  std::string n = v1::CaseState_Name(static_cast<v1::CaseState>(state));
  return n.empty() ? std::to_string(state) : n;
}

class AlertBuilder {
 public:
  AlertBuilder(const v1::CaseStateSnapshot& s, TimePoint now) : s_(s), now_(now) {}

  v1::Envelope make(const std::string& alert_id, v1::AlertKind kind, v1::AlertSeverity severity,
                    std::vector<std::string> to, const std::string& message) const {
    v1::Envelope env = envelope::make_envelope(CaseId(s_.case_id()), AgencyId(kProducerId), now_, now_);
    env.set_event_id(crypto::derived_uuid(kAlertIdPurpose, alert_id));
    env.set_correlation_id(env.event_id());
    auto* a = env.mutable_alert();
    a->set_alert_id(alert_id);
    a->set_kind(kind);
    a->set_severity(severity);
    a->set_status(v1::ALERT_STATUS_RAISED);
    std::sort(to.begin(), to.end());
    to.erase(std::unique(to.begin(), to.end()), to.end());
    for (auto& p : to) {
      if (!p.empty()) a->add_addressed_to_party_ids(p);
    }
    a->set_message(message);
    return env;
  }

  std::vector<std::string> with_procuratorates(std::vector<std::string> to) const {
    for (const auto& p : s_.parties()) {
      if (p.role() == v1::PARTY_ROLE_PROCURATORATE) to.push_back(p.party_id());
    }
    return to;
  }

 private:
  const v1::CaseStateSnapshot& s_;
  TimePoint now_;
};

std::string deadline_alert_id(const std::string& case_id, const v1::Deadline& d, const char* what) {
  return case_id + "/deadline/" + d.deadline_id() + "/" + what;
}

// Who receives a supervision clue (issue 20 #3): the procuratorates that are parties of the case;
// when none is (the general regime, where the copy is not mandatory), the procuratorate competent
// for the responsible organ ("ga-330100" -> jcy-330100), else for the case's region, from the
// organ registry. When the registry knows neither, `gap` names the organ and region.
std::vector<std::string> clue_addressees(const AlertBuilder& b, const v1::CaseStateSnapshot& s,
                                         const v1::Deadline& d, const organs::Registry* organs, std::string* gap) {
  std::vector<std::string> to = b.with_procuratorates({});
  if (!to.empty()) return to;
  const v1::Jurisdiction& j = s.jurisdiction();
  const std::string region = !j.county_code().empty() ? j.county_code()
                             : !j.city_code().empty() ? j.city_code()
                                                      : j.province_code();
  if (organs != nullptr) {
    auto found = organs->competent_for_organ(d.responsible_party_id());
    if (!found.ok() && !region.empty()) found = organs->competent_for(region);
    if (found.ok()) return {found->organs->procuratorate.id};
  }
  *gap = "no addressee: no procuratorate is a party and the organ registry has no procuratorate for organ '" +
         d.responsible_party_id() + "' or region '" + region + "'";
  return {};
}

// The overdue alert(s) of a deadline: DEADLINE_OVERDUE (or the rule's kind) and, where the
// rule says so, a supervision clue for the procuratorate.
void overdue_alerts(const v1::CaseStateSnapshot& s, const v1::Deadline& d, const StepRule* rule,
                    const organs::Registry* organs, TimePoint now, std::vector<v1::Envelope>* out) {
  AlertBuilder b(s, now);
  v1::AlertKind kind = v1::ALERT_KIND_DEADLINE_OVERDUE;
  if (rule != nullptr && rule->alert_kind == "RECOMMENDATION_REPLY_OVERDUE") {
    kind = v1::ALERT_KIND_RECOMMENDATION_REPLY_OVERDUE;
  }
  auto env = b.make(deadline_alert_id(s.case_id(), d, "overdue"), kind, v1::ALERT_SEVERITY_CRITICAL,
                    b.with_procuratorates({d.responsible_party_id()}),
                    "deadline " + d.deadline_id() + " (" + d.rule().legal_source() + ") overdue since " +
                        format_rfc3339(to_time_point(d.due_at())));
  *env.mutable_alert()->mutable_deadline() = d;
  *env.mutable_alert()->mutable_decided_by_rule() = d.rule();
  envelope::seal(env);
  out->push_back(std::move(env));
  if (rule != nullptr && !rule->on_overdue.empty()) {
    std::string gap;
    auto to = clue_addressees(b, s, d, organs, &gap);
    auto clue = b.make(deadline_alert_id(s.case_id(), d, "supervision_clue"), v1::ALERT_KIND_SUPERVISION_CLUE,
                       v1::ALERT_SEVERITY_CRITICAL, std::move(to),
                       (rule->on_overdue == "supervision_clue"
                            ? "police overdue on the filing decision (" + d.deadline_id() +
                                  "): grounds for filing supervision (S1 Art 17; S2 Art 12)"
                            : "procuratorial opinion unanswered (" + d.deadline_id() + ", CPL Art 177 ¶3)") +
                           (gap.empty() ? std::string() : " [" + gap + "]"));
    auto* details = clue.mutable_alert()->mutable_supervision_clue();
    details->set_reason(rule->on_overdue == "opinion_unanswered" ? v1::SUPERVISION_CLUE_REASON_OPINION_UNANSWERED
                                                                 : v1::SUPERVISION_CLUE_REASON_OTHER);
    *clue.mutable_alert()->mutable_decided_by_rule() = d.rule();
    envelope::seal(clue);
    out->push_back(std::move(clue));
  }
}

// The overdue alert(s) a deadline raised, withdrawn: the stop event `stop_event_id` came late on
// the wall clock but occurred before the due instant, so the step was done on time (MET). Same
// alert_id as the raised ones (that is how a consumer matches them), status RESOLVED, its own
// event id; `d` carries the MET status.
void resolution_alerts(const v1::CaseStateSnapshot& s, const v1::Deadline& d, const StepRule* rule,
                       const organs::Registry* organs, TimePoint now, const std::string& stop_event_id,
                       std::vector<v1::Envelope>* out) {
  std::vector<v1::Envelope> raised;
  overdue_alerts(s, d, rule, organs, now, &raised);
  for (auto& env : raised) {
    auto* a = env.mutable_alert();
    env.set_event_id(crypto::derived_uuid(kAlertIdPurpose, a->alert_id() + "/resolved/" + stop_event_id));
    env.set_correlation_id(env.event_id());
    a->set_status(v1::ALERT_STATUS_RESOLVED);
    a->set_severity(v1::ALERT_SEVERITY_INFO);
    a->set_resolved_by_event_id(stop_event_id);
    a->set_message("withdrawn: " + d.deadline_id() + " was met; event " + stop_event_id +
                   " occurred before the due instant " + format_rfc3339(to_time_point(d.due_at())) +
                   " but was reported after the overdue alert (this alert was raised in error)");
    envelope::seal(env);
    out->push_back(std::move(env));
  }
}

v1::RuleRef rule_ref(const std::string& id, const std::string& version, const std::string& source,
                     v1::Confidence confidence) {
  v1::RuleRef r;
  r.set_rule_id(id);
  r.set_rule_version(version);
  r.set_legal_source(source);
  r.set_confidence(confidence);
  return r;
}

}  // namespace

std::string chain_hash_hex(const std::string& previous_hex, std::string_view raw_value) {
  // Hashed in two parts: the same digest as over their concatenation, without copying the event.
  crypto::Sha256Hasher hasher;
  hasher.update(unhex(previous_hex));
  hasher.update(raw_value);
  return hasher.finish().hex();
}

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::kApplied: return "applied";
    case Outcome::kAcknowledged: return "acknowledged";
    case Outcome::kDuplicate: return "duplicate";
    case Outcome::kIgnored: return "ignored";
    case Outcome::kRejected: return "rejected";
  }
  return "?";
}

namespace {

// Why an event is not folded: its dlq.error.class and the reason the alert and the DLQ carry.
struct Rejection {
  std::string error_class;
  std::string reason;
};

// kRejected with its TRANSITION_REJECTED alert, addressed from the case as it was (`cur`).
ApplyResult rejected(const v1::CaseStateSnapshot& cur, const v1::Envelope& env, TimePoint now, Rejection why) {
  ApplyResult r;
  r.outcome = Outcome::kRejected;
  r.error_class = std::move(why.error_class);
  r.reason = std::move(why.reason);
  v1::CaseStateSnapshot named = cur;
  named.set_case_id(env.case_id());
  AlertBuilder b(named, now);
  auto alert = b.make(env.case_id() + "/rejected/" + env.event_id(), v1::ALERT_KIND_TRANSITION_REJECTED,
                      v1::ALERT_SEVERITY_WARNING, b.with_procuratorates({env.producer_agency_id()}),
                      "case " + env.case_id() + ": " + r.reason);
  auto* d = alert.mutable_alert()->mutable_transition_rejected();
  d->set_rejected_event_id(env.event_id());
  d->set_rejected_event_type(env.event_type());
  d->set_from_state(cur.state());
  d->set_reason(r.reason);
  *alert.mutable_alert()->mutable_decided_by_rule() =
      rule_ref("caselink-sync.transition_table", "v1", "services/daemons/sync/transitions.cc", v1::CONFIDENCE_HIGH);
  envelope::seal(alert);
  r.alerts.push_back(std::move(alert));
  return r;
}

// Who may say what (issue 15 §2, rules/roles/roles.yaml): the sender's kind (by its party id)
// and the case rule of the payload, against the case as it stands, before anything is folded, so
// an outsider's payload can neither take a step nor make anyone a party. Run once the transition
// table allows the step: a step arriving before its predecessor parks as before and is checked
// when it fits (when the parties it is checked against are known).
std::optional<authz::Refusal> authorize(const v1::CaseStateSnapshot& s, const v1::Envelope& env,
                                        const organs::Registry* organs) {
  const authz::RoleModel& model = authz::RoleModel::builtin();
  const std::string& sender = env.producer_agency_id();
  if (auto refused = authz::check_kind(model, env.event_type(), authz::sender_kind(model, s, sender), sender)) {
    return refused;
  }
  return authz::check_case(model, env, sender, &s, organs);
}

// kRejected (dlq.error.class "authz.<rule>") with its AUTHORIZATION_REFUSED alert.
ApplyResult refused_by_role(const v1::CaseStateSnapshot& cur, const v1::Envelope& env, TimePoint now,
                            authz::Refusal why) {
  ApplyResult r;
  r.outcome = Outcome::kRejected;
  r.error_class = why.code();
  r.reason = why.message;
  v1::CaseStateSnapshot named = cur;
  named.set_case_id(env.case_id());
  AlertBuilder b(named, now);
  auto alert = b.make(env.case_id() + "/authz/" + env.event_id(), v1::ALERT_KIND_AUTHORIZATION_REFUSED,
                      v1::ALERT_SEVERITY_CRITICAL, b.with_procuratorates({}),
                      "case " + env.case_id() + ": refused (" + r.error_class + "): " + r.reason);
  auto* d = alert.mutable_alert()->mutable_authorization_refused();
  d->set_rejected_event_id(env.event_id());
  d->set_rejected_event_type(env.event_type());
  d->set_producer_agency_id(env.producer_agency_id());
  d->set_rule(why.rule);
  d->set_reason(r.reason);
  *alert.mutable_alert()->mutable_decided_by_rule() =
      rule_ref(r.error_class, "v1", "rules/roles/roles.yaml", v1::CONFIDENCE_HIGH);
  envelope::seal(alert);
  r.alerts.push_back(std::move(alert));
  return r;
}

// The case-level transition event `key` takes from the record's state; nullptr (and `why`) when
// the transition table does not allow it or its decision step was already decided.
const Transition* case_transition(const CaseRecord& record, const std::string& key, Rejection* why) {
  const auto& decided = record.internal.decided;
  const int from = record.snapshot.state();
  const Transition* t = find_transition(Scope::kCase, key, from);
  if (t == nullptr) {
    const Transition* any = any_transition(Scope::kCase, key);
    if (any == nullptr) {
      *why = {"sync.unsupported_event", "event " + key + " is not handled by caselink-sync"};
    } else if (any->decision_step != nullptr && decided.count(any->decision_step) != 0) {
      *why = {"sync.second_decision", "a second, different decision for step " + std::string(any->decision_step) +
                                          " (" + key + "; already decided by event " +
                                          decided.at(any->decision_step) + ") in state " + state_name(from)};
    } else {
      *why = {"sync.transition_not_allowed", "event " + key + " not allowed in state " + state_name(from) + " (" +
                                                 any->rule_id + ": " + any->legal_source + ")"};
    }
    return nullptr;
  }
  if (t->decision_step != nullptr && decided.count(t->decision_step) != 0) {
    *why = {"sync.second_decision", "a second, different decision for step " + std::string(t->decision_step) +
                                        " (already decided by event " + decided.at(t->decision_step) + ")"};
    return nullptr;
  }
  return t;
}

void remember_applied(Internal& in, const std::string& event_id, size_t window) {
  in.applied.push_back(event_id);
  while (in.applied.size() > window) in.applied.pop_front();
}

// One event being folded into a copy of its case record (`s`, `in`); each applier below does one
// part of the fold and adds the alerts it raises to `alerts`.
struct Fold {
  Fold(const DeadlineRules& rules, const v1::Envelope& env, const std::string& key, CaseRecord& work, TimePoint now,
       std::vector<v1::Envelope>& alerts)
      : rules(rules),
        env(env),
        key(key),
        event_id(env.event_id()),
        rec_id(recommendation_id(env)),
        consultation(consultation_id(env)),
        now(now),
        at(to_time_point(env.occurred_at())),
        s(work.snapshot),
        in(work.internal),
        builder(work.snapshot, now),
        alerts(alerts) {}

  const DeadlineRules& rules;
  const v1::Envelope& env;
  const std::string& key;       // event_key(env)
  const std::string& event_id;  // env.event_id()
  const std::string rec_id;     // recommendation_id(env): empty unless a recommendation event
  const std::string consultation;  // consultation_id(env): empty unless a consultation event
  const TimePoint now;
  const TimePoint at;  // when the event occurred
  v1::CaseStateSnapshot& s;
  Internal& in;
  const AlertBuilder builder;
  std::vector<v1::Envelope>& alerts;
};

// --- mutual recognition: acknowledgements do not make a new version ------------------------------

v1::PartyAcknowledgement* acknowledgement_slot(v1::RecognitionStatus* rec, const std::string& party_id) {
  v1::PartyAcknowledgement* slot = nullptr;
  for (auto& pa : *rec->mutable_acknowledgements()) {
    if (pa.party_id() == party_id) slot = &pa;
  }
  return slot != nullptr ? slot : rec->add_acknowledgements();
}

// The case numbers `a` states that differ from the case's. Compared only when `a` acknowledges
// the current version (the numbers of older versions are not kept) and only where both sides
// have a number.
std::vector<v1::CaseNumberDifference> case_number_differences(const v1::CaseStateSnapshot& s,
                                                              const v1::StateAcknowledged& a) {
  std::vector<v1::CaseNumberDifference> out;
  if (a.state_version() != s.version()) return out;
  const auto compare = [&](const char* field, std::vector<std::string> valid, const std::string& party) {
    if (valid.empty() || valid.back().empty() || party.empty()) return;
    if (std::find(valid.begin(), valid.end(), party) != valid.end()) return;
    v1::CaseNumberDifference d;
    d.set_field(field);
    std::string caselink;
    for (const auto& number : valid) caselink += (caselink.empty() ? "" : " / ") + number;
    d.set_caselink_value(caselink);
    d.set_party_value(party);
    out.push_back(std::move(d));
  };
  compare("agency_case_number", {s.agency_case_number()}, a.agency_case_number());
  std::vector<std::string> police(s.earlier_police_case_numbers().begin(), s.earlier_police_case_numbers().end());
  police.push_back(s.police_case_number());
  compare("police_case_number", std::move(police), a.police_case_number());
  return out;
}

// A DIVERGENCE alert for `a`: its hash differs from caselink-sync's, or a case number it states
// differs from the case's (`differences`, named in either case). A hash divergence keeps its id
// <case>/divergence/<version>/<party>; a number divergence adds /case-numbers/<digest of the stated
// numbers>, so another wrong pair for the same version is another alert, not a duplicate.
v1::Envelope divergence_alert(const Fold& f, const v1::StateAcknowledged& a, const std::string& caselink_hash,
                              const std::vector<v1::CaseNumberDifference>& differences) {
  const bool hash_differs = caselink_hash != a.state_hash_hex();
  std::string id = f.s.case_id() + "/divergence/" + std::to_string(a.state_version()) + "/" + a.party_id();
  std::string what;
  if (hash_differs) {
    what = "hash " + a.state_hash_hex() + " but caselink-sync's hash is " + caselink_hash;
  } else {
    id += "/case-numbers/" + crypto::sha256_hex(a.agency_case_number() + "\n" + a.police_case_number()).substr(0, 16);
  }
  for (const auto& d : differences) {
    what += (what.empty() ? "" : "; ") + d.field() + " " + d.party_value() + " but the case's is " + d.caselink_value();
  }
  auto alert = f.builder.make(id, v1::ALERT_KIND_DIVERGENCE, v1::ALERT_SEVERITY_CRITICAL,
                              f.builder.with_procuratorates({a.party_id()}),
                              "party " + a.party_id() + " acknowledged version " + std::to_string(a.state_version()) +
                                  " with " + what);
  auto* d = alert.mutable_alert()->mutable_divergence();
  d->set_state_version(a.state_version());
  d->set_caselink_hash_hex(caselink_hash);
  d->set_party_hash_hex(a.state_hash_hex());
  d->add_party_ids(a.party_id());
  for (const auto& difference : differences) *d->add_case_number_differences() = difference;
  *alert.mutable_alert()->mutable_decided_by_rule() =
      rule_ref("caselink-sync.recognition", "v1", "结果互认 (issue 3; case numbers: issue 15 §4)", v1::CONFIDENCE_HIGH);
  envelope::seal(alert);
  return alert;
}

// Recognized when every required party's latest acknowledgement matches the same version.
void update_recognized_version(v1::CaseStateSnapshot& s) {
  auto* rec = s.mutable_recognition();
  uint64_t common = 0;
  for (const auto& p : s.parties()) {
    if (!p.required_for_recognition()) continue;
    const v1::PartyAcknowledgement* got = nullptr;
    for (const auto& pa : rec->acknowledgements()) {
      if (pa.party_id() == p.party_id()) got = &pa;
    }
    if (got == nullptr || !got->hash_matches() || got->case_numbers_differ() ||
        (common != 0 && got->state_version() != common)) {
      return;
    }
    common = got->state_version();
  }
  if (common > rec->recognized_version()) rec->set_recognized_version(common);
}

std::optional<Rejection> apply_acknowledgement(Fold& f) {
  const auto& a = f.env.state_acknowledged();
  const auto& parties = f.s.parties();
  const bool is_party = std::any_of(parties.begin(), parties.end(),
                                    [&](const v1::CaseParty& p) { return p.party_id() == a.party_id(); });
  if (!is_party) return Rejection{"sync.ack_unknown_party", "party " + a.party_id() + " is not a party of the case"};
  if (a.state_version() == 0 || a.state_version() > f.s.version()) {
    return Rejection{"sync.ack_unknown_version", "acknowledged version " + std::to_string(a.state_version()) +
                                                     " does not exist (current " + std::to_string(f.s.version()) + ")"};
  }
  auto h = f.in.hashes.find(a.state_version());
  if (h == f.in.hashes.end()) {
    return Rejection{"sync.ack_version_too_old", "acknowledged version " + std::to_string(a.state_version()) +
                                                     " is older than the kept hash window"};
  }
  const bool matches = h->second == a.state_hash_hex();
  const auto differences = case_number_differences(f.s, a);
  v1::PartyAcknowledgement* slot = acknowledgement_slot(f.s.mutable_recognition(), a.party_id());
  slot->set_party_id(a.party_id());
  slot->set_state_version(a.state_version());
  slot->set_state_hash_hex(a.state_hash_hex());
  slot->set_hash_matches(matches);
  *slot->mutable_acknowledged_at() = f.env.occurred_at();
  slot->set_acknowledgement_event_id(f.event_id);
  slot->set_agency_case_number(a.agency_case_number());
  slot->set_police_case_number(a.police_case_number());
  slot->set_case_numbers_differ(!differences.empty());
  if (!matches || !differences.empty()) f.alerts.push_back(divergence_alert(f, a, h->second, differences));
  update_recognized_version(f.s);
  return std::nullopt;
}

// --- recommendation sub-state --------------------------------------------------------------------

std::optional<Rejection> apply_recommendation(Fold& f) {
  if (f.rec_id.empty() && f.key.rfind("Recommendation", 0) != 0) return std::nullopt;
  if (f.rec_id.empty()) return Rejection{"sync.invalid_event", f.key + ": recommendation_id must be set"};
  v1::RecommendationSummary* rs = find_recommendation(f.s, f.rec_id);
  const int rfrom = rs == nullptr ? v1::RECOMMENDATION_STATUS_UNSPECIFIED : rs->status();
  const Transition* rt = find_transition(Scope::kRecommendation, f.key, rfrom);
  if (rt == nullptr) {
    return Rejection{"sync.transition_not_allowed",
                     "recommendation " + f.rec_id + ": " + f.key + " not allowed in status " +
                         (rs == nullptr ? std::string("(not issued)") : v1::RecommendationStatus_Name(rs->status()))};
  }
  if (rs == nullptr) {
    rs = f.s.add_recommendations();
    const auto& ri = f.env.recommendation_issued();
    rs->set_recommendation_id(f.rec_id);
    rs->set_type(ri.type());
    rs->set_recipient_party_id(ri.recipient().organ_id());
    upsert_party(f.s, ri.procuratorate(), v1::PARTY_ROLE_PROCURATORATE, true);
    upsert_party(f.s, ri.recipient(), v1::PARTY_ROLE_RECEIVING_AGENCY, true);
  }
  rs->set_status(static_cast<v1::RecommendationStatus>(rt->to));
  if (f.env.has_recommendation_replied()) rs->set_reply_outcome(f.env.recommendation_replied().outcome());
  return std::nullopt;
}

// --- written consultations (S2 Art 24) ----------------------------------------------------------

// Who may ask whom is the role model's (consult_across_the_linkage, consulted_party); here: one
// question per id, one answer per question, and an answer whose question is not (yet) in the case
// waits (parked) like any event that came too early.
// The snapshot keeps at most this many consultations (the state record is bounded, docs/services/
// case-sync.md "Size of a case"): the oldest answered one leaves for a new one; when all are
// unanswered a new question is refused.
constexpr int kMaxConsultations = 32;
constexpr size_t kMaxConsultationIdBytes = 128;

std::optional<Rejection> ask_consultation(Fold& f) {
  const auto& q = f.env.consultation_requested();
  if (q.consulted_party_id().empty()) {
    return Rejection{"sync.invalid_event", "ConsultationRequested: consulted_party_id must be set"};
  }
  if (find_consultation(f.s, f.consultation) != nullptr) {
    return Rejection{"sync.invalid_event", "consultation " + f.consultation + " was already requested"};
  }
  auto* list = f.s.mutable_consultations();
  if (list->size() >= kMaxConsultations) {
    auto answered = std::find_if(list->begin(), list->end(), [](const auto& c) { return c.has_answered_at(); });
    if (answered == list->end()) {
      return Rejection{"sync.invalid_event", "the case has " + std::to_string(kMaxConsultations) +
                                                 " unanswered consultations; no more are taken until one is answered"};
    }
    list->erase(answered);
  }
  auto* c = list->Add();
  c->set_consultation_id(f.consultation);
  c->set_consulting_party_id(f.env.producer_agency_id());
  c->set_consulted_party_id(q.consulted_party_id());
  c->set_subject(q.subject());
  *c->mutable_requested_at() = f.env.occurred_at();
  return std::nullopt;
}

std::optional<Rejection> apply_consultation(Fold& f) {
  if (!f.env.has_consultation_requested() && !f.env.has_consultation_answered()) return std::nullopt;
  if (f.consultation.empty() || f.consultation.size() > kMaxConsultationIdBytes) {
    return Rejection{"sync.invalid_event", f.key + ": consultation_id must be set, at most " +
                                               std::to_string(kMaxConsultationIdBytes) + " bytes"};
  }
  if (f.env.has_consultation_requested()) return ask_consultation(f);
  v1::ConsultationSummary* c = find_consultation(f.s, f.consultation);
  if (c == nullptr) {
    return Rejection{"sync.transition_not_allowed", "consultation " + f.consultation + " has not been requested"};
  }
  if (c->has_answered_at()) {
    return Rejection{"sync.invalid_event", "consultation " + f.consultation + " was already answered"};
  }
  if (f.at < to_time_point(c->requested_at())) {
    return Rejection{"sync.invalid_event", "consultation " + f.consultation + ": the answer's occurred_at is before "
                                               "the question's (" + format_rfc3339(to_time_point(c->requested_at())) + ")"};
  }
  *c->mutable_answered_at() = f.env.occurred_at();
  return std::nullopt;
}

// --- case facts and parties: one applier per payload type ----------------------------------------

void drop_closed_deadlines(v1::CaseStateSnapshot& s) {
  auto* ds = s.mutable_deadlines();
  ds->erase(std::remove_if(ds->begin(), ds->end(), [](const v1::Deadline& d) { return !is_open(d); }), ds->end());
}

void set_case_facts(Fold& f, v1::Domain domain, const std::string& offence, const v1::Jurisdiction& j) {
  if (domain != v1::DOMAIN_UNSPECIFIED) f.s.set_domain(domain);
  if (!offence.empty()) f.s.set_offence_code(offence);
  if (j.ByteSizeLong() != 0) *f.s.mutable_jurisdiction() = j;
  f.in.profile = f.rules.select(f.s.domain(), f.s.offence_code(), local_date(f.at)).name;
}

void on_suspected_crime_reported(Fold& f) {
  const auto& p = f.env.suspected_crime_reported();
  set_case_facts(f, p.domain(), p.offence_code(), p.jurisdiction());
  upsert_party(f.s, p.reporting_agency(), v1::PARTY_ROLE_REFERRING_AGENCY, true);
}

// The parties' own case numbers, so an acknowledgement can be checked against them (issue 15 §4).
// A police organ's new number keeps its earlier one valid (受案登记 number, then the criminal case
// number on filing): both name the case.
void set_case_numbers(v1::CaseStateSnapshot& s, const std::string& agency, const std::string& police) {
  if (!agency.empty()) s.set_agency_case_number(agency);
  if (police.empty() || police == s.police_case_number()) return;
  auto* earlier = s.mutable_earlier_police_case_numbers();
  if (auto again = std::find(earlier->begin(), earlier->end(), police); again != earlier->end()) earlier->erase(again);
  if (!s.police_case_number().empty()) s.add_earlier_police_case_numbers(s.police_case_number());
  s.set_police_case_number(police);
}

// A transfer is copied to the same-level procuratorate when the sender asks or the profile
// requires it (S2 Art 6); a required copy without a procuratorate raises a supervision clue.
void on_case_referral(Fold& f) {
  const auto& p = f.env.case_referral();
  set_case_facts(f, p.domain(), p.offence_code(), p.jurisdiction());
  upsert_party(f.s, p.referring_agency(), v1::PARTY_ROLE_REFERRING_AGENCY, true);
  set_police(f.s, p.target_police_organ());
  set_case_numbers(f.s, p.transfer_letter_number(), "");
  const Profile* prof = f.rules.profile(f.in.profile);
  const bool copy_required = prof != nullptr && prof->copy_to_procuratorate_required;
  if (!copy_required && !p.copy_to_procuratorate()) return;
  if (!p.procuratorate().organ_id().empty()) {
    upsert_party(f.s, p.procuratorate(), v1::PARTY_ROLE_PROCURATORATE, true);
  } else if (copy_required) {
    auto alert = f.builder.make(f.s.case_id() + "/copy_missing/" + f.event_id, v1::ALERT_KIND_SUPERVISION_CLUE,
                                v1::ALERT_SEVERITY_WARNING, {p.referring_agency().organ_id()},
                                "transfer not copied to the same-level procuratorate (S2 Art 6)");
    alert.mutable_alert()->mutable_supervision_clue()->set_reason(v1::SUPERVISION_CLUE_REASON_OTHER);
    envelope::seal(alert);
    f.alerts.push_back(std::move(alert));
  }
}

void on_referral_accepted(Fold& f) {
  const auto& a = f.env.referral_accepted();
  set_police(f.s, a.police_organ());
  // The referral's own number wins: the acceptance only copies it.
  set_case_numbers(f.s, f.s.agency_case_number().empty() ? a.transfer_letter_number() : "", a.police_case_number());
}

void on_filing_decision(Fold& f) { set_case_numbers(f.s, "", f.env.filing_decision().police_case_number()); }

void on_case_forwarded(Fold& f) {
  if (f.env.case_forwarded().kind() == v1::FORWARD_KIND_TO_COMPETENT_ORGAN) {
    set_police(f.s, f.env.case_forwarded().to_organ());  // which clears the former organ's numbers
  }
}

void on_filing_supervision_requested(Fold& f) {
  upsert_party(f.s, f.env.filing_supervision_requested().procuratorate(), v1::PARTY_ROLE_PROCURATORATE, true);
}

void on_prosecution_decision(Fold& f) {
  upsert_party(f.s, f.env.prosecution_decision().procuratorate(), v1::PARTY_ROLE_PROCURATORATE, true);
}

// A demand to transfer (S2 Art 14) is addressed to the agency that is to refer the case: it
// becomes (or already is) the referring agency. A demand that opens the case brings its facts.
void on_procuratorial_opinion(Fold& f) {
  const auto& o = f.env.procuratorial_opinion();
  upsert_party(f.s, o.procuratorate(), v1::PARTY_ROLE_PROCURATORATE, true);
  if (o.kind() != v1::PROCURATORIAL_OPINION_KIND_DEMAND_TRANSFER) {
    upsert_party(f.s, o.recipient(), v1::PARTY_ROLE_RECEIVING_AGENCY, true);
    return;
  }
  if (f.s.state() == v1::CASE_STATE_UNSPECIFIED) set_case_facts(f, o.domain(), o.offence_code(), o.jurisdiction());
  upsert_party(f.s, o.recipient(), v1::PARTY_ROLE_REFERRING_AGENCY, true);
}

// An order to transfer (责令限期移送, S1 Art 16): the ordered agency becomes (or is) the referring
// agency; an order that opens the case brings its facts. The ordering organ does not become a
// party: a party may close the case and file evidence, which ordering a transfer does not entitle.
void on_transfer_ordered(Fold& f) {
  const auto& o = f.env.transfer_ordered();
  if (f.s.state() == v1::CASE_STATE_UNSPECIFIED) set_case_facts(f, o.domain(), o.offence_code(), o.jurisdiction());
  upsert_party(f.s, o.agency(), v1::PARTY_ROLE_REFERRING_AGENCY, true);
}

// The agency an order or demand names must be the case's own agency, when it has one.
std::optional<Rejection> addressed_to_the_cases_agency(const v1::CaseStateSnapshot& s, const std::string& field,
                                                        const std::string& to) {
  const std::string referring = party_with_role(s, v1::PARTY_ROLE_REFERRING_AGENCY);
  if (referring.empty() || referring == to) return std::nullopt;
  return Rejection{"sync.invalid_event", field + " '" + to + "' is not the case's agency (" + referring +
                                             "): the transfer is owed by the agency handling the case"};
}

// What an order or a demand to transfer must say, from the event alone (so the answer tells the
// sender nothing about the case): whom it addresses and, for an order, its time limit. Checked
// before the role model, which needs the addressee.
std::optional<Rejection> check_owed_transfer(const std::string& key, const v1::Envelope& env) {
  if (env.has_transfer_ordered()) {
    const auto& o = env.transfer_ordered();
    if (o.agency().organ_id().empty()) {
      return Rejection{"sync.invalid_event", "transfer_ordered.agency must name the agency ordered to transfer"};
    }
    if (!o.has_transfer_due_at() || to_time_point(o.transfer_due_at()) <= to_time_point(env.occurred_at())) {
      return Rejection{"sync.invalid_event", "transfer_ordered.transfer_due_at must be set, after the order's "
                                             "occurred_at (the time limit the order sets)"};
    }
  }
  if (key == "ProcuratorialOpinion.DEMAND_TRANSFER" && env.procuratorial_opinion().recipient().organ_id().empty()) {
    return Rejection{"sync.invalid_event", "procuratorial_opinion.recipient must name the agency to transfer the case"};
  }
  return std::nullopt;
}

// What depends on the case, checked once the sender may take the step: the agency addressed is
// the case's; a demand opens a case only with its field (which selects the deadline profile: a
// silent `general` would drop S2 Art 14's 3 days) — without it, it waits (parked) for the
// agency's report, which may be read after it from another topic.
std::optional<Rejection> check_owed_transfer_in_case(const std::string& key, const v1::Envelope& env,
                                                     const v1::CaseStateSnapshot& s) {
  if (env.has_transfer_ordered()) {
    return addressed_to_the_cases_agency(s, "transfer_ordered.agency", env.transfer_ordered().agency().organ_id());
  }
  if (key != "ProcuratorialOpinion.DEMAND_TRANSFER") return std::nullopt;
  const auto& o = env.procuratorial_opinion();
  if (s.state() == v1::CASE_STATE_UNSPECIFIED && o.domain() == v1::DOMAIN_UNSPECIFIED) {
    return Rejection{"sync.transition_not_allowed",
                     "a demand to transfer without procuratorial_opinion.domain does not open a case (the domain "
                     "selects its deadline profile): it applies to a case the agency's report opened"};
  }
  return addressed_to_the_cases_agency(s, "procuratorial_opinion.recipient", o.recipient().organ_id());
}

void on_court_judgment(Fold& f) { upsert_party(f.s, f.env.court_judgment().court(), v1::PARTY_ROLE_COURT, false); }

void on_reverse_review_status_changed(Fold& f) {
  f.s.set_reverse_review_status(f.env.reverse_review_status_changed().status());
}

void on_evidence_receipt(Fold& f) {
  const auto& r = f.env.evidence_receipt();
  auto* e = f.s.mutable_evidence();
  e->set_latest_manifest_id(r.manifest_id());
  e->set_receipt_status(r.status());
  e->set_merkle_root_hex(r.merkle_root_hex());
  e->clear_missing_categories();
  for (int c : r.missing_categories()) e->add_missing_categories(static_cast<v1::MaterialCategory>(c));
  e->set_item_count(r.item_count());
  // Counted from the receipt's per-item results (issue 20 #5: both stayed 0 although the receipt
  // flagged items).
  uint32_t recollect = 0;
  uint32_t failed = 0;
  for (const auto& item : r.item_results()) {
    if (item.usability() == v1::EVIDENCE_USABILITY_REQUIRES_RECOLLECTION) ++recollect;
    if (!item.verified()) ++failed;
  }
  e->set_items_requiring_recollection(recollect);
  e->set_items_failed_verification(failed);
}

struct PayloadApplier {
  v1::Envelope::PayloadCase payload;
  void (*apply)(Fold&);
};

// Payload types not listed change no case facts or parties (their transition and deadlines still apply).
constexpr PayloadApplier kPayloadAppliers[] = {
    {v1::Envelope::kSuspectedCrimeReported, on_suspected_crime_reported},
    {v1::Envelope::kCaseReferral, on_case_referral},
    {v1::Envelope::kReferralAccepted, on_referral_accepted},
    {v1::Envelope::kFilingDecision, on_filing_decision},
    {v1::Envelope::kCaseForwarded, on_case_forwarded},
    {v1::Envelope::kFilingSupervisionRequested, on_filing_supervision_requested},
    {v1::Envelope::kProsecutionDecision, on_prosecution_decision},
    {v1::Envelope::kProcuratorialOpinion, on_procuratorial_opinion},
    {v1::Envelope::kTransferOrdered, on_transfer_ordered},
    {v1::Envelope::kCourtJudgment, on_court_judgment},
    {v1::Envelope::kReverseReviewStatusChanged, on_reverse_review_status_changed},
    {v1::Envelope::kEvidenceReceipt, on_evidence_receipt},
};

void apply_payload(Fold& f) {
  for (const auto& applier : kPayloadAppliers) {
    if (applier.payload == f.env.payload_case()) {
      applier.apply(f);
      return;
    }
  }
}

// --- open deadlines: close, cancel, suspend, resume or extend ------------------------------------

void forget_deadline(Internal& in, const std::string& deadline_id) {
  in.marks.erase(deadline_id + "/approaching");
  in.marks.erase(deadline_id + "/overdue");
  in.suspended_ns.erase(deadline_id);
}

// Judged on event time only: met when the stopping event occurred before the due instant, even
// if it arrives after the timer marked the deadline overdue (a batch upload of a timely step) —
// then the overdue alerts already raised are withdrawn. Overdue otherwise (with the overdue
// alert if not yet raised).
void stop_deadline(Fold& f, v1::Deadline& d, const StepRule* rule) {
  const bool late = f.at >= to_time_point(d.due_at());
  const bool alerted = f.in.marks.count(d.deadline_id() + "/overdue") != 0;
  d.set_status(late ? v1::DEADLINE_STATUS_OVERDUE : v1::DEADLINE_STATUS_MET);
  d.set_closed_by_event_id(f.event_id);
  if (late && !alerted) overdue_alerts(f.s, d, rule, f.rules.organs(), f.now, &f.alerts);
  if (!late && alerted) resolution_alerts(f.s, d, rule, f.rules.organs(), f.now, f.event_id, &f.alerts);
  forget_deadline(f.in, d.deadline_id());
}

void cancel_deadline(Fold& f, v1::Deadline& d) {
  d.set_status(v1::DEADLINE_STATUS_CANCELLED);
  d.set_closed_by_event_id(f.event_id);
  forget_deadline(f.in, d.deadline_id());
}

// Keeps the remaining time; the due date moves when the deadline resumes.
void suspend_deadline(Fold& f, const v1::Deadline& d) {
  if (f.in.suspended_ns.count(d.deadline_id()) == 0) {
    f.in.suspended_ns[d.deadline_id()] =
        std::chrono::duration_cast<std::chrono::nanoseconds>(to_time_point(d.due_at()) - f.at).count();
  }
}

void resume_deadline(Fold& f, v1::Deadline& d, const StepRule* rule) {
  auto it = f.in.suspended_ns.find(d.deadline_id());
  if (it == f.in.suspended_ns.end()) return;
  TimePoint new_due = f.at + std::chrono::nanoseconds(it->second);
  if (rule->counting.holiday_roll_forward) {
    Date last = local_date(new_due - std::chrono::nanoseconds(1));
    while (!f.rules.calendar().is_working_day(last)) last += std::chrono::days(1);
    new_due = std::max(new_due, local_midnight(last + std::chrono::days(1)));
  }
  set_timestamp(d.mutable_due_at(), new_due);
  f.in.suspended_ns.erase(it);
}

// The first of the rule's extensions that this event triggers moves the due date (and reopens an
// overdue deadline whose new due date is still ahead).
void extend_deadline(Fold& f, v1::Deadline& d, const StepRule* rule) {
  for (const auto& x : rule->extensions) {
    if (!key_matches(x.event, f.key)) continue;
    int64_t amount = x.amount;
    if (x.amount_from_event && f.env.has_reverse_review_status_changed()) {
      amount = f.env.reverse_review_status_changed().extension_working_days();
    }
    if (amount <= 0) return;
    Counting counting = rule->counting;
    const TimePoint due = to_time_point(d.due_at());
    const TimePoint base =
        x.from == ExtensionFrom::kStart ? to_time_point(d.started_at()) : due - std::chrono::nanoseconds(1);
    const TimePoint new_due = f.rules.due(base, amount, x.unit, counting);
    set_timestamp(d.mutable_due_at(), new_due);
    *d.mutable_rule() = rule_ref(rule->rule_id + "+" + x.event, f.rules.version(),
                                 cited_source(x.legal_source, x.unit, counting),
                                 cited_confidence(x.confidence, x.unit, counting));
    if (new_due > f.now && f.at < new_due && d.status() == v1::DEADLINE_STATUS_OVERDUE) {
      d.set_status(v1::DEADLINE_STATUS_OPEN);
    }
    return;
  }
}

// The id a per-item deadline ("<step>#<id>") of `rule` is kept by, as this event names it: its
// recommendation's or its consultation's; empty when the event names none.
const std::string& per_item(const Fold& f, const StepRule& rule) {
  static const std::string kNone;
  if (rule.per == "recommendation_id") return f.rec_id;
  if (rule.per == "consultation_id") return f.consultation;
  return kNone;
}

// A per-item deadline moves only with its own recommendation or consultation.
bool concerns_deadline(const Fold& f, const StepRule& rule, const v1::Deadline& d) {
  if (rule.per.empty()) return true;
  const std::string& item = per_item(f, rule);
  return !item.empty() && d.deadline_id() == rule.step + "#" + item;
}

void update_open_deadlines(Fold& f) {
  const auto matches_any = [&](const std::vector<std::string>& patterns) {
    return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return key_matches(p, f.key); });
  };
  for (auto& d : *f.s.mutable_deadlines()) {
    if (!is_open(d)) continue;
    const StepRule* rule = find_rule(f.rules, f.in.profile, d);
    if (rule == nullptr || !concerns_deadline(f, *rule, d)) continue;
    if (matches_any(rule->stop)) {
      stop_deadline(f, d, rule);
    } else if (matches_any(rule->cancel)) {
      cancel_deadline(f, d);
    } else if (matches_any(rule->suspend)) {
      suspend_deadline(f, d);
    } else if (matches_any(rule->resume)) {
      resume_deadline(f, d, rule);
    } else {
      extend_deadline(f, d, rule);
    }
  }
}

// --- new deadlines started by this event ----------------------------------------------------------

// Issue 16: a due date counted without the holiday calendar of its year is marked and alerted,
// never passed off as exact (one alert per deadline: the id is derived from it).
void report_calendar_unknown(Fold& f, v1::Deadline& d, Date day) {
  d.set_calendar_unknown_date(format_date(day));
  auto alert = f.builder.make(f.s.case_id() + "/calendar_unknown/" + d.deadline_id(), v1::ALERT_KIND_CALENDAR_UNKNOWN,
                              v1::ALERT_SEVERITY_WARNING, {d.responsible_party_id()},
                              "deadline " + d.step() + ": the holiday calendar for " + format_date(day) +
                                  " is not in caselink's rule data (rules/deadlines); due_at counts weekends only "
                                  "and may be wrong until holidays-cn-" + format_date(day).substr(0, 4) +
                                  ".yaml is added");
  envelope::seal(alert);
  f.alerts.push_back(std::move(alert));
}

// A notice or platform entry due within N days of the decision it reports (S2 Art 9, 18, 34): it
// was made when the decision was recorded into caselink, which delivers it to every party.
void close_on_record(Fold& f, v1::Deadline& d, const StepRule& rule) {
  const TimePoint recorded = f.env.has_recorded_at() ? to_time_point(f.env.recorded_at()) : f.now;
  const bool late = recorded >= to_time_point(d.due_at());
  d.set_status(late ? v1::DEADLINE_STATUS_OVERDUE : v1::DEADLINE_STATUS_MET);
  d.set_closed_by_event_id(f.event_id);
  if (late) overdue_alerts(f.s, d, &rule, f.rules.organs(), f.now, &f.alerts);
}

void start_deadline(Fold& f, const StepRule& rule) {
  std::string id;
  TimePoint start = f.at;
  std::optional<TimePoint> stated_due;
  const bool per_recommendation = rule.per == "recommendation_id";
  if (!rule.per.empty()) {
    if (per_item(f, rule).empty()) return;
    id = rule.step + "#" + per_item(f, rule);
    const auto& ri = f.env.recommendation_issued();
    if (per_recommendation && ri.has_received_at()) start = to_time_point(ri.received_at());
    if (per_recommendation && ri.has_reply_due_at()) stated_due = to_time_point(ri.reply_due_at());
  } else {
    id = rule.step + "#" + std::to_string(++f.in.step_seq[rule.step]);
    if (f.env.has_procuratorial_opinion() && f.env.procuratorial_opinion().has_reply_due_at()) {
      stated_due = to_time_point(f.env.procuratorial_opinion().reply_due_at());
    }
    if (f.env.has_transfer_ordered()) stated_due = to_time_point(f.env.transfer_ordered().transfer_due_at());
  }
  std::optional<Date> calendar_unknown;
  const TimePoint due = rule.due_from_event && stated_due
                            ? *stated_due
                            : f.rules.due(start, rule.amount, rule.unit, rule.counting, &calendar_unknown);
  v1::Deadline d;
  d.set_deadline_id(id);
  d.set_step(rule.step);
  set_timestamp(d.mutable_due_at(), due);
  set_timestamp(d.mutable_started_at(), start);
  // A due date the event stated was not counted: no counting rule to cite.
  const bool counted = !(rule.due_from_event && stated_due);
  *d.mutable_rule() =
      rule_ref(rule.rule_id, f.rules.version(),
               counted ? cited_source(rule.legal_source, rule.unit, rule.counting) : rule.legal_source,
               counted ? cited_confidence(rule.confidence, rule.unit, rule.counting) : rule.confidence);
  if (const SourcedStart* sourced = rule.sourced_start(f.key)) {
    // A start the step's own source does not cover (issue 20 #4) cites its own source.
    *d.mutable_rule() =
        rule_ref(rule.rule_id + "@" + sourced->event, f.rules.version(),
                 counted ? cited_source(sourced->legal_source, rule.unit, rule.counting) : sourced->legal_source,
                 counted ? cited_confidence(sourced->confidence, rule.unit, rule.counting) : sourced->confidence);
  }
  d.set_status(v1::DEADLINE_STATUS_OPEN);
  d.set_responsible_party_id(responsible_party(f.s, rule.responsible, f.rec_id, f.env));
  d.set_started_by_event_id(f.event_id);
  if (calendar_unknown) {
    report_calendar_unknown(f, d, *calendar_unknown);
  }
  if (rule.closes_on_record) close_on_record(f, d, rule);
  *f.s.add_deadlines() = std::move(d);
  if (per_recommendation) {
    if (auto* rs = find_recommendation(f.s, f.rec_id)) set_timestamp(rs->mutable_reply_due_at(), due);
  }
}

void start_deadlines(Fold& f) {
  const Profile* prof = f.rules.profile(f.in.profile);
  if (prof == nullptr) return;
  const auto open_step = [&](const std::string& step) {
    return std::any_of(f.s.deadlines().begin(), f.s.deadlines().end(),
                       [&](const v1::Deadline& d) { return d.step() == step && is_open(d); });
  };
  for (const auto& rule : prof->steps) {
    // A step whose own source was not yet in force when the starting event occurred has no deadline.
    if (rule.effective_from && local_date(f.at) < *rule.effective_from) continue;
    if (!rule.starts_on(f.key)) continue;
    // A start the law does not name (issue 20 #4) never doubles a deadline already running.
    if (rule.sourced_start(f.key) != nullptr && open_step(rule.step)) continue;
    start_deadline(f, rule);
  }
}

// --- state, decision step, version, hash chain, timeline, dedup window ---------------------------

void advance_version(Fold& f, const Transition& t, std::string_view raw_value, const EngineOptions& options) {
  auto& s = f.s;
  if (t.to != kStay) s.set_state(static_cast<v1::CaseState>(t.to));
  if (t.decision_step != nullptr) f.in.decided[t.decision_step] = f.event_id;
  const std::string previous = s.state_hash_hex();
  s.set_previous_state_hash_hex(previous);
  s.set_version(s.version() + 1);
  s.set_state_hash_hex(chain_hash_hex(previous, raw_value));
  s.set_hash_scheme(kHashScheme);
  f.in.hashes[s.version()] = s.state_hash_hex();
  while (f.in.hashes.size() > options.hash_window) f.in.hashes.erase(f.in.hashes.begin());
  s.set_last_event_id(f.event_id);
  s.set_last_event_type(f.env.event_type());
  *s.mutable_last_event_occurred_at() = f.env.occurred_at();
  auto* te = s.add_timeline();
  te->set_event_id(f.event_id);
  te->set_event_type(f.env.event_type());
  *te->mutable_occurred_at() = f.env.occurred_at();
  te->set_producer_id(f.env.producer_agency_id());
  te->set_summary(f.key + " by " + f.env.producer_agency_id() + " -> " + state_name(s.state()));
  while (static_cast<size_t>(s.timeline_size()) > options.timeline_size) s.mutable_timeline()->DeleteSubrange(0, 1);
  remember_applied(f.in, f.event_id, options.applied_window);
}

}  // namespace

ApplyResult CaseEngine::apply(CaseRecord& record, const v1::Envelope& env, std::string_view raw_value,
                              TimePoint now) const {
  ApplyResult result;
  const std::string key = event_key(env);
  const auto& cur = record.snapshot;
  if (key.empty()) return rejected(cur, env, now, {"sync.unknown_event", "envelope has no payload"});
  if (is_ignored(key)) return result;  // kIgnored
  const auto& applied = record.internal.applied;
  if (std::find(applied.begin(), applied.end(), env.event_id()) != applied.end()) {
    result.outcome = Outcome::kDuplicate;
    return result;
  }
  Rejection why;
  const Transition* t = case_transition(record, key, &why);
  if (t == nullptr) return rejected(cur, env, now, std::move(why));
  if (auto rejection = check_owed_transfer(key, env)) return rejected(cur, env, now, std::move(*rejection));
  if (options_.authorize) {
    if (auto refused = authorize(cur, env, rules_.organs())) return refused_by_role(cur, env, now, std::move(*refused));
  }
  if (auto rejection = check_owed_transfer_in_case(key, env, cur)) {
    return rejected(cur, env, now, std::move(*rejection));
  }

  // Folded into a copy: a rejection part-way leaves `record` as it was.
  CaseRecord work = record;
  if (work.snapshot.case_id().empty()) work.snapshot.set_case_id(env.case_id());
  if (work.internal.profile.empty()) work.internal.profile = rules_.select(v1::DOMAIN_UNSPECIFIED, "").name;
  Fold fold(rules_, env, key, work, now, result.alerts);

  if (env.has_state_acknowledged()) {
    if (auto rejection = apply_acknowledgement(fold)) return rejected(cur, env, now, std::move(*rejection));
    remember_applied(work.internal, env.event_id(), options_.applied_window);
    record = std::move(work);
    result.outcome = Outcome::kAcknowledged;
    return result;
  }
  if (auto rejection = apply_recommendation(fold)) return rejected(cur, env, now, std::move(*rejection));
  if (auto rejection = apply_consultation(fold)) return rejected(cur, env, now, std::move(*rejection));
  drop_closed_deadlines(work.snapshot);
  apply_payload(fold);
  update_open_deadlines(fold);
  if (t->opens_deadlines) start_deadlines(fold);
  advance_version(fold, *t, raw_value, options_);

  record = std::move(work);
  result.outcome = Outcome::kApplied;
  return result;
}

std::vector<v1::Envelope> CaseEngine::tick(CaseRecord& record, TimePoint now, bool* changed) const {
  std::vector<v1::Envelope> alerts;
  *changed = false;
  auto& s = record.snapshot;
  auto& in = record.internal;
  for (auto& d : *s.mutable_deadlines()) {
    if (!is_open(d) || in.suspended_ns.count(d.deadline_id()) != 0) continue;
    const StepRule* rule = find_rule(rules_, in.profile, d);
    if (rule == nullptr || rule->passive) continue;
    const TimePoint due = to_time_point(d.due_at());
    const TimePoint start = to_time_point(d.started_at());
    const std::string overdue_mark = d.deadline_id() + "/overdue";
    const std::string approaching_mark = d.deadline_id() + "/approaching";
    if (now >= due) {
      if (in.marks.count(overdue_mark) != 0) continue;
      d.set_status(v1::DEADLINE_STATUS_OVERDUE);
      overdue_alerts(s, d, rule, rules_.organs(), now, &alerts);
      in.marks.insert(overdue_mark);
      if (rule->per == "recommendation_id") {
        const std::string rid = d.deadline_id().substr(d.deadline_id().find('#') + 1);
        if (auto* rs = find_recommendation(s, rid); rs != nullptr && rs->status() == v1::RECOMMENDATION_STATUS_ISSUED) {
          rs->set_status(v1::RECOMMENDATION_STATUS_REPLY_OVERDUE);
        }
      }
      *changed = true;
    } else if (in.marks.count(approaching_mark) == 0 &&
               now >= start + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  (due - start) * options_.approaching_fraction)) {
      AlertBuilder b(s, now);
      auto env = b.make(deadline_alert_id(s.case_id(), d, "approaching"), v1::ALERT_KIND_DEADLINE_APPROACHING,
                        v1::ALERT_SEVERITY_WARNING, b.with_procuratorates({d.responsible_party_id()}),
                        "deadline " + d.deadline_id() + " (" + d.rule().legal_source() + ") falls due at " +
                            format_rfc3339(due));
      *env.mutable_alert()->mutable_deadline() = d;
      *env.mutable_alert()->mutable_decided_by_rule() =
          rule_ref("caselink-sync.approaching", "v1", "approaching_fraction of the period elapsed", v1::CONFIDENCE_HIGH);
      envelope::seal(env);
      alerts.push_back(std::move(env));
      in.marks.insert(approaching_mark);
      *changed = true;
    }
  }
  return alerts;
}

TimePoint CaseEngine::next_timer(const CaseRecord& record) const {
  TimePoint next = TimePoint::max();
  const auto& in = record.internal;
  for (const auto& d : record.snapshot.deadlines()) {
    if (!is_open(d) || in.suspended_ns.count(d.deadline_id()) != 0) continue;
    const StepRule* rule = find_rule(rules_, in.profile, d);
    if (rule == nullptr || rule->passive || in.marks.count(d.deadline_id() + "/overdue") != 0) continue;
    const TimePoint due = to_time_point(d.due_at());
    const TimePoint start = to_time_point(d.started_at());
    TimePoint at = due;
    if (in.marks.count(d.deadline_id() + "/approaching") == 0) {
      at = start + std::chrono::duration_cast<std::chrono::nanoseconds>((due - start) * options_.approaching_fraction);
    }
    next = std::min(next, at);
  }
  return next;
}

OutgoingRecord CaseEngine::state_record(CaseRecord& record, const std::string& topic, TimePoint now) const {
  auto& s = record.snapshot;
  TimePoint occurred = s.has_last_event_occurred_at() ? to_time_point(s.last_event_occurred_at()) : now;
  v1::Envelope env = envelope::make_envelope(CaseId(s.case_id()), AgencyId(kProducerId), occurred, now);
  set_timestamp(s.mutable_computed_at(), now);
  // Lent to the envelope and taken back (pointer swaps), not copied: this runs for every event.
  env.mutable_case_state_snapshot()->Swap(&s);
  envelope::seal(env);
  OutgoingRecord out = envelope::to_record(env, topic);
  env.mutable_case_state_snapshot()->Swap(&s);
  out.headers.emplace_back(kInternalHeader, record.internal.to_json());
  return out;
}

OutgoingRecord CaseEngine::state_record(const CaseRecord& record, const std::string& topic, TimePoint now) const {
  CaseRecord copy = record;
  return state_record(copy, topic, now);
}

OutgoingRecord CaseEngine::alert_record(const v1::Envelope& alert, const std::string& topic) {
  return envelope::to_record(alert, topic);
}

bool CaseEngine::restore(const ConsumedRecord& state, CaseRecord* out) {
  if (!state.value) return false;
  // Parsed, not validated again: only caselink-sync writes the state topic (broker ACLs), from
  // events validated when they came in, and the check was a quarter of a restore's CPU.
  auto env = envelope::parse(*state.value);
  if (!env.ok() || !env->has_case_state_snapshot()) return false;
  out->snapshot.Swap(env->mutable_case_state_snapshot());
  out->internal = Internal{};
  if (auto h = find_header(state.headers, kInternalHeader)) {
    if (!Internal::from_json(*h, &out->internal)) return false;
  }
  if (out->internal.hashes.empty() && out->snapshot.version() > 0) {
    out->internal.hashes[out->snapshot.version()] = out->snapshot.state_hash_hex();
  }
  return true;
}

}  // namespace caselink::sync
