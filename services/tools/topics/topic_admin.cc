#include "services/tools/topics/topic_admin.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "services/tools/topics/admin_client.h"
#include "services/lib/kafka/errors.h"

namespace caselink::topics {
namespace {

// librdkafka's accessors of one per-topic result: rd_kafka_topic_result_t (CreateTopics,
// CreatePartitions) or rd_kafka_ConfigResource_t (AlterConfigs).
template <typename R>
struct ResultAccess {
  const char* (*name)(const R*);
  rd_kafka_resp_err_t (*error)(const R*);
  const char* (*error_string)(const R*);
};
constexpr ResultAccess<rd_kafka_topic_result_t> kTopicResult{&rd_kafka_topic_result_name, &rd_kafka_topic_result_error,
                                                             &rd_kafka_topic_result_error_string};
constexpr ResultAccess<rd_kafka_ConfigResource_t> kConfigResult{
    &rd_kafka_ConfigResource_name, &rd_kafka_ConfigResource_error, &rd_kafka_ConfigResource_error_string};

class KafkaTopicCluster final : public TopicCluster {
 public:
  explicit KafkaTopicCluster(KafkaAdminConfig config) : client_(std::move(config)) {}

  std::optional<Error> init() { return client_.init(); }

  Result<ClusterState> describe(const std::vector<std::string>& topics) override {
    const rd_kafka_metadata_t* md_raw = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(client_.rk(), /*all_topics=*/1, nullptr, &md_raw, client_.timeout_ms());
    MetadataPtr md(md_raw);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_poll(client_.rk(), 0);  // serves queued error callbacks: the connect error says most
      std::string message = "cannot read cluster metadata from " + client_.config().bootstrap + " within " +
                            std::to_string(client_.timeout_ms()) + " ms: " + rd_kafka_err2str(err);
      if (const std::string last = client_.last_error(); !last.empty()) {
        message += "; last client error: " + last;
      }
      return kafka::request_error(static_cast<RdKafka::ErrorCode>(err), message);
    }
    ClusterState state;
    state.broker_count = md->broker_cnt;
    std::vector<std::string> existing;
    if (auto error = existing_topics(*md, topics, &state, &existing)) {
      return *error;
    }
    if (existing.empty()) {
      return state;
    }
    if (auto error = describe_configs(existing, &state)) {
      return *error;
    }
    return state;
  }

  std::vector<ActionOutcome> execute(const std::vector<TopicAction>& actions, bool validate_only) override {
    std::vector<ActionOutcome> outcomes;
    std::vector<const TopicAction*> creates;
    std::vector<const TopicAction*> grows;
    std::vector<const TopicAction*> alters;
    for (const TopicAction& a : actions) {
      if (a.kind == ActionKind::kCreate) {
        creates.push_back(&a);
      } else if (a.kind == ActionKind::kAddPartitions) {
        grows.push_back(&a);
      } else if (a.kind == ActionKind::kAlterConfigs) {
        alters.push_back(&a);
      }
    }
    if (!creates.empty()) {
      create_topics(creates, validate_only, outcomes);
    }
    if (!grows.empty()) {
      create_partitions(grows, validate_only, outcomes);
    }
    if (!alters.empty()) {
      alter_configs(alters, validate_only, outcomes);
    }
    return outcomes;
  }

 private:
  // The spec'd topics that exist, with partitions and (smallest) replication factor, into
  // `state`; their names into `existing`.
  static std::optional<Error> existing_topics(const rd_kafka_metadata_t& md, const std::vector<std::string>& topics,
                                              ClusterState* state, std::vector<std::string>* existing) {
    const std::set<std::string> wanted(topics.begin(), topics.end());
    for (int i = 0; i < md.topic_cnt; ++i) {
      const rd_kafka_metadata_topic_t& t = md.topics[i];
      if (wanted.count(t.topic) == 0 || t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        continue;
      }
      if (t.partition_cnt <= 0) {
        return kafka::request_error(static_cast<RdKafka::ErrorCode>(t.err),
                                    std::string("metadata for topic '") + t.topic + "': " + rd_kafka_err2str(t.err));
      }
      ExistingTopic e;
      e.partitions = t.partition_cnt;
      int rf = t.partitions[0].replica_cnt;
      for (int p = 1; p < t.partition_cnt; ++p) {
        rf = std::min(rf, t.partitions[p].replica_cnt);
      }
      e.replication_factor = static_cast<int16_t>(rf);
      state->topics.emplace(t.topic, std::move(e));
      existing->emplace_back(t.topic);
    }
    return std::nullopt;
  }

  // DescribeConfigs for every existing spec'd topic, in one request.
  std::optional<Error> describe_configs(const std::vector<std::string>& existing, ClusterState* state) {
    std::vector<ConfigResourcePtr> resources;
    for (const std::string& name : existing) {
      resources.emplace_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str()));
    }
    Result<EventPtr> event =
        client_.request(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, false, resources, &rd_kafka_DescribeConfigs,
                        RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, "DescribeConfigs");
    if (!event) {
      return event.error();
    }
    const rd_kafka_DescribeConfigs_result_t* result = rd_kafka_event_DescribeConfigs_result(event.value().get());
    std::size_t count = 0;
    const rd_kafka_ConfigResource_t** described = rd_kafka_DescribeConfigs_result_resources(result, &count);
    for (std::size_t i = 0; i < count; ++i) {
      const rd_kafka_ConfigResource_t* r = described[i];
      const std::string name = rd_kafka_ConfigResource_name(r);
      if (const rd_kafka_resp_err_t rerr = rd_kafka_ConfigResource_error(r); rerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        Error e = kafka_error(rerr, rd_kafka_ConfigResource_error_string(r));
        e.message = "DescribeConfigs for topic '" + name + "': " + e.message;
        return e;
      }
      const auto it = state->topics.find(name);
      if (it == state->topics.end()) {
        continue;
      }
      std::size_t entry_count = 0;
      const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(r, &entry_count);
      for (std::size_t j = 0; j < entry_count; ++j) {
        const char* value = rd_kafka_ConfigEntry_value(entries[j]);
        it->second.configs[rd_kafka_ConfigEntry_name(entries[j])] = ExistingConfig{
            value != nullptr ? value : "",
            rd_kafka_ConfigEntry_source(entries[j]) == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG};
      }
    }
    for (const auto& [name, topic] : state->topics) {
      if (topic.configs.empty()) {
        return Error{ErrorCode::kInternal, "DescribeConfigs returned nothing for topic '" + name + "'"};
      }
    }
    return std::nullopt;
  }

  static void fail_all(const std::vector<const TopicAction*>& actions, const Error& error,
                       std::vector<ActionOutcome>& outcomes) {
    for (const TopicAction* a : actions) {
      outcomes.push_back(ActionOutcome{a->kind, a->topic, error});
    }
  }

  // Per-topic results → outcomes, in action order.
  template <typename R>
  static void collect_results(const std::vector<const TopicAction*>& actions, const R** results, std::size_t count,
                              const ResultAccess<R>& access, std::vector<ActionOutcome>& outcomes) {
    for (const TopicAction* a : actions) {
      ActionOutcome outcome{a->kind, a->topic,
                            Error{ErrorCode::kInternal, "the broker's answer did not mention the topic"}};
      for (std::size_t i = 0; i < count; ++i) {
        if (a->topic == access.name(results[i])) {
          const rd_kafka_resp_err_t err = access.error(results[i]);
          outcome.error = err == RD_KAFKA_RESP_ERR_NO_ERROR
                              ? std::nullopt
                              : std::optional<Error>(kafka_error(err, access.error_string(results[i])));
          break;
        }
      }
      outcomes.push_back(std::move(outcome));
    }
  }

  void create_topics(const std::vector<const TopicAction*>& actions, bool validate_only,
                     std::vector<ActionOutcome>& outcomes) {
    std::vector<NewTopicPtr> topics;
    std::array<char, kErrstrSize> errstr{};
    for (const TopicAction* a : actions) {
      NewTopicPtr t(rd_kafka_NewTopic_new(a->topic.c_str(), a->partitions, a->replication_factor, errstr.data(),
                                          errstr.size()));
      if (!t) {
        fail_all(actions, Error{ErrorCode::kInvalid, a->topic + ": " + errstr.data()}, outcomes);
        return;
      }
      for (const auto& [key, value] : a->configs) {
        if (rd_kafka_NewTopic_set_config(t.get(), key.c_str(), value.c_str()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
          fail_all(actions, Error{ErrorCode::kInvalid, a->topic + ": config " + key + " rejected by the client"},
                   outcomes);
          return;
        }
      }
      topics.push_back(std::move(t));
    }
    Result<EventPtr> event =
        client_.request(RD_KAFKA_ADMIN_OP_CREATETOPICS, validate_only, topics, &rd_kafka_CreateTopics,
                        RD_KAFKA_EVENT_CREATETOPICS_RESULT, "CreateTopics");
    if (!event) {
      fail_all(actions, event.error(), outcomes);
      return;
    }
    std::size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.value().get()), &count);
    collect_results(actions, results, count, kTopicResult, outcomes);
  }

  void create_partitions(const std::vector<const TopicAction*>& actions, bool validate_only,
                         std::vector<ActionOutcome>& outcomes) {
    std::vector<NewPartitionsPtr> parts;
    std::array<char, kErrstrSize> errstr{};
    for (const TopicAction* a : actions) {
      NewPartitionsPtr p(rd_kafka_NewPartitions_new(a->topic.c_str(), static_cast<std::size_t>(a->partitions),
                                                    errstr.data(), errstr.size()));
      if (!p) {
        fail_all(actions, Error{ErrorCode::kInvalid, a->topic + ": " + errstr.data()}, outcomes);
        return;
      }
      parts.push_back(std::move(p));
    }
    Result<EventPtr> event =
        client_.request(RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, validate_only, parts, &rd_kafka_CreatePartitions,
                        RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT, "CreatePartitions");
    if (!event) {
      fail_all(actions, event.error(), outcomes);
      return;
    }
    std::size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(event.value().get()), &count);
    collect_results(actions, results, count, kTopicResult, outcomes);
  }

  // Non-incremental AlterConfigs: every dynamic config not sent reverts to the default, so
  // each action carries the topic's complete spec'd config set.
  void alter_configs(const std::vector<const TopicAction*>& actions, bool validate_only,
                     std::vector<ActionOutcome>& outcomes) {
    std::vector<ConfigResourcePtr> resources;
    for (const TopicAction* a : actions) {
      ConfigResourcePtr r(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, a->topic.c_str()));
      for (const auto& [key, value] : a->configs) {
        if (rd_kafka_ConfigResource_set_config(r.get(), key.c_str(), value.c_str()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
          fail_all(actions, Error{ErrorCode::kInvalid, a->topic + ": config " + key + " rejected by the client"},
                   outcomes);
          return;
        }
      }
      resources.push_back(std::move(r));
    }
    Result<EventPtr> event =
        client_.request(RD_KAFKA_ADMIN_OP_ALTERCONFIGS, validate_only, resources, &rd_kafka_AlterConfigs,
                        RD_KAFKA_EVENT_ALTERCONFIGS_RESULT, "AlterConfigs");
    if (!event) {
      fail_all(actions, event.error(), outcomes);
      return;
    }
    std::size_t count = 0;
    const rd_kafka_ConfigResource_t** results =
        rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(event.value().get()), &count);
    collect_results(actions, results, count, kConfigResult, outcomes);
  }

  AdminClient client_;
};

}  // namespace

Result<std::unique_ptr<TopicCluster>> make_kafka_topic_cluster(const KafkaAdminConfig& config) {
  return make_cluster<TopicCluster, KafkaTopicCluster>(config);
}

}  // namespace caselink::topics
