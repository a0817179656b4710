#include "services/case-sync/kafka_edge.h"

#include "services/common/kafka/read_to_end.h"
#include "services/common/logging/logging.h"

namespace caselink::sync {

namespace {

class KafkaStateReader final : public StateReader {
 public:
  KafkaStateReader(kafka::KafkaSettings kafka, std::string client_id, int64_t timeout_ms)
      : kafka_(std::move(kafka)), client_id_(std::move(client_id)), timeout_ms_(timeout_ms) {}

  Status read(const std::string& topic, const std::vector<int32_t>& partitions, const Visitor& visit) override {
    kafka::ReadToEndRequest request{topic, partitions, client_id_, std::chrono::milliseconds(timeout_ms_),
                                    [&topic](int32_t p, int64_t stable, int64_t end) {
                                      logging::get("sync.handler")->info("restoring {}[{}]: waiting for an open transaction (stable offset "
                                                  "{}, end {})",
                                                  topic, p, stable, end);
                                    }};
    return kafka::read_to_end(kafka_, request, visit);
  }

 private:
  kafka::KafkaSettings kafka_;
  std::string client_id_;
  int64_t timeout_ms_;
};

}  // namespace

void loop_defaults(kafka::LoopSettings* loop) {
  // Per-case state spans several input topics: co-partitioned assignment.
  loop->partition_assignment_strategy = "range";
  // librdkafka's read-ahead (100,000 records / 64 MB per partition) took the process from
  // ~110-130 MB to a 162-176 MB peak while catching up on 400,000 events for 100,000 open cases;
  // this bound kept the peak at 112-127 MB for ~10 % of catch-up speed (docs/performance.md).
  loop->prefetch_messages = 10000;
  loop->prefetch_kbytes = 8192;
}

std::unique_ptr<StateReader> make_kafka_state_reader(const kafka::KafkaSettings& kafka, std::string client_id,
                                                     int64_t timeout_ms) {
  return std::make_unique<KafkaStateReader>(kafka, std::move(client_id), timeout_ms);
}

}  // namespace caselink::sync
