#include "services/lib/runtime/metrics_observer.h"

#include <cstring>
#include <string>

namespace caselink::runtime {

void MetricsLoopObserver::transaction(const char* result) {
  if (std::strcmp(result, "commit") == 0) {
    metrics_.transactions(metrics::TxnResult::kCommit).inc();
  } else if (std::strcmp(result, "abort") == 0) {
    metrics_.transactions(metrics::TxnResult::kAbort).inc();
  } else {
    metrics_.transactions(metrics::TxnResult::kFatal).inc();
  }
}

void export_client_statistics(metrics::ServiceMetrics& metrics, const kafka::ClientStatistics& stats) {
  // A document without a type is not from a client caselink made; its series would be unlabelled.
  if (stats.type.empty()) return;
  const std::string& service = metrics.service();
  metrics::KafkaClientMetrics& k = metrics.kafka();
  for (const kafka::BrokerStatistics& b : stats.brokers) {
    const metrics::LabelValues labels{service, stats.type, b.name};
    k.broker_up.labels(labels).set(b.up ? 1 : 0);
    k.broker_rtt_avg.labels(labels).set(b.rtt_avg_seconds);
    k.broker_rtt_p99.labels(labels).set(b.rtt_p99_seconds);
    k.broker_outbuf.labels(labels).set(static_cast<double>(b.outbuf_requests));
    k.broker_waitresp.labels(labels).set(static_cast<double>(b.waitresp_requests));
  }
  k.queue_messages.labels({service, stats.type}).set(static_cast<double>(stats.queue_messages));
  k.queue_bytes.labels({service, stats.type}).set(static_cast<double>(stats.queue_bytes));
  k.reply_queue.labels({service, stats.type}).set(static_cast<double>(stats.reply_queue_events));
  if (stats.type != "consumer") return;
  for (const kafka::PartitionStatistics& p : stats.partitions) {
    // Only partitions the consumer reads: librdkafka also lists topics it merely knows metadata of.
    if (p.consumer_lag < 0) continue;
    k.fetch_queue.labels({service, p.topic, std::to_string(p.partition)}).set(static_cast<double>(p.fetch_queue_messages));
  }
}

}  // namespace caselink::runtime
