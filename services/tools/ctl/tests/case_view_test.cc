#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "services/daemons/sync/case_engine.h"
#include "services/lib/core/ids.h"
#include "services/lib/envelope/codec.h"
#include "services/tools/ctl/case_history.h"
#include "services/tools/ctl/case_view.h"
#include "services/lib/signing/envelope_signature.h"

namespace caselink::ctl {
namespace {

TEST(Partitioning, MatchesLibrdkafkasMurmur2PartitionerForManyKeys) {
  // librdkafka's own partitioner (what every caselink producer uses) is the reference.
  for (int partitions : {1, 3, 6, 7, 12}) {
    for (int i = 0; i < 2000; ++i) {
      const std::string key = "case-" + std::to_string(i * 7919) + (i % 3 == 0 ? "-污染" : "");
      const int32_t expected =
          rd_kafka_msg_partitioner_murmur2(nullptr, key.data(), key.size(), partitions, nullptr, nullptr);
      ASSERT_EQ(partition_for_key(key, partitions), expected) << key << " / " << partitions;
    }
  }
}

TEST(Partitioning, KnownVectorsOfKafkasJavaMurmur2) {
  // The Java client's own test vectors (org.apache.kafka.common.utils.UtilsTest#testMurmur2):
  // Utils.murmur2 returns a signed int.
  const std::vector<std::pair<std::string, int32_t>> vectors = {
      {"21", -973932308},
      {"foobar", -790332482},
      {"a-little-bit-long-string", -985981536},
      {"a-little-bit-longer-string", -1486304829},
      {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
      {"abc", 479470107},
  };
  for (const auto& [key, expected] : vectors) {
    EXPECT_EQ(static_cast<int32_t>(murmur2(key)), expected) << key;
    // Java's toPositive(murmur2(key)) % n: the sign bit masked, not the absolute value.
    EXPECT_EQ(partition_for_key(key, 6), static_cast<int32_t>((static_cast<uint32_t>(expected) & 0x7fffffff) % 6))
        << key;
  }
}

TEST(Partitioning, EmptyKeyIsHashedToo) {
  EXPECT_EQ(partition_for_key("", 6), rd_kafka_msg_partitioner_murmur2(nullptr, "", 0, 6, nullptr, nullptr));
}

// A case history as caselink-sync would leave it: events and snapshots chained by hash.
struct Built {
  CaseHistory history;
};

v1::Envelope event(const std::string& case_id, int minute, const std::function<void(v1::Envelope&)>& fill) {
  TimePoint t;
  EXPECT_TRUE(parse_rfc3339("2026-11-01T08:00:00Z", &t));
  t += std::chrono::minutes(minute);
  auto e = envelope::make_envelope(CaseId(case_id), AgencyId("sthjj-330100"), t, t);
  fill(e);
  envelope::seal(e);
  return e;
}

// With `key`, every event is signed with it (key id "sthjj-330100.k1") before it is stored.
CaseHistory chained_history(const std::string& case_id, int versions, const signing::PrivateKey* key = nullptr) {
  CaseHistory h;
  std::string previous;
  int64_t offset = 0;
  for (int v = 1; v <= versions; ++v) {
    auto e = event(case_id, v, [&](v1::Envelope& env) {
      if (v == 1) {
        env.mutable_case_referral()->set_offence_code("pollution_environment");
      } else {
        env.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_NOT_FILED);
        env.mutable_filing_decision()->set_not_filed_reason(v1::NOT_FILED_REASON_INSUFFICIENT_EVIDENCE);
      }
    });
    if (key != nullptr) signing::sign(e, *key, "sthjj-330100.k1");
    CaseRecordRef ev{v == 1 ? "caselink.referral.v1" : "caselink.decision.v1", 0, offset++, -1, case_id, {},
                     envelope::encode(e), e};
    auto snap = event(case_id, v, [&](v1::Envelope& env) {
      auto* s = env.mutable_case_state_snapshot();
      s->set_case_id(case_id);
      s->set_version(v);
      s->set_previous_state_hash_hex(previous);
      s->set_state_hash_hex(sync::chain_hash_hex(previous, ev.raw));
      s->set_last_event_id(e.event_id());
      s->set_state(v == 1 ? v1::CASE_STATE_REFERRED : v1::CASE_STATE_NOT_FILED);
    });
    previous = snap.case_state_snapshot().state_hash_hex();
    h.records.push_back(ev);
    h.records.push_back(CaseRecordRef{kStateTopic, 0, offset++, -1, case_id, {}, envelope::encode(snap), snap});
  }
  return h;
}

TEST(HashChain, AnUntouchedHistoryVerifies) {
  const auto report = verify_chain(chained_history("c-1", 4));
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.versions_present, 4u);
  EXPECT_EQ(report.verified, 4u);
}

TEST(HashChain, ATamperedHashIsFoundAtItsVersion) {
  auto h = chained_history("c-2", 4);
  for (auto& r : h.records) {
    if (r.topic == kStateTopic && r.envelope.case_state_snapshot().version() == 3) {
      r.envelope.mutable_case_state_snapshot()->set_state_hash_hex(std::string(64, 'a'));
    }
  }
  const auto report = verify_chain(h);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.broken_version, 3u);
}

TEST(HashChain, ATamperedEventBreaksTheVersionThatAppliedIt) {
  auto h = chained_history("c-3", 3);
  h.records[2].raw += "x";  // the second event's stored bytes
  const auto report = verify_chain(h);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.broken_version, 2u);
}

TEST(HashChain, AnEventGoneFromRetentionIsCountedNotFailed) {
  auto h = chained_history("c-4", 3);
  h.records.erase(h.records.begin());  // the first event left retention
  const auto report = verify_chain(h);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.unverifiable, 1u);
  EXPECT_EQ(report.verified, 2u);
}

TEST(HashChain, OneVersionWithTwoHashesIsBroken) {
  auto h = chained_history("c-5", 2);
  auto copy = h.records.back();
  copy.envelope.mutable_case_state_snapshot()->set_state_hash_hex(std::string(64, 'b'));
  h.records.push_back(copy);
  EXPECT_FALSE(verify_chain(h).ok);
}

TEST(View, TimelineStateAndTextNameWhatHappened) {
  auto h = chained_history("c-6", 2);
  const auto view = build_view("c-6", h);
  ASSERT_EQ(view.timeline.size(), 2u);
  ASSERT_TRUE(view.state.has_value());
  EXPECT_EQ(view.state->version(), 2u);
  TimePoint now;
  ASSERT_TRUE(parse_rfc3339("2026-11-02T08:00:00Z", &now));
  const std::string text = render_text(view, now);
  EXPECT_NE(text.find("state       NOT_FILED"), std::string::npos) << text;
  EXPECT_NE(text.find("filing decision: NOT_FILED (INSUFFICIENT_EVIDENCE)"), std::string::npos) << text;
  EXPECT_NE(text.find("Hash chain: OK — 2 of 2"), std::string::npos) << text;
  EXPECT_NE(render_json(view).find("\"verified\": 2"), std::string::npos);
}

// The chain hashes each applied event's stored bytes, signature included (issue 15 §4): the
// same event with another signature (e.g. re-signed to claim another signer) breaks it.
TEST(HashChain, CoversEachEventsSignature) {
  auto key = signing::PrivateKey::generate();
  auto other = signing::PrivateKey::generate();
  auto h = chained_history("c-sig", 3, &*key);
  ASSERT_TRUE(verify_chain(h).ok);
  auto& second = h.records[2];
  ASSERT_FALSE(second.envelope.signature().empty());
  signing::sign(second.envelope, *other, "sthjj-330100.k1");
  second.raw = envelope::encode(second.envelope);
  const auto report = verify_chain(h);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.broken_version, 2u);
}

TEST(View, SaysWhoSignedEachEventAndWhetherItVerifies) {
  auto key = signing::PrivateKey::generate();
  auto h = chained_history("c-who", 3, &*key);
  const signing::PublicKey pub = key->public_key();
  auto registry = signing::KeyRegistry::parse(
      "keys:\n  - {key_id: sthjj-330100.k1, party: sthjj-330100, public_key: " +
          signing::to_hex(std::string_view(reinterpret_cast<const char*>(pub.data()), pub.size())) + "}\n",
      "test");
  ASSERT_TRUE(registry.ok()) << registry.error().message;
  signing::sign(h.records[2].envelope, *key, "sthjj-330100.k1", "caselink-ingress");  // custodial
  h.records[4].envelope.mutable_filing_decision()->set_not_filed_reason(v1::NOT_FILED_REASON_NO_CRIMINAL_FACT);
  h.records[0].envelope.clear_signature();

  const auto view = build_view("c-who", h, &*registry);
  ASSERT_EQ(view.signatures.size(), 3u);
  EXPECT_EQ(view.signatures[0].status, "unsigned");
  EXPECT_EQ(view.signatures[1].status, "verified");
  EXPECT_EQ(view.signatures[1].custodian, "caselink-ingress");
  EXPECT_EQ(view.signatures[2].status, "invalid");
  TimePoint now;
  ASSERT_TRUE(parse_rfc3339("2026-11-02T08:00:00Z", &now));
  const std::string text = render_text(view, now);
  EXPECT_NE(text.find("signed by sthjj-330100 (sthjj-330100.k1, custodial: caselink-ingress): verified"),
            std::string::npos) << text;
  EXPECT_NE(text.find("signed by sthjj-330100 (sthjj-330100.k1): FAILED invalid"), std::string::npos) << text;
  EXPECT_NE(render_json(view).find("\"status\": \"verified\""), std::string::npos);

  const auto unchecked = build_view("c-who", h);
  EXPECT_EQ(unchecked.signatures[1].status, "not checked");
}

// Snapshots carry open deadlines plus those closed by their own event: a deadline met two
// versions ago is only in an older snapshot, and must still be shown as met.
TEST(View, DeadlinesAreGatheredFromEverySnapshotPresent) {
  auto h = chained_history("c-7", 3);
  auto deadline = [](const std::string& id, v1::DeadlineStatus status, const std::string& closed_by, int day) {
    v1::Deadline d;
    d.set_deadline_id(id);
    d.set_status(status);
    d.set_closed_by_event_id(closed_by);
    d.set_responsible_party_id("ga-330100");
    d.mutable_due_at()->set_seconds(1793520000 + day * 86400);  // 2026-11-01 + day
    return d;
  };
  std::vector<v1::CaseStateSnapshot*> snaps;
  for (auto& r : h.records) {
    if (r.topic == kStateTopic) snaps.push_back(r.envelope.mutable_case_state_snapshot());
  }
  ASSERT_EQ(snaps.size(), 3u);
  *snaps[0]->add_deadlines() = deadline("police_filing_review#1", v1::DEADLINE_STATUS_OPEN, "", 3);
  *snaps[0]->add_deadlines() = deadline("transfer#1", v1::DEADLINE_STATUS_OPEN, "", 1);
  *snaps[1]->add_deadlines() = deadline("police_filing_review#1", v1::DEADLINE_STATUS_MET, "ev-2", 3);
  *snaps[1]->add_deadlines() = deadline("transfer#1", v1::DEADLINE_STATUS_OPEN, "", 1);
  *snaps[1]->add_deadlines() = deadline("reconsideration_request#1", v1::DEADLINE_STATUS_OPEN, "", 5);
  // Version 3 no longer mentions transfer#1 (its closing snapshot is "missing"), keeps the other.
  *snaps[2]->add_deadlines() = deadline("reconsideration_request#1", v1::DEADLINE_STATUS_OPEN, "", 5);

  const auto view = build_view("c-7", h);
  ASSERT_EQ(view.deadlines.size(), 3u);
  EXPECT_EQ(view.deadlines[0].deadline.deadline_id(), "reconsideration_request#1");  // running first
  EXPECT_EQ(view.deadlines[0].seen_at_version, 3u);
  EXPECT_EQ(view.deadlines[1].deadline.deadline_id(), "transfer#1");
  EXPECT_TRUE(view.deadlines[1].closed_unknown);
  EXPECT_EQ(view.deadlines[2].deadline.deadline_id(), "police_filing_review#1");
  EXPECT_EQ(view.deadlines[2].deadline.status(), v1::DEADLINE_STATUS_MET);

  TimePoint now;
  ASSERT_TRUE(parse_rfc3339("2026-11-04T14:00:00Z", &now));  // 1 day 18 hours before day 5
  const std::string text = render_text(view, now);
  EXPECT_NE(text.find("OPEN       reconsideration_request#1"), std::string::npos) << text;
  EXPECT_NE(text.find("due in 1d 18h"), std::string::npos) << text;
  EXPECT_NE(text.find("MET        police_filing_review#1"), std::string::npos) << text;
  EXPECT_NE(text.find("closed by event ev-2"), std::string::npos) << text;
  EXPECT_NE(text.find("CLOSED     transfer#1"), std::string::npos) << text;
}

// The wage-arrears story: the police review went overdue (a timer republished the version with
// OVERDUE), then filing supervision cancelled it. It was missed, whatever closed it later; a
// deadline known only from its overdue alert (snapshots compacted) is missed too.
TEST(View, AnOverdueDeadlineStaysMissedAfterItIsCancelled) {
  auto h = chained_history("c-9", 2);
  v1::Deadline d;
  d.set_deadline_id("police_filing_review#1");
  d.set_responsible_party_id("ga-330100");
  d.mutable_due_at()->set_seconds(1793520000);
  d.set_status(v1::DEADLINE_STATUS_OPEN);
  *h.records[1].envelope.mutable_case_state_snapshot()->add_deadlines() = d;
  auto republished = h.records[1];  // same version, after the timer fired
  republished.offset = 100;
  republished.envelope.mutable_case_state_snapshot()->mutable_deadlines(0)->set_status(v1::DEADLINE_STATUS_OVERDUE);
  h.records.insert(h.records.begin() + 2, republished);
  d.set_status(v1::DEADLINE_STATUS_CANCELLED);
  d.set_closed_by_event_id("ev-supervision");
  *h.records.back().envelope.mutable_case_state_snapshot()->add_deadlines() = d;

  auto alert = event("c-9", 30, [](v1::Envelope& e) {
    e.mutable_alert()->set_kind(v1::ALERT_KIND_DEADLINE_OVERDUE);
    e.mutable_alert()->mutable_deadline()->set_deadline_id("transfer#1");
    e.mutable_alert()->mutable_deadline()->set_status(v1::DEADLINE_STATUS_OVERDUE);
  });
  h.records.push_back(CaseRecordRef{kAlertTopic, 0, 0, -1, "c-9", {}, envelope::encode(alert), alert});

  const auto view = build_view("c-9", h);
  EXPECT_TRUE(verify_chain(h).ok) << "a version republished with the same hash is not a break";
  ASSERT_EQ(view.deadlines.size(), 2u);
  TimePoint now;
  ASSERT_TRUE(parse_rfc3339("2026-11-05T00:00:00Z", &now));
  const std::string text = render_text(view, now);
  EXPECT_NE(text.find("MISSED     police_filing_review#1"), std::string::npos) << text;
  EXPECT_NE(text.find("cancelled by event ev-supervision"), std::string::npos) << text;
  EXPECT_NE(text.find("MISSED     transfer#1"), std::string::npos) << text;
}

TEST(View, AlertsShowKindDeadlineAndText) {
  auto h = chained_history("c-8", 1);
  auto alert = event("c-8", 30, [](v1::Envelope& e) {
    auto* a = e.mutable_alert();
    a->set_kind(v1::ALERT_KIND_DEADLINE_OVERDUE);
    a->set_severity(v1::ALERT_SEVERITY_CRITICAL);
    a->mutable_deadline()->set_deadline_id("police_filing_review#1");
    a->set_message("police filing review overdue");
  });
  h.records.push_back(CaseRecordRef{kAlertTopic, 0, 0, -1, "c-8", {}, envelope::encode(alert), alert});
  const auto view = build_view("c-8", h);
  ASSERT_EQ(view.alerts.size(), 1u);
  EXPECT_EQ(view.timeline.size(), 1u) << "alerts are not timeline events";
  TimePoint now;
  ASSERT_TRUE(parse_rfc3339("2026-11-02T08:00:00Z", &now));
  const std::string text = render_text(view, now);
  EXPECT_NE(text.find("2026-11-01 08:30:00  DEADLINE_OVERDUE"), std::string::npos) << text;
  EXPECT_NE(text.find("police_filing_review#1  police filing review overdue"), std::string::npos) << text;
}

// read_case folds the state topic's snapshots as it reads them (issue 14 §3: holding every
// snapshot of a 10,000-event case took 3.0 GB): the history it returns keeps the events as
// records and the snapshots as StateFold. This moves a built history's snapshots there.
CaseHistory folded(CaseHistory h) {
  CaseHistory out;
  for (auto& r : h.records) {
    if (r.topic == kStateTopic && r.envelope.has_case_state_snapshot()) {
      out.states.add(std::move(*r.envelope.mutable_case_state_snapshot()));
    } else {
      out.records.push_back(std::move(r));
    }
  }
  return out;
}

TEST(StateFold, KeepsOneSnapshotWholeAndOfEachOtherOnlyItsLinkAndDeadlines) {
  auto h = chained_history("c-fold", 5);
  for (auto& r : h.records) {
    if (r.topic != kStateTopic) continue;
    auto* s = r.envelope.mutable_case_state_snapshot();
    v1::Deadline d;
    d.set_deadline_id("recommendation_reply#rec-" + std::to_string(s->version()));
    d.set_status(v1::DEADLINE_STATUS_OPEN);
    *s->add_deadlines() = d;
    d.set_deadline_id("police_filing_review#1");
    d.set_status(s->version() == 2 ? v1::DEADLINE_STATUS_OVERDUE : v1::DEADLINE_STATUS_OPEN);
    *s->add_deadlines() = d;
  }
  const auto f = folded(h);
  EXPECT_EQ(f.records.size(), 5u) << "the events stay records";
  ASSERT_EQ(f.states.links.size(), 5u);
  EXPECT_EQ(f.states.links[2].version, 3u);
  EXPECT_FALSE(f.states.links[2].state_hash_hex.empty());
  ASSERT_TRUE(f.states.latest.has_value());
  EXPECT_EQ(f.states.latest->version(), 5u);
  EXPECT_EQ(f.states.deadlines.size(), 6u) << "one mention per deadline id, not per snapshot";
  EXPECT_EQ(f.states.deadlines.at("police_filing_review#1").version, 5u);
  EXPECT_TRUE(f.states.deadlines.at("police_filing_review#1").overdue_seen) << "version 2 showed it overdue";
  EXPECT_FALSE(f.empty());
  EXPECT_TRUE(CaseHistory{}.empty());
}

TEST(StateFold, AnOlderVersionReadLaterNeverBecomesTheLatest) {
  StateFold fold;
  v1::CaseStateSnapshot s;
  s.set_version(3);
  s.set_state(v1::CASE_STATE_FILED);
  fold.add(v1::CaseStateSnapshot(s));
  s.set_version(2);
  s.set_state(v1::CASE_STATE_ACCEPTED);
  fold.add(v1::CaseStateSnapshot(s));
  s.set_version(3);
  s.set_state(v1::CASE_STATE_ITEMS_HANDED_OVER);  // version 3 republished (acknowledgement, timer)
  fold.add(v1::CaseStateSnapshot(s));
  ASSERT_TRUE(fold.latest.has_value());
  EXPECT_EQ(fold.latest->version(), 3u);
  EXPECT_EQ(fold.latest->state(), v1::CASE_STATE_ITEMS_HANDED_OVER) << "of one version, the last read";
  EXPECT_EQ(fold.links.size(), 3u);
}

TEST(StateFold, AFoldedHistoryShowsAndChecksLikeTheWholeOne) {
  auto h = chained_history("c-same", 4);
  const auto whole = build_view("c-same", h);
  const auto f = folded(h);  // the view points into its history
  const auto view = build_view("c-same", f);
  ASSERT_TRUE(view.state.has_value());
  EXPECT_EQ(view.state->version(), 4u);
  EXPECT_EQ(view.timeline.size(), whole.timeline.size());
  EXPECT_TRUE(view.chain.ok) << view.chain.problem;
  EXPECT_EQ(view.chain.verified, 4u);
  TimePoint now;
  ASSERT_TRUE(parse_rfc3339("2026-11-02T08:00:00Z", &now));
  EXPECT_EQ(render_text(view, now), render_text(whole, now));
  EXPECT_EQ(render_json(view), render_json(whole));
}

TEST(StateFold, AFoldedHistoryStillFindsATamperedHashAndAVersionWithTwoHashes) {
  auto h = chained_history("c-tamper", 4);
  for (auto& r : h.records) {
    if (r.topic == kStateTopic && r.envelope.case_state_snapshot().version() == 3) {
      r.envelope.mutable_case_state_snapshot()->set_state_hash_hex(std::string(64, 'a'));
    }
  }
  const auto tampered = verify_chain(folded(h));
  EXPECT_FALSE(tampered.ok);
  EXPECT_EQ(tampered.broken_version, 3u);

  auto two = chained_history("c-two", 2);
  auto copy = two.records.back();
  copy.envelope.mutable_case_state_snapshot()->set_state_hash_hex(std::string(64, 'b'));
  two.records.push_back(copy);
  const auto report = verify_chain(folded(two));
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.broken_version, 2u);
}

TEST(Summaries, ReferralNamesOffenceAgencyAndPolice) {
  v1::Envelope e;
  auto* r = e.mutable_case_referral();
  r->set_offence_name("污染环境");
  r->mutable_referring_agency()->set_organ_id("sthjj-330100");
  r->mutable_target_police_organ()->set_organ_id("ga-330100");
  EXPECT_EQ(summarize(e), "referral 污染环境 from sthjj-330100 → ga-330100");
}

TEST(Summaries, NotFiledDecisionNamesTheReason) {
  v1::Envelope e;
  e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_NOT_FILED);
  e.mutable_filing_decision()->set_not_filed_reason(v1::NOT_FILED_REASON_BELOW_THRESHOLD);
  e.mutable_filing_decision()->set_reasons("数额未达追诉标准");
  EXPECT_EQ(summarize(e), "filing decision: NOT_FILED (BELOW_THRESHOLD: 数额未达追诉标准)");
}

TEST(Summaries, ReceiptNamesMissingCategories) {
  v1::Envelope e;
  e.mutable_evidence_receipt()->set_manifest_id("M-1");
  e.mutable_evidence_receipt()->set_status(v1::RECEIPT_STATUS_INCOMPLETE);
  e.mutable_evidence_receipt()->add_missing_categories(v1::MATERIAL_CATEGORY_SITE_INSPECTION_RECORD);
  EXPECT_EQ(summarize(e), "evidence receipt M-1: INCOMPLETE missing: SITE_INSPECTION_RECORD");
}

}  // namespace
}  // namespace caselink::ctl
