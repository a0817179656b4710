#pragma once

// Helpers for tests that talk to the real broker started by scripts/test.sh
// (KAFKA_BOOTSTRAP). Tests create their own uniquely named topics, so they never collide
// with each other or with a running demo.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "services/common/core/record.h"
#include "services/common/core/result.h"

namespace caselink::testing {

// KAFKA_BOOTSTRAP, or nullopt (integration tests then GTEST_SKIP with a message).
std::optional<std::string> kafka_bootstrap();

// "<prefix>.<random>" — unique per call.
std::string unique_name(const std::string& prefix);

// Creates topics with `partitions` partitions and replication factor 1 (or more) and waits
// until the broker reports them.
Status create_topics(const std::string& bootstrap, const std::vector<std::string>& topics, int partitions,
                     int replication_factor = 1);

enum class Isolation { kReadCommitted, kReadUncommitted };

// Reads `topic` from the beginning with a fresh group until `expected` records arrived or
// `timeout` passed; with expected == 0 it reads until the topic is idle for `idle` and every
// partition has been read past its high watermark at the call (under read_committed: until
// every transaction open at the call has committed or aborted).
std::vector<ConsumedRecord> read_topic(const std::string& bootstrap, const std::string& topic, Isolation isolation,
                                       size_t expected, std::chrono::milliseconds timeout,
                                       std::chrono::milliseconds idle = std::chrono::milliseconds(3000));

// Committed offsets of `group` on `topic`, per partition (-1 when none).
std::vector<int64_t> committed_offsets(const std::string& bootstrap, const std::string& group,
                                       const std::string& topic, int partitions);

// A child process started with fork/exec; killed (SIGKILL) in the destructor if still running.
class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args, const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int pid() const { return pid_; }
  bool running();
  void kill_hard();                                 // SIGKILL, then reap
  int terminate(std::chrono::milliseconds grace);   // SIGTERM, wait; returns exit status (or -1)

 private:
  int pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// Path of a built binary, from CASELINK_BUILD_DIR set by ctest.
std::string build_path(const std::string& relative);

}  // namespace caselink::testing
