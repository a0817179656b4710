#include "services/common/metrics/standard_metrics.h"

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
      dlq_write_failures_(registry
                              .counter("caselink_dlq_write_failures_total",
                                       "Dead-letter records Kafka refused; the input is retried after a back-off.",
                                       {"service"})
                              .labels({service_})) {}

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
