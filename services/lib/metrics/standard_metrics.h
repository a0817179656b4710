#pragma once

// The metric set every caselink service exposes (docs/services/passthrough.md "Metrics",
// docs/operations.md), declared in one place.
// Construct one ServiceMetrics per service at start-up; the accessors return cached children
// (lock-free to update) or look up a child by topic / reason / partition.

#include <cstdint>
#include <string>

#include "services/lib/metrics/registry.h"

namespace caselink::metrics {

enum class TxnResult { kCommit, kAbort, kFatal };

// "commit", "abort", "fatal": the value of the `result` label.
[[nodiscard]] const char* to_label(TxnResult result) noexcept;

// Buckets of caselink_event_age_seconds, in seconds: 10 ms … 1 day. An event's age at
// consumption spans live traffic (milliseconds) and catch-up after an outage (hours).
[[nodiscard]] std::vector<double> event_age_buckets();

// The librdkafka statistics a service exports (filled from each client's statistics callback by
// runtime::MetricsLoopObserver / export_client_statistics). `client` is librdkafka's client type
// (consumer|producer), `broker` its broker name ("host:port/nodeid").
struct KafkaClientMetrics {
  explicit KafkaClientMetrics(Registry& registry);
  GaugeFamily& broker_up;              // caselink_kafka_broker_up{service,client,broker}
  GaugeFamily& broker_rtt_avg;         // caselink_kafka_broker_rtt_avg_seconds{service,client,broker}
  GaugeFamily& broker_rtt_p99;         // caselink_kafka_broker_rtt_p99_seconds{service,client,broker}
  GaugeFamily& broker_outbuf;          // caselink_kafka_broker_outbuf_requests{service,client,broker}
  GaugeFamily& broker_waitresp;        // caselink_kafka_broker_waitresp_requests{service,client,broker}
  GaugeFamily& queue_messages;         // caselink_kafka_queue_messages{service,client}
  GaugeFamily& queue_bytes;            // caselink_kafka_queue_bytes{service,client}
  GaugeFamily& reply_queue;            // caselink_kafka_reply_queue_events{service,client}
  GaugeFamily& fetch_queue;            // caselink_kafka_fetch_queue_messages{service,topic,partition}
};

class ServiceMetrics {
 public:
  // Registers (or re-uses, if already registered on this registry) the standard families and
  // pre-creates the children that only depend on the service, so they render 0 from the start:
  //   caselink_messages_consumed_total{service,topic}          counter
  //   caselink_messages_produced_total{service,topic}          counter
  //   caselink_dlq_messages_total{service,reason}              counter
  //   caselink_transactions_total{service,result}              counter (commit|abort|fatal)
  //   caselink_processing_duration_seconds{service}            histogram (default latency buckets)
  //   caselink_consumer_lag_messages{service,topic,partition}  gauge
  //   caselink_broker_connected{service}                       gauge 0/1
  //   caselink_ready{service}                                  gauge 0/1
  //   caselink_producer_recreated_total{service}               counter
  //   caselink_consumer_replaced_total{service}                counter (after a fatal consumer error)
  //   caselink_dlq_write_failures_total{service}               counter (DLQ writes refused, retried)
  //   caselink_transaction_commit_duration_seconds{service}    histogram (commit_transaction time)
  //   caselink_event_age_seconds{service,topic}                histogram (now - record timestamp)
  //   caselink_kafka_*                                         gauges from librdkafka statistics
  //                                                            (KafkaClientMetrics above)
  ServiceMetrics(Registry& registry, std::string service);

  [[nodiscard]] const std::string& service() const noexcept { return service_; }

  // Children by label value: a map lookup under a shared lock; cache the result in hot loops.
  Counter& consumed(const std::string& topic);
  Counter& produced(const std::string& topic);
  Counter& dlq(const std::string& reason);
  Gauge& consumer_lag(const std::string& topic, std::int32_t partition);
  // Drops the lag series of a partition that is no longer assigned (after a rebalance).
  // Invalidates references previously returned by consumer_lag() for it.
  void forget_partition(const std::string& topic, std::int32_t partition);

  // Pre-created children.
  Counter& transactions(TxnResult result) noexcept;
  Histogram& processing_duration() noexcept { return processing_duration_; }
  Histogram& commit_duration() noexcept { return commit_duration_; }
  Histogram& event_age(const std::string& topic);
  KafkaClientMetrics& kafka() noexcept { return kafka_; }
  Gauge& broker_connected() noexcept { return broker_connected_; }
  Gauge& ready() noexcept { return ready_; }
  Counter& producer_recreated() noexcept { return producer_recreated_; }
  Counter& consumer_replaced() noexcept { return consumer_replaced_; }
  Counter& dlq_write_failures() noexcept { return dlq_write_failures_; }

  // The families, for anything the accessors do not cover.
  CounterFamily& consumed_family() noexcept { return consumed_family_; }
  CounterFamily& produced_family() noexcept { return produced_family_; }
  CounterFamily& dlq_family() noexcept { return dlq_family_; }
  CounterFamily& transactions_family() noexcept { return transactions_family_; }
  GaugeFamily& consumer_lag_family() noexcept { return lag_family_; }

 private:
  std::string service_;
  CounterFamily& consumed_family_;
  CounterFamily& produced_family_;
  CounterFamily& dlq_family_;
  CounterFamily& transactions_family_;
  GaugeFamily& lag_family_;
  Counter& txn_commit_;
  Counter& txn_abort_;
  Counter& txn_fatal_;
  Histogram& processing_duration_;
  Histogram& commit_duration_;
  HistogramFamily& event_age_family_;
  KafkaClientMetrics kafka_;
  Gauge& broker_connected_;
  Gauge& ready_;
  Counter& producer_recreated_;
  Counter& consumer_replaced_;
  Counter& dlq_write_failures_;
};

}  // namespace caselink::metrics
