// Produce→consume round trip on the real broker: the idempotent producer's acknowledgements
// are real (partition, offset), every record comes back with its key, value and headers, and
// one case's events stay in order.

#include <gtest/gtest.h>

#include <map>

#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/producer.h"
#include "tests/support/kafka_test_env.h"

namespace caselink {
namespace {

TEST(KafkaRoundTrip, AcknowledgedRecordsComeBackInOrderPerCase) {
  auto bootstrap = testing::kafka_bootstrap();
  if (!bootstrap) {
    GTEST_SKIP() << "CASELINK_KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
  }
  const std::string topic = testing::unique_name("it.roundtrip");
  ASSERT_TRUE(testing::create_topics(*bootstrap, {topic}, 4).ok());

  kafka::KafkaSettings settings = testing::kafka_settings(*bootstrap);
  auto producer = kafka::make_idempotent_producer(settings, "roundtrip-test");
  ASSERT_TRUE(producer.ok()) << producer.error().describe();

  SystemClock clock;
  std::map<std::string, kafka::Delivery> acked;  // event id -> where the broker put it
  for (uint64_t i = 0; i < 200; ++i) {
    v1::Envelope env = envelope::make_envelope(CaseId("case-" + std::to_string(i % 10)), AgencyId("sthjj-330100"),
                                               clock.now(), clock.now());
    env.mutable_probe()->set_sequence(i);
    envelope::seal(env);
    auto delivery = (*producer)->send(envelope::to_record(env, topic));
    ASSERT_TRUE(delivery.ok()) << delivery.error().describe();
    EXPECT_GE(delivery->offset, 0);
    acked[env.event_id()] = *delivery;
  }

  auto records = testing::read_topic(*bootstrap, topic, testing::Isolation::kReadCommitted, 200,
                                     std::chrono::seconds(60));
  ASSERT_EQ(records.size(), 200U);
  std::map<std::string, uint64_t> last_sequence_per_case;
  std::map<std::string, int32_t> partition_of_case;
  for (const auto& r : records) {
    auto env = envelope::decode(*r.value);
    ASSERT_TRUE(env.ok()) << env.error().describe();
    ASSERT_EQ(r.key, env->case_id());
    EXPECT_EQ(find_header(r.headers, "ce_id"), env->event_id());
    EXPECT_EQ(find_header(r.headers, "ce_type"), "caselink.v1.Probe");
    const auto& where = acked.at(env->event_id());
    EXPECT_EQ(where.partition, r.partition);
    EXPECT_EQ(where.offset, r.offset);
    // Same case -> same partition -> increasing sequence.
    auto [it, inserted] = partition_of_case.emplace(env->case_id(), r.partition);
    EXPECT_EQ(it->second, r.partition);
    auto last = last_sequence_per_case.find(env->case_id());
    if (last != last_sequence_per_case.end()) {
      EXPECT_GT(env->probe().sequence(), last->second) << "case " << env->case_id() << " out of order";
    }
    last_sequence_per_case[env->case_id()] = env->probe().sequence();
  }
}

}  // namespace
}  // namespace caselink
