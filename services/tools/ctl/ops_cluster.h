#pragma once
// What caselinkctl's ops commands ask the cluster: topic metadata, end offsets, consumer
// groups and their committed offsets. One object per command run; read-only (it commits,
// creates and deletes nothing). Consumers come from kafka::make_conf (the one place clients are
// configured); the group calls go through caselink-topics' AdminClient (linked, not copied).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "services/tools/topics/topic_admin.h"
#include "services/lib/core/result.h"
#include "services/lib/kafka/settings.h"

namespace caselink::ctl {

struct PartitionEnd {
  int32_t partition = -1;
  int32_t replicas = 0;
  int64_t low = 0;     // earliest offset still on the partition (retention/compaction moved it)
  int64_t high = 0;    // high watermark: where the next record will go
  int64_t stable = 0;  // last stable offset: how far a read_committed consumer can read
};

struct GroupMember {
  std::string client_id;
  std::string host;
  std::vector<std::pair<std::string, int32_t>> assignment;
};

struct GroupInfo {
  std::string group_id;
  std::string state;  // librdkafka's name: Stable, Empty, PreparingRebalance, Dead, ...
  std::vector<GroupMember> members;
};

using TopicPartitionKey = std::pair<std::string, int32_t>;

// caselink-topics' admin client settings for `settings`: its kafka.properties plus the typed
// security settings (as librdkafka properties), so the admin calls connect like every client.
topics::KafkaAdminConfig admin_config(const kafka::KafkaSettings& settings, std::chrono::milliseconds timeout);

class OpsCluster {
 public:
  // Creates the clients (no connection yet). `timeout` bounds every broker call.
  static Result<std::unique_ptr<OpsCluster>> create(const kafka::KafkaSettings& settings, std::chrono::milliseconds timeout);
  virtual ~OpsCluster() = default;

  // Every topic the cluster has (internal ones such as __consumer_offsets excluded), sorted.
  virtual Result<std::vector<std::string>> topics() = 0;
  // Partition ends of one topic (error kNotFound when it does not exist).
  virtual Result<std::vector<PartitionEnd>> ends(const std::string& topic) = 0;
  // Every consumer group the brokers know (simple groups included), sorted.
  virtual Result<std::vector<std::string>> groups() = 0;
  virtual Result<GroupInfo> describe_group(const std::string& group) = 0;
  // The offsets the group committed, per topic partition.
  virtual Result<std::map<TopicPartitionKey, int64_t>> committed(const std::string& group) = 0;
  // Whether a read_committed consumer would get any record at or after `from` on the
  // partition now. Transaction markers (commit/abort) and aborted records take offsets but are
  // never delivered, so a group that consumed everything of a transactionally written topic
  // still shows end - committed >= 1; this tells such a "lag" from records really waiting.
  virtual Result<bool> has_records_from(const std::string& topic, int32_t partition, int64_t from) = 0;
};

}  // namespace caselink::ctl
