// The handler without Kafka: staging overlay (abort rolls back, commit folds in), restore from
// the state records it published (fake reader), rejected events dead-lettered with an alert.
#include <gtest/gtest.h>

#include "services/case-sync/handler.h"
#include "services/case-sync/tests/test_support.h"

namespace caselink::sync {
namespace {

using test::at;
using test::organ;

class FakeReader final : public StateReader {
 public:
  Status read(const std::string& topic, const std::vector<int32_t>& partitions, const Visitor& visit) override {
    for (const auto& r : records) {
      if (r.topic == topic && std::find(partitions.begin(), partitions.end(), r.partition) != partitions.end()) {
        visit(r);
      }
    }
    return Status::success();
  }
  std::vector<ConsumedRecord> records;
};

ConsumedRecord input(const test::Ev& ev, int32_t partition = 2) {
  static int64_t offset = 0;
  return ConsumedRecord{"caselink.referral.v1", partition, offset++, 0, ev.env.case_id(), ev.raw, {}};
}

struct HandlerFixture : ::testing::Test {
  ManualClock clock{at("2026-03-02T02:00:00Z")};
  CaseEngine engine{test::repo_rules(), {}};
  FakeReader reader;
  Settings settings;

  void publish(FakeReader& to, const kafka::HandlerResult& r) {
    for (const auto& o : r.outputs) {
      if (o.topic == settings.state_topic) {
        to.records.push_back(ConsumedRecord{o.topic, 2, static_cast<int64_t>(to.records.size()), 0, o.key, o.value, o.headers});
      }
    }
  }
  test::Ev referral() {
    return test::make("case-A", clock.now(), [](v1::Envelope& e) {
      auto* p = e.mutable_case_referral();
      *p->mutable_referring_agency() = organ("rsj-330100");
      *p->mutable_target_police_organ() = organ("ga-330100");
    });
  }
  test::Ev accepted() {
    return test::make("case-A", clock.now(), [](v1::Envelope& e) {
      *e.mutable_referral_accepted()->mutable_police_organ() = organ("ga-330100");
    });
  }
};

TEST_F(HandlerFixture, AbortRollsBackCommitFoldsIn) {
  SyncHandler h(engine, settings, clock, &reader, nullptr);
  h.on_partitions_assigned({{"caselink.referral.v1", 2}});
  auto ref = referral();
  auto r = h.handle(input(ref));
  ASSERT_EQ(r.outputs.size(), 1U);
  EXPECT_EQ(r.outputs[0].topic, settings.state_topic);
  EXPECT_EQ(r.outputs[0].key, "case-A");
  h.on_transaction_aborted();
  EXPECT_FALSE(h.committed_case("case-A").has_value());
  // Re-delivered after the abort: applied again (not a duplicate), then committed.
  r = h.handle(input(ref));
  ASSERT_EQ(r.outputs.size(), 1U);
  h.on_transaction_committed();
  ASSERT_TRUE(h.committed_case("case-A").has_value());
  EXPECT_EQ(h.committed_case("case-A")->snapshot.version(), 1U);
  // Exact redelivery after the commit: no-op.
  r = h.handle(input(ref));
  EXPECT_TRUE(r.outputs.empty());
  EXPECT_FALSE(r.dead_letter.has_value());
}

TEST_F(HandlerFixture, RejectedEventIsDeadLetteredWithAnAlertNamingTheCase) {
  SyncHandler h(engine, settings, clock, &reader, nullptr);
  h.on_partitions_assigned({{"caselink.decision.v1", 2}});
  auto decision = test::make("case-Z", clock.now(), [](v1::Envelope& e) {
    e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED);
  });
  auto r = h.handle(input(decision));
  ASSERT_TRUE(r.dead_letter.has_value());
  EXPECT_EQ(r.dead_letter->error_class, "sync.transition_not_allowed");
  ASSERT_EQ(r.outputs.size(), 1U);
  EXPECT_EQ(r.outputs[0].topic, settings.alert_topic);
  EXPECT_EQ(r.outputs[0].key, "case-Z");
  // Key and case id must agree.
  auto ref = referral();
  auto rec = input(ref);
  rec.key = "other";
  EXPECT_EQ(h.handle(rec).dead_letter->error_class, "sync.key_mismatch");
}

TEST_F(HandlerFixture, RestoreFromStateTopicKeepsVersionAndDoesNotReAlert) {
  FakeReader state;
  {
    SyncHandler h(engine, settings, clock, &state, nullptr);
    h.on_partitions_assigned({{"caselink.referral.v1", 2}});
    publish(state, h.handle(input(referral())));
    publish(state, h.handle(input(accepted())));
    h.on_transaction_committed();
    clock.set(at("2026-03-05T16:00:00Z"));  // police review overdue
    auto alerts = h.on_tick(clock.now());
    int overdue = 0;
    for (const auto& o : alerts) {
      if (o.topic == settings.alert_topic) {
        auto env = envelope::decode(*o.value);
        overdue += env->alert().kind() == v1::ALERT_KIND_DEADLINE_OVERDUE;
      }
    }
    EXPECT_EQ(overdue, 1);
    kafka::HandlerResult tick_result;
    tick_result.outputs = alerts;
    publish(state, tick_result);
    h.on_transaction_committed();
    EXPECT_GT(h.resident_bytes(), 0U);
    h.on_partitions_revoked({{"caselink.referral.v1", 2}});
    EXPECT_EQ(h.case_count(), 0U);
    EXPECT_EQ(h.resident_bytes(), 0U) << "bytes of dropped cases still counted";
  }
  SyncHandler restarted(engine, settings, clock, &state, nullptr);
  restarted.on_partitions_assigned({{"caselink.referral.v1", 2}, {"caselink.decision.v1", 2}});
  const auto c = restarted.committed_case("case-A");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->snapshot.version(), 2U);
  EXPECT_EQ(c->snapshot.state(), v1::CASE_STATE_ACCEPTED);
  clock.set(at("2026-03-06T00:00:00Z"));
  for (const auto& o : restarted.on_tick(clock.now())) {
    EXPECT_NE(o.topic, settings.alert_topic) << "re-alerted after restore";
  }
}

}  // namespace
}  // namespace caselink::sync
