#include "services/tools/ctl/ops_cluster.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>

#include "services/tools/topics/admin_client.h"
#include "services/lib/core/uuid.h"
#include "services/lib/kafka/errors.h"
#include "services/lib/kafka/factory.h"
#include "services/lib/kafka/topic_reader.h"

namespace caselink::ctl {

namespace {

// The admin client's errors (classified by kafka::request_error) as the ops commands report
// them: they send no request a user wrote, so a refusal by the broker is internal here, like
// any other unexpected answer; only the settings (invalid) and reachability (unavailable) remain.
Error from_admin(const Error& e) {
  if (e.code == ErrorCode::kUnavailable) return Error::unavailable(e.message);
  if (e.code == ErrorCode::kInvalid && e.reason != kafka::kBrokerRefused) return Error::invalid(e.message);
  return Error::internal(e.message);
}

// A handle used only for watermarks: never subscribed, never commits. A read_committed one
// answers the last stable offset as "high" (librdkafka >= 1.7.1).
Result<std::unique_ptr<RdKafka::Consumer>> offsets_handle(const kafka::KafkaSettings& settings,
                                                          const std::string& isolation) {
  return kafka::make_offsets_handle(settings, {{"group.id", "caselinkctl-" + new_uuid()},
                                               {"client.id", "caselinkctl"},
                                               {"isolation.level", isolation},
                                               {"log_level", "2"}});
}

class KafkaOpsCluster final : public OpsCluster {
 public:
  KafkaOpsCluster(kafka::KafkaSettings settings, topics::KafkaAdminConfig config,
                  std::unique_ptr<RdKafka::Consumer> uncommitted, std::unique_ptr<RdKafka::Consumer> committed)
      : settings_(std::move(settings)),
        admin_(std::move(config)),
        uncommitted_(std::move(uncommitted)),
        committed_(std::move(committed)) {}

  std::optional<Error> init() { return admin_.init(); }

  Result<std::vector<std::string>> topics() override {
    if (Status st = load_metadata(); !st.ok()) return st.error();
    std::vector<std::string> out;
    for (const auto& [name, parts] : replicas_) {
      if (name.rfind("__", 0) != 0) out.push_back(name);
    }
    return out;  // std::map: sorted
  }

  Result<std::vector<PartitionEnd>> ends(const std::string& topic) override {
    if (Status st = load_metadata(); !st.ok()) return st.error();
    auto it = replicas_.find(topic);
    if (it == replicas_.end()) return Error::not_found("topic " + topic + " does not exist");
    std::vector<PartitionEnd> out;
    for (const auto& [partition, replicas] : it->second) {
      PartitionEnd end{partition, replicas, 0, 0, 0};
      int64_t ignored = 0;
      if (uncommitted_->query_watermark_offsets(topic, partition, &end.low, &end.high, timeout_ms()) !=
              RdKafka::ERR_NO_ERROR ||
          committed_->query_watermark_offsets(topic, partition, &ignored, &end.stable, timeout_ms()) !=
              RdKafka::ERR_NO_ERROR) {
        return Error::unavailable("cannot read the offsets of " + topic + "[" + std::to_string(partition) +
                                  "] from " + admin_.config().bootstrap);
      }
      out.push_back(end);
    }
    return out;
  }

  Result<std::vector<std::string>> groups() override {
    auto options = admin_.admin_options(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, false);
    if (!options.ok()) return from_admin(options.error());
    rd_kafka_ListConsumerGroups(admin_.rk(), options.value().get(), admin_.queue());
    auto event = admin_.wait_for(RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, "ListConsumerGroups");
    if (!event.ok()) return from_admin(event.error());
    const auto* result = rd_kafka_event_ListConsumerGroups_result(event.value().get());
    size_t count = 0;
    const auto** listings = rd_kafka_ListConsumerGroups_result_valid(result, &count);
    std::vector<std::string> out;
    for (size_t i = 0; i < count; ++i) out.emplace_back(rd_kafka_ConsumerGroupListing_group_id(listings[i]));
    std::sort(out.begin(), out.end());
    return out;
  }

  Result<GroupInfo> describe_group(const std::string& group) override {
    auto options = admin_.admin_options(RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, false);
    if (!options.ok()) return from_admin(options.error());
    const char* names[] = {group.c_str()};
    rd_kafka_DescribeConsumerGroups(admin_.rk(), names, 1, options.value().get(), admin_.queue());
    auto event = admin_.wait_for(RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT, "DescribeConsumerGroups");
    if (!event.ok()) return from_admin(event.error());
    size_t count = 0;
    const auto** descs = rd_kafka_DescribeConsumerGroups_result_groups(
        rd_kafka_event_DescribeConsumerGroups_result(event.value().get()), &count);
    if (count != 1) return Error::internal("DescribeConsumerGroups answered " + std::to_string(count) + " groups");
    if (const rd_kafka_error_t* err = rd_kafka_ConsumerGroupDescription_error(descs[0])) {
      return Error::unavailable("group " + group + ": " + rd_kafka_error_string(err));
    }
    GroupInfo info{group, rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(descs[0])), {}};
    for (size_t m = 0; m < rd_kafka_ConsumerGroupDescription_member_count(descs[0]); ++m) {
      const auto* member = rd_kafka_ConsumerGroupDescription_member(descs[0], m);
      GroupMember gm{rd_kafka_MemberDescription_client_id(member), rd_kafka_MemberDescription_host(member), {}};
      const auto* parts = rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(member));
      for (int p = 0; parts != nullptr && p < parts->cnt; ++p) {
        gm.assignment.emplace_back(parts->elems[p].topic, parts->elems[p].partition);
      }
      info.members.push_back(std::move(gm));
    }
    return info;
  }

  Result<std::map<TopicPartitionKey, int64_t>> committed(const std::string& group) override {
    auto options = admin_.admin_options(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, false);
    if (!options.ok()) return from_admin(options.error());
    rd_kafka_ListConsumerGroupOffsets_t* request = rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), nullptr);
    rd_kafka_ListConsumerGroupOffsets(admin_.rk(), &request, 1, options.value().get(), admin_.queue());
    rd_kafka_ListConsumerGroupOffsets_destroy(request);
    auto event = admin_.wait_for(RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, "ListConsumerGroupOffsets");
    if (!event.ok()) return from_admin(event.error());
    size_t count = 0;
    const auto** groups = rd_kafka_ListConsumerGroupOffsets_result_groups(
        rd_kafka_event_ListConsumerGroupOffsets_result(event.value().get()), &count);
    std::map<TopicPartitionKey, int64_t> out;
    for (size_t g = 0; g < count; ++g) {
      if (const rd_kafka_error_t* err = rd_kafka_group_result_error(groups[g])) {
        return Error::unavailable("offsets of group " + group + ": " + rd_kafka_error_string(err));
      }
      const auto* parts = rd_kafka_group_result_partitions(groups[g]);
      for (int p = 0; parts != nullptr && p < parts->cnt; ++p) {
        const auto& tp = parts->elems[p];
        if (tp.err == RD_KAFKA_RESP_ERR_NO_ERROR && tp.offset >= 0) out[{tp.topic, tp.partition}] = tp.offset;
      }
    }
    return out;
  }

  Result<bool> has_records_from(const std::string& topic, int32_t partition, int64_t from) override {
    kafka::TopicReaderOptions options;
    options.partitions = {{topic, partition}};
    options.start = kafka::StartAt::offset(from);
    options.end = kafka::EndAt::kStableNow;
    options.client_id = "caselinkctl-lag";
    options.timeout = admin_.config().timeout;
    options.fail_when_brokers_down = true;
    options.properties = {{"log_level", "2"}};
    auto reader = kafka::TopicReader::open(settings_, std::move(options));
    if (!reader.ok()) return reader.error();
    bool found = false;
    const auto deadline = std::chrono::steady_clock::now() + admin_.config().timeout;
    while (!found && !reader.value()->at_end()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return Error::unavailable("reading " + topic + "[" + std::to_string(partition) + "] timed out");
      }
      const Status st = reader.value()->poll(std::chrono::milliseconds(200), [&](const ConsumedRecord&) { found = true; });
      if (!st.ok()) return st.error();
    }
    return found;
  }

 private:
  int timeout_ms() const { return admin_.timeout_ms(); }

  // One metadata request per run: topic -> partition -> replica count.
  Status load_metadata() {
    if (loaded_) return Status::success();
    const rd_kafka_metadata_t* raw = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(admin_.rk(), 1, nullptr, &raw, timeout_ms());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR || raw == nullptr) {
      return Error::unavailable("cannot read cluster metadata from " + admin_.config().bootstrap + " within " +
                                std::to_string(timeout_ms()) + " ms: " + rd_kafka_err2str(err));
    }
    topics::MetadataPtr md(raw);
    for (int t = 0; t < md->topic_cnt; ++t) {
      const auto& topic = md->topics[t];
      if (topic.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      auto& parts = replicas_[topic.topic];
      for (int p = 0; p < topic.partition_cnt; ++p) parts[topic.partitions[p].id] = topic.partitions[p].replica_cnt;
    }
    loaded_ = true;
    return Status::success();
  }

  kafka::KafkaSettings settings_;
  topics::AdminClient admin_;
  std::unique_ptr<RdKafka::Consumer> uncommitted_;
  std::unique_ptr<RdKafka::Consumer> committed_;
  bool loaded_ = false;
  std::map<std::string, std::map<int32_t, int32_t>> replicas_;
};

}  // namespace

topics::KafkaAdminConfig admin_config(const kafka::KafkaSettings& settings, std::chrono::milliseconds timeout) {
  topics::KafkaAdminConfig config;
  config.bootstrap = settings.bootstrap;
  config.timeout = timeout;
  config.properties = settings.properties;
  for (const auto& [property, key_value] : settings.security.properties()) {
    config.properties[property] = key_value.second;
  }
  return config;
}

Result<std::unique_ptr<OpsCluster>> OpsCluster::create(const kafka::KafkaSettings& settings,
                                                       std::chrono::milliseconds timeout) {
  topics::KafkaAdminConfig config = admin_config(settings, timeout);
  auto uncommitted = offsets_handle(settings, "read_uncommitted");
  if (!uncommitted.ok()) return uncommitted.error();
  auto committed = offsets_handle(settings, "read_committed");
  if (!committed.ok()) return committed.error();
  auto cluster = std::make_unique<KafkaOpsCluster>(settings, std::move(config), std::move(uncommitted).value(),
                                                   std::move(committed).value());
  if (auto err = cluster->init()) return from_admin(*err);
  return std::unique_ptr<OpsCluster>(std::move(cluster));
}

}  // namespace caselink::ctl
