#pragma once

// Runs a bundle's components (component.h): started in order, stopped in reverse, and the
// process-wide readiness made of theirs. Also the transactional loop as one such component
// (its own thread), and the wait for SIGTERM/SIGINT or a component that failed while running.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include "services/lib/core/result.h"
#include "services/lib/kafka/transactional_loop.h"
#include "services/lib/runtime/component.h"

namespace caselink::runtime {

class Lifecycle {
 public:
  explicit Lifecycle(std::vector<Component>& components) : components_(components) {}
  ~Lifecycle() { stop(); }
  Lifecycle(const Lifecycle&) = delete;
  Lifecycle& operator=(const Lifecycle&) = delete;

  // Starts every component in order; on the first error stops the ones already started (in
  // reverse) and returns that error naming the component.
  Status start();
  // Stops the started components in reverse order; idempotent.
  void stop();
  // Ready when every component is; otherwise the first not-ready component's reason.
  http::ReadyState readiness() const;

 private:
  std::vector<Component>& components_;
  size_t started_ = 0;
};

// Where the process waits after start-up: until SIGTERM/SIGINT (`signal`) or until a component
// reports that it failed while running (fail(): the process then exits 1).
class StopWaiter {
 public:
  explicit StopWaiter(const std::atomic<bool>& signal) : signal_(signal) {}
  void fail(Error error);
  // Returns the failure, or nullopt for a signal.
  std::optional<Error> wait();

 private:
  const std::atomic<bool>& signal_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<Error> failure_;
};

// The transactional loop as a component: start() runs it on its own thread, stop() asks it to
// stop (it commits or aborts and leaves the group) and joins. A loop that cannot run at all is
// reported to `waiter`.
Component loop_component(kafka::TransactionalLoop& loop, StopWaiter& waiter);

}  // namespace caselink::runtime
