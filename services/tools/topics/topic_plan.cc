#include "services/tools/topics/topic_plan.h"

#include "services/lib/kafka/errors.h"

#include <algorithm>
#include <set>
#include <thread>

namespace caselink::topics {
namespace {

bool is_change(ActionKind kind) {
  return kind == ActionKind::kCreate || kind == ActionKind::kAddPartitions || kind == ActionKind::kAlterConfigs;
}

TopicAction error_action(const std::string& topic, std::string message) {
  TopicAction a;
  a.kind = ActionKind::kError;
  a.topic = topic;
  a.message = std::move(message);
  return a;
}

std::string join_configs(const std::map<std::string, std::string>& configs) {
  std::string out;
  for (const auto& [key, value] : configs) {
    out += " " + key + "=" + value;
  }
  return out;
}

void plan_existing(const TopicSpec& t, const ExistingTopic& e, std::vector<TopicAction>& out) {
  std::vector<TopicAction> errors;
  if (e.replication_factor != t.replication_factor) {
    errors.push_back(error_action(
        t.name, "replication factor is " + std::to_string(e.replication_factor) + " on the cluster, the spec wants " +
                    std::to_string(t.replication_factor) +
                    ": this tool does not change replication (reassign the partitions with Kafka's tools, or pass "
                    "--replication-factor " +
                    std::to_string(e.replication_factor) + " if the spec is what is wrong)"));
  }
  if (e.partitions > t.partitions) {
    errors.push_back(error_action(
        t.name, "has " + std::to_string(e.partitions) + " partitions, the spec wants " + std::to_string(t.partitions) +
                    ": Kafka cannot remove partitions (raise partitions in the spec, or delete and recreate the "
                    "topic, losing its data)"));
  }
  for (const auto& [key, value] : t.configs) {
    if (e.configs.find(key) == e.configs.end()) {
      errors.push_back(error_action(t.name, "the broker does not know the topic config '" + key + "' (typo?)"));
    }
  }
  if (!errors.empty()) {
    out.insert(out.end(), errors.begin(), errors.end());
    return;
  }

  const std::size_t before = out.size();
  if (e.partitions < t.partitions) {
    TopicAction a;
    a.kind = ActionKind::kAddPartitions;
    a.topic = t.name;
    a.partitions = t.partitions;
    a.current_partitions = e.partitions;
    out.push_back(std::move(a));
  }

  std::vector<ConfigChange> changes;
  for (const auto& [key, value] : t.configs) {
    const ExistingConfig& have = e.configs.at(key);
    if (have.value != value) {
      changes.push_back({key, have.value, value});
    }
  }
  for (const auto& [key, have] : e.configs) {
    if (have.dynamic && t.configs.find(key) == t.configs.end()) {
      changes.push_back({key, have.value, std::nullopt});  // set by hand: AlterConfigs will drop it
    }
  }
  if (!changes.empty()) {
    std::sort(changes.begin(), changes.end(), [](const ConfigChange& a, const ConfigChange& b) { return a.key < b.key; });
    TopicAction a;
    a.kind = ActionKind::kAlterConfigs;
    a.topic = t.name;
    a.configs = t.configs;
    a.changes = std::move(changes);
    out.push_back(std::move(a));
  }

  if (out.size() == before) {
    TopicAction a;
    a.kind = ActionKind::kOk;
    a.topic = t.name;
    out.push_back(std::move(a));
  }
}

// Topics whose every change succeeded: they must plan OK once the cluster has caught up.
std::set<std::string> topics_to_verify(const std::vector<ActionOutcome>& outcomes) {
  std::set<std::string> ok;
  std::set<std::string> failed;
  for (const ActionOutcome& o : outcomes) {
    (o.error ? failed : ok).insert(o.topic);
  }
  for (const std::string& f : failed) {
    ok.erase(f);
  }
  return ok;
}

}  // namespace

const char* error_label(const Error& error) {
  if (error.code == ErrorCode::kUnavailable) return "unavailable";
  if (error.reason == kafka::kBrokerRefused) return "rejected";
  if (error.code == ErrorCode::kInvalid) return "invalid_spec";
  return "internal";
}

const char* to_string(ActionKind kind) {
  switch (kind) {
    case ActionKind::kCreate:
      return "CREATE";
    case ActionKind::kAddPartitions:
      return "ADD_PARTITIONS";
    case ActionKind::kAlterConfigs:
      return "ALTER_CONFIGS";
    case ActionKind::kOk:
      return "OK";
    case ActionKind::kError:
      return "ERROR";
  }
  return "ERROR";
}

bool Plan::has_errors() const { return count(ActionKind::kError) > 0; }

std::vector<TopicAction> Plan::changes() const {
  std::vector<TopicAction> out;
  std::copy_if(actions.begin(), actions.end(), std::back_inserter(out),
               [](const TopicAction& a) { return is_change(a.kind); });
  return out;
}

std::size_t Plan::count(ActionKind kind) const {
  return static_cast<std::size_t>(
      std::count_if(actions.begin(), actions.end(), [kind](const TopicAction& a) { return a.kind == kind; }));
}

Plan compute_plan(const TopicsSpec& spec, const ClusterState& state) {
  Plan plan;
  for (const TopicSpec& t : spec.topics) {
    const auto it = state.topics.find(t.name);
    if (it != state.topics.end()) {
      plan_existing(t, it->second, plan.actions);
      continue;
    }
    if (state.broker_count > 0 && t.replication_factor > state.broker_count) {
      plan.actions.push_back(error_action(
          t.name, "replication factor " + std::to_string(t.replication_factor) + " but the cluster has " +
                      std::to_string(state.broker_count) + " broker(s): pass --replication-factor " +
                      std::to_string(state.broker_count) + " or start more brokers"));
      continue;
    }
    TopicAction a;
    a.kind = ActionKind::kCreate;
    a.topic = t.name;
    a.partitions = t.partitions;
    a.replication_factor = t.replication_factor;
    a.configs = t.configs;
    plan.actions.push_back(std::move(a));
  }
  return plan;
}

std::string format_action(const TopicAction& a) {
  std::string kind = to_string(a.kind);
  kind.resize(std::max<std::size_t>(kind.size(), 15), ' ');
  std::string out = kind + " " + a.topic;
  switch (a.kind) {
    case ActionKind::kCreate:
      out += "  partitions=" + std::to_string(a.partitions) +
             " replication_factor=" + std::to_string(a.replication_factor) + join_configs(a.configs);
      break;
    case ActionKind::kAddPartitions:
      out += "  partitions " + std::to_string(a.current_partitions) + " -> " + std::to_string(a.partitions);
      break;
    case ActionKind::kAlterConfigs: {
      std::string sep = "  ";
      for (const ConfigChange& c : a.changes) {
        out += sep + c.key + " " + c.from.value_or("(unset)") + " -> " + c.to.value_or("(broker default)");
        sep = ", ";
      }
      break;
    }
    case ActionKind::kError:
      out += "  " + a.message;
      break;
    case ActionKind::kOk:
      break;
  }
  return out;
}

void print_plan(const Plan& plan, std::ostream& out) {
  for (const TopicAction& a : plan.actions) {
    out << format_action(a) << '\n';
  }
  out << "plan: " << plan.count(ActionKind::kCreate) << " create, " << plan.count(ActionKind::kAddPartitions)
      << " add-partitions, " << plan.count(ActionKind::kAlterConfigs) << " alter-configs, "
      << plan.count(ActionKind::kOk) << " ok, " << plan.count(ActionKind::kError) << " error\n";
}

ReconcileReport reconcile(const TopicsSpec& spec, TopicCluster& cluster, const ReconcileOptions& options,
                          std::ostream& out) {
  ReconcileReport report;
  auto sleep = options.sleep ? options.sleep : [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };

  Result<ClusterState> state = cluster.describe(spec.names());
  if (!state) {
    report.errors.push_back(state.error().message);
    out << "error: " << state.error().message << '\n';
    return report;
  }
  report.plan = compute_plan(spec, state.value());
  print_plan(report.plan, out);
  for (const TopicAction& a : report.plan.actions) {
    if (a.kind == ActionKind::kError) {
      report.errors.push_back(a.topic + ": " + a.message);
    }
  }

  const std::vector<TopicAction> changes = report.plan.changes();
  if (!changes.empty()) {
    report.executed = cluster.execute(changes, options.dry_run);
  }
  for (const ActionOutcome& o : report.executed) {
    const std::string what = std::string(to_string(o.kind)) + " " + o.topic;
    if (o.error) {
      const std::string line = what + ": " + (options.dry_run ? "the broker would refuse: " : "failed: ") +
                               o.error->message + " [" + error_label(*o.error) + "]";
      report.errors.push_back(line);
      out << "error: " << line << '\n';
    } else if (!options.dry_run) {
      out << "applied: " << what << '\n';
    }
  }

  if (options.dry_run) {
    out << "dry run: nothing changed\n";
    report.outcome = !report.errors.empty() ? Outcome::kFailed
                     : changes.empty()      ? Outcome::kInLine
                                            : Outcome::kPendingChanges;
    return report;
  }

  std::set<std::string> pending = topics_to_verify(report.executed);
  for (int attempt = 0; !pending.empty() && attempt < options.verify_attempts; ++attempt) {
    if (attempt > 0) {
      sleep(options.verify_interval);
    }
    Result<ClusterState> now = cluster.describe(std::vector<std::string>(pending.begin(), pending.end()));
    if (!now) {
      continue;
    }
    for (const TopicAction& a : compute_plan(spec, now.value()).actions) {
      if (a.kind == ActionKind::kOk) {
        pending.erase(a.topic);
      }
    }
  }
  for (const std::string& topic : pending) {
    const std::string line = topic + ": changed, but the cluster did not report it in line with the spec in time "
                                     "(run apply again to see what differs)";
    report.errors.push_back(line);
    out << "error: " << line << '\n';
  }
  if (!changes.empty() && pending.empty() && report.errors.empty()) {
    out << "verified: the cluster matches the spec\n";
  }
  report.outcome = report.errors.empty() ? Outcome::kInLine : Outcome::kFailed;
  return report;
}

}  // namespace caselink::topics
