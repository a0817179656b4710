#pragma once
// `caselinkctl topics`: every caselink topic on the cluster and in deploy/topics.yaml, with
// partitions, replication, end offsets, retention or compaction, and its drift from the spec.
// The drift is caselink-topics' own plan (topics::compute_plan), so "in line" here means
// exactly "caselink-topics apply would change nothing".

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "services/tools/topics/topic_plan.h"
#include "services/tools/topics/topic_spec.h"
#include "services/tools/ctl/ops.h"
#include "services/tools/ctl/ops_cluster.h"

namespace caselink::ctl {

struct TopicReport {
  std::string name;
  bool in_spec = false;
  bool on_cluster = false;
  int32_t partitions = 0;
  int16_t replication_factor = 0;
  std::string cleanup_policy;         // as the cluster reports it ("delete", "compact")
  std::optional<int64_t> retention_ms;  // delete topics: as the cluster reports it (-1 forever)
  std::vector<PartitionEnd> ends;
  std::vector<std::string> drift;  // empty: in line with the spec
};

// Pure: one report per caselink topic (spec order first, then topics only on the cluster).
// `cluster_topics` are the caselink.* topics the cluster has; `state` their description;
// `ends` their partition ends.
std::vector<TopicReport> build_topic_reports(const topics::TopicsSpec& spec, const topics::ClusterState& state,
                                             const std::vector<std::string>& cluster_topics,
                                             const std::map<std::string, std::vector<PartitionEnd>>& ends);

std::string render_topics_text(const std::vector<TopicReport>& reports);
std::string render_topics_json(const std::vector<TopicReport>& reports);

struct TopicsRequest {
  std::string spec_path = "deploy/topics.yaml";
  std::vector<std::string> only;  // empty: every caselink topic
};

// Exit: kOk in line, kAttention some drift, kBrokerError, kUsage (spec unreadable).
int topics_command(const TopicsRequest& request, const OpsOptions& options, std::ostream& out, std::ostream& err);

}  // namespace caselink::ctl
