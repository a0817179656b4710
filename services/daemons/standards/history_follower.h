#pragma once

// caselink-standards' follower of the penalty history topic (standards.history_topic): a thread
// that reads every partition from the beginning and then keeps reading (assign-only,
// read_committed, nothing committed), decodes and checks each record (signature included, and
// only caselink-standards' own copies) and takes it into the handler's penalty history, whose
// committed part is thread-safe. Decoding happens here, not on the loop's thread, and memory is
// bounded by the history's own capacity (standards.penalty_history_parties). Apart from the
// handler because it owns a Kafka client; the handler stays pure logic.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "services/daemons/standards/penalty_history.h"
#include "services/lib/core/result.h"
#include "services/lib/kafka/settings.h"
#include "services/lib/metrics/registry.h"

namespace caselink::standards {

class HistoryFollower {
 public:
  // `writer`: the producer id of the topic's one writer (caselink-standards); records of anyone
  // else are skipped. `history` must outlive the follower (the service's bundle stops the
  // follower first).
  HistoryFollower(kafka::KafkaSettings kafka, std::string client_id, std::string topic, std::string writer,
                  PenaltyHistory& history, metrics::Registry* registry);
  ~HistoryFollower();
  HistoryFollower(const HistoryFollower&) = delete;
  HistoryFollower& operator=(const HistoryFollower&) = delete;

  // At start, before the loop: a history topic that does not exist would make every transaction
  // with a penalty copy fail, so it stops the start naming standards.history_topic. A broker that
  // does not answer is not an error here (the follower keeps trying).
  Status check_topic() const;
  void start();
  void stop();
  // Waits until every partition was read once to the end that was stable then, or `timeout`
  // passed, or stop(); true in the first case.
  bool wait_caught_up(std::chrono::milliseconds timeout);

 private:
  // (topic, partition) -> offset: kafka::TopicReader's positions, spelled out because its
  // TopicPartition and the handler seam's cannot meet in one translation unit (service.cc).
  using Positions = std::map<std::pair<std::string, int32_t>, int64_t>;
  void run();
  // Reads from `from` (empty: the beginning) until stop or a failure; returns the positions
  // reached (empty again when the topic was recreated under them).
  Positions follow(const Positions& from);
  void mark_caught_up();

  kafka::KafkaSettings kafka_;
  std::string client_id_;
  std::string topic_;
  std::string writer_;
  PenaltyHistory& history_;
  metrics::Counter* taken_ = nullptr;
  metrics::Counter* skipped_ = nullptr;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  bool caught_up_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace caselink::standards
