// The transition table: every allowed row from every allowed state is applied, and a
// representative set of forbidden events is refused with a reason and an alert naming the case.
#include <gtest/gtest.h>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include "services/daemons/sync/tests/test_support.h"
#include "services/daemons/sync/transitions.h"

namespace caselink::sync {
namespace {

using test::at;

// The table-driven tests below apply each step to a bare case (no parties): the role model is
// not what they test (authz_test.cc, case_engine_test.cc AuthzFixture do).
EngineOptions table_only() {
  EngineOptions o;
  o.authorize = false;
  return o;
}

// Sets the payload `message` of `env`, with its discriminating enum set to `value` when given.
void fill_by_reflection(v1::Envelope& env, const std::string& message, const std::string& value,
                        const std::string& key) {
  const auto* d = env.GetDescriptor();
  const auto* refl = env.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (f->message_type() == nullptr || f->message_type()->name() != message) continue;
    google::protobuf::Message* payload = refl->MutableMessage(&env, f);
    if (!value.empty()) {
      const auto* pd = payload->GetDescriptor();
      for (int j = 0; j < pd->field_count(); ++j) {
        const auto* pf = pd->field(j);
        if (pf->enum_type() == nullptr || pf->is_repeated()) continue;
        for (int k = 0; k < pf->enum_type()->value_count(); ++k) {
          const auto* ev = pf->enum_type()->value(k);
          const std::string& n = ev->name();
          if (n.size() > value.size() && n.compare(n.size() - value.size(), value.size(), value) == 0 &&
              n[n.size() - value.size() - 1] == '_' && event_key(env).empty() == false) {
            payload->GetReflection()->SetEnum(payload, pf, ev);
            if (event_key(env) == key) return;
          }
        }
      }
    }
    return;
  }
}

// What an event must say before caselink-sync applies it, beyond its key: an order to transfer
// names the agency and its time limit; a demand to transfer the agency and, when it opens the
// case, the case's field.
void complete(v1::Envelope& env) {
  if (env.has_consultation_requested()) {
    env.mutable_consultation_requested()->set_consultation_id("q1");
    env.mutable_consultation_requested()->set_consulted_party_id("sthjj-330100");
    return;
  }
  if (env.has_consultation_answered()) {
    env.mutable_consultation_answered()->set_consultation_id("q1");  // its question: put into the case by the test
    return;
  }
  if (env.has_transfer_ordered()) {
    *env.mutable_transfer_ordered()->mutable_agency() = test::organ("sthjj-330100");
    envelope::set_timestamp(env.mutable_transfer_ordered()->mutable_transfer_due_at(),
                            envelope::to_time_point(env.occurred_at()) + std::chrono::hours(72));
    return;
  }
  if (!env.has_procuratorial_opinion() ||
      env.procuratorial_opinion().kind() != v1::PROCURATORIAL_OPINION_KIND_DEMAND_TRANSFER) {
    return;
  }
  auto* opinion = env.mutable_procuratorial_opinion();
  *opinion->mutable_recipient() = test::organ("sthjj-330100", v1::ORGAN_KIND_ADMINISTRATIVE_AGENCY);
  opinion->set_domain(v1::DOMAIN_ENVIRONMENT);
}

// Builds an envelope for an event key ("FilingDecision.NOT_FILED") by reflection.
test::Ev event_for(const std::string& case_id, const std::string& key, TimePoint t) {
  const std::string message = key.substr(0, key.find('.'));
  const std::string value = key.find('.') == std::string::npos ? "" : key.substr(key.find('.') + 1);
  return test::make(case_id, t, [&](v1::Envelope& env) {
    fill_by_reflection(env, message, value, key);
    complete(env);
  });
}

TEST(Transitions, EveryAllowedTransitionApplies) {
  const DeadlineRules& rules = test::repo_rules();
  CaseEngine engine(rules, table_only());
  int applied = 0;
  for (const auto& t : transition_table()) {
    if (t.scope != Scope::kCase) continue;
    const std::string key = t.event_key;
    if (key == "StateAcknowledged" || key.rfind("Recommendation", 0) == 0) continue;  // own tests
    for (int from = 0; from < 32; ++from) {
      if ((t.from_mask & (1U << from)) == 0) continue;
      SCOPED_TRACE(key + " from " + v1::CaseState_Name(static_cast<v1::CaseState>(from)));
      CaseRecord rec;
      rec.snapshot.set_case_id("c-1");
      rec.snapshot.set_state(static_cast<v1::CaseState>(from));
      if (from != 0) rec.snapshot.set_version(3);
      if (key == "ConsultationAnswered") rec.snapshot.add_consultations()->set_consultation_id("q1");
      auto ev = event_for("c-1", key, at("2026-03-02T02:00:00Z"));
      ASSERT_TRUE(key_matches(key, event_key(ev.env))) << event_key(ev.env);
      auto r = engine.apply(rec, ev.env, ev.raw, at("2026-03-02T02:00:00Z"));
      ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
      EXPECT_EQ(rec.snapshot.state(), t.to == kStay ? from : t.to);
      EXPECT_EQ(rec.snapshot.version(), from != 0 ? 4U : 1U);
      ++applied;
    }
  }
  EXPECT_GT(applied, 60);
}

TEST(Transitions, EveryRowNamesItsLegalSource) {
  for (const auto& t : transition_table()) {
    EXPECT_NE(std::string(t.legal_source), "") << t.event_key;
    EXPECT_NE(std::string(t.rule_id), "") << t.event_key;
  }
}

struct Forbidden {
  v1::CaseState state;
  const char* key;
  const char* error_class;
};

TEST(Transitions, RepresentativeForbiddenEventsAreRejectedWithAnAlert) {
  CaseEngine engine(test::repo_rules(), table_only());
  const Forbidden cases[] = {
      {v1::CASE_STATE_UNSPECIFIED, "FilingDecision.FILED", "sync.transition_not_allowed"},  // never referred
      {v1::CASE_STATE_UNSPECIFIED, "ReferralAccepted", "sync.transition_not_allowed"},
      {v1::CASE_STATE_SUSPECTED, "CaseReferral", "sync.transition_not_allowed"},          // not approved
      {v1::CASE_STATE_REFERRED, "SeizedItemsHandedOver", "sync.transition_not_allowed"},
      {v1::CASE_STATE_FILED, "ReconsiderationRequested", "sync.transition_not_allowed"},
      {v1::CASE_STATE_CLOSED, "FilingDecision.NOT_FILED", "sync.transition_not_allowed"},
      {v1::CASE_STATE_PROSECUTED, "ProcuratorialOpinion.REVERSE_PENALTY", "sync.transition_not_allowed"},
      {v1::CASE_STATE_CLOSED, "ConsultationRequested", "sync.transition_not_allowed"},  // S2 Art 24: an open case
      {v1::CASE_STATE_TRANSFER_DEMANDED, "CaseClosed", "sync.transition_not_allowed"},  // S2 Art 14: transfer
      {v1::CASE_STATE_TRANSFER_DEMANDED, "TransferDecided.REJECTED", "sync.transition_not_allowed"},
      {v1::CASE_STATE_ACCEPTED, "EvidenceManifest", "sync.unsupported_event"},
  };
  for (const auto& f : cases) {
    SCOPED_TRACE(std::string(f.key) + " in " + v1::CaseState_Name(f.state));
    CaseRecord rec;
    rec.snapshot.set_state(f.state);
    const CaseRecord before = rec;
    auto ev = event_for("c-9", f.key, at("2026-03-02T02:00:00Z"));
    auto r = engine.apply(rec, ev.env, ev.raw, at("2026-03-02T02:00:00Z"));
    ASSERT_EQ(r.outcome, Outcome::kRejected);
    EXPECT_EQ(r.error_class, f.error_class) << r.reason;
    EXPECT_EQ(rec.snapshot.SerializeAsString(), before.snapshot.SerializeAsString()) << "state must not change";
    ASSERT_EQ(r.alerts.size(), 1U);
    EXPECT_EQ(r.alerts[0].case_id(), "c-9");
    EXPECT_EQ(r.alerts[0].alert().kind(), v1::ALERT_KIND_TRANSITION_REJECTED);
    EXPECT_EQ(r.alerts[0].alert().transition_rejected().rejected_event_id(), ev.env.event_id());
  }
}

TEST(Transitions, SecondDifferentDecisionForTheSameStepIsRejected) {
  CaseEngine engine(test::repo_rules(), table_only());
  CaseRecord rec;
  rec.snapshot.set_state(v1::CASE_STATE_ACCEPTED);
  auto filed = event_for("c-2", "FilingDecision.FILED", at("2026-03-02T02:00:00Z"));
  ASSERT_EQ(engine.apply(rec, filed.env, filed.raw, at("2026-03-02T02:00:00Z")).outcome, Outcome::kApplied);
  auto refused = event_for("c-2", "FilingDecision.NOT_FILED", at("2026-03-02T03:00:00Z"));
  auto r = engine.apply(rec, refused.env, refused.raw, at("2026-03-02T03:00:00Z"));
  ASSERT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(r.error_class, "sync.second_decision");
  EXPECT_NE(r.reason.find(filed.env.event_id()), std::string::npos) << r.reason;
  // The exact redelivery of the applied one is a no-op.
  auto again = engine.apply(rec, filed.env, filed.raw, at("2026-03-02T04:00:00Z"));
  EXPECT_EQ(again.outcome, Outcome::kDuplicate);
  EXPECT_TRUE(again.alerts.empty());
  EXPECT_EQ(rec.snapshot.version(), 1U);
}

TEST(Transitions, IgnoredEventsChangeNothing) {
  CaseEngine engine(test::repo_rules(), {});
  CaseRecord rec;
  auto ev = event_for("c-3", "AdministrativePenaltyReported.ROUTINE_SCREENING", at("2026-03-02T02:00:00Z"));
  EXPECT_EQ(engine.apply(rec, ev.env, ev.raw, at("2026-03-02T02:00:00Z")).outcome, Outcome::kIgnored);
  auto fb = event_for("c-3", "FeedbackAcknowledged", at("2026-03-02T02:00:00Z"));
  EXPECT_EQ(engine.apply(rec, fb.env, fb.raw, at("2026-03-02T02:00:00Z")).outcome, Outcome::kIgnored);
  EXPECT_EQ(rec.snapshot.version(), 0U);
}

}  // namespace
}  // namespace caselink::sync
