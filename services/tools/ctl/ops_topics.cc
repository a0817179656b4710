#include "services/tools/ctl/ops_topics.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "services/tools/topics/topic_admin.h"
#include "services/tools/ctl/commands.h"
#include "services/tools/ctl/ops_format.h"

namespace caselink::ctl {

namespace {

constexpr const char* kPrefix = "caselink.";

std::string describe_change(const topics::ConfigChange& c) {
  return c.key + " " + c.from.value_or("(unset)") + ", spec " + c.to.value_or("(broker default)");
}

// caselink-topics' plan for one topic, in words: what differs and what `apply` would do.
std::vector<std::string> drift_of(const topics::Plan& plan, const std::string& topic) {
  std::vector<std::string> out;
  for (const auto& a : plan.actions) {
    if (a.topic != topic) continue;
    switch (a.kind) {
      case topics::ActionKind::kCreate:
        out.push_back("missing on the cluster");
        break;
      case topics::ActionKind::kAddPartitions:
        out.push_back("partitions " + std::to_string(a.current_partitions) + ", spec " + std::to_string(a.partitions));
        break;
      case topics::ActionKind::kAlterConfigs:
        for (const auto& c : a.changes) out.push_back(describe_change(c));
        break;
      case topics::ActionKind::kError:
        out.push_back(a.message);
        break;
      case topics::ActionKind::kOk:
        break;
    }
  }
  return out;
}

void fill_from_cluster(TopicReport& r, const topics::ExistingTopic& t) {
  r.on_cluster = true;
  r.partitions = t.partitions;
  r.replication_factor = t.replication_factor;
  if (auto it = t.configs.find("cleanup.policy"); it != t.configs.end()) r.cleanup_policy = it->second.value;
  if (auto it = t.configs.find("retention.ms"); it != t.configs.end() && !it->second.value.empty()) {
    try {
      r.retention_ms = std::stoll(it->second.value);
    } catch (const std::exception&) {
      r.retention_ms.reset();  // a broker answering nonsense: show nothing rather than guess
    }
  }
}

}  // namespace

std::vector<TopicReport> build_topic_reports(const topics::TopicsSpec& spec, const topics::ClusterState& state,
                                             const std::vector<std::string>& cluster_topics,
                                             const std::map<std::string, std::vector<PartitionEnd>>& ends) {
  const topics::Plan plan = topics::compute_plan(spec, state);
  std::vector<std::string> names = spec.names();
  for (const auto& t : cluster_topics) {
    if (t.rfind(kPrefix, 0) == 0 && spec.find(t) == nullptr) names.push_back(t);
  }
  std::vector<TopicReport> out;
  for (const auto& name : names) {
    TopicReport r;
    r.name = name;
    r.in_spec = spec.find(name) != nullptr;
    if (auto it = state.topics.find(name); it != state.topics.end()) fill_from_cluster(r, it->second);
    if (auto it = ends.find(name); it != ends.end()) r.ends = it->second;
    r.drift = r.in_spec ? drift_of(plan, name) : std::vector<std::string>{"not in the topic spec"};
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

int64_t total(const std::vector<PartitionEnd>& ends, int64_t PartitionEnd::*field) {
  int64_t sum = 0;
  for (const auto& e : ends) sum += e.*field;
  return sum;
}

std::string retention_text(const TopicReport& r) {
  if (!r.on_cluster) return "-";
  if (r.cleanup_policy.find("compact") != std::string::npos) {
    return r.cleanup_policy == "compact" ? "compact" : r.cleanup_policy;
  }
  return r.retention_ms ? human_duration(*r.retention_ms) : "?";
}

}  // namespace

std::string render_topics_text(const std::vector<TopicReport>& reports) {
  Table table({"TOPIC", "PARTS", "RF", "RETENTION", "RECORDS", "END OFFSETS", "DRIFT"});
  size_t drifting = 0;
  for (const auto& r : reports) {
    std::string offsets;
    for (const auto& e : r.ends) offsets += (offsets.empty() ? "" : " ") + std::to_string(e.high);
    const int64_t records = total(r.ends, &PartitionEnd::high) - total(r.ends, &PartitionEnd::low);
    std::string drift = r.drift.empty() ? "in line" : r.drift.front();
    if (r.drift.size() > 1) drift += " (+" + std::to_string(r.drift.size() - 1) + " more, see --json)";
    if (!r.drift.empty()) ++drifting;
    table.add({r.name, r.on_cluster ? std::to_string(r.partitions) : "-",
               r.on_cluster ? std::to_string(r.replication_factor) : "-", retention_text(r),
               r.on_cluster ? std::to_string(records) : "-", offsets.empty() ? "-" : offsets, drift});
  }
  return table.render() + std::to_string(reports.size()) + " topic(s), " + std::to_string(drifting) +
         " drifting from the spec\n";
}

std::string render_topics_json(const std::vector<TopicReport>& reports) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& r : reports) {
    nlohmann::json parts = nlohmann::json::array();
    for (const auto& e : r.ends) {
      parts.push_back({{"partition", e.partition}, {"replicas", e.replicas}, {"low", e.low}, {"high", e.high},
                       {"last_stable", e.stable}});
    }
    arr.push_back({{"topic", r.name},
                   {"in_spec", r.in_spec},
                   {"on_cluster", r.on_cluster},
                   {"partitions", r.partitions},
                   {"replication_factor", r.replication_factor},
                   {"cleanup_policy", r.cleanup_policy},
                   {"retention_ms", r.retention_ms ? nlohmann::json(*r.retention_ms) : nlohmann::json(nullptr)},
                   {"retention", retention_text(r)},
                   {"end_offsets", parts},
                   {"in_line", r.drift.empty()},
                   {"drift", r.drift}});
  }
  return nlohmann::json{{"topics", arr}}.dump(2);
}

int topics_command(const TopicsRequest& request, const OpsOptions& options, std::ostream& out, std::ostream& err) {
  auto spec = topics::load_topics_spec(request.spec_path);
  if (!spec.ok()) {
    err << "caselinkctl: --spec: " << topics::to_string(spec.error()) << "\n";
    return kUsage;
  }
  auto cluster = OpsCluster::create(options.kafka, options.timeout);
  if (!cluster.ok()) {
    err << "caselinkctl: " << cluster.error().message << "\n";
    return kBrokerError;
  }
  auto all = cluster.value()->topics();
  if (!all.ok()) {
    err << "caselinkctl: " << all.error().message << "\n";
    return kBrokerError;
  }
  std::vector<std::string> names;
  std::set<std::string> wanted(request.only.begin(), request.only.end());
  for (const auto& t : all.value()) {
    if (t.rfind(kPrefix, 0) == 0 && (wanted.empty() || wanted.count(t) > 0)) names.push_back(t);
  }
  topics::TopicsSpec selected = spec.value();
  if (!wanted.empty()) {
    std::erase_if(selected.topics, [&](const topics::TopicSpec& t) { return wanted.count(t.name) == 0; });
  }
  auto admin_cluster = topics::make_kafka_topic_cluster(admin_config(options.kafka, options.timeout));
  std::vector<std::string> described = names;
  for (const auto& t : selected.names()) described.push_back(t);
  auto state = admin_cluster.ok() ? admin_cluster.value()->describe(described)
                                  : Result<topics::ClusterState>(admin_cluster.error());
  if (!state.ok()) {
    err << "caselinkctl: " << state.error().message << "\n";
    return kBrokerError;
  }
  std::map<std::string, std::vector<PartitionEnd>> ends;
  for (const auto& t : names) {
    auto e = cluster.value()->ends(t);
    if (!e.ok()) {
      err << "caselinkctl: " << e.error().message << "\n";
      return kBrokerError;
    }
    ends[t] = std::move(e).value();
  }
  const auto reports = build_topic_reports(selected, state.value(), names, ends);
  out << (options.json ? render_topics_json(reports) + "\n" : render_topics_text(reports));
  const bool drift = std::any_of(reports.begin(), reports.end(), [](const auto& r) { return !r.drift.empty(); });
  return drift ? kAttention : kOk;
}

}  // namespace caselink::ctl
