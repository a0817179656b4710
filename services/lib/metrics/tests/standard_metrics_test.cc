#include "services/lib/metrics/standard_metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace caselink::metrics {
namespace {

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(ServiceMetrics, RegistersTheStandardSetWithZeroes) {
  Registry r;
  ServiceMetrics m(r, "caselink-sync");
  const std::string text = r.render();
  for (const char* type_line : {
           "# TYPE caselink_messages_consumed_total counter\n",
           "# TYPE caselink_messages_produced_total counter\n",
           "# TYPE caselink_dlq_messages_total counter\n",
           "# TYPE caselink_transactions_total counter\n",
           "# TYPE caselink_processing_duration_seconds histogram\n",
           "# TYPE caselink_consumer_lag_messages gauge\n",
           "# TYPE caselink_broker_connected gauge\n",
           "# TYPE caselink_ready gauge\n",
           "# TYPE caselink_producer_recreated_total counter\n",
           "# TYPE caselink_consumer_replaced_total counter\n",
           "# TYPE caselink_dlq_write_failures_total counter\n",
           "# TYPE caselink_transaction_commit_duration_seconds histogram\n",
           "# TYPE caselink_event_age_seconds histogram\n",
           "# TYPE caselink_kafka_broker_rtt_avg_seconds gauge\n",
           "# TYPE caselink_kafka_queue_messages gauge\n",
           "# TYPE caselink_kafka_fetch_queue_messages gauge\n",
       }) {
    EXPECT_TRUE(contains(text, type_line)) << type_line << "\n" << text;
  }
  for (const char* sample : {
           "caselink_transactions_total{service=\"caselink-sync\",result=\"commit\"} 0\n",
           "caselink_transactions_total{service=\"caselink-sync\",result=\"abort\"} 0\n",
           "caselink_transactions_total{service=\"caselink-sync\",result=\"fatal\"} 0\n",
           "caselink_processing_duration_seconds_count{service=\"caselink-sync\"} 0\n",
           "caselink_broker_connected{service=\"caselink-sync\"} 0\n",
           "caselink_ready{service=\"caselink-sync\"} 0\n",
           "caselink_producer_recreated_total{service=\"caselink-sync\"} 0\n",
           "caselink_consumer_replaced_total{service=\"caselink-sync\"} 0\n",
           "caselink_dlq_write_failures_total{service=\"caselink-sync\"} 0\n",
           "caselink_transaction_commit_duration_seconds_count{service=\"caselink-sync\"} 0\n",
       }) {
    EXPECT_TRUE(contains(text, sample)) << sample << "\n" << text;
  }
}

TEST(ServiceMetrics, AccessorsFillTheRightSeries) {
  Registry r;
  ServiceMetrics m(r, "svc");
  m.consumed("caselink.referral.v1").inc();
  m.produced("caselink.case.v1").inc(2);
  m.dlq("decode_error").inc();
  m.transactions(TxnResult::kCommit).inc();
  m.transactions(TxnResult::kAbort).inc();
  m.processing_duration().observe(0.003);
  m.consumer_lag("caselink.referral.v1", 3).set(17);
  m.broker_connected().set(1);
  m.ready().set(1);
  m.producer_recreated().inc();
  m.consumer_replaced().inc();
  m.dlq_write_failures().inc(3);
  const std::string text = r.render();
  for (const char* sample : {
           "caselink_messages_consumed_total{service=\"svc\",topic=\"caselink.referral.v1\"} 1\n",
           "caselink_messages_produced_total{service=\"svc\",topic=\"caselink.case.v1\"} 2\n",
           "caselink_dlq_messages_total{service=\"svc\",reason=\"decode_error\"} 1\n",
           "caselink_transactions_total{service=\"svc\",result=\"commit\"} 1\n",
           "caselink_transactions_total{service=\"svc\",result=\"abort\"} 1\n",
           "caselink_processing_duration_seconds_bucket{service=\"svc\",le=\"0.0025\"} 0\n",
           "caselink_processing_duration_seconds_bucket{service=\"svc\",le=\"0.005\"} 1\n",
           "caselink_consumer_lag_messages{service=\"svc\",topic=\"caselink.referral.v1\",partition=\"3\"} 17\n",
           "caselink_broker_connected{service=\"svc\"} 1\n",
           "caselink_ready{service=\"svc\"} 1\n",
           "caselink_producer_recreated_total{service=\"svc\"} 1\n",
           "caselink_consumer_replaced_total{service=\"svc\"} 1\n",
           "caselink_dlq_write_failures_total{service=\"svc\"} 3\n",
       }) {
    EXPECT_TRUE(contains(text, sample)) << sample << "\n" << text;
  }
  m.forget_partition("caselink.referral.v1", 3);
  EXPECT_FALSE(contains(r.render(), "partition=\"3\""));
}

TEST(ServiceMetrics, TwoServicesShareOneRegistry) {
  Registry r;
  ServiceMetrics a(r, "a");
  ServiceMetrics b(r, "b");
  a.transactions(TxnResult::kFatal).inc();
  const std::string text = r.render();
  EXPECT_TRUE(contains(text, "caselink_transactions_total{service=\"a\",result=\"fatal\"} 1\n"));
  EXPECT_TRUE(contains(text, "caselink_transactions_total{service=\"b\",result=\"fatal\"} 0\n"));
}

TEST(ServiceMetrics, TxnResultLabels) {
  EXPECT_STREQ(to_label(TxnResult::kCommit), "commit");
  EXPECT_STREQ(to_label(TxnResult::kAbort), "abort");
  EXPECT_STREQ(to_label(TxnResult::kFatal), "fatal");
}

}  // namespace
}  // namespace caselink::metrics
