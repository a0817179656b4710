#pragma once

// Keeps a consumer with a bounded read-ahead from stalling on librdkafka 2.0.2.
//
// librdkafka 2.0.2 looks again at a partition whose local queue was full only when the broker
// thread serving it wakes up, which, with every queue full and no fetch in flight, is up to a
// second later (2.1 added fetch.queue.backoff.ms for this). A consumer that empties its queues
// faster than that waits out the second each time: a bounded restore ran 4x slower, caselink-sync's
// loop with a 2,000-record bound 5.6x slower (docs/performance.md). While records are handed out,
// this asks, from a thread of its own, for the offsets of the partitions that were read (one
// offsetsForTimes call: librdkafka sends it as one ListOffsets request per leader broker, the
// operation that wakes that broker's thread), then waits `every` before it asks again.
//
// Not on the reading thread: the answer comes after the fetch responses the broker thread is busy
// with (~15 ms each during a restore, measured). offsetsForTimes, not query_watermark_offsets: in
// librdkafka 2.0.2 the latter waits for its answer whatever its timeout (until socket.timeout.ms),
// and the destructor joins this thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>

namespace RdKafka {
class KafkaConsumer;
}  // namespace RdKafka

namespace caselink::kafka {

// The interval of the readers and loops that use a FetchWaker: a partition queue of 2 MB (~1,000
// state records of ~2 KB; caselink-sync's bound) lasts longer than a round at the ~20,000
// records/s a restore folds.
inline constexpr std::chrono::milliseconds kWakeFetcherEvery{20};

class FetchWaker {
 public:
  using Partition = std::pair<std::string, int32_t>;

  // `consumer` must outlive this object (destroy the waker before closing the consumer).
  FetchWaker(RdKafka::KafkaConsumer& consumer, std::chrono::milliseconds every);
  ~FetchWaker();
  FetchWaker(const FetchWaker&) = delete;
  FetchWaker& operator=(const FetchWaker&) = delete;

  // Records of these partitions were handed out: ask for them in the next round. Cheap enough to
  // call for every record: a lock, a set lookup (with a copy of the topic name), and a signal only
  // when nothing was wanted yet (which also ends the thread's wait between rounds early once).
  void wake(const std::set<Partition>& partitions);
  void wake(const std::string& topic, int32_t partition);

 private:
  // Bounds each call, so stopping waits at most this long for an answer that does not matter.
  static constexpr int kAnswerTimeoutMs = 200;
  void run();

  RdKafka::KafkaConsumer& consumer_;
  const std::chrono::milliseconds every_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  std::set<Partition> wanted_;
  std::thread thread_;  // last: started once the members it uses exist
};

}  // namespace caselink::kafka
