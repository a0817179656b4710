#pragma once
// `caselinkctl lag`: per consumer group and partition the committed offset, the end offset
// (last stable offset: what a read_committed consumer can reach), the lag, and a verdict from
// two samples taken --interval apart, after Burrow's evaluation rules:
//   OK              lag zero in either sample, or the group committed and the lag shrank;
//   FALLING_BEHIND  the group committed but the lag did not shrink (Burrow: WARNING);
//   STALLED         lag, the offset did not move, and the group has members (Burrow: STALL —
//                   a consumer is there but stuck, e.g. on one record);
//   STOPPED         lag, the offset did not move, and the group has no member (Burrow: STOP —
//                   nothing is consuming). Kafka does not say when an offset was committed,
//                   so membership stands in for Burrow's commit-age test.

#include <chrono>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "services/tools/ctl/ops.h"
#include "services/tools/ctl/ops_cluster.h"

namespace caselink::ctl {

enum class LagVerdict { kOk, kFallingBehind, kStalled, kStopped };
const char* to_string(LagVerdict verdict);

struct LagSample {
  int64_t committed = -1;  // -1: the group never committed on this partition
  int64_t low = 0;         // earliest offset still on the partition
  int64_t end = 0;         // last stable offset
  // end - committed; from the earliest offset still there when the group never committed or
  // committed an offset retention has since deleted.
  [[nodiscard]] int64_t lag() const;
};

// Pure: the verdict of two samples of one partition, `first` taken before `second`.
LagVerdict judge(const LagSample& first, const LagSample& second, bool group_has_members);

struct PartitionLag {
  std::string group;
  std::string topic;
  int32_t partition = -1;
  LagSample first;
  LagSample second;
  std::string group_state;
  size_t members = 0;
  LagVerdict verdict = LagVerdict::kOk;
  // The offsets between committed and end hold no record a read_committed consumer would get
  // (transaction markers, aborted records): caught up, whatever end - committed says.
  bool markers_only = false;
};

std::string render_lag_text(const std::vector<PartitionLag>& rows, std::chrono::milliseconds interval);
std::string render_lag_json(const std::vector<PartitionLag>& rows, std::chrono::milliseconds interval);

struct LagRequest {
  std::vector<std::string> groups;  // empty: every group that committed on a caselink topic
  std::chrono::milliseconds interval{5000};
  // Waits between the samples; tests pass one that produces or consumes meanwhile.
  std::function<void(std::chrono::milliseconds)> wait;
};

// The two samples and their verdicts, per group and partition (what lag_command prints; the
// console's ops page shows it). Errors: kNotFound a named group does not exist, else the
// broker's error.
Result<std::vector<PartitionLag>> collect_lag(const LagRequest& request, OpsCluster& cluster);

// A partition with lag whose verdict is not OK is read from its committed offset to its end
// (OpsCluster::has_records_from): when nothing is there but transaction markers, it is OK.
// Exit: kOk every partition OK, kAttention some FALLING_BEHIND, kFailing some STALLED or
// STOPPED, kNotFound a named group does not exist, kBrokerError.
int lag_command(const LagRequest& request, OpsCluster& cluster, const OpsOptions& options, std::ostream& out,
                std::ostream& err);

}  // namespace caselink::ctl
