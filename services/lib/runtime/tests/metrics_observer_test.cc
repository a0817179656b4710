// The loop's events and librdkafka's statistics reach the service's /metrics under the
// documented names (docs/services/passthrough.md "Metrics").
#include "services/lib/runtime/metrics_observer.h"

#include <gtest/gtest.h>

#include <string>

namespace caselink::runtime {
namespace {

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

TEST(MetricsLoopObserver, CommitTimeAndEventAgeAreHistograms) {
  metrics::Registry registry;
  metrics::ServiceMetrics service(registry, "svc");
  MetricsLoopObserver observer(service);
  observer.commit_seconds(0.02);
  observer.event_age_seconds("caselink.referral.v1", 42.0);
  const std::string text = registry.render();
  EXPECT_TRUE(contains(text, "caselink_transaction_commit_duration_seconds_bucket{service=\"svc\",le=\"0.025\"} 1\n"))
      << text;
  EXPECT_TRUE(contains(text, "caselink_transaction_commit_duration_seconds_bucket{service=\"svc\",le=\"0.01\"} 0\n"));
  EXPECT_TRUE(contains(text,
                       "caselink_event_age_seconds_bucket{service=\"svc\",topic=\"caselink.referral.v1\",le=\"30\"} 0\n"));
  EXPECT_TRUE(contains(text,
                       "caselink_event_age_seconds_bucket{service=\"svc\",topic=\"caselink.referral.v1\",le=\"60\"} 1\n"));
}

TEST(MetricsLoopObserver, ClientStatisticsBecomeKafkaGauges) {
  metrics::Registry registry;
  metrics::ServiceMetrics service(registry, "svc");
  MetricsLoopObserver observer(service);
  kafka::ClientStatistics stats;
  stats.type = "consumer";
  stats.reply_queue_events = 2;
  stats.brokers.push_back({"127.0.0.1:19710/1", 1, true, 0.0015, 0.025, 3, 1});
  stats.partitions.push_back({"caselink.referral.v1", 0, 12, 4});
  stats.partitions.push_back({"caselink.other.v1", 0, -1, 0});  // known, not consumed
  observer.client_statistics(stats);
  const std::string text = registry.render();
  for (const char* sample : {
           "caselink_kafka_broker_up{service=\"svc\",client=\"consumer\",broker=\"127.0.0.1:19710/1\"} 1\n",
           "caselink_kafka_broker_rtt_avg_seconds{service=\"svc\",client=\"consumer\",broker=\"127.0.0.1:19710/1\"} "
           "0.0015\n",
           "caselink_kafka_broker_rtt_p99_seconds{service=\"svc\",client=\"consumer\",broker=\"127.0.0.1:19710/1\"} "
           "0.025\n",
           "caselink_kafka_broker_outbuf_requests{service=\"svc\",client=\"consumer\",broker=\"127.0.0.1:19710/1\"} 3\n",
           "caselink_kafka_broker_waitresp_requests{service=\"svc\",client=\"consumer\",broker=\"127.0.0.1:19710/1\"} "
           "1\n",
           "caselink_kafka_reply_queue_events{service=\"svc\",client=\"consumer\"} 2\n",
           "caselink_kafka_fetch_queue_messages{service=\"svc\",topic=\"caselink.referral.v1\",partition=\"0\"} 4\n",
       }) {
    EXPECT_TRUE(contains(text, sample)) << sample << "\n" << text;
  }
  EXPECT_FALSE(contains(text, "caselink.other.v1")) << text;
}

TEST(MetricsLoopObserver, StatisticsWithoutAClientTypeAreNotExported) {
  metrics::Registry registry;
  metrics::ServiceMetrics service(registry, "svc");
  kafka::ClientStatistics stats;
  stats.brokers.push_back({"b:1/1", 1, true, 0, 0, 0, 0});
  export_client_statistics(service, stats);
  EXPECT_FALSE(contains(registry.render(), "caselink_kafka_broker_up{")) << registry.render();
}

}  // namespace
}  // namespace caselink::runtime
