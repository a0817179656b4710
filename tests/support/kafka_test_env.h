#pragma once

// Helpers for tests that talk to the real broker started by scripts/test.sh
// (CASELINK_KAFKA_BOOTSTRAP). Tests create their own uniquely named topics, so they never collide
// with each other or with a running demo.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "services/lib/core/record.h"
#include "services/lib/core/result.h"
#include "services/lib/kafka/settings.h"

namespace caselink::testing {

// CASELINK_KAFKA_BOOTSTRAP (KAFKA_BOOTSTRAP: deprecated alias), or nullopt (integration tests then GTEST_SKIP with a message).
std::optional<std::string> kafka_bootstrap();

// The settings a test's Kafka client connects with: `bootstrap`, and the security the environment
// names (CASELINK_KAFKA_CLIENT_CONFIG_FILE: on the test command's secured broker, its super user's
// file). Every test client and every service a test configures by hand takes these. A broken
// security setting throws (a test must not fall back to plaintext and fail for another reason).
kafka::KafkaSettings kafka_settings(const std::string& bootstrap);

// CASELINK_KAFKA_CLIENT_CONFIG_FILE, or "" (plaintext): for sdk::ClientOptions::kafka_config_file
// and for child processes given a config file of their own.
std::string kafka_client_config_file();

// The librdkafka properties of kafka_settings(bootstrap)'s clients (security included), without
// bootstrap.servers: for a client a test configures with a property map rather than through the
// client factory (topics::KafkaAdminConfig::properties).
std::map<std::string, std::string> kafka_client_properties(const std::string& bootstrap);

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

// Reads one group's committed offsets again and again over one connection (one TLS and SASL
// handshake on a secured broker), without joining the group: for benchmarks that poll progress.
// Security from the environment, as every test client's; the broker from `bootstrap`.
class CommittedOffsetsView {
 public:
  CommittedOffsetsView(const std::string& bootstrap, const std::string& group);
  ~CommittedOffsetsView();
  CommittedOffsetsView(const CommittedOffsetsView&) = delete;
  CommittedOffsetsView& operator=(const CommittedOffsetsView&) = delete;
  // Per partition 0..partitions-1 of `topic` (-1 when none; asked up to 5 times while the
  // coordinator does not answer).
  std::vector<int64_t> offsets(const std::string& topic, int partitions);
  // Their sum, a partition without an offset counting 0 (what committed_total answers).
  int64_t total(const std::string& topic, int partitions);

 private:
  struct Consumer;
  std::unique_ptr<Consumer> consumer_;
};

// Polls `condition` every `poll` until it holds (true) or `timeout` passed (false). What tests
// use instead of a sleep: they wait for something they can observe, with a deadline.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = std::chrono::milliseconds(200));

// Sum over `topic`'s partitions of `group`'s committed offsets (a partition without one counts 0):
// how many inputs the group has processed for good, when the topic started at offset 0.
int64_t committed_total(const std::string& bootstrap, const std::string& group, const std::string& topic,
                        int partitions);

// End offset (high watermark) per partition of `topic` now, partitions holding records only;
// empty when the broker does not answer.
// Under kReadCommitted: the last stable offset instead, which stays behind the high watermark
// while a transaction with records on that partition is open.
std::map<int32_t, int64_t> end_offsets(const std::string& bootstrap, const std::string& topic,
                                       Isolation isolation = Isolation::kReadUncommitted);

// Until `group` has committed, on every partition of every topic in `topics`, up to the end that
// partition had at the call. A transactional loop commits its input offsets in the transaction
// of the outputs, so afterwards every output of every input produced before the call is
// committed, and read_topic(..., expected = 0) of an output topic sees all of them: the sound
// way to check that nothing more (no duplicate, no DLQ record) appears. False on timeout.
bool wait_caught_up(const std::string& bootstrap, const std::string& group, const std::vector<std::string>& topics,
                    std::chrono::milliseconds timeout);

// A consumer group as the group coordinator describes it (admin API).
struct GroupMember {
  std::string instance_id;  // group.instance.id (static membership), empty when none
  std::string client_id;
  std::vector<std::pair<std::string, int32_t>> partitions;  // assigned (topic, partition)
};
struct GroupView {
  std::string state;  // "Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead"
  std::vector<GroupMember> members;
};
std::optional<GroupView> describe_group(const std::string& bootstrap, const std::string& group);

// Until `group` is Stable with `members` members that together hold `partitions` partitions.
bool wait_group(const std::string& bootstrap, const std::string& group, size_t members, size_t partitions,
                std::chrono::milliseconds timeout);

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
