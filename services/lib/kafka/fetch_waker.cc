#include "services/lib/kafka/fetch_waker.h"

#include <librdkafka/rdkafkacpp.h>

#include <vector>

namespace caselink::kafka {

FetchWaker::FetchWaker(RdKafka::KafkaConsumer& consumer, std::chrono::milliseconds every)
    : consumer_(consumer), every_(every), thread_([this] { run(); }) {}

FetchWaker::~FetchWaker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void FetchWaker::wake(const std::set<Partition>& partitions) {
  bool was_idle = false;
  {
    std::lock_guard lock(mutex_);
    was_idle = wanted_.empty();
    wanted_.insert(partitions.begin(), partitions.end());
  }
  // Signalled only when nothing was wanted: otherwise a round is due anyway, and a signal per
  // record would only wake the thread for nothing.
  if (was_idle) changed_.notify_all();
}

void FetchWaker::wake(const std::string& topic, int32_t partition) {
  bool was_idle = false;
  {
    std::lock_guard lock(mutex_);
    was_idle = wanted_.empty();
    if (was_idle || wanted_.count(Partition{topic, partition}) == 0) wanted_.emplace(topic, partition);
  }
  if (was_idle) changed_.notify_all();
}

void FetchWaker::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || !wanted_.empty(); });
    if (stopping_) return;
    std::vector<RdKafka::TopicPartition*> due;
    for (const Partition& tp : wanted_) {
      due.push_back(RdKafka::TopicPartition::create(tp.first, tp.second, RdKafka::Topic::OFFSET_END));
    }
    wanted_.clear();
    lock.unlock();
    consumer_.offsetsForTimes(due, kAnswerTimeoutMs);  // the answer does not matter, the request does
    RdKafka::TopicPartition::destroy(due);
    lock.lock();
    if (changed_.wait_for(lock, every_, [this] { return stopping_; })) return;
  }
}

}  // namespace caselink::kafka
