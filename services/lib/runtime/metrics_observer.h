#pragma once

// Feeds the transactional loop's events into the standard service metrics.

#include "services/lib/kafka/transactional_loop.h"
#include "services/lib/metrics/standard_metrics.h"

namespace caselink::runtime {

// Sets the caselink_kafka_* gauges (metrics::KafkaClientMetrics) from one statistics document of
// a client: every service's loop through MetricsLoopObserver, the ingress for its producer.
void export_client_statistics(metrics::ServiceMetrics& metrics, const kafka::ClientStatistics& stats);

class MetricsLoopObserver final : public kafka::LoopObserver {
 public:
  explicit MetricsLoopObserver(metrics::ServiceMetrics& metrics) : metrics_(metrics) {}

  void consumed(const std::string& topic) override { metrics_.consumed(topic).inc(); }
  void produced(const std::string& topic, uint64_t count) override { metrics_.produced(topic).inc(count); }
  void dead_lettered(const std::string& error_class) override { metrics_.dlq(error_class).inc(); }
  void transaction(const char* result) override;
  void processing_seconds(double seconds) override { metrics_.processing_duration().observe(seconds); }
  void commit_seconds(double seconds) override { metrics_.commit_duration().observe(seconds); }
  void event_age_seconds(const std::string& topic, double seconds) override {
    metrics_.event_age(topic).observe(seconds);
  }
  void client_statistics(const kafka::ClientStatistics& stats) override { export_client_statistics(metrics_, stats); }
  void consumer_lag(const std::string& topic, int32_t partition, int64_t lag) override {
    metrics_.consumer_lag(topic, partition).set(static_cast<double>(lag));
  }
  void broker_connected(bool connected) override { metrics_.broker_connected().set(connected ? 1 : 0); }
  void ready(bool ready) override { metrics_.ready().set(ready ? 1 : 0); }
  void producer_recreated() override { metrics_.producer_recreated().inc(); }
  void consumer_replaced() override { metrics_.consumer_replaced().inc(); }
  void dlq_write_failed() override { metrics_.dlq_write_failures().inc(); }

 private:
  metrics::ServiceMetrics& metrics_;
};

}  // namespace caselink::runtime
