#include "services/lib/metrics/standard_metrics.h"

#include <utility>

namespace caselink::metrics {

const char* to_label(TxnResult result) noexcept {
  switch (result) {
    case TxnResult::kCommit:
      return "commit";
    case TxnResult::kAbort:
      return "abort";
    case TxnResult::kFatal:
      return "fatal";
  }
  return "unknown";
}

std::vector<double> event_age_buckets() {
  return {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400};
}

KafkaClientMetrics::KafkaClientMetrics(Registry& r)
    : broker_up(r.gauge("caselink_kafka_broker_up", "librdkafka: 1 if the client's connection to the broker is UP.",
                        {"service", "client", "broker"})),
      broker_rtt_avg(r.gauge("caselink_kafka_broker_rtt_avg_seconds",
                             "librdkafka: average broker round-trip time over the last statistics interval.",
                             {"service", "client", "broker"})),
      broker_rtt_p99(r.gauge("caselink_kafka_broker_rtt_p99_seconds",
                             "librdkafka: 99th percentile broker round-trip time over the last statistics interval.",
                             {"service", "client", "broker"})),
      broker_outbuf(r.gauge("caselink_kafka_broker_outbuf_requests",
                            "librdkafka: requests queued for the broker, not yet sent.", {"service", "client", "broker"})),
      broker_waitresp(r.gauge("caselink_kafka_broker_waitresp_requests",
                              "librdkafka: requests sent to the broker, awaiting its response.",
                              {"service", "client", "broker"})),
      queue_messages(r.gauge("caselink_kafka_queue_messages",
                             "librdkafka: messages waiting in the producer queues.", {"service", "client"})),
      queue_bytes(r.gauge("caselink_kafka_queue_bytes", "librdkafka: bytes of the messages in the producer queues.",
                          {"service", "client"})),
      reply_queue(r.gauge("caselink_kafka_reply_queue_events",
                          "librdkafka: events (delivery reports, statistics) waiting to be served by poll.",
                          {"service", "client"})),
      fetch_queue(r.gauge("caselink_kafka_fetch_queue_messages",
                          "librdkafka: messages fetched for the partition, not yet consumed by the service.",
                          {"service", "topic", "partition"})) {}

ServiceMetrics::ServiceMetrics(Registry& registry, std::string service)
    : service_(std::move(service)),
      consumed_family_(registry.counter("caselink_messages_consumed_total",
                                        "Records consumed from Kafka, by topic.", {"service", "topic"})),
      produced_family_(registry.counter("caselink_messages_produced_total",
                                        "Records produced to Kafka, by topic.", {"service", "topic"})),
      dlq_family_(registry.counter("caselink_dlq_messages_total",
                                   "Records sent to the dead-letter topic, by reason.", {"service", "reason"})),
      transactions_family_(registry.counter("caselink_transactions_total",
                                            "Kafka transactions finished, by result (commit|abort|fatal).",
                                            {"service", "result"})),
      lag_family_(registry.gauge("caselink_consumer_lag_messages",
                                 "Consumer lag in messages, by topic and partition.",
                                 {"service", "topic", "partition"})),
      txn_commit_(transactions_family_.labels({service_, to_label(TxnResult::kCommit)})),
      txn_abort_(transactions_family_.labels({service_, to_label(TxnResult::kAbort)})),
      txn_fatal_(transactions_family_.labels({service_, to_label(TxnResult::kFatal)})),
      processing_duration_(registry
                               .histogram("caselink_processing_duration_seconds",
                                          "Time to process one record, in seconds.", {"service"})
                               .labels({service_})),
      commit_duration_(registry
                           .histogram("caselink_transaction_commit_duration_seconds",
                                      "Time commit_transaction took for a committed Kafka transaction, in seconds.",
                                      {"service"})
                           .labels({service_})),
      event_age_family_(registry.histogram(
          "caselink_event_age_seconds",
          "Age of a record when this service processed it (now minus its Kafka timestamp), in seconds.",
          {"service", "topic"}, event_age_buckets())),
      kafka_(registry),
      broker_connected_(registry
                            .gauge("caselink_broker_connected",
                                   "1 if the service currently reaches a Kafka broker, else 0.", {"service"})
                            .labels({service_})),
      ready_(registry.gauge("caselink_ready", "1 if the service reports ready (GET /readyz), else 0.",
                            {"service"})
                 .labels({service_})),
      producer_recreated_(registry
                              .counter("caselink_producer_recreated_total",
                                       "Transactional producers re-created after a fatal error.", {"service"})
                              .labels({service_})),
      consumer_replaced_(registry
                             .counter("caselink_consumer_replaced_total",
                                      "Group consumers replaced after a fatal error (a fenced static member).",
                                      {"service"})
                             .labels({service_})),
      dlq_write_failures_(registry
                              .counter("caselink_dlq_write_failures_total",
                                       "Dead-letter records Kafka refused; the input is retried after a back-off.",
                                       {"service"})
                              .labels({service_})) {}

Histogram& ServiceMetrics::event_age(const std::string& topic) {
  return event_age_family_.labels({service_, topic});
}

Counter& ServiceMetrics::consumed(const std::string& topic) {
  return consumed_family_.labels({service_, topic});
}

Counter& ServiceMetrics::produced(const std::string& topic) {
  return produced_family_.labels({service_, topic});
}

Counter& ServiceMetrics::dlq(const std::string& reason) {
  return dlq_family_.labels({service_, reason});
}

Gauge& ServiceMetrics::consumer_lag(const std::string& topic, std::int32_t partition) {
  return lag_family_.labels({service_, topic, std::to_string(partition)});
}

void ServiceMetrics::forget_partition(const std::string& topic, std::int32_t partition) {
  lag_family_.remove({service_, topic, std::to_string(partition)});
}

Counter& ServiceMetrics::transactions(TxnResult result) noexcept {
  switch (result) {
    case TxnResult::kCommit:
      return txn_commit_;
    case TxnResult::kAbort:
      return txn_abort_;
    case TxnResult::kFatal:
      return txn_fatal_;
  }
  return txn_fatal_;
}

}  // namespace caselink::metrics
