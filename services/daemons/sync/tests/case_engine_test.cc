// The case engine: deadlines on a manual clock (approaching / overdue exactly once, met in time
// emits nothing, supervision clue), hash chain, mutual recognition and divergence,
// recommendations, the procuratorate as a party of environmental cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "services/daemons/sync/tests/test_support.h"
#include "services/daemons/sync/transitions.h"
#include "services/lib/crypto/sha256.h"

namespace caselink::sync {
namespace {

using test::at;
using test::organ;

struct Fixture : ::testing::Test {
  CaseEngine engine{test::repo_rules(), {}};
  CaseRecord rec;
  std::vector<test::Ev> applied;

  ApplyResult apply(TimePoint t, const std::function<void(v1::Envelope&)>& fill, const std::string& producer = "") {
    auto ev = test::make("env-330100-2026-0001", t, fill, producer);
    auto r = engine.apply(rec, ev.env, ev.raw, t);
    if (r.outcome == Outcome::kApplied) applied.push_back(ev);
    return r;
  }
  void refer(TimePoint t, v1::Domain domain = v1::DOMAIN_ENVIRONMENT) {
    auto r = apply(t, [&](v1::Envelope& e) {
      auto* p = e.mutable_case_referral();
      p->set_domain(domain);
      p->set_offence_code("pollution_environment");
      *p->mutable_referring_agency() = organ("sthjj-330100");
      *p->mutable_target_police_organ() = organ("ga-330100");
      p->set_copy_to_procuratorate(true);
      *p->mutable_procuratorate() = organ("jcy-330100");
    });
    ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  }
  void accept(TimePoint t) {
    ASSERT_EQ(apply(t, [](v1::Envelope& e) { *e.mutable_referral_accepted()->mutable_police_organ() = organ("ga-330100"); })
                  .outcome,
              Outcome::kApplied);
  }
  const v1::Deadline* deadline(const std::string& step) const {
    for (const auto& d : rec.snapshot.deadlines()) {
      if (d.step() == step) return &d;
    }
    return nullptr;
  }
  std::vector<v1::Envelope> tick(TimePoint now) {
    bool changed = false;
    return engine.tick(rec, now, &changed);
  }
};

TEST_F(Fixture, EnvironmentalReferralMakesTheProcuratorateAParty) {
  refer(at("2026-03-02T02:00:00Z"));
  bool procuratorate = false;
  for (const auto& p : rec.snapshot.parties()) {
    procuratorate = procuratorate || (p.party_id() == "jcy-330100" && p.role() == v1::PARTY_ROLE_PROCURATORATE &&
                                      p.required_for_recognition());
  }
  EXPECT_TRUE(procuratorate);
  EXPECT_EQ(rec.internal.profile, "environment");
  EXPECT_EQ(rec.snapshot.state(), v1::CASE_STATE_REFERRED);
}

// Issue 16 §3: S2 Art 9 / Art 34 — the police's decision must reach the agency (and the platform)
// within 3 / 7 days; recording it in caselink is the notice, so recorded_at decides at once.
TEST_F(Fixture, DecisionNoticeAndPlatformEntryAreJudgedByWhenTheDecisionWasRecorded) {
  refer(at("2026-03-02T02:00:00Z"));
  accept(at("2026-03-02T02:00:00Z"));
  // Decided Mon 9 Mar 10:00 CST; 3 days end Thu 12 Mar 24:00 CST, 7 days Mon 16 Mar 24:00 CST.
  auto decide = [&](const char* recorded) {
    return apply(at("2026-03-09T02:00:00Z"), [&](v1::Envelope& e) {
      e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED);
      envelope::set_timestamp(e.mutable_recorded_at(), at(recorded));
    });
  };
  auto r = decide("2026-03-12T15:59:59Z");  // just before the notice is due
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  ASSERT_NE(deadline("decision_notice"), nullptr);
  EXPECT_EQ(deadline("decision_notice")->status(), v1::DEADLINE_STATUS_MET);
  EXPECT_EQ(deadline("platform_entry_police")->status(), v1::DEADLINE_STATUS_MET);
  EXPECT_NE(deadline("decision_notice")->rule().legal_source().find("S2 Art 9"), std::string::npos);
  for (const auto& a : r.alerts) {  // (the filing review itself, due 5 Mar, was late)
    EXPECT_NE(a.alert().deadline().step(), "decision_notice");
    EXPECT_NE(a.alert().deadline().step(), "platform_entry_police");
  }
}

TEST_F(Fixture, ADecisionRecordedLateIsALateNoticeAndALatePlatformEntry) {
  refer(at("2026-03-02T02:00:00Z"));
  accept(at("2026-03-02T02:00:00Z"));
  auto r = apply(at("2026-03-09T02:00:00Z"), [&](v1::Envelope& e) {
    e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_NOT_FILED);
    envelope::set_timestamp(e.mutable_recorded_at(), at("2026-03-12T16:00:00Z"));  // the due instant: late
  });
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  EXPECT_EQ(deadline("decision_notice")->status(), v1::DEADLINE_STATUS_OVERDUE);
  EXPECT_EQ(deadline("decision_notice")->responsible_party_id(), "ga-330100");
  EXPECT_EQ(deadline("platform_entry_police")->status(), v1::DEADLINE_STATUS_MET);  // 7 days: in time
  int overdue = 0;
  for (const auto& a : r.alerts) {
    overdue += a.alert().kind() == v1::ALERT_KIND_DEADLINE_OVERDUE && a.alert().deadline().step() == "decision_notice";
  }
  EXPECT_EQ(overdue, 1);
  // Closed at once: no timer raises it again.
  for (const auto& a : tick(at("2026-04-01T00:00:00Z"))) {
    EXPECT_NE(a.alert().deadline().step(), "decision_notice");
  }
}

// Issue 16 §2: the 2024 reverse-linkage guide's steps start no deadline for a non-prosecution
// decided before the guide (2024-11-26, step-level effective date).
TEST_F(Fixture, ReverseHandoverOnlyFromTheGuidesDate) {
  refer(at("2024-11-01T02:00:00Z"));
  accept(at("2024-11-01T02:00:00Z"));
  ASSERT_EQ(apply(at("2024-11-02T02:00:00Z"),
                  [](v1::Envelope& e) { e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED); })
                .outcome,
            Outcome::kApplied);
  CaseRecord filed = rec;
  auto not_prosecute = [&](const char* when) {
    rec = filed;
    auto r = apply(at(when), [](v1::Envelope& e) {
      e.mutable_prosecution_decision()->set_outcome(v1::PROSECUTION_OUTCOME_NOT_PROSECUTE);
    });
    EXPECT_EQ(r.outcome, Outcome::kApplied) << r.reason;
    return deadline("reverse_handover") != nullptr;
  };
  EXPECT_FALSE(not_prosecute("2024-11-25T15:59:59Z"));  // 23:59:59 CST on 25 Nov
  EXPECT_TRUE(not_prosecute("2024-11-25T16:00:00Z"));   // 00:00 CST on 26 Nov
  EXPECT_TRUE(not_prosecute("2024-11-27T02:00:00Z"));
}

// S2 Art 8 vs Art 19: a request for materials runs 3 days, a request for supplementary
// investigation one month.
TEST_F(Fixture, SupplementaryInvestigationRunsOneMonthMaterialsThreeDays) {
  struct Case {
    bool investigation;
    const char* started;
    const char* not_started;
    const char* due;
  };
  for (const Case& c : {Case{true, "supplementary_investigation", "materials_supplement", "2026-04-02T16:00:00.000Z"},
                        Case{false, "materials_supplement", "supplementary_investigation", "2026-03-05T16:00:00.000Z"}}) {
    rec = CaseRecord{};
    refer(at("2026-03-02T02:00:00Z"));
    accept(at("2026-03-02T02:00:00Z"));
    auto r = apply(at("2026-03-02T02:00:00Z"), [&](v1::Envelope& e) {
      e.mutable_materials_supplement_requested()->set_supplementary_investigation_requested(c.investigation);
    });
    ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
    ASSERT_NE(deadline(c.started), nullptr) << c.started;
    EXPECT_EQ(deadline(c.not_started), nullptr) << c.not_started;
    EXPECT_EQ(format_rfc3339(envelope::to_time_point(deadline(c.started)->due_at())), c.due);
  }
}

TEST_F(Fixture, PoliceReviewOverdueExactlyOnceWithSupervisionClue) {
  refer(at("2026-03-02T02:00:00Z"));
  accept(at("2026-03-02T02:00:00Z"));  // Monday 10:00 CST: due Thu 5 Mar 24:00 CST
  const auto* d = deadline("police_filing_review");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(format_rfc3339(envelope::to_time_point(d->due_at())), "2026-03-05T16:00:00.000Z");
  EXPECT_EQ(d->responsible_party_id(), "ga-330100");
  // Issue 16 §2: the deadline cites the counting rule that placed its end (S2 Art 38, high).
  EXPECT_NE(d->rule().legal_source().find("S2 Art 9"), std::string::npos) << d->rule().legal_source();
  EXPECT_NE(d->rule().legal_source().find("; counting s2_art38: S2 Art 38"), std::string::npos)
      << d->rule().legal_source();
  EXPECT_EQ(d->rule().confidence(), v1::CONFIDENCE_HIGH);
  EXPECT_TRUE(tick(at("2026-03-03T00:00:00Z")).empty());
  auto approaching = tick(at("2026-03-04T23:00:00Z"));  // 75% of the period elapsed
  bool saw_approaching = false;
  for (const auto& a : approaching) {
    saw_approaching = saw_approaching || (a.alert().kind() == v1::ALERT_KIND_DEADLINE_APPROACHING &&
                                          a.alert().deadline().step() == "police_filing_review");
  }
  EXPECT_TRUE(saw_approaching);
  // Just in time: one nanosecond before the due instant nothing is overdue.
  for (const auto& a : tick(at("2026-03-05T16:00:00Z") - std::chrono::nanoseconds(1))) {
    EXPECT_NE(a.alert().kind(), v1::ALERT_KIND_DEADLINE_OVERDUE);
  }
  // Just late: at the due instant.
  auto late = tick(at("2026-03-05T16:00:00Z"));
  int overdue = 0;
  int clue = 0;
  for (const auto& a : late) {
    if (a.alert().kind() == v1::ALERT_KIND_DEADLINE_OVERDUE && a.alert().deadline().step() == "police_filing_review") {
      ++overdue;
    }
    if (a.alert().kind() == v1::ALERT_KIND_SUPERVISION_CLUE) {
      ++clue;
      EXPECT_EQ(a.alert().addressed_to_party_ids(0), "jcy-330100");
    }
  }
  EXPECT_EQ(overdue, 1);
  EXPECT_EQ(clue, 1);
  // Never again, even much later or when the decision finally arrives.
  EXPECT_TRUE(tick(at("2026-04-01T00:00:00Z")).empty());
  auto decided = apply(at("2026-03-07T02:00:00Z"), [](v1::Envelope& e) {
    e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED);
  });
  ASSERT_EQ(decided.outcome, Outcome::kApplied);
  for (const auto& a : decided.alerts) EXPECT_NE(a.alert().deadline().step(), "police_filing_review");
  EXPECT_EQ(deadline("police_filing_review")->status(), v1::DEADLINE_STATUS_OVERDUE);
}

// Issue 20 #1: the decision occurred before the due instant but reached caselink-sync after the
// timer had raised the overdue alert and the supervision clue (a batch upload). The deadline is
// MET and both alerts are withdrawn (same alert_id, status RESOLVED), once.
TEST_F(Fixture, TimelyStepReportedAfterTheOverdueAlertIsMetAndWithdrawsTheAlerts) {
  refer(at("2026-03-02T02:00:00Z"));
  accept(at("2026-03-02T02:00:00Z"));  // due 2026-03-05T16:00Z
  std::map<std::string, v1::AlertKind> raised;
  for (const auto& a : tick(at("2026-03-05T16:00:05Z"))) {
    if (a.alert().kind() != v1::ALERT_KIND_DEADLINE_APPROACHING) raised[a.alert().alert_id()] = a.alert().kind();
  }
  ASSERT_EQ(raised.size(), 2u);  // DEADLINE_OVERDUE + SUPERVISION_CLUE
  ASSERT_EQ(deadline("police_filing_review")->status(), v1::DEADLINE_STATUS_OVERDUE);
  auto ev = test::make("env-330100-2026-0001", at("2026-03-05T09:00:00Z"), [](v1::Envelope& e) {
    e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED);
  });
  auto r = engine.apply(rec, ev.env, ev.raw, at("2026-03-05T16:00:10Z"));  // arrives after the timer
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  EXPECT_EQ(deadline("police_filing_review")->status(), v1::DEADLINE_STATUS_MET);
  std::map<std::string, v1::AlertKind> resolved;
  for (const auto& a : r.alerts) {
    EXPECT_EQ(a.alert().status(), v1::ALERT_STATUS_RESOLVED) << a.alert().message();
    EXPECT_EQ(a.alert().resolved_by_event_id(), ev.env.event_id());
    resolved[a.alert().alert_id()] = a.alert().kind();
    EXPECT_EQ(raised.count(a.alert().alert_id()), 1u) << a.alert().alert_id();
    if (a.alert().has_deadline()) {
      EXPECT_EQ(a.alert().deadline().status(), v1::DEADLINE_STATUS_MET);
    }
  }
  EXPECT_EQ(resolved, raised);
  for (const auto& a : tick(at("2026-04-01T00:00:00Z"))) {  // later steps may fall due; this one never again
    EXPECT_EQ(raised.count(a.alert().alert_id()), 0u) << a.alert().alert_id();
  }
}

TEST_F(Fixture, DeadlineMetInTimeEmitsNothing) {
  refer(at("2026-03-02T02:00:00Z"));
  accept(at("2026-03-02T03:00:00Z"));
  auto r = apply(at("2026-03-05T15:59:59Z"), [](v1::Envelope& e) {
    e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED);
  });
  ASSERT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_TRUE(r.alerts.empty());
  EXPECT_EQ(deadline("police_filing_review")->status(), v1::DEADLINE_STATUS_MET);
  for (const auto& a : tick(at("2026-03-05T15:59:59Z"))) {
    EXPECT_NE(a.alert().deadline().step(), "police_filing_review");
  }
}

TEST_F(Fixture, LateStopEventRaisesTheOverdueAlertOnce) {
  refer(at("2026-03-02T02:00:00Z"));
  // The approval was never reported, so the referral starts no transfer deadline; accept and
  // decide one second after the due instant without any tick in between.
  accept(at("2026-03-02T03:00:00Z"));
  auto r = apply(at("2026-03-05T16:00:00Z"), [](v1::Envelope& e) {
    e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_NOT_FILED);
  });
  int overdue = 0;
  for (const auto& a : r.alerts) overdue += a.alert().kind() == v1::ALERT_KIND_DEADLINE_OVERDUE;
  EXPECT_EQ(overdue, 1);
}

TEST_F(Fixture, ExtensionReplacesTheLimit) {
  refer(at("2026-03-02T02:00:00Z"));
  accept(at("2026-03-02T02:00:00Z"));
  ASSERT_EQ(apply(at("2026-03-03T02:00:00Z"),
                  [](v1::Envelope& e) {
                    e.mutable_filing_review_extended()->set_basis(v1::REVIEW_EXTENSION_BASIS_NEEDS_VERIFICATION);
                  })
                .outcome,
            Outcome::kApplied);
  // 7 days from Monday 2 Mar: Monday 9 Mar is the last day.
  EXPECT_EQ(format_rfc3339(envelope::to_time_point(deadline("police_filing_review")->due_at())),
            "2026-03-09T16:00:00.000Z");
  for (const auto& a : tick(at("2026-03-06T00:00:00Z"))) {
    EXPECT_NE(a.alert().kind(), v1::ALERT_KIND_DEADLINE_OVERDUE);
  }
  // Issue 20 #2: the decision never comes: one overdue alert and one clue at the extended due
  // instant, from caselink-sync alone (caselink-feedback keeps no filing timer any more).
  int overdue = 0;
  int clue = 0;
  for (const auto& t : {at("2026-03-09T16:00:00Z"), at("2026-03-20T00:00:00Z")}) {
    for (const auto& a : tick(t)) {
      overdue += a.alert().kind() == v1::ALERT_KIND_DEADLINE_OVERDUE;
      clue += a.alert().kind() == v1::ALERT_KIND_SUPERVISION_CLUE;
    }
  }
  EXPECT_EQ(overdue, 1);
  EXPECT_EQ(clue, 1);
}

TEST_F(Fixture, HashChainCoversThePreviousHashAndTheEnvelope) {
  refer(at("2026-03-02T02:00:00Z"));
  accept(at("2026-03-02T03:00:00Z"));
  ASSERT_EQ(apply(at("2026-03-03T02:00:00Z"), [](v1::Envelope& e) {
              e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED);
            }).outcome,
            Outcome::kApplied);
  ASSERT_EQ(applied.size(), 3U);
  std::string h;
  for (const auto& ev : applied) h = chain_hash_hex(h, ev.raw);
  EXPECT_EQ(rec.snapshot.version(), 3U);
  EXPECT_EQ(rec.snapshot.state_hash_hex(), h);
  EXPECT_EQ(rec.snapshot.previous_state_hash_hex(), rec.internal.hashes.at(2));
  EXPECT_EQ(rec.internal.hashes.at(1), crypto::sha256_hex(applied[0].raw));
  EXPECT_EQ(rec.snapshot.hash_scheme(), kHashScheme);
}

// Known answers (FIPS 180-2 "abc"; the second computed independently): the scheme is a published
// contract — any party re-verifies a case from the topics — so the digest must not drift.
TEST(HashChain, KnownAnswers) {
  EXPECT_EQ(crypto::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(chain_hash_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "event"),
            "7aadfa539d64b458117d6e865b3ad61f677e79af3a180d0da3c07963f8073cb9");
  EXPECT_EQ(chain_hash_hex("", "abc"), crypto::sha256_hex("abc"));  // the first version has no predecessor
}

TEST_F(Fixture, RecognitionWhenAllRequiredPartiesAckTheSameVersion) {
  refer(at("2026-03-02T02:00:00Z"));
  accept(at("2026-03-02T03:00:00Z"));
  const std::string h2 = rec.snapshot.state_hash_hex();
  auto ack = [&](const std::string& party, uint64_t version, const std::string& hash) {
    return apply(at("2026-03-02T04:00:00Z"), [&](v1::Envelope& e) {
      auto* a = e.mutable_state_acknowledged();
      a->set_party_id(party);
      a->set_state_version(version);
      a->set_state_hash_hex(hash);
    });
  };
  EXPECT_EQ(ack("sthjj-330100", 2, h2).outcome, Outcome::kAcknowledged);
  EXPECT_EQ(ack("ga-330100", 2, h2).outcome, Outcome::kAcknowledged);
  EXPECT_EQ(rec.snapshot.recognition().recognized_version(), 0U) << "the procuratorate has not acknowledged";
  EXPECT_EQ(ack("jcy-330100", 2, h2).outcome, Outcome::kAcknowledged);
  EXPECT_EQ(rec.snapshot.recognition().recognized_version(), 2U);
  EXPECT_EQ(rec.snapshot.version(), 2U) << "acknowledgements make no new version";
  // A different hash for the same version: divergence naming both hashes.
  const std::string bad(64, 'a');
  auto r = ack("ga-330100", 2, bad);
  ASSERT_EQ(r.outcome, Outcome::kAcknowledged);
  ASSERT_EQ(r.alerts.size(), 1U);
  EXPECT_EQ(r.alerts[0].alert().kind(), v1::ALERT_KIND_DIVERGENCE);
  EXPECT_EQ(r.alerts[0].alert().divergence().caselink_hash_hex(), h2);
  EXPECT_EQ(r.alerts[0].alert().divergence().party_hash_hex(), bad);
  EXPECT_EQ(r.alerts[0].alert().divergence().party_ids(0), "ga-330100");
  // Unknown version / unknown party are refused.
  EXPECT_EQ(ack("ga-330100", 9, h2).outcome, Outcome::kRejected);
  EXPECT_EQ(ack("nobody", 2, h2).outcome, Outcome::kRejected);
}

// Issue 15 §4: the case keeps both parties' numbers as its events stated them; an acknowledgement
// of the current version stating a different one is a divergence and does not count towards
// recognition; numbers left empty, and numbers of an older version, are not compared.
TEST_F(Fixture, AcknowledgedCaseNumbersAreComparedWithTheCases) {
  auto r = apply(at("2026-03-02T02:00:00Z"), [&](v1::Envelope& e) {
    auto* p = e.mutable_case_referral();
    p->set_domain(v1::DOMAIN_ENVIRONMENT);
    p->set_offence_code("pollution_environment");
    p->set_transfer_letter_number("杭环移〔2026〕17号");
    *p->mutable_referring_agency() = organ("sthjj-330100");
    *p->mutable_target_police_organ() = organ("ga-330100");
  });
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  ASSERT_EQ(apply(at("2026-03-02T03:00:00Z"), [](v1::Envelope& e) {
              auto* a = e.mutable_referral_accepted();
              *a->mutable_police_organ() = organ("ga-330100");
              a->set_transfer_letter_number("a copy that differs");
              a->set_police_case_number("J3301002026000045");
            }).outcome,
            Outcome::kApplied);
  EXPECT_EQ(rec.snapshot.agency_case_number(), "杭环移〔2026〕17号") << "the referral's own number wins over a copy";
  EXPECT_EQ(rec.snapshot.police_case_number(), "J3301002026000045");
  ASSERT_EQ(apply(at("2026-03-03T02:00:00Z"), [](v1::Envelope& e) {
              e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED);
              e.mutable_filing_decision()->set_police_case_number("A3301002026000917");
            }).outcome,
            Outcome::kApplied);
  EXPECT_EQ(rec.snapshot.police_case_number(), "A3301002026000917") << "the latest number the police stated";
  ASSERT_EQ(rec.snapshot.version(), 3U);
  const std::string h3 = rec.snapshot.state_hash_hex();
  auto ack = [&](const std::string& party, uint64_t version, const std::string& agency_number,
                 const std::string& police_number) {
    return apply(at("2026-03-03T04:00:00Z"), [&](v1::Envelope& e) {
      auto* a = e.mutable_state_acknowledged();
      a->set_party_id(party);
      a->set_state_version(version);
      a->set_state_hash_hex(rec.internal.hashes.at(version));
      a->set_agency_case_number(agency_number);
      a->set_police_case_number(police_number);
    });
  };
  auto agency = ack("sthjj-330100", 3, "杭环移〔2026〕17号", "A3301002026000917");
  ASSERT_EQ(agency.outcome, Outcome::kAcknowledged);
  EXPECT_TRUE(agency.alerts.empty());
  const auto* slot = &rec.snapshot.recognition().acknowledgements(0);
  EXPECT_EQ(slot->agency_case_number(), "杭环移〔2026〕17号");
  EXPECT_EQ(slot->police_case_number(), "A3301002026000917");
  EXPECT_FALSE(slot->case_numbers_differ());

  // The police's 受案登记 number still names the case after filing: no divergence.
  ASSERT_EQ(rec.snapshot.earlier_police_case_numbers_size(), 1);
  EXPECT_EQ(rec.snapshot.earlier_police_case_numbers(0), "J3301002026000045");
  EXPECT_TRUE(ack("ga-330100", 3, "", "J3301002026000045").alerts.empty());
  EXPECT_FALSE(rec.snapshot.recognition().acknowledgements(1).case_numbers_differ());
  EXPECT_EQ(rec.snapshot.recognition().recognized_version(), 3U);

  // A number the case never had: same hash, different number → divergence, no longer recognized
  // by that party's acknowledgement.
  auto police = ack("ga-330100", 3, "", "A3301002026000999");
  ASSERT_EQ(police.outcome, Outcome::kAcknowledged);
  ASSERT_EQ(police.alerts.size(), 1U);
  const auto& d = police.alerts[0].alert().divergence();
  EXPECT_EQ(police.alerts[0].alert().kind(), v1::ALERT_KIND_DIVERGENCE);
  EXPECT_EQ(d.caselink_hash_hex(), h3);
  EXPECT_EQ(d.party_hash_hex(), h3);
  ASSERT_EQ(d.case_number_differences_size(), 1) << "an empty agency number is not compared";
  EXPECT_EQ(d.case_number_differences(0).field(), "police_case_number");
  EXPECT_EQ(d.case_number_differences(0).caselink_value(), "J3301002026000045 / A3301002026000917");
  EXPECT_EQ(d.case_number_differences(0).party_value(), "A3301002026000999");
  EXPECT_NE(police.alerts[0].alert().message().find("A3301002026000999"), std::string::npos);
  EXPECT_TRUE(rec.snapshot.recognition().acknowledgements(1).case_numbers_differ());
  // The same wrong number again is the same alert; another wrong number is another one.
  EXPECT_EQ(ack("ga-330100", 3, "", "A3301002026000999").alerts.at(0).event_id(), police.alerts[0].event_id());
  EXPECT_NE(ack("ga-330100", 3, "", "A3301002026000998").alerts.at(0).event_id(), police.alerts[0].event_id());

  // A wrong hash and a wrong number: one alert naming both.
  auto both = apply(at("2026-03-03T05:00:00Z"), [&](v1::Envelope& e) {
    auto* a = e.mutable_state_acknowledged();
    a->set_party_id("sthjj-330100");
    a->set_state_version(3);
    a->set_state_hash_hex(std::string(64, 'a'));
    a->set_agency_case_number("杭环移〔2026〕71号");
  });
  ASSERT_EQ(both.alerts.size(), 1U);
  EXPECT_EQ(both.alerts[0].alert().divergence().party_hash_hex(), std::string(64, 'a'));
  ASSERT_EQ(both.alerts[0].alert().divergence().case_number_differences_size(), 1);
  EXPECT_EQ(both.alerts[0].alert().divergence().case_number_differences(0).field(), "agency_case_number");

  // An older version's numbers are recorded but not compared.
  auto older = ack("ga-330100", 2, "", "A3301002026000999");
  EXPECT_TRUE(older.alerts.empty());
  EXPECT_FALSE(rec.snapshot.recognition().acknowledgements(1).case_numbers_differ());
  EXPECT_EQ(rec.snapshot.recognition().acknowledgements(1).police_case_number(), "A3301002026000999");
}

// Forwarded to the competent organ, the case's police numbers were the former organ's: cleared,
// so the new organ's own number is not flagged against them.
TEST_F(Fixture, ForwardingToAnotherOrganClearsThePoliceNumbers) {
  refer(at("2026-03-02T02:00:00Z"));
  ASSERT_EQ(apply(at("2026-03-02T03:00:00Z"), [](v1::Envelope& e) {
              *e.mutable_referral_accepted()->mutable_police_organ() = organ("ga-330100");
              e.mutable_referral_accepted()->set_police_case_number("J3301002026000045");
            }).outcome,
            Outcome::kApplied);
  auto forwarded = apply(at("2026-03-02T04:00:00Z"), [](v1::Envelope& e) {
    auto* f = e.mutable_case_forwarded();
    f->set_kind(v1::FORWARD_KIND_TO_COMPETENT_ORGAN);
    *f->mutable_from_organ() = organ("ga-330100");
    *f->mutable_to_organ() = organ("ga-330102");
    f->set_reason("管辖");
  });
  ASSERT_EQ(forwarded.outcome, Outcome::kApplied) << forwarded.reason;
  EXPECT_EQ(rec.snapshot.police_case_number(), "");
  EXPECT_EQ(rec.snapshot.earlier_police_case_numbers_size(), 0);
  // The competent organ accepts under its own number: that one alone names the case now.
  ASSERT_EQ(apply(at("2026-03-02T05:00:00Z"), [](v1::Envelope& e) {
              *e.mutable_referral_accepted()->mutable_police_organ() = organ("ga-330102");
              e.mutable_referral_accepted()->set_police_case_number("J3301022026000007");
            }).outcome,
            Outcome::kApplied);
  EXPECT_EQ(rec.snapshot.police_case_number(), "J3301022026000007");
  EXPECT_EQ(rec.snapshot.earlier_police_case_numbers_size(), 0) << "the former organ's number is not carried";
}

TEST_F(Fixture, RecommendationLifecycleAndReplyOverdue) {
  refer(at("2026-03-02T02:00:00Z"));
  auto issue = apply(at("2026-03-02T02:00:00Z"), [](v1::Envelope& e) {
    auto* r = e.mutable_recommendation_issued();
    r->set_recommendation_id("rec-1");
    *r->mutable_procuratorate() = organ("jcy-330100");
    *r->mutable_recipient() = organ("sthjj-330100");
    envelope::set_timestamp(r->mutable_received_at(), at("2026-03-02T02:00:00Z"));
  });
  ASSERT_EQ(issue.outcome, Outcome::kApplied) << issue.reason;
  ASSERT_EQ(rec.snapshot.recommendations_size(), 1);
  EXPECT_EQ(format_rfc3339(envelope::to_time_point(rec.snapshot.recommendations(0).reply_due_at())),
            "2026-05-02T16:00:00.000Z");
  // Evaluated before a reply: refused.
  EXPECT_EQ(apply(at("2026-03-03T02:00:00Z"), [](v1::Envelope& e) {
              e.mutable_recommendation_evaluated()->set_recommendation_id("rec-1");
            }).outcome,
            Outcome::kRejected);
  int overdue = 0;
  for (const auto& a : tick(at("2026-05-02T16:00:00Z"))) {
    overdue += a.alert().kind() == v1::ALERT_KIND_RECOMMENDATION_REPLY_OVERDUE;
  }
  EXPECT_EQ(overdue, 1);
  EXPECT_EQ(rec.snapshot.recommendations(0).status(), v1::RECOMMENDATION_STATUS_REPLY_OVERDUE);
  for (const char* step : {"replied", "followed_up", "evaluated"}) {
    auto r = apply(at("2026-05-10T02:00:00Z"), [&](v1::Envelope& e) {
      if (std::string(step) == "replied") {
        e.mutable_recommendation_replied()->set_recommendation_id("rec-1");
        e.mutable_recommendation_replied()->set_outcome(v1::REPLY_OUTCOME_ADOPTED);
      } else if (std::string(step) == "followed_up") {
        e.mutable_recommendation_followed_up()->set_recommendation_id("rec-1");
      } else {
        e.mutable_recommendation_evaluated()->set_recommendation_id("rec-1");
      }
    });
    ASSERT_EQ(r.outcome, Outcome::kApplied) << step << ": " << r.reason;
  }
  EXPECT_EQ(rec.snapshot.recommendations(0).status(), v1::RECOMMENDATION_STATUS_EVALUATED);
  EXPECT_EQ(rec.snapshot.recommendations(0).reply_outcome(), v1::REPLY_OUTCOME_ADOPTED);
}

TEST_F(Fixture, InternalStateRoundTripsThroughTheStateRecord) {
  refer(at("2026-03-02T02:00:00Z"));
  accept(at("2026-03-02T02:00:00Z"));
  tick(at("2026-03-05T16:00:00Z"));
  OutgoingRecord out = engine.state_record(rec, "state", at("2026-03-05T16:00:01Z"));
  ConsumedRecord in{"state", 0, 0, 0, out.key, out.value, out.headers};
  CaseRecord back;
  ASSERT_TRUE(CaseEngine::restore(in, &back));
  EXPECT_EQ(back.internal.to_json(), rec.internal.to_json());
  EXPECT_EQ(back.snapshot.state_hash_hex(), rec.snapshot.state_hash_hex());
  bool changed = true;
  EXPECT_TRUE(engine.tick(back, at("2026-03-06T00:00:00Z"), &changed).empty()) << "restored marks prevent re-alerts";
}

}  // namespace
}  // namespace caselink::sync

namespace caselink::sync {
namespace {

// Issue 20 #3: in the general regime no procuratorate is a party of the case (the copy is not
// mandatory); the "police overdue on filing" clue still reaches the procuratorate competent for
// the police organ, from the organ registry (rules/organs/organs.yaml) — it was unaddressed.
std::vector<v1::Envelope> general_regime_overdue(const DeadlineRules& rules, const std::string& police) {
  CaseEngine engine{rules, {}};
  CaseRecord rec;
  auto apply = [&](TimePoint t, const std::function<void(v1::Envelope&)>& fill) {
    auto ev = test::make("lab-440300-2026-0001", t, fill);
    auto r = engine.apply(rec, ev.env, ev.raw, t);
    EXPECT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  };
  apply(test::at("2026-03-02T02:00:00Z"), [&](v1::Envelope& e) {
    auto* p = e.mutable_case_referral();
    p->set_domain(v1::DOMAIN_LABOUR);
    p->set_offence_code("wage_arrears");
    *p->mutable_referring_agency() = test::organ("rsj-440300");
    *p->mutable_target_police_organ() = test::organ(police);
    p->mutable_jurisdiction()->set_province_code("440000");
    p->mutable_jurisdiction()->set_city_code("440300");
  });
  apply(test::at("2026-03-02T02:00:00Z"),
        [&](v1::Envelope& e) { *e.mutable_referral_accepted()->mutable_police_organ() = test::organ(police); });
  bool changed = false;
  std::vector<v1::Envelope> clues;
  for (auto& a : engine.tick(rec, test::at("2026-04-01T00:00:00Z"), &changed)) {
    if (a.alert().kind() == v1::ALERT_KIND_SUPERVISION_CLUE) clues.push_back(a);
  }
  return clues;
}

TEST(ClueAddressee, GeneralRegimeClueGoesToTheProcuratorateCompetentForThePoliceOrgan) {
  const DeadlineRules rules = test::repo_rules_with_organs();
  auto clues = general_regime_overdue(rules, "ga-440300");
  ASSERT_EQ(clues.size(), 1U);
  ASSERT_EQ(clues[0].alert().addressed_to_party_ids_size(), 1);
  EXPECT_EQ(clues[0].alert().addressed_to_party_ids(0), "jcy-440300");
}

TEST(ClueAddressee, PoliceOrganWithoutARegionFallsBackToTheCaseRegion) {
  const DeadlineRules rules = test::repo_rules_with_organs();
  auto clues = general_regime_overdue(rules, "shenzhen-police");
  ASSERT_EQ(clues.size(), 1U);
  ASSERT_EQ(clues[0].alert().addressed_to_party_ids_size(), 1);
  EXPECT_EQ(clues[0].alert().addressed_to_party_ids(0), "jcy-440300");
}

TEST(ClueAddressee, WithoutARegistryTheClueNamesTheOrganAndRegionItCouldNotAddress) {
  auto clues = general_regime_overdue(test::repo_rules(), "ga-440300");
  ASSERT_EQ(clues.size(), 1U);
  EXPECT_EQ(clues[0].alert().addressed_to_party_ids_size(), 0);
  EXPECT_NE(clues[0].alert().message().find("region '440300'"), std::string::npos) << clues[0].alert().message();
  EXPECT_NE(clues[0].alert().message().find("'ga-440300'"), std::string::npos);
}

}  // namespace
}  // namespace caselink::sync

namespace caselink::sync {
namespace {

// Issue 20 #5: the snapshot's evidence summary counts the items the receipt flags for
// re-collection (witness testimony, statements) and the items that failed verification.
TEST(EvidenceSummary, CountsItemsRequiringRecollectionAndFailedVerification) {
  CaseEngine engine{test::repo_rules(), {}};
  CaseRecord rec;
  auto refer = test::make("env-330100-2026-0009", test::at("2026-03-02T02:00:00Z"), [](v1::Envelope& e) {
    auto* p = e.mutable_case_referral();
    p->set_domain(v1::DOMAIN_ENVIRONMENT);
    p->set_offence_code("pollution_environment");
    *p->mutable_referring_agency() = test::organ("sthjj-330100");
    *p->mutable_target_police_organ() = test::organ("ga-330100");
  });
  ASSERT_EQ(engine.apply(rec, refer.env, refer.raw, test::at("2026-03-02T02:00:00Z")).outcome, Outcome::kApplied);
  auto receipt = test::make("env-330100-2026-0009", test::at("2026-03-02T03:00:00Z"), [](v1::Envelope& e) {
    auto* r = e.mutable_evidence_receipt();
    r->set_manifest_id("m-1");
    r->set_status(v1::RECEIPT_STATUS_INCOMPLETE);
    r->set_item_count(4);
    const v1::EvidenceUsability usability[] = {
        v1::EVIDENCE_USABILITY_USABLE, v1::EVIDENCE_USABILITY_REQUIRES_RECOLLECTION,
        v1::EVIDENCE_USABILITY_REQUIRES_RECOLLECTION, v1::EVIDENCE_USABILITY_USABLE_AFTER_REVIEW};
    for (int i = 0; i < 4; ++i) {
      auto* item = r->add_item_results();
      item->set_item_id("i-" + std::to_string(i));
      item->set_verified(i != 3);
      item->set_usability(usability[i]);
    }
  }, "caselink-evidence");
  auto applied = engine.apply(rec, receipt.env, receipt.raw, test::at("2026-03-02T03:00:00Z"));
  ASSERT_EQ(applied.outcome, Outcome::kApplied) << applied.reason;
  EXPECT_EQ(rec.snapshot.evidence().item_count(), 4U);
  EXPECT_EQ(rec.snapshot.evidence().items_requiring_recollection(), 2U);
  EXPECT_EQ(rec.snapshot.evidence().items_failed_verification(), 1U);
}

// Issue 20 #4: the INCOMPLETE receipt of the referral manifest opens the supplement deadline
// (the agency is responsible; the rule cites the receipt start as caselink's reading); it falls
// overdue like any other when nothing is supplied. Before, the receipt opened nothing although
// docs/services/evidence.md said it did.
ApplyResult receipt(Fixture& fx, TimePoint t, v1::ReceiptStatus status, const std::string& manifest) {
  return fx.apply(t, [&](v1::Envelope& e) {
    auto* r = e.mutable_evidence_receipt();
    r->set_manifest_id(manifest);
    r->set_status(status);
    if (status == v1::RECEIPT_STATUS_INCOMPLETE) r->add_missing_categories(v1::MATERIAL_CATEGORY_SITE_INSPECTION_RECORD);
  }, "caselink-evidence");
}

TEST_F(Fixture, IncompleteReceiptOpensTheSupplementDeadlineForTheAgency) {
  refer(at("2026-03-02T02:00:00Z"));
  ASSERT_EQ(receipt(*this, at("2026-03-02T03:00:00Z"), v1::RECEIPT_STATUS_INCOMPLETE, "m-1").outcome,
            Outcome::kApplied);
  const auto* d = deadline("materials_supplement");
  ASSERT_NE(d, nullptr) << "the INCOMPLETE receipt opened no supplement deadline";
  EXPECT_EQ(d->status(), v1::DEADLINE_STATUS_OPEN);
  EXPECT_EQ(d->responsible_party_id(), "sthjj-330100");
  EXPECT_EQ(d->rule().rule_id(), "deadline.environment.materials_supplement@EvidenceReceipt.INCOMPLETE");
  EXPECT_EQ(d->rule().confidence(), v1::CONFIDENCE_UNCONFIRMED);
  // Monday 11:00 CST, start day excluded, 3 days: due Thursday 5 March 24:00 CST.
  EXPECT_EQ(format_rfc3339(envelope::to_time_point(d->due_at())), "2026-03-05T16:00:00.000Z");
  // A second incomplete manifest does not open a second deadline (nor restart the first).
  ASSERT_EQ(receipt(*this, at("2026-03-03T03:00:00Z"), v1::RECEIPT_STATUS_INCOMPLETE, "m-2").outcome,
            Outcome::kApplied);
  int supplement = 0;
  for (const auto& x : rec.snapshot.deadlines()) supplement += x.step() == "materials_supplement" ? 1 : 0;
  EXPECT_EQ(supplement, 1);
  int overdue = 0;
  for (const auto& a : tick(at("2026-03-05T16:00:00Z"))) {
    if (a.alert().kind() == v1::ALERT_KIND_DEADLINE_OVERDUE && a.alert().deadline().step() == "materials_supplement") {
      ++overdue;
      const auto& to = a.alert().addressed_to_party_ids();
      EXPECT_NE(std::find(to.begin(), to.end(), "sthjj-330100"), to.end()) << "the agency is not told";
    }
  }
  EXPECT_EQ(overdue, 1);
}

TEST_F(Fixture, AcceptedReceiptMeetsTheSupplementDeadlineAndOtherReceiptsOpenNone) {
  refer(at("2026-03-02T02:00:00Z"));
  ASSERT_EQ(receipt(*this, at("2026-03-02T02:30:00Z"), v1::RECEIPT_STATUS_ACCEPTED, "m-0").outcome, Outcome::kApplied);
  ASSERT_EQ(receipt(*this, at("2026-03-02T02:40:00Z"), v1::RECEIPT_STATUS_REJECTED, "m-0b").outcome, Outcome::kApplied);
  EXPECT_EQ(deadline("materials_supplement"), nullptr);
  ASSERT_EQ(receipt(*this, at("2026-03-02T03:00:00Z"), v1::RECEIPT_STATUS_INCOMPLETE, "m-1").outcome,
            Outcome::kApplied);
  auto supplied = receipt(*this, at("2026-03-04T03:00:00Z"), v1::RECEIPT_STATUS_ACCEPTED, "m-2");
  ASSERT_EQ(supplied.outcome, Outcome::kApplied);
  EXPECT_TRUE(supplied.alerts.empty());
  ASSERT_NE(deadline("materials_supplement"), nullptr);
  EXPECT_EQ(deadline("materials_supplement")->status(), v1::DEADLINE_STATUS_MET);
}

// The police's written request, from which the law counts (S2 Art 8), replaces the deadline the
// receipt opened: that one is CANCELLED, a new one runs from the request and MaterialsSupplemented
// meets it.
TEST_F(Fixture, PoliceRequestReplacesTheReceiptsSupplementDeadline) {
  refer(at("2026-03-02T02:00:00Z"));
  ASSERT_EQ(receipt(*this, at("2026-03-02T03:00:00Z"), v1::RECEIPT_STATUS_INCOMPLETE, "m-1").outcome,
            Outcome::kApplied);
  accept(at("2026-03-03T02:00:00Z"));
  auto requested = apply(at("2026-03-03T04:00:00Z"), [](v1::Envelope& e) {
    auto* r = e.mutable_materials_supplement_requested();
    *r->mutable_police_organ() = organ("ga-330100");
  });
  ASSERT_EQ(requested.outcome, Outcome::kApplied) << requested.reason;
  std::vector<const v1::Deadline*> supplement;
  for (const auto& x : rec.snapshot.deadlines()) {
    if (x.step() == "materials_supplement") supplement.push_back(&x);
  }
  ASSERT_EQ(supplement.size(), 2U);
  EXPECT_EQ(supplement[0]->status(), v1::DEADLINE_STATUS_CANCELLED);
  EXPECT_EQ(supplement[1]->status(), v1::DEADLINE_STATUS_OPEN);
  EXPECT_EQ(supplement[1]->rule().rule_id(), "deadline.environment.materials_supplement");
  EXPECT_EQ(format_rfc3339(envelope::to_time_point(supplement[1]->due_at())), "2026-03-06T16:00:00.000Z");
  auto supplied = apply(at("2026-03-05T02:00:00Z"), [](v1::Envelope& e) {
    e.mutable_materials_supplemented()->set_manifest_id("m-2");
  });
  ASSERT_EQ(supplied.outcome, Outcome::kApplied) << supplied.reason;
  for (const auto& x : rec.snapshot.deadlines()) {
    if (x.step() == "materials_supplement" && x.status() != v1::DEADLINE_STATUS_CANCELLED) {
      EXPECT_EQ(x.status(), v1::DEADLINE_STATUS_MET);
    }
  }
}

}  // namespace
}  // namespace caselink::sync

namespace caselink::sync {
namespace {

// Issue 16: a deadline counted into a year without a holiday calendar (2027) is marked
// "calendar unknown" and alerted once; the same step started earlier in 2026 is not.
TEST_F(Fixture, DeadlineCountedIntoAYearWithoutCalendarIsMarkedAndAlerted) {
  refer(at("2026-12-01T02:00:00Z"));
  auto r = apply(at("2026-12-01T03:00:00Z"),
                 [](v1::Envelope& e) { *e.mutable_referral_accepted()->mutable_police_organ() = organ("ga-330100"); });
  ASSERT_EQ(r.outcome, Outcome::kApplied);
  for (const auto& d : rec.snapshot.deadlines()) {
    EXPECT_EQ(d.calendar_unknown_date(), "") << d.step();
  }
  for (const auto& a : r.alerts) {
    EXPECT_NE(a.alert().kind(), v1::ALERT_KIND_CALENDAR_UNKNOWN);
  }
}

TEST(CalendarUnknown, LateDecemberStartIsMarkedAndAlertedOnce) {
  CaseEngine engine{test::repo_rules(), {}};
  CaseRecord rec;
  // Each step from the party entitled to take it (issue 15 §2): the referring agency refers,
  // the police organ it is addressed to accepts.
  auto apply = [&](const char* t, const std::function<void(v1::Envelope&)>& fill, const char* sender) {
    auto ev = test::make("env-330100-2026-0099", at(t), fill, sender);
    return engine.apply(rec, ev.env, ev.raw, at(t));
  };
  ASSERT_EQ(apply("2026-12-30T02:00:00Z",
                  [](v1::Envelope& e) {
                    auto* p = e.mutable_case_referral();
                    p->set_domain(v1::DOMAIN_ENVIRONMENT);
                    p->set_offence_code("pollution_environment");
                    *p->mutable_referring_agency() = organ("sthjj-330100");
                    *p->mutable_target_police_organ() = organ("ga-330100");
                    p->set_copy_to_procuratorate(true);
                    *p->mutable_procuratorate() = organ("jcy-330100");
                  },
                  "sthjj-330100")
                .outcome,
            Outcome::kApplied);
  auto r = apply(
      "2026-12-30T03:00:00Z",
      [](v1::Envelope& e) { *e.mutable_referral_accepted()->mutable_police_organ() = organ("ga-330100"); }, "ga-330100");
  ASSERT_EQ(r.outcome, Outcome::kApplied);
  int marked = 0;
  for (const auto& d : rec.snapshot.deadlines()) {
    if (!d.calendar_unknown_date().empty()) {
      ++marked;
      EXPECT_EQ(d.calendar_unknown_date().substr(0, 4), "2027") << d.step();
    }
  }
  int alerts = 0;
  for (const auto& a : r.alerts) {
    if (a.alert().kind() == v1::ALERT_KIND_CALENDAR_UNKNOWN) {
      ++alerts;
      EXPECT_NE(a.alert().message().find("holidays-cn-2027.yaml"), std::string::npos) << a.alert().message();
    }
  }
  EXPECT_GT(marked, 0) << "a step with working days or roll-forward started on 2026-12-30";
  EXPECT_EQ(alerts, marked);
}

// Issue 15 §2 in caselink-sync: a record a producer with write access to the topic sends in
// someone else's name, or for a step it may not take in this case, is refused with
// dlq.error.class "authz.<rule>" and an AUTHORIZATION_REFUSED alert, and changes nothing — in
// particular it makes nobody a party.
struct AuthzFixture : Fixture {
  void expect_refused(const ApplyResult& r, const std::string& error_class, const std::string& before) {
    ASSERT_EQ(r.outcome, Outcome::kRejected) << r.reason;
    EXPECT_EQ(r.error_class, error_class) << r.reason;
    EXPECT_EQ(rec.snapshot.SerializeAsString(), before) << "a refused event must change nothing";
    ASSERT_EQ(r.alerts.size(), 1U);
    const auto& alert = r.alerts[0].alert();
    EXPECT_EQ(alert.kind(), v1::ALERT_KIND_AUTHORIZATION_REFUSED);
    EXPECT_EQ("authz." + alert.authorization_refused().rule(), error_class);
    EXPECT_FALSE(alert.authorization_refused().producer_agency_id().empty());
  }
  bool is_party(const std::string& id) const {
    for (const auto& p : rec.snapshot.parties()) {
      if (p.party_id() == id) return true;
    }
    return false;
  }
};

TEST_F(AuthzFixture, EveryForgeryOfTheIssueIsRefusedAndTheLegitimateStepsApply) {
  const TimePoint t = at("2026-03-02T02:00:00Z");
  refer(t);
  const std::string before = rec.snapshot.SerializeAsString();
  // Another police organ accepts, or decides NOT_FILED, in the case addressed to ga-330100.
  expect_refused(apply(t, [](v1::Envelope& e) { *e.mutable_referral_accepted()->mutable_police_organ() = organ("ga-440300"); },
                       "ga-440300"),
                 "authz.addressed_police", before);
  expect_refused(apply(t, [](v1::Envelope& e) { e.mutable_referral_accepted(); }, "sthjj-440300"), "authz.party_kind",
                 before);
  // An outsider acknowledges the state as the victim.
  expect_refused(apply(t,
                       [&](v1::Envelope& e) {
                         auto* a = e.mutable_state_acknowledged();
                         a->set_party_id("sthjj-330100");
                         a->set_state_version(rec.snapshot.version());
                         a->set_state_hash_hex(rec.snapshot.state_hash_hex());
                       },
                       "scjg-440300"),
                 "authz.acknowledge_as_itself", before);
  // An outsider's recommendation addressed to itself would make it a party.
  for (const char* sender : {"scjg-440300", "jcy-440300"}) {
    SCOPED_TRACE(sender);
    auto r = apply(t, [&](v1::Envelope& e) {
      auto* ri = e.mutable_recommendation_issued();
      ri->set_recommendation_id("r-forged");
      *ri->mutable_procuratorate() = organ(sender);
      *ri->mutable_recipient() = organ("scjg-440300");
    }, sender);
    expect_refused(r, std::string(sender) == "scjg-440300" ? "authz.party_kind" : "authz.competent_procuratorate",
                   before);
    EXPECT_FALSE(is_party("scjg-440300"));
  }
  // The addressed police accepts: applied.
  accept(t + std::chrono::minutes(10));
  EXPECT_EQ(rec.snapshot.state(), v1::CASE_STATE_ACCEPTED);
  const std::string accepted = rec.snapshot.SerializeAsString();
  auto not_filed = [](v1::Envelope& e) { e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_NOT_FILED); };
  expect_refused(apply(t + std::chrono::minutes(20), not_filed, "ga-440300"), "authz.addressed_police", accepted);
  ASSERT_EQ(apply(t + std::chrono::minutes(20), not_filed, "ga-330100").outcome, Outcome::kApplied);
  // An outsider agency closes the case (NOT_FILED allows closing).
  const std::string decided = rec.snapshot.SerializeAsString();
  expect_refused(apply(t + std::chrono::minutes(30), [](v1::Envelope& e) { e.mutable_case_closed(); }, "scjg-440300"),
                 "authz.case_party", decided);
  EXPECT_EQ(apply(t + std::chrono::minutes(30), [](v1::Envelope& e) { e.mutable_case_closed(); }, "sthjj-330100").outcome,
            Outcome::kApplied);
}

TEST_F(AuthzFixture, AReferralInAnotherAgencysNameIsRefused) {
  auto r = apply(at("2026-03-02T02:00:00Z"), [](v1::Envelope& e) {
    auto* p = e.mutable_case_referral();
    *p->mutable_referring_agency() = organ("sthjj-330100");
    *p->mutable_target_police_organ() = organ("ga-330100");
  }, "scjg-440300");
  expect_refused(r, "authz.referring_agency_as_itself", CaseRecord{}.snapshot.SerializeAsString());
}

}  // namespace
}  // namespace caselink::sync
