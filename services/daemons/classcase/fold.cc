// fold(): one ClassCaseFact into its group's state (engine.h).
#include <algorithm>

#include "services/daemons/classcase/engine.h"
#include "services/lib/crypto/derived_uuid.h"
#include "services/lib/envelope/codec.h"

namespace caselink::classcase {

namespace {

bool seen(const v1::ClassCaseGroupState& s, const std::string& event_id) {
  return std::find(s.seen_event_ids().begin(), s.seen_event_ids().end(), event_id) != s.seen_event_ids().end();
}

bool member_of(const v1::ClassCaseGroupState& s, const std::string& case_id) {
  return std::any_of(s.members().begin(), s.members().end(),
                     [&](const v1::ClassCaseMember& m) { return m.case_id() == case_id; });
}

v1::Envelope base(const std::string& case_id, const std::string& producer, const v1::Envelope& cause, TimePoint now) {
  v1::Envelope e = envelope::make_envelope(CaseId(case_id), AgencyId(producer), now, now);
  e.set_correlation_id(cause.correlation_id());
  e.set_causation_id(cause.event_id());
  return e;
}

std::string summary(const v1::ClassCaseGroupState& s) {
  const auto& g = s.group();
  std::string who = !g.organ_id().empty() ? g.organ_id() : g.subject_id();
  return s.model().model_id() + " v" + s.model().model_version() + ": " + std::to_string(s.members_size()) +
         " cases (threshold " + std::to_string(s.model().threshold()) + ") for " + who +
         (g.offence_code().empty() ? std::string() : ", offence " + g.offence_code()) +
         (g.region_code().empty() ? std::string() : ", region " + g.region_code()) + " in " + g.window_start_date() +
         ".." + g.window_end_date();
}

// The 检察建议 the model opens, in the competent procuratorate's name, on the class case.
v1::Envelope recommendation(const v1::ClassCaseGroupState& s, const v1::Envelope& cause, TimePoint now) {
  const auto& p = s.recommendation();
  v1::Envelope e = base(s.class_case_id(), p.procuratorate_id(), cause, now);
  e.set_event_id(s.recommendation_id());
  v1::RecommendationIssued* r = e.mutable_recommendation_issued();
  r->set_recommendation_id(s.recommendation_id());
  r->set_type(p.type());
  r->mutable_procuratorate()->set_organ_id(p.procuratorate_id());
  r->mutable_procuratorate()->set_kind(v1::ORGAN_KIND_PROCURATORATE);
  r->mutable_recipient()->set_organ_id(p.recipient_organ_id());
  r->set_problems("class-case supervision " + summary(s) + ". Basis: " + s.model().basis());
  r->set_source_event_id(cause.causation_id());
  r->set_class_case_id(s.class_case_id());
  for (const auto& m : s.members()) r->add_member_case_ids(m.case_id());
  envelope::seal(e);
  return e;
}

void open(v1::ClassCaseGroupState& s, const v1::Envelope& cause, TimePoint now, Folded& out) {
  s.set_class_case_id(group_id(s.group().group_key()));
  const auto& p = s.recommendation();
  const bool recommends = p.type() != v1::RECOMMENDATION_TYPE_UNSPECIFIED && !p.procuratorate_id().empty();
  if (recommends) s.set_recommendation_id(crypto::derived_uuid(kRecommendationIdSpace, s.class_case_id()));
  v1::Envelope e = base(s.class_case_id(), kProducerId, cause, now);
  e.set_event_id(crypto::derived_uuid(kOpenedIdSpace, s.class_case_id()));
  v1::ClassCaseOpened* o = e.mutable_class_case_opened();
  o->set_class_case_id(s.class_case_id());
  *o->mutable_model() = s.model();
  *o->mutable_group() = s.group();
  *o->mutable_members() = s.members();
  o->set_recommendation_id(s.recommendation_id());
  o->set_summary(summary(s) + (p.type() != v1::RECOMMENDATION_TYPE_UNSPECIFIED && !recommends
                                   ? " [no recommendation: no procuratorate competent for " + p.recipient_organ_id() + "]"
                                   : std::string()));
  envelope::seal(e);
  out.events.push_back(std::move(e));
  if (recommends) out.events.push_back(recommendation(s, cause, now));
}

void join(const v1::ClassCaseGroupState& s, const v1::Envelope& cause, TimePoint now, Folded& out) {
  const v1::ClassCaseMember& m = s.members(s.members_size() - 1);
  v1::Envelope e = base(s.class_case_id(), kProducerId, cause, now);
  e.set_event_id(crypto::derived_uuid(kJoinedIdSpace, s.class_case_id() + "/" + m.case_id()));
  v1::ClassCaseMemberJoined* j = e.mutable_class_case_member_joined();
  j->set_class_case_id(s.class_case_id());
  *j->mutable_member() = m;
  j->set_member_count(static_cast<uint32_t>(s.members_size()));
  *j->mutable_model() = s.model();
  envelope::seal(e);
  out.events.push_back(std::move(e));
}

// A withdrawn fact (the alert was RESOLVED) takes its member out of a class case not yet opened;
// an opened class case keeps its members (its record is already public).
bool withdraw(v1::ClassCaseGroupState& s, const v1::ClassCaseMember& m) {
  if (!s.class_case_id().empty()) return false;
  auto* members = s.mutable_members();
  const auto before = members->size();
  members->erase(std::remove_if(members->begin(), members->end(),
                                [&](const v1::ClassCaseMember& x) {
                                  return x.case_id() == m.case_id() && x.condition_id() == m.condition_id();
                                }),
                 members->end());
  return members->size() != before;
}

}  // namespace

Folded fold(v1::ClassCaseGroupState& s, const v1::Envelope& in, TimePoint now) {
  Folded out;
  const v1::ClassCaseFact& f = in.class_case_fact();
  if (seen(s, f.member().event_id())) return out;  // a duplicate input: counted once
  if (!s.has_model()) {
    *s.mutable_model() = f.model();
    *s.mutable_group() = f.group();
    *s.mutable_recommendation() = f.recommendation();
  }
  if (f.withdrawn()) {
    out.changed = withdraw(s, f.member());
  } else if (!member_of(s, f.member().case_id())) {
    *s.add_members() = f.member();
    out.changed = true;
    if (!s.class_case_id().empty()) {
      join(s, in, now, out);
    } else if (static_cast<uint32_t>(s.members_size()) >= s.model().threshold()) {
      open(s, in, now, out);
    }
  }
  if (!out.changed) return out;
  // Only facts that changed the group are remembered: a repeated one is then a no-op by this list.
  s.add_seen_event_ids(f.member().event_id());
  const std::string id = group_id(s.group().group_key());
  out.state = base(id, kProducerId, in, now);
  out.state.set_event_id(crypto::derived_uuid(kStateIdSpace, id + "/" + in.event_id()));
  *out.state.mutable_class_case_group_state() = s;
  envelope::seal(out.state);
  return out;
}

}  // namespace caselink::classcase
