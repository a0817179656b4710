#include "services/tools/ctl/ops_lag.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "services/tools/ctl/commands.h"
#include "services/tools/ctl/ops_format.h"

namespace caselink::ctl {

const char* to_string(LagVerdict verdict) {
  switch (verdict) {
    case LagVerdict::kOk:
      return "OK";
    case LagVerdict::kFallingBehind:
      return "FALLING_BEHIND";
    case LagVerdict::kStalled:
      return "STALLED";
    case LagVerdict::kStopped:
      return "STOPPED";
  }
  return "OK";
}

int64_t LagSample::lag() const { return std::max<int64_t>(0, end - std::max(committed, low)); }

LagVerdict judge(const LagSample& first, const LagSample& second, bool group_has_members) {
  // Burrow rule 1: a zero lag anywhere in the window means the consumer keeps up.
  if (first.lag() == 0 || second.lag() == 0) return LagVerdict::kOk;
  if (second.committed > first.committed) {
    // Rules 3 and 5: committing; fine while the lag shrinks, a warning while it does not.
    return second.lag() < first.lag() ? LagVerdict::kOk : LagVerdict::kFallingBehind;
  }
  // Rules 2 and 4: lag and no progress: stuck with members, stopped without.
  return group_has_members ? LagVerdict::kStalled : LagVerdict::kStopped;
}

namespace {

using Sample = std::map<std::pair<std::string, TopicPartitionKey>, LagSample>;

constexpr const char* kPrefix = "caselink.";

// Committed offsets of the groups on caselink topics, with each partition's ends.
Result<Sample> take_sample(OpsCluster& cluster, const std::vector<std::string>& groups) {
  Sample sample;
  std::map<std::string, std::vector<PartitionEnd>> ends;
  for (const auto& group : groups) {
    auto committed = cluster.committed(group);
    if (!committed.ok()) return committed.error();
    for (const auto& [tp, offset] : committed.value()) {
      if (tp.first.rfind(kPrefix, 0) != 0) continue;
      if (ends.count(tp.first) == 0) {
        auto e = cluster.ends(tp.first);
        if (!e.ok()) return e.error();
        ends[tp.first] = std::move(e).value();
      }
      LagSample s{offset, 0, 0};
      for (const auto& pe : ends[tp.first]) {
        if (pe.partition == tp.second) s = {offset, pe.low, pe.stable};
      }
      sample[{group, tp}] = s;
    }
  }
  return sample;
}

Result<std::vector<std::string>> groups_to_check(OpsCluster& cluster, const std::vector<std::string>& named) {
  auto all = cluster.groups();
  if (!all.ok()) return all.error();
  if (named.empty()) return all;
  for (const auto& g : named) {
    if (std::find(all.value().begin(), all.value().end(), g) == all.value().end()) {
      return Error::not_found("consumer group " + g + " does not exist");
    }
  }
  return named;
}

}  // namespace

std::string render_lag_text(const std::vector<PartitionLag>& rows, std::chrono::milliseconds interval) {
  Table table({"GROUP", "TOPIC", "PART", "COMMITTED", "END", "LAG", "LAG BEFORE", "STATE", "VERDICT"});
  for (const auto& r : rows) {
    table.add({r.group, r.topic, std::to_string(r.partition),
               r.second.committed < 0 ? "-" : std::to_string(r.second.committed), std::to_string(r.second.end),
               std::to_string(r.second.lag()) + (r.markers_only ? " (markers)" : ""), std::to_string(r.first.lag()),
               r.group_state + " (" + std::to_string(r.members) + ")", to_string(r.verdict)});
  }
  std::map<LagVerdict, size_t> count;
  for (const auto& r : rows) ++count[r.verdict];
  std::string summary = std::to_string(rows.size()) + " partition(s) over " + human_duration(interval.count());
  for (const auto& [v, n] : count) summary += ", " + std::to_string(n) + " " + to_string(v);
  return table.render() + summary + "\n";
}

std::string render_lag_json(const std::vector<PartitionLag>& rows, std::chrono::milliseconds interval) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& r : rows) {
    arr.push_back({{"group", r.group},
                   {"topic", r.topic},
                   {"partition", r.partition},
                   {"committed", r.second.committed},
                   {"end", r.second.end},
                   {"lag", r.second.lag()},
                   {"markers_only", r.markers_only},
                   {"first_sample", {{"committed", r.first.committed}, {"end", r.first.end}, {"lag", r.first.lag()}}},
                   {"group_state", r.group_state},
                   {"members", r.members},
                   {"verdict", to_string(r.verdict)}});
  }
  return nlohmann::json{{"interval_ms", interval.count()}, {"partitions", arr}}.dump(2);
}

Result<std::vector<PartitionLag>> collect_lag(const LagRequest& request, OpsCluster& cluster) {
  auto groups = groups_to_check(cluster, request.groups);
  if (!groups.ok()) return groups.error();
  auto first = take_sample(cluster, groups.value());
  if (!first.ok()) return first.error();
  request.wait ? request.wait(request.interval) : std::this_thread::sleep_for(request.interval);
  auto second = take_sample(cluster, groups.value());
  if (!second.ok()) return second.error();
  std::vector<PartitionLag> rows;
  std::map<std::string, GroupInfo> infos;
  for (const auto& [key, now] : second.value()) {
    const auto& group = key.first;
    if (infos.count(group) == 0) {
      auto info = cluster.describe_group(group);
      if (!info.ok()) return info.error();
      infos[group] = std::move(info).value();
    }
    const auto it = first.value().find(key);
    const LagSample before = it == first.value().end() ? now : it->second;
    const GroupInfo& info = infos[group];
    PartitionLag row{group, key.second.first, key.second.second, before, now, info.state, info.members.size(),
                     judge(before, now, !info.members.empty()), false};
    if (row.verdict != LagVerdict::kOk) {
      auto pending = cluster.has_records_from(row.topic, row.partition, std::max(now.committed, now.low));
      if (!pending.ok()) return pending.error();
      row.markers_only = !pending.value();
      if (row.markers_only) row.verdict = LagVerdict::kOk;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

int lag_command(const LagRequest& request, OpsCluster& cluster, const OpsOptions& options, std::ostream& out,
                std::ostream& err) {
  auto rows = collect_lag(request, cluster);
  if (!rows.ok()) {
    err << "caselinkctl: " << rows.error().message << "\n";
    return rows.error().code == ErrorCode::kNotFound ? kNotFound : kBrokerError;
  }
  out << (options.json ? render_lag_json(*rows, request.interval) + "\n" : render_lag_text(*rows, request.interval));
  auto worst = LagVerdict::kOk;
  for (const auto& r : *rows) worst = std::max(worst, r.verdict);
  return worst == LagVerdict::kOk ? kOk : worst == LagVerdict::kFallingBehind ? kAttention : kFailing;
}

}  // namespace caselink::ctl
