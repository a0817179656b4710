// librdkafka's statistics document, cut down to the fields caselink exports (the shape follows
// librdkafka 2.0 STATISTICS.md; extra fields of other versions are ignored).
#include "services/lib/kafka/statistics.h"

#include <gtest/gtest.h>

namespace caselink::kafka {
namespace {

constexpr const char* kConsumerStats = R"({
  "name": "caselink-sync-consumer-0#consumer-1", "type": "consumer", "ts": 1, "time": 2,
  "replyq": 3, "msg_cnt": 0, "msg_size": 0,
  "brokers": {
    "127.0.0.1:19710/bootstrap": {"name": "127.0.0.1:19710/bootstrap", "nodeid": -1, "state": "UP",
                                  "outbuf_cnt": 0, "waitresp_cnt": 0, "rtt": {"avg": 0, "p99": 0}},
    "127.0.0.1:19710/1": {"name": "127.0.0.1:19710/1", "nodeid": 1, "state": "UP",
                          "outbuf_cnt": 2, "waitresp_cnt": 1, "rtt": {"min": 100, "avg": 1500, "p99": 25000}},
    "127.0.0.1:19711/2": {"name": "127.0.0.1:19711/2", "nodeid": 2, "state": "DOWN",
                          "outbuf_cnt": 0, "waitresp_cnt": 0}
  },
  "topics": {
    "caselink.referral.v1": {"topic": "caselink.referral.v1", "partitions": {
      "0": {"partition": 0, "consumer_lag": 12, "fetchq_cnt": 4},
      "1": {"partition": 1, "consumer_lag": -1, "fetchq_cnt": 0},
      "-1": {"partition": -1, "consumer_lag": -1, "fetchq_cnt": 0}
    }}
  }
})";

TEST(ClientStatistics, ParsesBrokersQueuesAndPartitions) {
  auto stats = parse_statistics(kConsumerStats);
  ASSERT_TRUE(stats.ok()) << stats.error().describe();
  EXPECT_EQ(stats->type, "consumer");
  EXPECT_EQ(stats->reply_queue_events, 3);
  // The bootstrap placeholder is not a broker of the cluster.
  ASSERT_EQ(stats->brokers.size(), 2u);
  const BrokerStatistics& up = stats->brokers[0].node_id == 1 ? stats->brokers[0] : stats->brokers[1];
  const BrokerStatistics& down = stats->brokers[0].node_id == 1 ? stats->brokers[1] : stats->brokers[0];
  EXPECT_EQ(up.name, "127.0.0.1:19710/1");
  EXPECT_TRUE(up.up);
  EXPECT_DOUBLE_EQ(up.rtt_avg_seconds, 0.0015);  // microseconds -> seconds
  EXPECT_DOUBLE_EQ(up.rtt_p99_seconds, 0.025);
  EXPECT_EQ(up.outbuf_requests, 2);
  EXPECT_EQ(up.waitresp_requests, 1);
  EXPECT_FALSE(down.up);
  EXPECT_DOUBLE_EQ(down.rtt_avg_seconds, 0);  // no rtt window: 0, not an error
  EXPECT_TRUE(stats->any_broker_up());
  // The internal -1 partition is dropped; an unknown lag stays -1.
  ASSERT_EQ(stats->partitions.size(), 2u);
  EXPECT_EQ(stats->partitions[0].topic, "caselink.referral.v1");
  EXPECT_EQ(stats->partitions[0].partition, 0);
  EXPECT_EQ(stats->partitions[0].consumer_lag, 12);
  EXPECT_EQ(stats->partitions[0].fetch_queue_messages, 4);
  EXPECT_EQ(stats->partitions[1].consumer_lag, -1);
}

TEST(ClientStatistics, ProducerQueuesAndNoBrokerUp) {
  auto stats = parse_statistics(R"({"type": "producer", "msg_cnt": 7, "msg_size": 2048,
      "brokers": {"b:1/1": {"nodeid": 1, "state": "CONNECT"}}})");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->queue_messages, 7);
  EXPECT_EQ(stats->queue_bytes, 2048);
  EXPECT_EQ(stats->brokers.at(0).name, "b:1/1");  // the key names the broker when "name" is absent
  EXPECT_FALSE(stats->any_broker_up());
  EXPECT_TRUE(stats->partitions.empty());
}

TEST(ClientStatistics, RefusesWhatIsNotAStatisticsObject) {
  EXPECT_FALSE(parse_statistics("").ok());
  EXPECT_FALSE(parse_statistics("{\"type\": \"consumer\"").ok());
  EXPECT_FALSE(parse_statistics("[1, 2]").ok());
  // A field of the wrong type is an error, not a crash.
  EXPECT_FALSE(parse_statistics(R"({"type": "consumer", "msg_cnt": "many"})").ok());
  EXPECT_FALSE(parse_statistics(R"({"brokers": {"b/1": {"nodeid": "one"}}})").ok());
}

}  // namespace
}  // namespace caselink::kafka
