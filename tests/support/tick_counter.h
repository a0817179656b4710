#pragma once
// A RecordHandler decorator for in-process integration tests: forwards everything to the real
// handler and counts the loop's timer ticks and what they emitted, per topic. A test that moves
// an injected clock then waits for ticks that really ran with the new time (instead of sleeping
// "long enough") and can check that they emitted nothing more.

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "services/lib/kafka/transactional_loop.h"
#include "tests/support/kafka_test_env.h"

namespace caselink::testing {

class TickCounter : public kafka::RecordHandler {
 public:
  explicit TickCounter(kafka::RecordHandler& inner) : inner_(inner) {}

  kafka::HandlerResult handle(const ConsumedRecord& record) override { return inner_.handle(record); }
  void on_partitions_assigned(const std::vector<kafka::TopicPartition>& partitions) override {
    inner_.on_partitions_assigned(partitions);
  }
  void on_partitions_revoked(const std::vector<kafka::TopicPartition>& partitions) override {
    inner_.on_partitions_revoked(partitions);
  }
  // Forwarded as such: the inner handler may keep state across a revoke but not across these.
  void on_partitions_lost(const std::vector<kafka::TopicPartition>& partitions) override {
    inner_.on_partitions_lost(partitions);
  }
  void on_state_uncertain(const std::vector<kafka::TopicPartition>& assigned) override {
    inner_.on_state_uncertain(assigned);
  }
  void on_transaction_committed() override { inner_.on_transaction_committed(); }
  void on_transaction_aborted() override { inner_.on_transaction_aborted(); }
  std::vector<OutgoingRecord> on_tick(TimePoint now) override {
    std::vector<OutgoingRecord> out = inner_.on_tick(now);
    {
      std::lock_guard lock(mutex_);
      for (const auto& r : out) {
        ++emitted_[r.topic];
      }
    }
    ticks_.fetch_add(1);  // after the outputs are counted: a finished tick is fully accounted for
    return out;
  }

  uint64_t ticks() const { return ticks_.load(); }
  // Records the ticks so far emitted to `topic`.
  uint64_t emitted(const std::string& topic) const {
    std::lock_guard lock(mutex_);
    auto it = emitted_.find(topic);
    return it == emitted_.end() ? 0 : it->second;
  }
  // Until `n` ticks started after this call have finished. Call it after changing the clock:
  // a tick already running may have read the old time, so the first finished tick is not
  // counted. False on timeout.
  bool wait_ticks(uint64_t n, std::chrono::milliseconds timeout) const {
    const uint64_t target = ticks() + n + 1;
    return wait_until([&] { return ticks() >= target; }, timeout, std::chrono::milliseconds(20));
  }

 private:
  kafka::RecordHandler& inner_;
  std::atomic<uint64_t> ticks_{0};
  mutable std::mutex mutex_;
  std::map<std::string, uint64_t> emitted_;
};

}  // namespace caselink::testing
