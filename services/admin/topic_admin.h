#pragma once

// The librdkafka (C admin API) implementation of TopicCluster. Every librdkafka call of the
// admin module lives in topic_admin.cc; nothing here throws.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "services/admin/result.h"
#include "services/admin/topic_plan.h"

namespace caselink::admin {

struct KafkaAdminConfig {
  std::string bootstrap = "127.0.0.1:9092";
  // Per request: metadata, DescribeConfigs, CreateTopics (also the broker's operation
  // timeout), CreatePartitions, AlterConfigs. An unreachable broker fails after this long.
  std::chrono::milliseconds timeout{30000};
  // librdkafka's own log lines (syslog level, text); empty: dropped.
  std::function<void(int level, const std::string& line)> log;
};

// Creates the client (no connection is made until the first describe()).
Result<std::unique_ptr<TopicCluster>> make_kafka_topic_cluster(const KafkaAdminConfig& config);

// The one place librdkafka error codes (rd_kafka_resp_err_t values) become decisions.
ErrorCode classify_kafka_error(int rd_kafka_resp_err);

}  // namespace caselink::admin
