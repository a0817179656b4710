// Issue 16 §3: a transfer owed on someone else's word. S2 Art 14, the procuratorate's opinion
// demanding that an agency transfer a case (ProcuratorialOpinion DEMAND_TRANSFER): the state it
// leads to, the 3-day deadline at its boundary and around the 2017 rules' effective date. S1 Art
// 16, the government's or a superior agency's order to transfer within a time limit
// (TransferOrdered): the order's own limit at its boundary. For both, who may send them and what
// they must say.
#include <gtest/gtest.h>

#include "services/daemons/sync/tests/test_support.h"

namespace caselink::sync {
namespace {

using test::at;
using test::organ;

struct Demand : ::testing::Test {
  const DeadlineRules rules = test::repo_rules_with_organs();
  CaseEngine engine{rules, {}};
  CaseRecord rec;

  ApplyResult apply(TimePoint t, const std::function<void(v1::Envelope&)>& fill, const std::string& producer = "") {
    auto ev = test::make("env-330100-2026-0042", t, fill, producer);
    return engine.apply(rec, ev.env, ev.raw, t);
  }
  // A demand of jcy-330100 to sthjj-330100 (or `by` to `to`), on an environmental case by default.
  ApplyResult demand(TimePoint t, v1::Domain domain = v1::DOMAIN_ENVIRONMENT, const std::string& to = "sthjj-330100",
                     const std::string& by = "jcy-330100") {
    return apply(t, [&](v1::Envelope& e) {
      auto* o = e.mutable_procuratorial_opinion();
      o->set_kind(v1::PROCURATORIAL_OPINION_KIND_DEMAND_TRANSFER);
      *o->mutable_procuratorate() = organ(by, v1::ORGAN_KIND_PROCURATORATE);
      if (!to.empty()) *o->mutable_recipient() = organ(to, v1::ORGAN_KIND_ADMINISTRATIVE_AGENCY);
      o->set_domain(domain);
      o->set_offence_code("pollution_environment");
      o->mutable_jurisdiction()->set_province_code("330000");
      o->mutable_jurisdiction()->set_city_code("330100");
      o->set_opinion_document_number("杭检建移〔2026〕1号");
      o->set_demand("移送涉嫌污染环境罪案件");
    });
  }
  ApplyResult refer(TimePoint t, const std::string& agency = "sthjj-330100") {
    return apply(t, [&](v1::Envelope& e) {
      auto* p = e.mutable_case_referral();
      p->set_domain(v1::DOMAIN_ENVIRONMENT);
      p->set_offence_code("pollution_environment");
      *p->mutable_referring_agency() = organ(agency);
      *p->mutable_target_police_organ() = organ("ga-330100");
      *p->mutable_procuratorate() = organ("jcy-330100");
    });
  }
  ApplyResult report(TimePoint t) {
    return apply(t, [](v1::Envelope& e) {
      auto* p = e.mutable_suspected_crime_reported();
      *p->mutable_reporting_agency() = organ("sthjj-330100");
      p->set_domain(v1::DOMAIN_ENVIRONMENT);
      p->mutable_jurisdiction()->set_city_code("330100");
    });
  }
  ApplyResult decide(TimePoint t, v1::TransferDecision d) {
    return apply(t, [&](v1::Envelope& e) { e.mutable_transfer_decided()->set_decision(d); }, "sthjj-330100");
  }
  const v1::Deadline* deadline(const std::string& step) const {
    for (const auto& d : rec.snapshot.deadlines()) {
      if (d.step() == step) return &d;
    }
    return nullptr;
  }
  v1::PartyRole role_of(const std::string& id) const {
    for (const auto& p : rec.snapshot.parties()) {
      if (p.party_id() == id) return p.role();
    }
    return v1::PARTY_ROLE_UNSPECIFIED;
  }
};

// Mon 2 Mar 2026 10:00 CST: 3 days end Thu 5 Mar 24:00 CST = 16:00Z (from a Wednesday the
// period ends on a Saturday and rolls to Monday: deadline_rules_test.cc's boundary table).
constexpr const char* kMonday = "2026-03-02T02:00:00Z";
constexpr const char* kDue = "2026-03-05T16:00:00Z";

TEST_F(Demand, OpensTheCaseWithTheAgencyToReferAndTheProcuratorateAsParties) {
  auto r = demand(at(kMonday));
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  EXPECT_EQ(rec.snapshot.state(), v1::CASE_STATE_TRANSFER_DEMANDED);
  EXPECT_EQ(rec.internal.profile, "environment");
  EXPECT_EQ(rec.snapshot.domain(), v1::DOMAIN_ENVIRONMENT);
  EXPECT_EQ(rec.snapshot.jurisdiction().city_code(), "330100");
  EXPECT_EQ(role_of("sthjj-330100"), v1::PARTY_ROLE_REFERRING_AGENCY);
  EXPECT_EQ(role_of("jcy-330100"), v1::PARTY_ROLE_PROCURATORATE);
  const v1::Deadline* d = deadline("transfer_on_demand");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(format_rfc3339(envelope::to_time_point(d->due_at())), "2026-03-05T16:00:00.000Z");
  EXPECT_EQ(d->responsible_party_id(), "sthjj-330100");
  EXPECT_NE(d->rule().legal_source().find("S2 Art 14"), std::string::npos) << d->rule().legal_source();
}

TEST_F(Demand, AReferralJustBeforeTheDueInstantMeetsItAndOneAtItIsLate) {
  struct Case {
    TimePoint referred;
    v1::DeadlineStatus status;
    int overdue_alerts;
  };
  for (const Case& c : {Case{at(kDue) - std::chrono::seconds(1), v1::DEADLINE_STATUS_MET, 0},
                        Case{at(kDue), v1::DEADLINE_STATUS_OVERDUE, 1}}) {
    rec = CaseRecord{};
    ASSERT_EQ(demand(at(kMonday)).outcome, Outcome::kApplied);
    auto r = refer(c.referred);
    ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
    EXPECT_EQ(rec.snapshot.state(), v1::CASE_STATE_REFERRED);
    ASSERT_NE(deadline("transfer_on_demand"), nullptr);
    EXPECT_EQ(deadline("transfer_on_demand")->status(), c.status);
    int overdue = 0;
    for (const auto& a : r.alerts) {
      overdue += a.alert().kind() == v1::ALERT_KIND_DEADLINE_OVERDUE &&
                 a.alert().deadline().step() == "transfer_on_demand";
    }
    EXPECT_EQ(overdue, c.overdue_alerts);
  }
}

TEST_F(Demand, TheTimerRaisesTheOverdueAlertOnceAtTheDueInstantForTheAgency) {
  ASSERT_EQ(demand(at(kMonday)).outcome, Outcome::kApplied);
  auto overdue_alerts = [&](TimePoint now) {
    bool changed = false;
    std::vector<v1::Envelope> found;
    for (auto& a : engine.tick(rec, now, &changed)) {
      if (a.alert().kind() == v1::ALERT_KIND_DEADLINE_OVERDUE) found.push_back(a);
    }
    return found;
  };
  EXPECT_TRUE(overdue_alerts(at(kDue) - std::chrono::nanoseconds(1)).empty());
  auto late = overdue_alerts(at(kDue));
  ASSERT_EQ(late.size(), 1U);
  EXPECT_EQ(late[0].alert().deadline().step(), "transfer_on_demand");
  EXPECT_EQ(late[0].alert().deadline().responsible_party_id(), "sthjj-330100");
  EXPECT_TRUE(overdue_alerts(at(kDue) + std::chrono::hours(24)).empty()) << "raised once";
}

// The 2017 rules from 2017-01-25: a demand on an environmental case before then follows Order 310,
// which sets no period for complying with the opinion.
TEST_F(Demand, NoThreeDayDeadlineBeforeTheEnvironmentalRulesNorOutsideTheirField) {
  struct Case {
    const char* when;
    v1::Domain domain;
    bool deadline;
  };
  for (const Case& c : {Case{"2017-01-24T15:59:59Z", v1::DOMAIN_ENVIRONMENT, false},  // 23:59:59 CST on 24 Jan
                        Case{"2017-01-24T16:00:00Z", v1::DOMAIN_ENVIRONMENT, true},   // 00:00 CST on 25 Jan
                        Case{kMonday, v1::DOMAIN_MARKET_REGULATION, false}}) {
    SCOPED_TRACE(c.when);
    rec = CaseRecord{};
    auto r = demand(at(c.when), c.domain);
    ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
    EXPECT_EQ(rec.snapshot.state(), v1::CASE_STATE_TRANSFER_DEMANDED);
    EXPECT_EQ(deadline("transfer_on_demand") != nullptr, c.deadline);
    ASSERT_EQ(refer(at(c.when) + std::chrono::hours(1)).outcome, Outcome::kApplied);
  }
}

TEST_F(Demand, WhileTheHeadsDecisionIsPendingTheReferralMeetsBothDeadlines) {
  ASSERT_EQ(report(at(kMonday)).outcome, Outcome::kApplied);
  ASSERT_NE(deadline("transfer_approval"), nullptr);
  ASSERT_EQ(demand(at(kMonday) + std::chrono::hours(1)).outcome, Outcome::kApplied);
  EXPECT_EQ(rec.snapshot.state(), v1::CASE_STATE_TRANSFER_DEMANDED);
  auto r = refer(at(kMonday) + std::chrono::hours(30));
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  EXPECT_EQ(deadline("transfer_approval")->status(), v1::DEADLINE_STATUS_MET);
  EXPECT_EQ(deadline("transfer_on_demand")->status(), v1::DEADLINE_STATUS_MET);
}

TEST_F(Demand, AfterTheHeadRejectedTheTransferTheHeadMayApproveItAgain) {
  ASSERT_EQ(report(at(kMonday)).outcome, Outcome::kApplied);
  ASSERT_EQ(decide(at(kMonday) + std::chrono::hours(1), v1::TRANSFER_DECISION_REJECTED).outcome, Outcome::kApplied);
  ASSERT_EQ(demand(at(kMonday) + std::chrono::hours(2)).outcome, Outcome::kApplied);
  auto r = decide(at(kMonday) + std::chrono::hours(3), v1::TRANSFER_DECISION_APPROVED);
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  EXPECT_EQ(rec.snapshot.state(), v1::CASE_STATE_TRANSFER_APPROVED);
  ASSERT_EQ(refer(at(kMonday) + std::chrono::hours(4)).outcome, Outcome::kApplied);
  EXPECT_EQ(deadline("transfer_on_demand")->status(), v1::DEADLINE_STATUS_MET);
  EXPECT_EQ(deadline("transfer")->status(), v1::DEADLINE_STATUS_MET);
}

TEST_F(Demand, ADemandThatDoesNotSayWhatItMustIsRefusedNamingTheField) {
  // Without its field a demand opens no case: "not yet" (parked by the handler until the
  // agency's report, which may come from another topic, opens the case).
  auto r = demand(at(kMonday), v1::DOMAIN_UNSPECIFIED);
  ASSERT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(r.error_class, "sync.transition_not_allowed");
  EXPECT_NE(r.reason.find("procuratorial_opinion.domain"), std::string::npos) << r.reason;
  r = demand(at(kMonday), v1::DOMAIN_ENVIRONMENT, "");
  ASSERT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_NE(r.reason.find("procuratorial_opinion.recipient"), std::string::npos) << r.reason;
  EXPECT_EQ(rec.snapshot.ByteSizeLong(), 0U) << "nothing opened";
  // On a case it holds, the case's own field stays: the domain may be left out, not the agency.
  ASSERT_EQ(report(at(kMonday)).outcome, Outcome::kApplied);
  r = demand(at(kMonday) + std::chrono::hours(1), v1::DOMAIN_UNSPECIFIED, "scjg-330100");
  ASSERT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_NE(r.reason.find("not the case's agency (sthjj-330100)"), std::string::npos) << r.reason;
  ASSERT_EQ(demand(at(kMonday) + std::chrono::hours(1), v1::DOMAIN_UNSPECIFIED).outcome, Outcome::kApplied);
  EXPECT_EQ(rec.snapshot.domain(), v1::DOMAIN_ENVIRONMENT);
}

TEST_F(Demand, AfterAnApprovalNotFollowedByTheTransferADemandOpensItsDeadline) {
  ASSERT_EQ(report(at(kMonday)).outcome, Outcome::kApplied);
  ASSERT_EQ(decide(at(kMonday), v1::TRANSFER_DECISION_APPROVED).outcome, Outcome::kApplied);
  auto r = demand(at(kMonday) + std::chrono::hours(30));
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  EXPECT_EQ(rec.snapshot.state(), v1::CASE_STATE_TRANSFER_DEMANDED);
  ASSERT_NE(deadline("transfer_on_demand"), nullptr);
  ASSERT_EQ(refer(at(kMonday) + std::chrono::hours(40)).outcome, Outcome::kApplied);
  EXPECT_EQ(deadline("transfer_on_demand")->status(), v1::DEADLINE_STATUS_MET);
}

// The referral says another field than the demand: the case moves to that field's profile, and
// the demand's deadline, opened under the environmental one, is still judged by its own step.
TEST_F(Demand, ADeadlineOpenedUnderAnotherProfileIsStillJudged) {
  ASSERT_EQ(demand(at(kMonday)).outcome, Outcome::kApplied);
  auto r = apply(at(kDue), [](v1::Envelope& e) {
    auto* p = e.mutable_case_referral();
    p->set_domain(v1::DOMAIN_MARKET_REGULATION);
    p->set_offence_code("fake_products");
    *p->mutable_referring_agency() = organ("sthjj-330100");
    *p->mutable_target_police_organ() = organ("ga-330100");
  });
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  EXPECT_NE(rec.internal.profile, "environment");
  EXPECT_EQ(deadline("transfer_on_demand")->status(), v1::DEADLINE_STATUS_OVERDUE);
}

// The referral travels on another topic than the demand and may be read first, whether it
// answered the demand or came before it: the demand is recorded and owes nothing.
TEST_F(Demand, ADemandReadAfterTheReferralIsRecordedAndOpensNoDeadline) {
  for (const auto demanded : {at(kMonday) - std::chrono::hours(1), at(kMonday) + std::chrono::hours(1)}) {
    rec = CaseRecord{};
    ASSERT_EQ(refer(at(kMonday)).outcome, Outcome::kApplied);
    const uint64_t version = rec.snapshot.version();
    auto r = demand(demanded);
    ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
    EXPECT_EQ(rec.snapshot.state(), v1::CASE_STATE_REFERRED);
    EXPECT_EQ(rec.snapshot.version(), version + 1) << "in the case's history";
    EXPECT_EQ(deadline("transfer_on_demand"), nullptr) << "the transfer it demands was made";
    bool changed = false;
    EXPECT_TRUE(engine.tick(rec, at(kDue) + std::chrono::hours(24), &changed).empty());
  }
}

// A demand the agency did not follow may be repeated; each opens its own deadline (as orders do),
// and the first one missed stays missed.
TEST_F(Demand, ADemandMayBeRepeatedAndEachOpensItsOwnDeadline) {
  ASSERT_EQ(demand(at(kMonday)).outcome, Outcome::kApplied);
  bool changed = false;
  (void)engine.tick(rec, at(kDue), &changed);
  auto r = demand(at(kDue) + std::chrono::hours(24));
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  int overdue = 0;
  int open = 0;
  for (const auto& d : rec.snapshot.deadlines()) {
    if (d.step() != "transfer_on_demand") continue;
    overdue += d.status() == v1::DEADLINE_STATUS_OVERDUE;
    open += d.status() == v1::DEADLINE_STATUS_OPEN;
  }
  EXPECT_EQ(overdue, 1);
  EXPECT_EQ(open, 1);
}

TEST_F(Demand, OnlyTheCompetentProcuratorateDemandsAndOnlyTheAddressedAgencyRefers) {
  auto r = demand(at(kMonday), v1::DOMAIN_ENVIRONMENT, "sthjj-330100", "jcy-440300");
  ASSERT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(r.error_class, "authz.competent_procuratorate") << r.reason;
  EXPECT_NE(r.reason.find("jcy-330100"), std::string::npos) << r.reason;
  r = demand(at(kMonday), v1::DOMAIN_ENVIRONMENT, "sthjj-330100", "sthjj-330100");  // an agency demanding
  ASSERT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(r.error_class, "authz.party_kind") << r.reason;
  ASSERT_EQ(demand(at(kMonday)).outcome, Outcome::kApplied);
  r = refer(at(kMonday) + std::chrono::hours(1), "scjg-330100");
  ASSERT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(r.error_class, "authz.referring_agency_as_itself") << r.reason;
  EXPECT_EQ(rec.snapshot.state(), v1::CASE_STATE_TRANSFER_DEMANDED);
}

// --- S1 Art 16: 责令限期移送 -------------------------------------------------------------------

struct Order : Demand {
  // An order of `by` to `to`, given at `t`, to transfer before `due`.
  ApplyResult order(TimePoint t, TimePoint due, const std::string& by = "zf-330100",
                    const std::string& to = "sthjj-330100") {
    return apply(t, [&](v1::Envelope& e) {
      auto* o = e.mutable_transfer_ordered();
      *o->mutable_ordering_organ() = organ(by, v1::ORGAN_KIND_GOVERNMENT);
      if (!to.empty()) *o->mutable_agency() = organ(to, v1::ORGAN_KIND_ADMINISTRATIVE_AGENCY);
      if (due != TimePoint{}) envelope::set_timestamp(o->mutable_transfer_due_at(), due);
      o->set_domain(v1::DOMAIN_ENVIRONMENT);
      o->mutable_jurisdiction()->set_city_code("330100");
      o->set_order_document_number("杭政责移〔2026〕1号");
    });
  }
};

constexpr const char* kOrderDue = "2026-03-09T16:00:00Z";  // the order says: before Tue 10 Mar 00:00 CST

TEST_F(Order, OpensTheCaseWithItsOwnLimitAndTheAgencyOwesTheTransfer) {
  auto r = order(at(kMonday), at(kOrderDue));
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  EXPECT_EQ(rec.snapshot.state(), v1::CASE_STATE_TRANSFER_DEMANDED);
  EXPECT_EQ(role_of("sthjj-330100"), v1::PARTY_ROLE_REFERRING_AGENCY);
  EXPECT_EQ(role_of("zf-330100"), v1::PARTY_ROLE_UNSPECIFIED) << "ordering makes nobody a party";
  const v1::Deadline* d = deadline("transfer_on_order");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(format_rfc3339(envelope::to_time_point(d->due_at())), "2026-03-09T16:00:00.000Z");
  EXPECT_EQ(d->responsible_party_id(), "sthjj-330100");
  EXPECT_NE(d->rule().legal_source().find("S1 Art 16"), std::string::npos) << d->rule().legal_source();
  EXPECT_EQ(d->rule().legal_source().find("counting"), std::string::npos) << "a stated limit is not counted";
  EXPECT_EQ(deadline("transfer_on_demand"), nullptr);
}

TEST_F(Order, AReferralJustBeforeTheLimitMeetsItAndOneAtItIsLate) {
  for (const auto& [referred, status] : {std::pair{at(kOrderDue) - std::chrono::seconds(1), v1::DEADLINE_STATUS_MET},
                                         std::pair{at(kOrderDue), v1::DEADLINE_STATUS_OVERDUE}}) {
    rec = CaseRecord{};
    ASSERT_EQ(order(at(kMonday), at(kOrderDue)).outcome, Outcome::kApplied);
    auto r = refer(referred);
    ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
    EXPECT_EQ(deadline("transfer_on_order")->status(), status);
  }
}

// The 24 hours after the head's approval passed, or the procuratorate's 3 days: the order comes
// on top and opens its own deadline; the one already missed stays missed.
TEST_F(Order, AfterAMissedTransferTheOrderAddsItsOwnDeadline) {
  ASSERT_EQ(demand(at(kMonday)).outcome, Outcome::kApplied);
  bool changed = false;
  (void)engine.tick(rec, at(kDue), &changed);
  ASSERT_EQ(deadline("transfer_on_demand")->status(), v1::DEADLINE_STATUS_OVERDUE);
  ASSERT_EQ(order(at("2026-03-06T02:00:00Z"), at("2026-03-13T16:00:00Z")).outcome, Outcome::kApplied);
  EXPECT_EQ(rec.snapshot.state(), v1::CASE_STATE_TRANSFER_DEMANDED);
  ASSERT_EQ(refer(at("2026-03-10T02:00:00Z")).outcome, Outcome::kApplied);
  EXPECT_EQ(deadline("transfer_on_demand")->status(), v1::DEADLINE_STATUS_OVERDUE);
  EXPECT_EQ(deadline("transfer_on_order")->status(), v1::DEADLINE_STATUS_MET);

  rec = CaseRecord{};
  ASSERT_EQ(report(at(kMonday)).outcome, Outcome::kApplied);
  ASSERT_EQ(decide(at(kMonday), v1::TRANSFER_DECISION_APPROVED).outcome, Outcome::kApplied);
  auto r = order(at("2026-03-04T02:00:00Z"), at(kOrderDue));
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  ASSERT_EQ(refer(at("2026-03-05T02:00:00Z")).outcome, Outcome::kApplied);
  EXPECT_EQ(deadline("transfer")->status(), v1::DEADLINE_STATUS_OVERDUE);  // 24 h after the approval
  EXPECT_EQ(deadline("transfer_on_order")->status(), v1::DEADLINE_STATUS_MET);
}

TEST_F(Order, AnOrderThatDoesNotSayWhatItMustIsRefusedNamingTheField) {
  struct Case {
    TimePoint due;
    const char* to;
    const char* field;
  };
  for (const Case& c : {Case{TimePoint{}, "sthjj-330100", "transfer_ordered.transfer_due_at"},
                        Case{at(kMonday), "sthjj-330100", "transfer_ordered.transfer_due_at"},  // not after it
                        Case{at(kOrderDue), "", "transfer_ordered.agency"}}) {
    auto r = order(at(kMonday), c.due, "zf-330100", c.to);
    ASSERT_EQ(r.outcome, Outcome::kRejected) << c.field;
    EXPECT_EQ(r.error_class, "sync.invalid_event");
    EXPECT_NE(r.reason.find(c.field), std::string::npos) << r.reason;
  }
  // Superior to the agency it names, which is not the case's: refused by the role model, which
  // does not tell the sender whose case it is.
  ASSERT_EQ(report(at(kMonday)).outcome, Outcome::kApplied);
  auto r = order(at(kMonday), at(kOrderDue), "zf-330100", "scjg-330100");
  ASSERT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(r.error_class, "authz.superior_of_the_agency") << r.reason;
  EXPECT_EQ(r.reason.find("sthjj-330100"), std::string::npos) << r.reason;
}

// S1 Art 16: the government of the agency's level or above, or the same line's superior agency.
TEST_F(Order, OnlyTheGovernmentOrTheSuperiorAgencyOrders) {
  struct Case {
    const char* by;
    bool allowed;
  };
  for (const Case& c : {Case{"zf-330100", true},      // the city's government
                        Case{"zf-330000", true},      // the province's
                        Case{"sthjj-330000", true},   // the provincial department of the same line
                        Case{"zf-330102", false},     // a county government below the city agency
                        Case{"zf-440300", false},     // another region's
                        Case{"sthjj-330100", false},  // the agency itself
                        Case{"scjg-330000", false},   // another line
                        Case{"zf", false}}) {         // no region in the id
    SCOPED_TRACE(c.by);
    rec = CaseRecord{};
    auto r = order(at(kMonday), at(kOrderDue), c.by);
    EXPECT_EQ(r.outcome, c.allowed ? Outcome::kApplied : Outcome::kRejected) << r.reason;
    if (!c.allowed) {
      EXPECT_EQ(r.error_class, "authz.superior_of_the_agency") << r.reason;
    }
  }
  // In someone else's name: the ordering organ is not the sender.
  auto r = apply(at(kMonday), [](v1::Envelope& e) {
    auto* o = e.mutable_transfer_ordered();
    *o->mutable_ordering_organ() = organ("zf-330100");
    *o->mutable_agency() = organ("sthjj-330100");
    envelope::set_timestamp(o->mutable_transfer_due_at(), at(kOrderDue));
  }, "zf-330000");
  ASSERT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(r.error_class, "authz.superior_of_the_agency") << r.reason;
}

}  // namespace
}  // namespace caselink::sync
