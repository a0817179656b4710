#pragma once

// Plan/apply separation for caselink-topics. compute_plan() compares the spec with what the
// cluster reports and is pure; reconcile() drives a TopicCluster (the librdkafka adapter in
// topic_admin.h, or a fake in tests): describe -> plan -> print -> execute -> verify.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "services/lib/core/result.h"
#include "services/tools/topics/topic_spec.h"

namespace caselink::topics {

// ---- What the cluster has ------------------------------------------------------------------

struct ExistingConfig {
  std::string value;     // empty when the broker hides it (sensitive) or has none
  bool dynamic = false;  // set on the topic itself (DescribeConfigs source DYNAMIC_TOPIC_CONFIG)
};

struct ExistingTopic {
  int32_t partitions = 0;
  int16_t replication_factor = 0;  // smallest replica count over the partitions
  // Every topic config the broker reports for the topic, defaults included.
  std::map<std::string, ExistingConfig> configs;
};

struct ClusterState {
  int broker_count = 0;                          // 0 = unknown
  std::map<std::string, ExistingTopic> topics;  // only the requested topics that exist
};

// ---- The plan -------------------------------------------------------------------------------

enum class ActionKind { kCreate, kAddPartitions, kAlterConfigs, kOk, kError };

const char* to_string(ActionKind kind);

// How caselink-topics names an error's class in its output ("... [rejected]"): unavailable
// (retry later), rejected (the broker, or Kafka's AclCommand, refused: reason
// kafka::kBrokerRefused), invalid_spec (the spec or the command line is wrong, found before
// anything was sent), internal (anything else: a bug).
const char* error_label(const Error& error);

struct ConfigChange {
  std::string key;
  std::optional<std::string> from;  // nullopt: not reported by the broker
  std::optional<std::string> to;    // nullopt: removed (reverts to the broker default)
};

struct TopicAction {
  ActionKind kind = ActionKind::kOk;
  std::string topic;
  int32_t partitions = 0;          // kCreate: partition count; kAddPartitions: new total
  int32_t current_partitions = 0;  // kAddPartitions: the count today
  int16_t replication_factor = 0;  // kCreate
  // kCreate and kAlterConfigs: the full config set to send. AlterConfigs (non-incremental, the
  // only one librdkafka 2.0.2 has) replaces every dynamic config of the topic, so it is always
  // the complete spec'd set, never just the changed keys.
  std::map<std::string, std::string> configs;
  std::vector<ConfigChange> changes;  // kAlterConfigs: what differs today
  std::string message;                // kError: what is wrong and what to do
};

struct Plan {
  // Per spec topic, in spec order: [CREATE] | [ADD_PARTITIONS] [ALTER_CONFIGS] | [OK] | [ERROR...].
  // A topic with an ERROR gets no other action: the tool leaves it untouched.
  std::vector<TopicAction> actions;

  [[nodiscard]] bool has_errors() const;
  [[nodiscard]] std::vector<TopicAction> changes() const;  // CREATE, ADD_PARTITIONS, ALTER_CONFIGS
  [[nodiscard]] std::size_t count(ActionKind kind) const;
};

Plan compute_plan(const TopicsSpec& spec, const ClusterState& state);

// One line per action, e.g. "ADD_PARTITIONS  caselink.x.v1  partitions 3 -> 6".
std::string format_action(const TopicAction& action);
// Every action, then "plan: 2 create, 0 add-partitions, 1 alter-configs, 12 ok, 0 error".
void print_plan(const Plan& plan, std::ostream& out);

// ---- The cluster seam -----------------------------------------------------------------------

struct ActionOutcome {
  ActionKind kind = ActionKind::kOk;
  std::string topic;
  std::optional<Error> error;  // nullopt: done (or, when validating, accepted)
};

class TopicCluster {
 public:
  virtual ~TopicCluster() = default;

  // Which of `topics` exist, with partitions, replication factor and configs.
  virtual Result<ClusterState> describe(const std::vector<std::string>& topics) = 0;

  // Runs the CREATE / ADD_PARTITIONS / ALTER_CONFIGS actions; one outcome per action. With
  // validate_only the broker only checks them (used by --dry-run).
  virtual std::vector<ActionOutcome> execute(const std::vector<TopicAction>& actions, bool validate_only) = 0;
};

// ---- Reconcile ------------------------------------------------------------------------------

struct ReconcileOptions {
  bool dry_run = false;
  // After applying, re-read the cluster until every changed topic plans OK (metadata and
  // configs propagate asynchronously), at most verify_attempts times.
  int verify_attempts = 50;
  std::chrono::milliseconds verify_interval{200};
  std::function<void(std::chrono::milliseconds)> sleep;  // empty: std::this_thread::sleep_for
};

enum class Outcome {
  kInLine = 0,          // the cluster matches the spec (exit 0)
  kFailed = 1,          // errors in the plan, a broker refusal, unreachable broker (exit 1)
  kPendingChanges = 2,  // --dry-run only: changes would be made (exit 2)
};

struct ReconcileReport {
  Outcome outcome = Outcome::kFailed;
  Plan plan;
  std::vector<ActionOutcome> executed;  // in dry-run: the broker's validation results
  std::vector<std::string> errors;      // everything that went wrong, one line each

  [[nodiscard]] int exit_code() const { return static_cast<int>(outcome); }
};

// Prints the plan and what happened to `out`.
ReconcileReport reconcile(const TopicsSpec& spec, TopicCluster& cluster, const ReconcileOptions& options,
                          std::ostream& out);

}  // namespace caselink::topics
