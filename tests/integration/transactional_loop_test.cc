// The shared transactional loop on the real broker: each input is committed exactly once
// together with its output, and a malformed record lands on the DLQ with its provenance
// headers while the loop carries on; a revoke that finds nothing open is still proven.

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/dlq.h"
#include "services/lib/kafka/producer.h"
#include "services/lib/kafka/transactional_loop.h"
#include "services/daemons/passthrough/handler.h"
#include "tests/support/kafka_test_env.h"

namespace caselink {
namespace {

TEST(TransactionalLoopIntegration, EachInputExactlyOnceAndGarbageToDlq) {
  auto bootstrap = testing::kafka_bootstrap();
  if (!bootstrap) {
    GTEST_SKIP() << "CASELINK_KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
  }
  const std::string in = testing::unique_name("it.loop.in");
  const std::string out = testing::unique_name("it.loop.out");
  const std::string dlq = testing::unique_name("it.loop.dlq");
  ASSERT_TRUE(testing::create_topics(*bootstrap, {in, out}, 3).ok());
  ASSERT_TRUE(testing::create_topics(*bootstrap, {dlq}, 1).ok());

  kafka::KafkaSettings kafka = testing::kafka_settings(*bootstrap);
  constexpr uint64_t kValid = 1000;
  {
    auto producer = kafka::make_idempotent_producer(kafka, "seeder");
    ASSERT_TRUE(producer.ok());
    SystemClock clock;
    for (uint64_t i = 0; i < kValid; ++i) {
      if (i == 10 || i == 500 || i == 999) {
        // Malformed records in the middle of the stream, on the same keys as good ones.
        auto bad = (*producer)->send(OutgoingRecord{in, "case-" + std::to_string(i % 13),
                                                    std::string("\x0a\xff\xff garbage ") + std::to_string(i),
                                                    {{"origin", "test"}}});
        ASSERT_TRUE(bad.ok());
      }
      v1::Envelope env = envelope::make_envelope(CaseId("case-" + std::to_string(i % 13)), AgencyId("a"),
                                                 clock.now(), clock.now());
      env.mutable_probe()->set_sequence(i);
      envelope::seal(env);
      ASSERT_TRUE((*producer)->send(envelope::to_record(env, in)).ok());
    }
  }

  kafka::LoopSettings loop;
  loop.group_id = testing::unique_name("it.loop.group");
  loop.input_topics = {in};
  loop.dlq_topic = dlq;
  loop.commit_every_records = 100;
  loop.commit_every_ms = 200;
  passthrough::PassthroughHandler handler({out, /*validate_envelopes=*/true});
  SystemClock clock;
  kafka::TransactionalLoop transactional_loop(kafka, loop, "caselink-passthrough", handler, nullptr, clock);
  std::atomic<bool> stop{false};
  Status result;
  std::thread runner([&] { result = transactional_loop.run(stop); });

  // Once the loop has committed the offsets of every input (1003 records), every output and DLQ
  // record is committed with them: read both to their end, so a duplicate anywhere shows.
  const bool caught_up = testing::wait_caught_up(*bootstrap, loop.group_id, {in}, std::chrono::seconds(90));
  const int64_t committed_total = testing::committed_total(*bootstrap, loop.group_id, in, 3);
  auto outputs = testing::read_topic(*bootstrap, out, testing::Isolation::kReadCommitted, 0, std::chrono::seconds(60));
  auto dead = testing::read_topic(*bootstrap, dlq, testing::Isolation::kReadCommitted, 0, std::chrono::seconds(30));
  stop.store(true);
  runner.join();
  ASSERT_TRUE(result.ok()) << result.error().describe();
  ASSERT_TRUE(caught_up) << "the loop did not commit every input within 90 s";

  std::map<uint64_t, int> seen;
  for (const auto& r : outputs) {
    auto env = envelope::decode(*r.value);
    ASSERT_TRUE(env.ok());
    seen[env->probe().sequence()]++;
  }
  EXPECT_EQ(outputs.size(), kValid);
  EXPECT_EQ(seen.size(), kValid);
  for (const auto& [sequence, count] : seen) {
    ASSERT_EQ(count, 1) << "sequence " << sequence << " duplicated";
  }
  EXPECT_EQ(committed_total, static_cast<int64_t>(kValid + 3)) << "input offsets not all committed";

  ASSERT_EQ(dead.size(), 3U);
  for (const auto& d : dead) {
    EXPECT_EQ(find_header(d.headers, kafka::kDlqOriginalTopic), in);
    EXPECT_TRUE(find_header(d.headers, kafka::kDlqOriginalPartition).has_value());
    EXPECT_TRUE(find_header(d.headers, kafka::kDlqOriginalOffset).has_value());
    EXPECT_TRUE(find_header(d.headers, kafka::kDlqOriginalTimestamp).has_value());
    EXPECT_EQ(find_header(d.headers, kafka::kDlqConsumerGroup), loop.group_id);
    EXPECT_EQ(find_header(d.headers, kafka::kDlqService), "caselink-passthrough");
    EXPECT_EQ(find_header(d.headers, kafka::kDlqErrorClass), "envelope.undecodable");
    EXPECT_TRUE(find_header(d.headers, kafka::kDlqErrorMessage).has_value());
    EXPECT_EQ(find_header(d.headers, kafka::kDlqAttempts), "1");
    EXPECT_TRUE(find_header(d.headers, kafka::kDlqFailedAt).has_value());
    EXPECT_EQ(find_header(d.headers, "origin"), "test") << "original headers must be kept";
    EXPECT_EQ(d.value->rfind("\x0a\xff\xff garbage ", 0), 0U) << "original value must be kept";
  }
}


// Copies every input to `out` and counts how the loop reports revocations.
struct RevokeCounter final : kafka::RecordHandler {
  explicit RevokeCounter(std::string out_topic) : out(std::move(out_topic)) {}
  kafka::HandlerResult handle(const ConsumedRecord& record) override {
    handled.fetch_add(1);
    kafka::HandlerResult result;
    result.outputs.push_back(OutgoingRecord{out, record.key.value_or(""), record.value.value_or(""), {}});
    return result;
  }
  void on_partitions_revoked(const std::vector<kafka::TopicPartition>&) override { revoked.fetch_add(1); }
  void on_partitions_lost(const std::vector<kafka::TopicPartition>&) override { lost.fetch_add(1); }
  std::string out;
  std::atomic<int> handled{0}, revoked{0}, lost{0};
};

// A member idle at a revoke (everything committed, no transaction open) has no offsets of its own
// to show that it still owned its partitions: the loop commits their committed offsets again in a
// transaction, which the group checks against the member's generation, so the revoke is reported
// as one (caselink-sync then keeps its cases) and the committed offsets stay where they were.
TEST(TransactionalLoopIntegration, IdleRevokeCommitsTheCommittedOffsetsAgainAndIsARevoke) {
  auto bootstrap = testing::kafka_bootstrap();
  if (!bootstrap) {
    GTEST_SKIP() << "CASELINK_KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
  }
  const std::string in = testing::unique_name("it.idle.in");
  const std::string out = testing::unique_name("it.idle.out");
  ASSERT_TRUE(testing::create_topics(*bootstrap, {in, out}, 3).ok());
  kafka::KafkaSettings kafka = testing::kafka_settings(*bootstrap);
  constexpr int kInputs = 30;
  {
    auto producer = kafka::make_idempotent_producer(kafka, "idle-seeder");
    ASSERT_TRUE(producer.ok());
    for (int i = 0; i < kInputs; ++i) {
      ASSERT_TRUE((*producer)->send(OutgoingRecord{in, "case-" + std::to_string(i), "v", {}}).ok());
    }
  }
  kafka::LoopSettings loop;
  loop.group_id = testing::unique_name("it.idle.group");
  loop.input_topics = {in};
  loop.dlq_topic = out;
  loop.partition_assignment_strategy = "range";  // eager, as caselink-sync: every rebalance revokes all
  loop.commit_every_ms = 100;
  SystemClock clock;
  RevokeCounter first(out);
  loop.instance_id = "a";  // two instances, two transactional ids (a shared one would fence a)
  kafka::TransactionalLoop a(kafka, loop, "idle-a", first, nullptr, clock);
  std::atomic<bool> stop_a{false};
  std::thread run_a([&] { (void)a.run(stop_a); });
  const bool caught_up = testing::wait_caught_up(*bootstrap, loop.group_id, {in}, std::chrono::seconds(60));
  // Every input committed and none left: a commit follows the last record within 100 ms and
  // nothing opens another transaction.
  const bool idle = caught_up && testing::wait_until([&] { return first.handled.load() == kInputs; },
                                                     std::chrono::seconds(10));
  // From here on, what a hears is b's join (an earlier rejoin of a alone would count otherwise).
  const int revoked_before = first.revoked.load();
  const int lost_before = first.lost.load();
  const uint64_t commits_before = a.committed_transactions();
  RevokeCounter second(out);
  loop.instance_id = "b";
  kafka::TransactionalLoop b(kafka, loop, "idle-b", second, nullptr, clock);
  std::atomic<bool> stop_b{false};
  std::thread run_b([&] { (void)b.run(stop_b); });
  const bool heard = testing::wait_until(
      [&] { return first.revoked.load() + first.lost.load() > revoked_before + lost_before; },
      std::chrono::seconds(60));
  const int revoked = first.revoked.load() - revoked_before;
  const int lost = first.lost.load() - lost_before;
  const uint64_t commits_at_revoke = a.committed_transactions() - commits_before;
  const int handled_after = first.handled.load();
  const int64_t committed = testing::committed_total(*bootstrap, loop.group_id, in, 3);
  stop_b.store(true);
  stop_a.store(true);
  run_b.join();
  run_a.join();
  ASSERT_TRUE(idle) << "the first member did not commit all " << kInputs << " inputs";
  ASSERT_TRUE(heard) << "the first member heard of no revoke after the second joined";
  EXPECT_EQ(revoked, 1);
  EXPECT_EQ(lost, 0) << "an idle revoke was reported as lost: nothing was committed to show the membership";
  EXPECT_EQ(commits_at_revoke, 1U) << "the revoke committed no transaction of its own: it was not idle";
  EXPECT_EQ(handled_after, kInputs) << "a handled records after the second member joined: it was not idle";
  EXPECT_EQ(committed, kInputs) << "committing the offsets again moved them";
}

// librdkafka 2.0.2 fetches a partition whose local queue was full again only when its broker
// thread wakes (about once a second when nothing else happens). Here each fetch brings one record
// and one record fills the queue, so without loop.wake_fetcher_every_ms the loop needs about a
// second per record (checked: 20 of the 60 inputs committed in the 20 s); with the wake-ups,
// well within the 20 s it is given.
TEST(TransactionalLoopIntegration, ABoundedReadAheadIsNotThrottledToAFetchASecond) {
  auto bootstrap = testing::kafka_bootstrap();
  if (!bootstrap) {
    GTEST_SKIP() << "CASELINK_KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
  }
  const std::string in = testing::unique_name("it.wake.in");
  const std::string out = testing::unique_name("it.wake.out");
  ASSERT_TRUE(testing::create_topics(*bootstrap, {in, out}, 1).ok());
  kafka::KafkaSettings kafka = testing::kafka_settings(*bootstrap);
  constexpr int kInputs = 60;
  {
    auto producer = kafka::make_idempotent_producer(kafka, "wake-seeder");
    ASSERT_TRUE(producer.ok());
    for (int i = 0; i < kInputs; ++i) {
      ASSERT_TRUE((*producer)->send(OutgoingRecord{in, "case-" + std::to_string(i), "v", {}}).ok());
    }
  }
  kafka.properties["max.partition.fetch.bytes"] = "1";  // one record per fetch
  kafka::LoopSettings loop;
  loop.group_id = testing::unique_name("it.wake.group");
  loop.input_topics = {in};
  loop.dlq_topic = out;
  loop.commit_every_ms = 100;
  loop.prefetch_messages = 1;  // one record fills the queue
  loop.prefetch_kbytes = 1;
  loop.wake_fetcher_every_ms = kafka::kWakeFetcherEvery.count();
  SystemClock clock;
  RevokeCounter copy(out);
  kafka::TransactionalLoop transactional_loop(kafka, loop, "wake", copy, nullptr, clock);
  std::atomic<bool> stop{false};
  std::thread runner([&] { (void)transactional_loop.run(stop); });
  const bool caught_up = testing::wait_caught_up(*bootstrap, loop.group_id, {in}, std::chrono::seconds(20));
  const int64_t committed = testing::committed_total(*bootstrap, loop.group_id, in, 1);
  stop.store(true);
  runner.join();
  EXPECT_TRUE(caught_up) << "60 inputs not committed within 20 s: " << committed << " were";
  EXPECT_EQ(copy.handled.load(), kInputs);
}

}  // namespace
}  // namespace caselink
