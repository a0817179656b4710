#pragma once

// caselink-standards' follower of the penalty history topic (standards.history_topic): a thread
// that reads every partition from the beginning and then keeps reading (assign-only,
// read_committed, nothing committed), and hands each penalty to the loop's thread through a
// PenaltyInbox (penalty_history.h). Apart from the handler because it owns a Kafka client; the
// handler stays pure logic.

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

namespace caselink::standards {

class HistoryFollower {
 public:
  HistoryFollower(kafka::KafkaSettings kafka, std::string client_id, std::string topic,
                  std::shared_ptr<PenaltyInbox> inbox);
  ~HistoryFollower();
  HistoryFollower(const HistoryFollower&) = delete;
  HistoryFollower& operator=(const HistoryFollower&) = delete;

  // At start, before the loop: a history topic that does not exist would make every transaction
  // with a penalty copy fail, so it stops the start naming standards.history_topic. A broker that
  // does not answer is not an error here (the follower keeps trying).
  Status check_topic() const;
  void start();
  void stop();
  // Waits until every partition was read to its end once (what was committed when the follower
  // opened is in the inbox) or `timeout` passed; true in the first case.
  bool wait_caught_up(std::chrono::milliseconds timeout);

 private:
  void run();
  // (topic, partition) -> offset: kafka::TopicReader's positions, spelled out because its
  // TopicPartition and the handler seam's cannot meet in one translation unit (service.cc).
  using Positions = std::map<std::pair<std::string, int32_t>, int64_t>;
  // Reads from `from` (empty: the beginning) until stop or a failure; returns the positions reached.
  Positions follow(const Positions& from);

  kafka::KafkaSettings kafka_;
  std::string client_id_;
  std::string topic_;
  std::shared_ptr<PenaltyInbox> inbox_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable caught_up_changed_;
  bool caught_up_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace caselink::standards
