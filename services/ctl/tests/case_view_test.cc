#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "services/case-sync/case_engine.h"
#include "services/common/core/ids.h"
#include "services/common/envelope/codec.h"
#include "services/ctl/case_history.h"
#include "services/ctl/case_view.h"

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

CaseHistory chained_history(const std::string& case_id, int versions) {
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
    CaseRecordRef ev{v == 1 ? "caselink.referral.v1" : "caselink.decision.v1", 0, offset++, case_id, {},
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
    h.records.push_back(CaseRecordRef{kStateTopic, 0, offset++, case_id, {}, envelope::encode(snap), snap});
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

TEST(Summaries, ReceiptNamesMissingCategories) {
  v1::Envelope e;
  e.mutable_evidence_receipt()->set_manifest_id("M-1");
  e.mutable_evidence_receipt()->set_status(v1::RECEIPT_STATUS_INCOMPLETE);
  e.mutable_evidence_receipt()->add_missing_categories(v1::MATERIAL_CATEGORY_SITE_INSPECTION_RECORD);
  EXPECT_EQ(summarize(e), "evidence receipt M-1: INCOMPLETE missing: SITE_INSPECTION_RECORD");
}

}  // namespace
}  // namespace caselink::ctl
