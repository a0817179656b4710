#pragma once
// A broker outage on demand for readiness tests (issue 13 G): stops the private broker with the
// shell command in KAFKA_OUTAGE_STOP, keeps it down, starts it with KAFKA_OUTAGE_START (which
// must return once the broker answers again, as deploy/local/kafka.sh start-node does), and
// times how the service's readiness follows. Conditions are polled, never slept on, except the
// deliberate time the broker stays down.

#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <thread>

namespace caselink::testing {

struct OutageReport {
  bool stop_ok = false;
  bool start_ok = false;
  bool went_unready = false;
  std::chrono::milliseconds unready_after{0};  // from the stop command's return
  bool unready_while_down = false;             // still not ready at the end of the outage
  bool came_back = false;
  std::chrono::milliseconds ready_after{0};    // from the start command's return
};

inline bool outage_commands_set() {
  return std::getenv("KAFKA_OUTAGE_STOP") != nullptr && std::getenv("KAFKA_OUTAGE_START") != nullptr;
}

// Polls `ready` until it equals `wanted` or `deadline` passes; returns the time it took.
inline std::optional<std::chrono::milliseconds> time_until(const std::function<bool()>& ready, bool wanted,
                                                           std::chrono::seconds deadline) {
  const auto start = std::chrono::steady_clock::now();
  while (ready() != wanted) {
    if (std::chrono::steady_clock::now() - start > deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

// Runs one outage of about `down` and reports how `ready` followed it.
inline OutageReport run_broker_outage(const std::function<bool()>& ready, std::chrono::seconds down) {
  OutageReport report;
  report.stop_ok = std::system(std::getenv("KAFKA_OUTAGE_STOP")) == 0;
  const auto stopped_at = std::chrono::steady_clock::now();
  if (auto t = time_until(ready, false, std::chrono::seconds(60))) {
    report.went_unready = true;
    report.unready_after = *t;
  }
  // The deliberate outage: long enough for the loop to sit in its slowest Kafka calls.
  std::this_thread::sleep_until(stopped_at + down);
  report.unready_while_down = !ready();
  report.start_ok = std::system(std::getenv("KAFKA_OUTAGE_START")) == 0;
  if (auto t = time_until(ready, true, std::chrono::seconds(120))) {
    report.came_back = true;
    report.ready_after = *t;
  }
  return report;
}

}  // namespace caselink::testing
