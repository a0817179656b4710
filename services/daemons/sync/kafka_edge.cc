#include "services/daemons/sync/kafka_edge.h"

#include "services/lib/kafka/fetch_waker.h"
#include "services/lib/kafka/read_to_end.h"

namespace caselink::sync {

void loop_defaults(kafka::LoopSettings* loop) {
  // Per-case state spans several input topics: co-partitioned assignment.
  loop->partition_assignment_strategy = "range";
  // librdkafka's read-ahead (100,000 records / 64 MB per partition) took the process from
  // ~110-130 MB to a 162-176 MB peak while catching up on 400,000 events for 100,000 open cases.
  // A bound stalls on librdkafka 2.0.2 unless its fetcher is woken (fetch_waker.h): with the
  // wake-ups, 2,000 records / 2 MB per partition caught up on those events in 17 s (30 s with
  // 10,000 / 8 MB and no wake-ups) and, as the restore's read-ahead too (read_ahead_properties),
  // kept a restart's peak at ~104 MB (docs/performance.md, "Launch, restart and the loop's wake-ups").
  loop->prefetch_messages = 2000;
  loop->prefetch_kbytes = 2048;
  loop->wake_fetcher_every_ms = kafka::kWakeFetcherEvery.count();
  // Every case a transaction touches sits parsed (~15 KB) in the staging overlay until the commit:
  // at catch-up speed (~25,000 events/s) the 100 ms bound alone let it reach ~2,500 cases and the
  // process peak at 155-172 MB. 1,000 records: 132 MB, catch-up 13 % slower; the time bound
  // (latency) is unchanged and reached first below 10,000 events/s.
  loop->commit_every_records = 1000;
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
