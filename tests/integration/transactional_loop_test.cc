// The shared transactional loop on the real broker: each input is committed exactly once
// together with its output, and a malformed record lands on the DLQ with its provenance
// headers while the loop carries on.

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

  kafka::KafkaSettings kafka;
  kafka.bootstrap = *bootstrap;
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

}  // namespace
}  // namespace caselink
