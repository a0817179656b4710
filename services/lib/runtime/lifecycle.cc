#include "services/lib/runtime/lifecycle.h"

#include <chrono>
#include <memory>
#include <thread>

#include "services/lib/logging/logging.h"

namespace caselink::runtime {

Status Lifecycle::start() {
  auto log = logging::get("runtime");
  for (Component& component : components_) {
    if (component.start) {
      if (Status started = component.start(); !started.ok()) {
        stop();
        Error error = started.error();
        error.message = component.name + ": " + error.message;
        return error;
      }
    }
    ++started_;
    log->debug("started {}", component.name);
  }
  return Status::success();
}

void Lifecycle::stop() {
  auto log = logging::get("runtime");
  while (started_ > 0) {
    Component& component = components_[--started_];
    log->debug("stopping {}", component.name);
    if (component.stop) {
      component.stop();
    }
  }
}

http::ReadyState Lifecycle::readiness() const {
  for (const Component& component : components_) {
    if (component.readiness) {
      if (http::ReadyState state = component.readiness(); !state.ready) {
        return state;
      }
    }
  }
  return {true, ""};
}

void StopWaiter::fail(Error error) {
  {
    std::lock_guard lock(mutex_);
    if (!failure_) {
      failure_ = std::move(error);
    }
  }
  changed_.notify_all();
}

std::optional<Error> StopWaiter::wait() {
  std::unique_lock lock(mutex_);
  // A signal handler cannot notify a condition variable: the signal flag is polled.
  while (!failure_ && !signal_.load()) {
    changed_.wait_for(lock, std::chrono::milliseconds(100));
  }
  return failure_;
}

Component loop_component(kafka::TransactionalLoop& loop, StopWaiter& waiter) {
  struct Running {
    std::atomic<bool> stop{false};
    std::thread thread;
  };
  auto running = std::make_shared<Running>();
  Component component;
  component.name = "transactional loop";
  component.start = [&loop, &waiter, running]() -> Status {
    running->thread = std::thread([&loop, &waiter, stop = &running->stop] {
      if (Status result = loop.run(*stop); !result.ok()) {
        waiter.fail(result.error());
      }
    });
    return Status::success();
  };
  component.stop = [running] {
    running->stop.store(true);
    if (running->thread.joinable()) {
      running->thread.join();
    }
  };
  component.readiness = [&loop]() -> http::ReadyState {
    const kafka::LoopReadiness r = loop.readiness();
    return {r.ready, r.reason};
  };
  return component;
}

}  // namespace caselink::runtime
