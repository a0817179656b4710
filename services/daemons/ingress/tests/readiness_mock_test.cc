// /readyz through a broker outage in the middle of a run (issue 13 coverage): the real
// IdempotentProducer behind RecoveringProducer, against librdkafka's mock cluster whose broker
// is taken down and brought back. Readiness must follow: ready, not ready while down, ready
// again once it is back (each waited for with a deadline, no timing claim).
#include <gtest/gtest.h>

#include <thread>

#include "services/daemons/ingress/recovering_producer.h"
#include "tests/support/mock_cluster.h"

namespace caselink::ingress {
namespace {

template <typename Condition>
bool eventually(Condition condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling interval
  }
  return true;
}

TEST(ReadinessDuringOutage, FollowsTheBrokerDownAndBackUp) {
  caselink::testing::MockCluster cluster;
  cluster.create_topic("t", 1);
  kafka::KafkaSettings settings;
  settings.bootstrap = cluster.bootstrap();
  settings.statistics_interval_ms = 200;
  settings.message_timeout_ms = 5000;
  RecoveringProducer producer([&]() -> Result<std::unique_ptr<ProducerPort>> {
    auto made = kafka::make_idempotent_producer(settings, "readiness-test");
    if (!made.ok()) {
      return made.error();
    }
    return wrap(std::move(*made));
  });
  ASSERT_TRUE(producer.start().ok());
  ASSERT_TRUE(eventually([&] { return producer.health().ready; })) << producer.health().reason;

  rd_kafka_mock_broker_set_down(cluster.cluster(), 1);
  ASSERT_TRUE(eventually([&] { return !producer.health().ready; })) << "still ready with the broker down";
  EXPECT_FALSE(producer.health().broker_connected);

  rd_kafka_mock_broker_set_up(cluster.cluster(), 1);
  EXPECT_TRUE(eventually([&] { return producer.health().ready; })) << producer.health().reason;
  EXPECT_EQ(producer.generation(), 1) << "an outage is not a fatal error: same producer";
}

}  // namespace
}  // namespace caselink::ingress
