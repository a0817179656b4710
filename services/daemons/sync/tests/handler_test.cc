// The handler without Kafka: staging overlay (abort rolls back, commit folds in), restore from
// the state records it published (fake reader), rejected events dead-lettered with an alert.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "services/daemons/sync/handler.h"
#include "services/lib/metrics/registry.h"
#include "services/lib/kafka/decode.h"
#include "services/daemons/sync/tests/test_support.h"

namespace caselink::sync {
namespace {

using test::at;
using test::organ;

class FakeReader final : public kafka::ChangelogReader {
 public:
  Status read(const std::string& topic, const std::vector<int32_t>& partitions, const Visitor& visit) override {
    ++whole_reads;
    for (const auto& r : records) {
      if (r.topic == topic && std::find(partitions.begin(), partitions.end(), r.partition) != partitions.end()) {
        visit(r);
      }
    }
    return Status::success();
  }
  // Every record is settled at once here: a partition's stable offset is its end.
  Result<Offsets> stable_offsets(const std::string& topic, const std::vector<int32_t>& partitions) override {
    if (!offsets) return ChangelogReader::stable_offsets(topic, partitions);
    Offsets stable;
    for (int32_t p : partitions) stable[p] = end(topic, p);
    return stable;
  }
  Status read_from(const std::string& topic, const Offsets& from, const Visitor& visit) override {
    if (!offsets || fail_read_from) return Error::unavailable("fake: read_from refused");
    ++reads_from;
    last_from = from;
    for (const auto& [p, offset] : from) {
      if (offset > end(topic, p)) return Error::conflict("fake: past the end");
    }
    for (const auto& r : records) {
      auto it = from.find(r.partition);
      if (r.topic == topic && it != from.end() && r.offset >= it->second) visit(r);
    }
    return Status::success();
  }
  int64_t end(const std::string& topic, int32_t partition) const {
    int64_t end = 0;
    for (const auto& r : records) {
      if (r.topic == topic && r.partition == partition) end = r.offset + 1;
    }
    return end;
  }
  std::vector<ConsumedRecord> records;
  bool offsets = false;  // answer stable_offsets / read_from (the defaults refuse)
  bool fail_read_from = false;
  int whole_reads = 0;
  int reads_from = 0;
  Offsets last_from;
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
  settings.park_ms = 0;  // refused at once instead of parked
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
  EXPECT_EQ(h.handle(rec).dead_letter->error_class, kafka::kKeyMismatch);
  rec.key.reset();
  EXPECT_EQ(h.handle(rec).dead_letter->error_class, kafka::kKeyMissing);
}

test::Ev filed(ManualClock& clock) {
  return test::make("case-A", clock.now(), [](v1::Envelope& e) {
    e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED);
  });
}

std::optional<v1::Envelope> state_in(const kafka::HandlerResult& r, const std::string& topic) {
  for (const auto& o : r.outputs) {
    if (o.topic == topic) return *envelope::decode(*o.value);
  }
  return std::nullopt;
}

std::string sample(const metrics::Registry& registry, const std::string& series) {
  const std::string text = registry.render();
  const auto at = text.find(series + " ");
  if (at == std::string::npos) return "<absent>";
  return text.substr(at + series.size() + 1, text.find('\n', at) - at - series.size() - 1);
}

// Domain metrics: referrals received and filing decisions when applied; overdue deadlines open
// over the committed cases, up when the timer marks one overdue, down when the late step closes it.
TEST_F(HandlerFixture, DomainMetricsFollowTheCommittedCases) {
  metrics::Registry registry;
  SyncHandler h(engine, settings, clock, &reader, &registry);
  h.on_partitions_assigned({{"caselink.referral.v1", 2}, {"caselink.decision.v1", 2}});
  ASSERT_FALSE(h.handle(input(referral())).dead_letter);
  ASSERT_FALSE(h.handle(input(accepted())).dead_letter);
  h.on_transaction_committed();
  EXPECT_EQ(sample(registry, "caselink_sync_referrals_received_total{service=\"caselink-sync\"}"), "1");
  EXPECT_EQ(sample(registry, "caselink_sync_deadlines_overdue_open{service=\"caselink-sync\"}"), "0");
  clock.advance(std::chrono::hours(24 * 30));  // far past the 3-day filing review (S1 Art 8)
  EXPECT_FALSE(h.on_tick(clock.now()).empty());
  h.on_transaction_committed();
  EXPECT_EQ(sample(registry, "caselink_sync_deadlines_overdue_open{service=\"caselink-sync\"}"), "1");
  ASSERT_FALSE(h.handle(input(filed(clock))).dead_letter);
  h.on_transaction_committed();
  EXPECT_EQ(sample(registry, "caselink_sync_filing_decisions_total{service=\"caselink-sync\",outcome=\"filed\"}"), "1");
  EXPECT_EQ(sample(registry, "caselink_sync_deadlines_overdue_open{service=\"caselink-sync\"}"), "0");
}

// Each handled event is counted once, by its outcome: caselink_sync_events_total is what
// scripts/bounds.sh waits on (it counted every event twice, so the wait ended half-way), and an
// event refused for size is "rejected", not also "applied".
TEST_F(HandlerFixture, EachEventIsCountedOnceByItsOutcome) {
  metrics::Registry registry;
  settings.max_state_record_bytes = 16 * 1024;
  SyncHandler h(engine, settings, clock, &reader, &registry);
  h.on_partitions_assigned({{"caselink.referral.v1", 2}});
  const auto ref = referral();
  ASSERT_FALSE(h.handle(input(ref)).dead_letter);
  ASSERT_FALSE(h.handle(input(accepted())).dead_letter);
  ASSERT_FALSE(h.handle(input(ref)).dead_letter);  // redelivered
  h.on_transaction_committed();
  EXPECT_EQ(sample(registry, "caselink_sync_events_total{service=\"caselink-sync\",outcome=\"applied\"}"), "2");
  EXPECT_EQ(sample(registry, "caselink_sync_events_total{service=\"caselink-sync\",outcome=\"duplicate\"}"), "1");
  EXPECT_EQ(sample(registry, "caselink_sync_referrals_received_total{service=\"caselink-sync\"}"), "1");
  auto big = test::make("case-A", clock.now(), [](v1::Envelope& e) {
    auto* r = e.mutable_recommendation_issued();
    r->set_recommendation_id(std::string(20 * 1024, 'r'));  // its summary alone outgrows 16 KiB
    *r->mutable_procuratorate() = organ("jcy-330100");
    *r->mutable_recipient() = organ("sthjj-330100");
  });
  auto refused = h.handle(input(big));
  ASSERT_TRUE(refused.dead_letter.has_value());
  ASSERT_EQ(refused.dead_letter->error_class, kStateTooLarge);
  EXPECT_EQ(sample(registry, "caselink_sync_events_total{service=\"caselink-sync\",outcome=\"applied\"}"), "2");
  EXPECT_EQ(sample(registry, "caselink_sync_events_total{service=\"caselink-sync\",outcome=\"rejected\"}"), "1");
}

// A filing decision read before the acceptance it follows (other topic, no order between
// topics) waits in the case and is applied right after the acceptance, in the same transaction.
TEST_F(HandlerFixture, EarlyEventIsParkedAndAppliedWhenItsPredecessorArrives) {
  SyncHandler h(engine, settings, clock, &reader, nullptr);
  h.on_partitions_assigned({{"caselink.referral.v1", 2}, {"caselink.decision.v1", 2}});
  ASSERT_EQ(h.handle(input(referral())).outputs.size(), 1U);
  const auto decision = filed(clock);
  auto r = h.handle(input(decision));
  EXPECT_FALSE(r.dead_letter.has_value()) << "parked, not dead-lettered";
  ASSERT_EQ(r.outputs.size(), 1U) << "the state record carrying the parked event, no alert";
  auto snap = state_in(r, settings.state_topic);
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->case_state_snapshot().version(), 1U);
  // Redelivered while waiting: no second copy.
  EXPECT_TRUE(h.handle(input(decision)).outputs.empty());
  h.on_transaction_committed();
  ASSERT_EQ(h.committed_case("case-A")->internal.parked.size(), 1U);

  r = h.handle(input(accepted()));
  EXPECT_FALSE(r.dead_letter.has_value());
  std::vector<uint64_t> versions;
  for (const auto& o : r.outputs) {
    if (o.topic == settings.state_topic) versions.push_back(envelope::decode(*o.value)->case_state_snapshot().version());
  }
  EXPECT_EQ(versions, (std::vector<uint64_t>{2, 3})) << "acceptance, then the parked decision";
  h.on_transaction_committed();
  const auto c = h.committed_case("case-A");
  EXPECT_EQ(c->snapshot.state(), v1::CASE_STATE_FILED);
  EXPECT_TRUE(c->internal.parked.empty());
  EXPECT_EQ(c->snapshot.last_event_id(), decision.env.event_id());
}

TEST_F(HandlerFixture, ParkedEventThatNeverFitsIsDeadLetteredAfterTheWait) {
  settings.park_ms = 60000;
  SyncHandler h(engine, settings, clock, &reader, nullptr);
  h.set_dead_letter_context({"dlq", "caselink-sync", "g"});
  h.on_partitions_assigned({{"caselink.referral.v1", 2}});
  h.handle(input(referral()));
  const auto decision = filed(clock);
  h.handle(input(decision));
  h.on_transaction_committed();
  clock.set(clock.now() + std::chrono::seconds(59));
  for (const auto& o : h.on_tick(clock.now())) EXPECT_NE(o.topic, "dlq") << "dead-lettered before the wait ended";
  clock.set(clock.now() + std::chrono::seconds(1));
  const auto out = h.on_tick(clock.now());
  int dlq = 0;
  int rejected_alerts = 0;
  for (const auto& o : out) {
    if (o.topic == "dlq") {
      ++dlq;
      EXPECT_EQ(*o.value, decision.raw) << "the parked record's value, untouched";
      EXPECT_EQ(o.key, "case-A");
      EXPECT_EQ(find_header(o.headers, kafka::kDlqErrorClass).value_or(""), "sync.transition_not_allowed");
      EXPECT_NE(find_header(o.headers, kafka::kDlqErrorMessage).value_or("").find("waited 60000 ms"), std::string::npos);
      EXPECT_EQ(find_header(o.headers, kafka::kDlqOriginalTopic).value_or(""), "caselink.referral.v1");
    }
    if (o.topic == settings.alert_topic) {
      rejected_alerts += envelope::decode(*o.value)->alert().kind() == v1::ALERT_KIND_TRANSITION_REJECTED;
    }
  }
  EXPECT_EQ(dlq, 1);
  EXPECT_EQ(rejected_alerts, 1);
  h.on_transaction_committed();
  EXPECT_TRUE(h.committed_case("case-A")->internal.parked.empty());
  clock.set(clock.now() + std::chrono::hours(1));
  for (const auto& o : h.on_tick(clock.now())) EXPECT_NE(o.topic, "dlq") << "dead-lettered twice";
}

TEST_F(HandlerFixture, NotParkedWhenDisabled) {
  settings.park_ms = 0;
  SyncHandler off(engine, settings, clock, &reader, nullptr);
  off.on_partitions_assigned({{"caselink.referral.v1", 2}});
  off.handle(input(referral()));
  EXPECT_TRUE(off.handle(input(filed(clock))).dead_letter.has_value()) << "park_ms 0: at once";
}

std::vector<uint64_t> state_versions(const kafka::HandlerResult& r, const std::string& topic) {
  std::vector<uint64_t> versions;
  for (const auto& o : r.outputs) {
    if (o.topic == topic) versions.push_back(envelope::decode(*o.value)->case_state_snapshot().version());
  }
  return versions;
}

// Issue 20 #6: a decision that overtakes its referral on another topic, for a case caselink-sync
// has never seen, waits in a placeholder record (version 0) and is applied after the referral,
// in arrival order; nothing is dead-lettered, and the placeholder survives a restart.
TEST_F(HandlerFixture, EarlyEventsOfACaseNeverSeenAreParkedAndReleasedInOrder) {
  FakeReader state;
  const auto acceptance = accepted();
  const auto decision = filed(clock);
  {
    SyncHandler h(engine, settings, clock, &state, nullptr);
    h.on_partitions_assigned({{"caselink.referral.v1", 2}, {"caselink.decision.v1", 2}});
    for (const auto* early : {&acceptance, &decision}) {
      auto r = h.handle(input(*early));
      EXPECT_FALSE(r.dead_letter.has_value()) << "parked, not dead-lettered";
      ASSERT_EQ(state_versions(r, settings.state_topic), std::vector<uint64_t>{0}) << "placeholder, nothing applied";
      EXPECT_EQ(r.outputs[0].key, "case-A");
      publish(state, r);
    }
    h.on_transaction_committed();
    ASSERT_EQ(h.committed_case("case-A")->internal.parked.size(), 2U);
  }
  SyncHandler restarted(engine, settings, clock, &state, nullptr);
  restarted.on_partitions_assigned({{"caselink.referral.v1", 2}, {"caselink.decision.v1", 2}});
  auto r = restarted.handle(input(referral()));
  EXPECT_FALSE(r.dead_letter.has_value());
  EXPECT_EQ(state_versions(r, settings.state_topic), (std::vector<uint64_t>{1, 2, 3}))
      << "referral, then the parked acceptance and decision in arrival order";
  restarted.on_transaction_committed();
  const auto c = restarted.committed_case("case-A");
  EXPECT_EQ(c->snapshot.state(), v1::CASE_STATE_FILED);
  EXPECT_TRUE(c->internal.parked.empty());
  EXPECT_EQ(c->snapshot.last_event_id(), decision.env.event_id());
}

// The same wait (sync.park_ms) and the same answer as for a known case when the referral never
// comes: dead-lettered with one TRANSITION_REJECTED alert; the spent placeholder is forgotten.
TEST_F(HandlerFixture, EarlyEventOfACaseNeverSeenExpiresToTheDlqLikeAKnownCase) {
  settings.park_ms = 60000;
  FakeReader state;
  SyncHandler h(engine, settings, clock, &state, nullptr);
  h.set_dead_letter_context({"dlq", "caselink-sync", "g"});
  h.on_partitions_assigned({{"caselink.decision.v1", 2}});
  const auto decision = filed(clock);
  publish(state, h.handle(input(decision)));
  h.on_transaction_committed();
  clock.set(clock.now() + std::chrono::seconds(59));
  for (const auto& o : h.on_tick(clock.now())) EXPECT_NE(o.topic, "dlq") << "dead-lettered before the wait ended";
  clock.set(clock.now() + std::chrono::seconds(1));
  kafka::HandlerResult expired;
  expired.outputs = h.on_tick(clock.now());
  int dlq = 0;
  int rejected_alerts = 0;
  for (const auto& o : expired.outputs) {
    if (o.topic == "dlq") {
      ++dlq;
      EXPECT_EQ(*o.value, decision.raw);
      EXPECT_NE(find_header(o.headers, kafka::kDlqErrorMessage).value_or("").find("waited 60000 ms"), std::string::npos);
    }
    if (o.topic == settings.alert_topic) {
      rejected_alerts += envelope::decode(*o.value)->alert().kind() == v1::ALERT_KIND_TRANSITION_REJECTED;
    }
  }
  EXPECT_EQ(dlq, 1);
  EXPECT_EQ(rejected_alerts, 1);
  publish(state, expired);
  h.on_transaction_committed();
  EXPECT_FALSE(h.committed_case("case-A").has_value()) << "the spent placeholder is not kept";
  SyncHandler restarted(engine, settings, clock, &state, nullptr);
  restarted.on_partitions_assigned({{"caselink.decision.v1", 2}});
  EXPECT_FALSE(restarted.committed_case("case-A").has_value()) << "nor restored";
}

// Issue 20 #7: in event-time mode the timers follow the watermark (highest occurred_at read -
// allowed lateness), not the clock: a back-dated history replayed in seconds of wall time raises
// exactly what it would have raised live, and nothing races a timer.
TEST_F(HandlerFixture, EventTimeModeDrivesTimersByTheWatermark) {
  settings.time_mode = kEventTime;
  settings.allowed_lateness_ms = 3600000;
  FakeReader state;
  auto overdue_in = [](const std::vector<OutgoingRecord>& out) {
    int n = 0;
    for (const auto& o : out) {
      if (o.topic == "caselink.alert.v1") n += envelope::decode(*o.value)->alert().kind() == v1::ALERT_KIND_DEADLINE_OVERDUE;
    }
    return n;
  };
  const TimePoint wall = clock.now();
  // Another case's event that occurred at `t` moves the watermark to t - 1 h.
  auto other_at = [&](const std::string& t) {
    return input(test::make("case-B-" + t, at(t), [](v1::Envelope& e) {
      auto* p = e.mutable_case_referral();
      *p->mutable_referring_agency() = organ("rsj-330100");
      *p->mutable_target_police_organ() = organ("ga-330100");
    }));
  };
  {
    SyncHandler h(engine, settings, clock, &state, nullptr);
    h.on_partitions_assigned({{"caselink.referral.v1", 2}});
    publish(state, h.handle(input(referral())));
    publish(state, h.handle(input(accepted())));  // 2026-03-02T02:00Z: due 2026-03-05T16:00Z
    h.on_transaction_committed();
    clock.set(wall + std::chrono::hours(24 * 30));  // the wall clock means nothing here
    EXPECT_EQ(overdue_in(h.on_tick(clock.now())), 0);
    publish(state, h.handle(other_at("2026-03-05T16:59:59Z")));  // watermark 1 s before due
    h.on_transaction_committed();
    EXPECT_EQ(overdue_in(h.on_tick(clock.now())), 0);
    h.on_transaction_committed();
  }
  // A restart resumes the watermark from the restored history (no zero, no jump).
  SyncHandler restarted(engine, settings, clock, &state, nullptr);
  restarted.on_partitions_assigned({{"caselink.referral.v1", 2}});
  EXPECT_EQ(overdue_in(restarted.on_tick(clock.now())), 0);
  restarted.handle(other_at("2026-03-05T17:00:00Z"));  // watermark reaches the due instant
  restarted.on_transaction_committed();
  EXPECT_EQ(overdue_in(restarted.on_tick(clock.now())), 1);
  restarted.on_transaction_committed();
  EXPECT_EQ(overdue_in(restarted.on_tick(clock.now())), 0) << "once";
}

TEST_F(HandlerFixture, WallClockModeIgnoresEventTimeForTimers) {
  SyncHandler h(engine, settings, clock, &reader, nullptr);  // default: wall_clock
  h.on_partitions_assigned({{"caselink.referral.v1", 2}});
  h.handle(input(referral()));
  h.handle(input(accepted()));
  h.handle(input(test::make("case-B", at("2026-06-01T00:00:00Z"), [](v1::Envelope& e) {
    auto* p = e.mutable_case_referral();
    *p->mutable_referring_agency() = organ("rsj-330100");
  })));
  h.on_transaction_committed();
  for (const auto& o : h.on_tick(clock.now())) EXPECT_NE(o.topic, "caselink.alert.v1");
}

TEST(SyncSettings, WallClockIsTheDefaultTimeMode) {
  EXPECT_EQ(Settings{}.time_mode, kWallClock);
  // Never the default in production: the shipped config, the template for production configs,
  // does not select event time (scripts/run.sh selects it for the local scenario by environment).
  const char* src = std::getenv("CASELINK_SOURCE_DIR");
  std::ifstream in(std::string(src != nullptr ? src : ".") + "/deploy/config/case-sync.yaml");
  ASSERT_TRUE(in.good()) << "deploy/config/case-sync.yaml not found";
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str().find("event_time"), std::string::npos);
  EXPECT_EQ(text.str().find("time_mode"), std::string::npos);
}

TEST_F(HandlerFixture, ParkedEventSurvivesRestoreFromTheStateTopic) {
  FakeReader state;
  {
    SyncHandler h(engine, settings, clock, &state, nullptr);
    h.on_partitions_assigned({{"caselink.referral.v1", 2}});
    publish(state, h.handle(input(referral())));
    publish(state, h.handle(input(filed(clock))));
    h.on_transaction_committed();
  }
  SyncHandler restarted(engine, settings, clock, &state, nullptr);
  restarted.on_partitions_assigned({{"caselink.referral.v1", 2}});
  ASSERT_EQ(restarted.committed_case("case-A")->internal.parked.size(), 1U);
  restarted.handle(input(accepted()));
  restarted.on_transaction_committed();
  EXPECT_EQ(restarted.committed_case("case-A")->snapshot.state(), v1::CASE_STATE_FILED);
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

namespace caselink::sync {
namespace {

// A long case (issue 14 §3): the supplement requests' deadlines close with their answers and
// leave the snapshot, but every recommendation nobody answers keeps its open reply deadline
// (with its citation, about 556 bytes) and its summary, so the snapshot grows with them (about
// 200 bytes per event of this mix). Past sync.max_state_record_bytes an event is dead-lettered instead of producing a state
// record the broker would refuse (and the loop would retry for ever); the case keeps its state.
TEST_F(HandlerFixture, AnEventThatWouldOutgrowTheStateRecordLimitIsDeadLetteredAndTheCaseKeepsItsState) {
  settings.max_state_record_bytes = 16 * 1024;
  SyncHandler h(engine, settings, clock, &reader, nullptr);
  h.on_partitions_assigned({{"caselink.referral.v1", 2}});
  h.handle(input(referral()));
  h.handle(input(accepted()));
  h.on_transaction_committed();
  auto step = [&](int i) {
    clock.advance(std::chrono::seconds(1));
    return test::make("case-A", clock.now(), [&](v1::Envelope& e) {
      if (i % 3 == 0) {
        *e.mutable_materials_supplement_requested()->mutable_police_organ() = organ("ga-330100");
      } else if (i % 3 == 1) {
        e.mutable_materials_supplemented()->set_note("supplied");
      } else {
        auto* r = e.mutable_recommendation_issued();
        r->set_recommendation_id("rec-" + std::to_string(i));
        *r->mutable_procuratorate() = organ("jcy-330100");
        *r->mutable_recipient() = organ("sthjj-330100");
        envelope::set_timestamp(r->mutable_received_at(), clock.now());
      }
    }, i % 3 == 1 ? "rsj-330100" : "");
  };
  int refused_at = -1;
  size_t largest = 0;
  for (int i = 0; i < 1000 && refused_at < 0; ++i) {
    auto r = h.handle(input(step(i)));
    h.on_transaction_committed();
    for (const auto& o : r.outputs) {
      if (o.topic == settings.state_topic) largest = std::max(largest, record_bytes(o));
    }
    if (r.dead_letter) {
      ASSERT_EQ(r.dead_letter->error_class, kStateTooLarge) << "event " << i << ": " << r.dead_letter->message;
      EXPECT_TRUE(r.outputs.empty()) << "no state record, no alert for a refused event";
      EXPECT_NE(r.dead_letter->message.find("sync.max_state_record_bytes (16384)"), std::string::npos);
      refused_at = i;
    }
  }
  ASSERT_GT(refused_at, 10) << "the limit is reached by a long history, not at once";
  EXPECT_LE(largest, 16u * 1024) << "no state record over the limit was ever produced";
  const uint64_t version = h.committed_case("case-A")->snapshot.version();
  // The case is not stuck: a later event is answered (refused the same way), nothing changes.
  auto again = h.handle(input(step(refused_at)));
  ASSERT_TRUE(again.dead_letter.has_value());
  EXPECT_EQ(again.dead_letter->error_class, kStateTooLarge);
  EXPECT_EQ(h.committed_case("case-A")->snapshot.version(), version);
  // Other cases go on.
  auto other = test::make("case-B", clock.now(), [](v1::Envelope& e) {
    auto* p = e.mutable_case_referral();
    *p->mutable_referring_agency() = organ("rsj-330100");
    *p->mutable_target_police_organ() = organ("ga-330100");
  });
  EXPECT_FALSE(h.handle(input(other)).dead_letter.has_value());
}

// A parked event is stored whole in its case's record: a large early event is refused rather
// than parked into a record the broker would refuse.
TEST_F(HandlerFixture, AnEarlyEventTooLargeToParkIsDeadLetteredNotParked) {
  settings.max_state_record_bytes = 16 * 1024;
  SyncHandler h(engine, settings, clock, &reader, nullptr);
  h.on_partitions_assigned({{"caselink.referral.v1", 2}});
  h.handle(input(referral()));
  h.on_transaction_committed();
  auto early = test::make("case-A", clock.now(), [](v1::Envelope& e) {
    e.mutable_materials_supplemented()->set_note(std::string(20 * 1024, 'x'));
  }, "rsj-330100");
  auto r = h.handle(input(early));
  ASSERT_TRUE(r.dead_letter.has_value());
  EXPECT_EQ(r.dead_letter->error_class, kStateTooLarge);
  h.on_transaction_committed();
  EXPECT_TRUE(h.committed_case("case-A")->internal.parked.empty());
}

TEST(SyncSettings, DefaultStateRecordLimitIsBelowTheBrokersMaxMessageBytes) {
  Settings s;
  EXPECT_EQ(s.max_state_record_bytes, 786432);
  EXPECT_LT(s.max_state_record_bytes, 1048588) << "below the broker's default max.message.bytes";
}

}  // namespace
}  // namespace caselink::sync

namespace caselink::sync {
namespace {

// Kept across a rebalance (issue 19, takeover): an eager rebalance revokes every partition and
// gives most straight back; those are caught up from the stable offset at the revoke, not read whole.
struct KeepAcrossRebalance : HandlerFixture {
  KeepAcrossRebalance() { reader.offsets = true; }
  const kafka::TopicPartition p2{"caselink.referral.v1", 2};
  const kafka::TopicPartition p3{"caselink.referral.v1", 3};
  // Case A referred and committed by `h`, its state record on the fake topic.
  void refer(SyncHandler& h) {
    publish(reader, h.handle(input(referral())));
    h.on_transaction_committed();
  }
};

TEST_F(KeepAcrossRebalance, APartitionGivenStraightBackIsCaughtUpFromTheStableOffsetAtTheRevoke) {
  SyncHandler h(engine, settings, clock, &reader, nullptr);
  h.on_partitions_assigned({p2});
  refer(h);
  h.on_partitions_revoked({p2});
  EXPECT_EQ(h.case_count(), 0U);
  EXPECT_EQ(h.resident_bytes(), 0U) << "kept cases are not the committed view";
  // Meanwhile another owner had the partition and accepted the referral.
  {
    SyncHandler other(engine, settings, clock, &reader, nullptr);
    other.on_partitions_assigned({p2});
    publish(reader, other.handle(input(accepted())));
    other.on_transaction_committed();
  }
  ASSERT_EQ(reader.whole_reads, 2);
  h.on_partitions_assigned({p2});
  EXPECT_EQ(reader.whole_reads, 2) << "a kept partition was read whole";
  ASSERT_EQ(reader.reads_from, 1);
  EXPECT_EQ(reader.last_from, (kafka::ChangelogReader::Offsets{{2, 1}})) << "not the stable offset at the revoke";
  const auto c = h.committed_case("case-A");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->snapshot.version(), 2U) << "the other owner's commit was not caught up";
  EXPECT_EQ(c->snapshot.state(), v1::CASE_STATE_ACCEPTED);
  // Kept once more with nothing new to read: the accounting comes back to exactly the same bytes.
  const size_t caught_up_bytes = h.resident_bytes();
  h.on_partitions_revoked({p2});
  EXPECT_EQ(h.resident_bytes(), 0U);
  h.on_partitions_assigned({p2});
  EXPECT_EQ(h.resident_bytes(), caught_up_bytes) << "kept cases counted twice or not at all";
  EXPECT_EQ(reader.reads_from, 2);
  // And it goes on from there: the next event is applied on top of the caught-up version.
  auto r = h.handle(input(filed(clock)));
  ASSERT_FALSE(r.dead_letter.has_value());
  h.on_transaction_committed();
  EXPECT_EQ(h.committed_case("case-A")->snapshot.version(), 3U);
}

TEST_F(KeepAcrossRebalance, APartitionNotGivenBackIsDroppedAndLaterReadWhole) {
  SyncHandler h(engine, settings, clock, &reader, nullptr);
  h.on_partitions_assigned({p2});
  refer(h);
  h.on_partitions_revoked({p2});
  h.on_partitions_assigned({p3});
  EXPECT_EQ(h.case_count(), 0U);
  h.on_partitions_revoked({p3});
  h.on_partitions_assigned({p2});
  EXPECT_EQ(reader.reads_from, 0) << "caught up from a keep that should have been dropped";
  EXPECT_EQ(reader.whole_reads, 3);
  EXPECT_TRUE(h.committed_case("case-A").has_value());
}

TEST_F(KeepAcrossRebalance, AnUncertainCommitReadsEveryPartitionWhole) {
  SyncHandler h(engine, settings, clock, &reader, nullptr);
  h.on_partitions_assigned({p2});
  refer(h);
  h.on_state_uncertain({p2});
  EXPECT_EQ(reader.reads_from, 0);
  EXPECT_EQ(reader.whole_reads, 2);
  EXPECT_TRUE(h.committed_case("case-A").has_value());
}

TEST_F(KeepAcrossRebalance, ACatchUpThatFailsReadsThePartitionWhole) {
  SyncHandler h(engine, settings, clock, &reader, nullptr);
  h.on_partitions_assigned({p2});
  refer(h);
  h.on_partitions_revoked({p2});
  reader.fail_read_from = true;
  h.on_partitions_assigned({p2});
  EXPECT_EQ(reader.whole_reads, 2);
  ASSERT_TRUE(h.committed_case("case-A").has_value());
  EXPECT_EQ(h.case_count(), 1U);
}

TEST_F(KeepAcrossRebalance, ATruncatedStateTopicIsReadWhole) {
  SyncHandler h(engine, settings, clock, &reader, nullptr);
  h.on_partitions_assigned({p2});
  refer(h);
  h.on_partitions_revoked({p2});
  reader.records.clear();  // the topic was recreated: the stable offset at the revoke is past its end
  h.on_partitions_assigned({p2});
  EXPECT_EQ(reader.whole_reads, 2);
  EXPECT_FALSE(h.committed_case("case-A").has_value()) << "a case kept from a topic that no longer has it";
}

// A lost assignment (session expired, consumer fenced): another member may have written the
// partition before this one heard of it, below any stable offset asked now. Nothing is kept.
TEST_F(KeepAcrossRebalance, ALostPartitionIsNotKeptAndIsReadWholeWhenItComesBack) {
  SyncHandler h(engine, settings, clock, &reader, nullptr);
  h.on_partitions_assigned({p2});
  refer(h);
  {
    SyncHandler other(engine, settings, clock, &reader, nullptr);  // took it over meanwhile
    other.on_partitions_assigned({p2});
    publish(reader, other.handle(input(accepted())));
    other.on_transaction_committed();
  }
  h.on_partitions_lost({p2});
  EXPECT_EQ(h.case_count(), 0U);
  h.on_partitions_assigned({p2});
  EXPECT_EQ(reader.reads_from, 0) << "a lost partition was caught up from an offset asked after the loss";
  EXPECT_EQ(reader.whole_reads, 3);
  EXPECT_EQ(h.committed_case("case-A")->snapshot.version(), 2U);
}

TEST_F(KeepAcrossRebalance, WithoutStableOffsetsNothingIsKept) {
  reader.offsets = false;
  SyncHandler h(engine, settings, clock, &reader, nullptr);
  h.on_partitions_assigned({p2});
  refer(h);
  h.on_partitions_revoked({p2});
  h.on_partitions_assigned({p2});
  EXPECT_EQ(reader.whole_reads, 2);
  EXPECT_TRUE(h.committed_case("case-A").has_value());
}

}  // namespace
}  // namespace caselink::sync

namespace caselink::sync {
namespace {

// The restore's fold: the highest version wins; a stale record read after it changes nothing,
// an unusable one is skipped.
TEST_F(HandlerFixture, ARestoreKeepsEachCasesHighestVersionAndIgnoresAStaleRecordReadAfterIt) {
  {
    SyncHandler h(engine, settings, clock, &reader, nullptr);
    h.on_partitions_assigned({{"caselink.referral.v1", 2}});
    publish(reader, h.handle(input(referral())));
    publish(reader, h.handle(input(accepted())));
    h.on_transaction_committed();
  }
  ASSERT_EQ(reader.records.size(), 2U);
  auto stale = reader.records[0];  // version 1 again, after version 2
  stale.offset = 2;
  reader.records.push_back(stale);
  auto garbage = reader.records[1];
  garbage.offset = 3;
  garbage.value = "not an envelope";
  reader.records.push_back(garbage);
  SyncHandler restarted(engine, settings, clock, &reader, nullptr);
  restarted.on_partitions_assigned({{"caselink.referral.v1", 2}});
  const auto c = restarted.committed_case("case-A");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->snapshot.version(), 2U);
  EXPECT_EQ(c->snapshot.state(), v1::CASE_STATE_ACCEPTED);
  EXPECT_EQ(restarted.case_count(), 1U);
}

}  // namespace
}  // namespace caselink::sync

namespace caselink::sync {
namespace {

// Standby replicas (issue 19, takeover): the partitions another instance owns are folded as their
// state records are committed; an assignment takes them and reads only what came after.
struct Standby : HandlerFixture {
  Standby() {
    reader.offsets = true;
    settings.standby_replicas = true;
  }
  const kafka::TopicPartition p2{"caselink.referral.v1", 2};
  const kafka::TopicPartition p3{"caselink.referral.v1", 3};
  // Replicas on their own, packing with their own codec.
  ResidentCodec codec;
  StandbyReplicas replicas{[this](const CaseRecord& r) {
    return ResidentCase{codec.pack(r), r.snapshot.version(), TimePoint::max(), 0};
  }};
  // `owner` (no standby) refers case A on partition 2 and commits: the record is on the fake topic.
  void owner_refers(SyncHandler& owner) {
    owner.on_partitions_assigned({p2});
    publish(reader, owner.handle(input(referral())));
    owner.on_transaction_committed();
  }
};

TEST_F(Standby, TakeoverCatchesUpFromWhereTheReplicasFolded) {
  Settings plain = settings;
  plain.standby_replicas = false;
  SyncHandler owner(engine, plain, clock, &reader, nullptr);
  SyncHandler h(engine, settings, clock, &reader, nullptr);
  ASSERT_NE(h.standby(), nullptr);
  h.on_partitions_assigned({p3});
  EXPECT_EQ(reader.whole_reads, 1);
  h.standby()->partition_count(4);
  EXPECT_EQ(h.standby()->plan().from, (std::map<int32_t, int64_t>{{0, 0}, {1, 0}, {2, 0}})) << "follows an owned one";
  owner_refers(owner);
  for (const auto& r : reader.records) h.standby()->apply(h.standby()->generation(), r);
  EXPECT_EQ(h.standby()->case_count(), 1U);
  // The owner accepts the referral and dies before the replicas read that record.
  publish(reader, owner.handle(input(accepted())));
  owner.on_transaction_committed();
  h.on_partitions_assigned({p2});
  EXPECT_EQ(reader.whole_reads, 2) << "the owner's restore and h's own partition only";
  ASSERT_EQ(reader.reads_from, 1);
  EXPECT_EQ(reader.last_from, (kafka::ChangelogReader::Offsets{{2, 1}})) << "not where the replicas stopped";
  const auto c = h.committed_case("case-A");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->snapshot.version(), 2U);
  EXPECT_EQ(c->snapshot.state(), v1::CASE_STATE_ACCEPTED);
  EXPECT_EQ(h.case_count(), 1U);
  EXPECT_EQ(h.standby()->case_count(), 0U);
  EXPECT_EQ(h.standby()->plan().from.count(2), 0U) << "an owned partition still followed";
  h.standby()->apply(h.standby()->generation(), reader.records.back());
  EXPECT_EQ(h.standby()->case_count(), 0U) << "a record of an owned partition folded";
  // The handed-over case goes on: the next event is applied on top of it.
  ASSERT_FALSE(h.handle(input(filed(clock))).dead_letter.has_value());
  h.on_transaction_committed();
  EXPECT_EQ(h.committed_case("case-A")->snapshot.version(), 3U);
}

TEST_F(Standby, APartitionLetGoIsFollowedFromWhereItsKeptCasesReach) {
  SyncHandler h(engine, settings, clock, &reader, nullptr);
  h.on_partitions_assigned({p2});
  publish(reader, h.handle(input(referral())));
  h.on_transaction_committed();
  h.on_partitions_revoked({p2});
  EXPECT_EQ(h.standby()->plan().from.count(2), 0U) << "kept, so not followed yet";
  h.on_partitions_assigned({p3});  // 2 went to another instance
  EXPECT_EQ(h.standby()->plan().from.at(2), 1) << "not from the stable offset at the revoke";
  EXPECT_EQ(h.standby()->case_count(), 1U) << "the kept case was not handed to the replicas";
  // A lost partition is followed from the beginning: this instance's view of it is in doubt.
  h.on_partitions_lost({p3});
  EXPECT_EQ(h.standby()->plan().from.at(3), 0);
  // Given back: nothing folded on 3, so it is read whole; 2 is caught up from the kept offset.
  h.on_partitions_assigned({p2, p3});
  EXPECT_EQ(reader.last_from, (kafka::ChangelogReader::Offsets{{2, 1}}));
  EXPECT_TRUE(h.committed_case("case-A").has_value());
  EXPECT_TRUE(h.standby()->plan().from.empty());
}

TEST_F(Standby, TheFoldKeepsTheHighestVersion) {
  SyncHandler owner(engine, settings, clock, &reader, nullptr);
  owner_refers(owner);
  publish(reader, owner.handle(input(accepted())));
  owner.on_transaction_committed();
  replicas.partition_count(3);
  for (const auto& r : reader.records) replicas.apply(replicas.generation(), r);
  // A fenced former owner's late record of version 1, after version 2.
  ConsumedRecord stale = reader.records.front();
  stale.offset = 2;
  replicas.apply(replicas.generation(), stale);
  replicas.apply(replicas.generation(), reader.records.front());  // below the next offset: already folded
  auto taken = replicas.take(2);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->next_offset, 3);
  ASSERT_EQ(taken->cases.count("case-A"), 1U);
  EXPECT_EQ(taken->cases.at("case-A").version, 2U);
  CaseRecord unpacked;
  ASSERT_TRUE(codec.unpack(taken->cases.at("case-A").packed, &unpacked));
  EXPECT_EQ(unpacked.snapshot.state(), v1::CASE_STATE_ACCEPTED);
  EXPECT_EQ(replicas.plan().from, (std::map<int32_t, int64_t>{{0, 0}, {1, 0}}));
}

// A reader of an older plan may still hand out records of a partition that was taken and
// released again meanwhile: folding them, or moving to its position, would skip what the new
// plan has to read from its own offset.
TEST_F(Standby, WhatAReaderOfAnOlderPlanHandsOutIsNotFolded) {
  SyncHandler owner(engine, settings, clock, &reader, nullptr);
  owner_refers(owner);
  replicas.partition_count(3);
  const uint64_t stale = replicas.generation();
  ASSERT_TRUE(replicas.take(2).has_value());
  replicas.release(2);  // lost meanwhile: followed again from the beginning
  ConsumedRecord late = reader.records.front();
  late.offset = 5;
  replicas.apply(stale, late);
  replicas.advance(stale, 2, 7);
  EXPECT_EQ(replicas.plan().from.at(2), 0) << "the new plan would start past records it never folded";
  EXPECT_EQ(replicas.case_count(), 0U);
  replicas.apply(replicas.generation(), reader.records.front());
  EXPECT_EQ(replicas.case_count(), 1U);
}

}  // namespace
}  // namespace caselink::sync
