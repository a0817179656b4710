// Issue 16 §3: S2 Art 24, written consultations between the parties of a case (双向案件咨询制度).
// The question and its answer as case events (ConsultationRequested, ConsultationAnswered on
// caselink.ack.v1), the 7-day reply deadline of the environmental field at its boundary, one
// deadline per consultation, and who may ask whom and answer.
#include <gtest/gtest.h>

#include "services/daemons/sync/tests/test_support.h"

namespace caselink::sync {
namespace {

using test::at;
using test::organ;

struct Consultation : ::testing::Test {
  const DeadlineRules rules = test::repo_rules_with_organs();
  CaseEngine engine{rules, {}};
  CaseRecord rec;

  ApplyResult apply(TimePoint t, const std::function<void(v1::Envelope&)>& fill, const std::string& producer = "") {
    auto ev = test::make("env-330100-2026-0077", t, fill, producer);
    return engine.apply(rec, ev.env, ev.raw, t);
  }
  // sthjj-330100 refers the case to ga-330100, copied to jcy-330100.
  ApplyResult refer(TimePoint t, v1::Domain domain = v1::DOMAIN_ENVIRONMENT) {
    return apply(t, [&](v1::Envelope& e) {
      auto* p = e.mutable_case_referral();
      p->set_domain(domain);
      p->set_offence_code(domain == v1::DOMAIN_ENVIRONMENT ? "pollution_environment" : "wage_arrears");
      *p->mutable_referring_agency() = organ("sthjj-330100");
      *p->mutable_target_police_organ() = organ("ga-330100");
      *p->mutable_procuratorate() = organ("jcy-330100");
    });
  }
  ApplyResult ask(TimePoint t, const std::string& id, const std::string& by, const std::string& to) {
    return apply(t, [&](v1::Envelope& e) {
      auto* q = e.mutable_consultation_requested();
      q->set_consultation_id(id);
      *q->mutable_consulting_organ() = organ(by);
      q->set_consulted_party_id(to);
      q->set_subject(v1::CONSULTATION_SUBJECT_PROFESSIONAL);
      q->set_question("废液是否属于危险废物");
    });
  }
  ApplyResult answer(TimePoint t, const std::string& id, const std::string& by) {
    return apply(t, [&](v1::Envelope& e) {
      auto* a = e.mutable_consultation_answered();
      a->set_consultation_id(id);
      *a->mutable_answering_organ() = organ(by);
      a->set_answer("属于 HW17");
    });
  }
  const v1::Deadline* deadline(const std::string& id) const {
    for (const auto& d : rec.snapshot.deadlines()) {
      if (d.deadline_id() == id) return &d;
    }
    return nullptr;
  }
};

// Mon 2 Mar 2026 10:00 CST. Seven natural days, the start day not counted (S2 Art 38): 3–9 Mar,
// due at 00:00 CST on Tue 10 Mar = 16:00Z on the 9th (a Monday: no holiday roll-forward).
constexpr const char* kMonday = "2026-03-02T02:00:00Z";
constexpr const char* kDue = "2026-03-09T16:00:00Z";

TEST_F(Consultation, ThePoliceAskTheAgencyAndTheAgencyOwesAWrittenAnswerWithinSevenDays) {
  ASSERT_EQ(refer(at(kMonday) - std::chrono::hours(1)).outcome, Outcome::kApplied);
  const int parties = rec.snapshot.parties_size();
  const uint64_t version = rec.snapshot.version();
  auto r = ask(at(kMonday), "q1", "ga-330100", "sthjj-330100");
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  EXPECT_EQ(rec.snapshot.state(), v1::CASE_STATE_REFERRED) << "a consultation is not a step of the procedure";
  EXPECT_EQ(rec.snapshot.version(), version + 1) << "but it is in the case's history";
  EXPECT_EQ(rec.snapshot.parties_size(), parties);
  ASSERT_EQ(rec.snapshot.consultations_size(), 1);
  const auto& c = rec.snapshot.consultations(0);
  EXPECT_EQ(c.consultation_id(), "q1");
  EXPECT_EQ(c.consulting_party_id(), "ga-330100");
  EXPECT_EQ(c.consulted_party_id(), "sthjj-330100");
  EXPECT_EQ(c.subject(), v1::CONSULTATION_SUBJECT_PROFESSIONAL);
  EXPECT_FALSE(c.has_answered_at());
  const v1::Deadline* d = deadline("consultation_reply#q1");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(format_rfc3339(envelope::to_time_point(d->due_at())), "2026-03-09T16:00:00.000Z");
  EXPECT_EQ(d->responsible_party_id(), "sthjj-330100");
  EXPECT_NE(d->rule().legal_source().find("S2 Art 24"), std::string::npos) << d->rule().legal_source();
  EXPECT_NE(d->rule().legal_source().find("S2 Art 38"), std::string::npos) << "counting rule cited";
}

TEST_F(Consultation, AnAnswerJustBeforeTheDueInstantMeetsItAndOneAtItIsLate) {
  struct Case {
    TimePoint answered;
    v1::DeadlineStatus status;
    int overdue_alerts;
  };
  for (const Case& c : {Case{at(kDue) - std::chrono::seconds(1), v1::DEADLINE_STATUS_MET, 0},
                        Case{at(kDue), v1::DEADLINE_STATUS_OVERDUE, 1}}) {
    rec = CaseRecord{};
    ASSERT_EQ(refer(at(kMonday) - std::chrono::hours(1)).outcome, Outcome::kApplied);
    ASSERT_EQ(ask(at(kMonday), "q1", "sthjj-330100", "jcy-330100").outcome, Outcome::kApplied);
    auto r = answer(c.answered, "q1", "jcy-330100");
    ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
    ASSERT_NE(deadline("consultation_reply#q1"), nullptr);
    EXPECT_EQ(deadline("consultation_reply#q1")->status(), c.status);
    EXPECT_EQ(deadline("consultation_reply#q1")->responsible_party_id(), "jcy-330100");
    EXPECT_TRUE(rec.snapshot.consultations(0).has_answered_at());
    int overdue = 0;
    for (const auto& a : r.alerts) overdue += a.alert().kind() == v1::ALERT_KIND_DEADLINE_OVERDUE;
    EXPECT_EQ(overdue, c.overdue_alerts);
  }
}

TEST_F(Consultation, AnUnansweredConsultationFallsOverdueAtTheDueInstantOnce) {
  ASSERT_EQ(refer(at(kMonday) - std::chrono::hours(1)).outcome, Outcome::kApplied);
  ASSERT_EQ(ask(at(kMonday), "q1", "ga-330100", "sthjj-330100").outcome, Outcome::kApplied);
  auto overdue_alerts = [&](TimePoint now) {
    bool changed = false;
    int n = 0;
    for (auto& a : engine.tick(rec, now, &changed)) n += a.alert().kind() == v1::ALERT_KIND_DEADLINE_OVERDUE;
    return n;
  };
  EXPECT_EQ(overdue_alerts(at(kDue) - std::chrono::nanoseconds(1)), 0);
  EXPECT_EQ(overdue_alerts(at(kDue)), 1);
  EXPECT_EQ(deadline("consultation_reply#q1")->status(), v1::DEADLINE_STATUS_OVERDUE);
  EXPECT_EQ(overdue_alerts(at(kDue) + std::chrono::hours(24)), 0) << "raised once";
}

TEST_F(Consultation, EachConsultationHasItsOwnDeadlineAndAnAnswerMeetsOnlyItsOwn) {
  ASSERT_EQ(refer(at(kMonday) - std::chrono::hours(1)).outcome, Outcome::kApplied);
  ASSERT_EQ(ask(at(kMonday), "q1", "ga-330100", "sthjj-330100").outcome, Outcome::kApplied);
  ASSERT_EQ(ask(at(kMonday) + std::chrono::hours(1), "q2", "sthjj-330100", "ga-330100").outcome, Outcome::kApplied);
  auto r = answer(at(kMonday) + std::chrono::hours(2), "q2", "ga-330100");
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  EXPECT_EQ(deadline("consultation_reply#q2")->status(), v1::DEADLINE_STATUS_MET);
  EXPECT_EQ(deadline("consultation_reply#q1")->status(), v1::DEADLINE_STATUS_OPEN);
}

TEST_F(Consultation, OutsideTheEnvironmentalFieldItIsRecordedWithoutADeadline) {
  ASSERT_EQ(refer(at(kMonday) - std::chrono::hours(1), v1::DOMAIN_LABOUR).outcome, Outcome::kApplied);
  ASSERT_NE(rec.internal.profile, "environment");
  ASSERT_EQ(ask(at(kMonday), "q1", "sthjj-330100", "ga-330100").outcome, Outcome::kApplied);
  EXPECT_EQ(rec.snapshot.consultations_size(), 1);
  EXPECT_EQ(deadline("consultation_reply#q1"), nullptr) << "S2 Art 24 governs the environmental field only";
}

TEST_F(Consultation, OnlyAPartyOfTheOtherSideIsAskedAndOnlyIt) {
  ASSERT_EQ(refer(at(kMonday) - std::chrono::hours(1)).outcome, Outcome::kApplied);
  struct Case {
    std::string by, to, error_class;
  };
  for (const Case& c : {Case{"sthjj-330100", "ga-330200", "authz.consult_across_the_linkage"},   // not a party
                        Case{"ga-330100", "jcy-330100", "authz.consult_across_the_linkage"},     // same side
                        Case{"sthjj-330100", "sthjj-330100", "authz.consult_across_the_linkage"},  // itself
                        Case{"rsj-330100", "ga-330100", "authz.consult_across_the_linkage"},     // an outsider
                        Case{"fy-330100", "sthjj-330100", "authz.party_kind"}}) {                // a court
    auto r = ask(at(kMonday), "q9", c.by, c.to);
    EXPECT_EQ(r.outcome, Outcome::kRejected) << c.by << " -> " << c.to;
    EXPECT_EQ(r.error_class, c.error_class) << c.by << " -> " << c.to << ": " << r.reason;
  }
  auto r = apply(at(kMonday), [](v1::Envelope& e) {
    auto* q = e.mutable_consultation_requested();
    q->set_consultation_id("q9");
    *q->mutable_consulting_organ() = organ("ga-330100");
    q->set_consulted_party_id("sthjj-330100");
  }, "sthjj-330100");
  EXPECT_EQ(r.error_class, "authz.consult_across_the_linkage") << "asked in another party's name: " << r.reason;
  EXPECT_EQ(rec.snapshot.consultations_size(), 0);
}

TEST_F(Consultation, OnlyTheConsultedPartyAnswersOnceAndAnAnswerWithoutItsQuestionWaits) {
  ASSERT_EQ(refer(at(kMonday) - std::chrono::hours(1)).outcome, Outcome::kApplied);
  auto early = answer(at(kMonday), "q1", "sthjj-330100");
  EXPECT_EQ(early.error_class, "sync.transition_not_allowed") << "parked until its question: " << early.reason;
  ASSERT_EQ(ask(at(kMonday), "q1", "ga-330100", "sthjj-330100").outcome, Outcome::kApplied);
  EXPECT_EQ(ask(at(kMonday), "q1", "ga-330100", "sthjj-330100").error_class, "sync.invalid_event")
      << "a second question with the same id";
  EXPECT_EQ(answer(at(kMonday), "q1", "jcy-330100").error_class, "authz.consulted_party");
  EXPECT_EQ(answer(at(kMonday), "q1", "rsj-330100").error_class, "authz.consulted_party") << "an outsider";
  ASSERT_EQ(answer(at(kMonday) + std::chrono::hours(1), "q1", "sthjj-330100").outcome, Outcome::kApplied);
  EXPECT_EQ(answer(at(kMonday) + std::chrono::hours(2), "q1", "sthjj-330100").error_class, "sync.invalid_event")
      << "answered once";
}

// Per-item deadlines are kept by step and id: a recommendation and a consultation with the same
// id do not touch each other's deadline.
TEST_F(Consultation, AnAnswerDoesNotMeetARecommendationsDeadlineOfTheSameId) {
  ASSERT_EQ(refer(at(kMonday) - std::chrono::hours(1)).outcome, Outcome::kApplied);
  auto issued = apply(at(kMonday), [](v1::Envelope& e) {
    auto* r = e.mutable_recommendation_issued();
    r->set_recommendation_id("x1");
    *r->mutable_procuratorate() = organ("jcy-330100");
    *r->mutable_recipient() = organ("sthjj-330100");
  });
  ASSERT_EQ(issued.outcome, Outcome::kApplied) << issued.reason;
  ASSERT_EQ(ask(at(kMonday), "x1", "jcy-330100", "sthjj-330100").outcome, Outcome::kApplied);
  ASSERT_EQ(answer(at(kMonday) + std::chrono::hours(1), "x1", "sthjj-330100").outcome, Outcome::kApplied);
  EXPECT_EQ(deadline("consultation_reply#x1")->status(), v1::DEADLINE_STATUS_MET);
  ASSERT_NE(deadline("recommendation_reply#x1"), nullptr);
  EXPECT_EQ(deadline("recommendation_reply#x1")->status(), v1::DEADLINE_STATUS_OPEN);
  EXPECT_EQ(rec.snapshot.recommendations(0).status(), v1::RECOMMENDATION_STATUS_ISSUED);
}

TEST_F(Consultation, AnAnswerDatedBeforeItsQuestionIsRefused) {
  ASSERT_EQ(refer(at(kMonday) - std::chrono::hours(2)).outcome, Outcome::kApplied);
  ASSERT_EQ(ask(at(kMonday), "q1", "ga-330100", "sthjj-330100").outcome, Outcome::kApplied);
  auto r = answer(at(kMonday) - std::chrono::seconds(1), "q1", "sthjj-330100");
  EXPECT_EQ(r.error_class, "sync.invalid_event") << r.reason;
  EXPECT_EQ(answer(at(kMonday), "q1", "sthjj-330100").outcome, Outcome::kApplied) << "at the same instant";
}

// The state record is bounded: 32 consultations at most; an answered one leaves for a new one, and
// with all 32 unanswered a new question is refused.
TEST_F(Consultation, TheCaseKeepsAtMost32ConsultationsAndRefusesA33rdUnanswered) {
  ASSERT_EQ(refer(at(kMonday) - std::chrono::hours(1)).outcome, Outcome::kApplied);
  for (int i = 0; i < 32; ++i) {
    ASSERT_EQ(ask(at(kMonday), "q" + std::to_string(i), "ga-330100", "sthjj-330100").outcome, Outcome::kApplied);
  }
  auto full = ask(at(kMonday), "q32", "ga-330100", "sthjj-330100");
  EXPECT_EQ(full.error_class, "sync.invalid_event") << full.reason;
  ASSERT_EQ(answer(at(kMonday) + std::chrono::hours(1), "q5", "sthjj-330100").outcome, Outcome::kApplied);
  ASSERT_EQ(ask(at(kMonday) + std::chrono::hours(2), "q32", "ga-330100", "sthjj-330100").outcome, Outcome::kApplied);
  EXPECT_EQ(rec.snapshot.consultations_size(), 32);
  for (const auto& c : rec.snapshot.consultations()) EXPECT_NE(c.consultation_id(), "q5") << "the answered one left";
  EXPECT_EQ(ask(at(kMonday), std::string(129, 'q'), "ga-330100", "sthjj-330100").error_class, "sync.invalid_event")
      << "an id over 128 bytes";
}

TEST_F(Consultation, AQuestionOnACaseCaselinkHasNotSeenWaits) {
  auto r = ask(at(kMonday), "q1", "ga-330100", "sthjj-330100");
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(r.error_class, "sync.transition_not_allowed") << r.reason;
}

}  // namespace
}  // namespace caselink::sync
