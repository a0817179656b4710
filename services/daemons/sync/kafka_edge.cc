#include "services/daemons/sync/kafka_edge.h"

#include "services/lib/kafka/read_to_end.h"

namespace caselink::sync {

void loop_defaults(kafka::LoopSettings* loop) {
  // Per-case state spans several input topics: co-partitioned assignment.
  loop->partition_assignment_strategy = "range";
  // librdkafka's read-ahead (100,000 records / 64 MB per partition) took the process from
  // ~110-130 MB to a 162-176 MB peak while catching up on 400,000 events for 100,000 open cases;
  // this bound kept the peak at 112-127 MB for ~10 % of catch-up speed (docs/performance.md).
  loop->prefetch_messages = 10000;
  loop->prefetch_kbytes = 8192;
}

std::map<std::string, std::string> read_ahead_properties(const kafka::LoopSettings& loop) {
  return {{"queued.min.messages", std::to_string(loop.prefetch_messages)},
          {"queued.max.messages.kbytes", std::to_string(loop.prefetch_kbytes)}};
}

std::unique_ptr<kafka::ChangelogReader> make_kafka_state_reader(const kafka::KafkaSettings& kafka,
                                                               std::string client_id, int64_t timeout_ms,
                                                               std::map<std::string, std::string> read_ahead) {
  return std::make_unique<kafka::KafkaChangelogReader>(kafka, std::move(client_id),
                                                       std::chrono::milliseconds(timeout_ms), "sync.restore",
                                                       std::move(read_ahead));
}

}  // namespace caselink::sync
