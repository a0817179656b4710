#pragma once

// The librdkafka (C admin API) implementations of TopicCluster and AclCluster. Every librdkafka
// call of the admin module lives in topic_admin.cc, acl_admin.cc and admin_client.cc; nothing
// here throws.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "services/lib/core/result.h"
#include "services/tools/topics/acl_plan.h"
#include "services/tools/topics/topic_plan.h"

namespace caselink::topics {

struct KafkaAdminConfig {
  std::string bootstrap = "127.0.0.1:9092";
  // Per request: metadata, DescribeConfigs, CreateTopics (also the broker's operation
  // timeout), CreatePartitions, AlterConfigs. An unreachable broker fails after this long.
  std::chrono::milliseconds timeout{30000};
  // librdkafka's own log lines (syslog level, text); empty: dropped.
  std::function<void(int level, const std::string& line)> log;
  // Extra librdkafka settings (--client-config: security.protocol, sasl.*, ssl.*), applied
  // after caselink's own; bootstrap.servers in it is ignored (--bootstrap decides).
  std::map<std::string, std::string> properties;
  // ACLs on transactional ids only (librdkafka 2.0.2 has no TRANSACTIONAL_ID resource type):
  // Kafka's own AclCommand from these jars, authenticated with this Java client config.
  std::string kafka_libs;
  std::string java_client_config;
};

// Creates the client (no connection is made until the first describe()).
Result<std::unique_ptr<TopicCluster>> make_kafka_topic_cluster(const KafkaAdminConfig& config);
Result<std::unique_ptr<AclCluster>> make_kafka_acl_cluster(const KafkaAdminConfig& config);

}  // namespace caselink::topics
