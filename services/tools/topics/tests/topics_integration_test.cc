// caselink-topics against a real broker (CASELINK_KAFKA_BOOTSTRAP). Topic names get a random suffix so
// runs never collide; the topics are deleted at the end. What the broker reports is checked
// with plain librdkafka calls, independent of the code under test.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "services/lib/kafka/factory.h"
#include "services/lib/kafka/settings.h"
#include "services/tools/topics/commands.h"
#include "services/tools/topics/topic_admin.h"
#include "services/tools/topics/topic_plan.h"
#include "services/tools/topics/topic_spec.h"
#include "tests/support/kafka_test_env.h"

namespace caselink::topics {
namespace {

constexpr std::chrono::milliseconds kTimeout{15000};

std::string random_suffix() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  std::ostringstream s;
  s << std::hex << gen();
  return s.str();
}

// ---- independent observation of the broker, with librdkafka directly --------------------------

using Kafka = kafka::AdminHandle;

Kafka connect(const std::string& bootstrap) {
  auto admin = kafka::make_admin(caselink::testing::kafka_settings(bootstrap), {});
  EXPECT_TRUE(admin.ok()) << admin.error().message;
  return admin.ok() ? std::move(admin).value() : Kafka();
}

// Partition count from metadata; 0 if the topic does not exist.
int partition_count(rd_kafka_t* rk, const std::string& topic) {
  const rd_kafka_metadata_t* md = nullptr;
  EXPECT_EQ(rd_kafka_metadata(rk, 1, nullptr, &md, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  int count = 0;
  for (int i = 0; md != nullptr && i < md->topic_cnt; ++i) {
    if (topic == md->topics[i].topic && md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      count = md->topics[i].partition_cnt;
    }
  }
  if (md != nullptr) {
    rd_kafka_metadata_destroy(md);
  }
  return count;
}

// One topic config value as DescribeConfigs reports it ("" if absent), and whether it is set on
// the topic itself.
std::pair<std::string, bool> topic_config(rd_kafka_t* rk, const std::string& topic, const std::string& key) {
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_ConfigResource_t* res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  rd_kafka_DescribeConfigs(rk, &res, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 15000);
  std::pair<std::string, bool> out{"", false};
  EXPECT_NE(ev, nullptr);
  if (ev != nullptr) {
    EXPECT_EQ(rd_kafka_event_error(ev), RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_event_error_string(ev);
    size_t n = 0;
    const rd_kafka_ConfigResource_t** rs =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n);
    for (size_t i = 0; i < n; ++i) {
      size_t m = 0;
      const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(rs[i], &m);
      for (size_t j = 0; j < m; ++j) {
        if (key == rd_kafka_ConfigEntry_name(entries[j])) {
          const char* v = rd_kafka_ConfigEntry_value(entries[j]);
          out = {v != nullptr ? v : "",
                 rd_kafka_ConfigEntry_source(entries[j]) == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG};
        }
      }
    }
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_ConfigResource_destroy(res);
  rd_kafka_queue_destroy(q);
  return out;
}

void delete_topics(rd_kafka_t* rk, const std::vector<std::string>& topics) {
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  std::vector<rd_kafka_DeleteTopic_t*> del;
  for (const std::string& t : topics) {
    del.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
  }
  rd_kafka_DeleteTopics(rk, del.data(), del.size(), nullptr, q);
  if (rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 15000)) {
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_DeleteTopic_destroy_array(del.data(), del.size());
  rd_kafka_queue_destroy(q);
}

// ---- the fixture ---------------------------------------------------------------------------

class TopicsIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    // CASELINK_KAFKA_BOOTSTRAP (KAFKA_BOOTSTRAP: deprecated alias, warns), as every tool reads it.
    const std::optional<std::string> bootstrap = kafka::bootstrap_from_environment();
    if (!bootstrap) {
      GTEST_SKIP() << "CASELINK_KAFKA_BOOTSTRAP is not set: start a broker (scripts/test.sh does) and export "
                      "CASELINK_KAFKA_BOOTSTRAP=host:port to run the integration tests";
    }
    bootstrap_ = *bootstrap;
    const std::string suffix = random_suffix();
    events_ = "caselink.it-" + suffix + ".events.v1";
    state_ = "caselink.it-" + suffix + ".state.v1";
    observer_ = connect(bootstrap_);
    KafkaAdminConfig config;
    config.bootstrap = bootstrap_;
    config.properties = caselink::testing::kafka_client_properties(bootstrap_);
    config.timeout = kTimeout;
    auto cluster = make_kafka_topic_cluster(config);
    ASSERT_TRUE(cluster.ok()) << cluster.error().message;
    cluster_ = std::move(cluster).value();
  }

  void TearDown() override {
    if (observer_) {
      delete_topics(observer_.get(), {events_, state_});
    }
  }

  std::string spec_yaml(int events_partitions, int64_t events_retention_ms, const std::string& events_extra = "") {
    return "version: 1\n"
           "defaults:\n"
           "  partitions: 2\n"
           "  replication_factor: 1\n"
           "  configs:\n"
           "    unclean.leader.election.enable: \"false\"\n"
           "topics:\n"
           "  - name: " + events_ + "\n"
           "    partitions: " + std::to_string(events_partitions) + "\n"
           "    cleanup_policy: delete\n"
           "    retention_ms: " + std::to_string(events_retention_ms) + "\n" + events_extra +
           "    description: integration test events\n"
           "  - name: " + state_ + "\n"
           "    partitions: 1\n"
           "    cleanup_policy: compact\n"
           "    configs:\n"
           "      min.compaction.lag.ms: 60000\n"
           "      segment.ms: 3600000\n"
           "    description: integration test state\n";
  }

  TopicsSpec spec(int events_partitions, int64_t events_retention_ms, const std::string& events_extra = "") {
    auto parsed = parse_topics_spec(spec_yaml(events_partitions, events_retention_ms, events_extra), "it.yaml");
    EXPECT_TRUE(parsed.ok()) << to_string(parsed.error());
    return parsed.ok() ? parsed.value() : TopicsSpec{};
  }

  ReconcileReport apply(const TopicsSpec& s, bool dry_run = false) {
    ReconcileOptions options;
    options.dry_run = dry_run;
    std::ostringstream out;
    ReconcileReport report = reconcile(s, *cluster_, options, out);
    std::cout << out.str();
    return report;
  }

  std::string bootstrap_;
  std::string events_;
  std::string state_;
  Kafka observer_;
  std::unique_ptr<TopicCluster> cluster_;
};

TEST_F(TopicsIntegration, CreatesThenIsIdempotentThenGrowsAndRefusesToShrink) {
  constexpr int64_t kHour = 3600000;

  // 1. Create.
  ReconcileReport created = apply(spec(2, kHour));
  ASSERT_EQ(created.outcome, Outcome::kInLine);
  EXPECT_EQ(created.plan.count(ActionKind::kCreate), 2u);
  EXPECT_EQ(partition_count(observer_.get(), events_), 2);
  EXPECT_EQ(partition_count(observer_.get(), state_), 1);
  EXPECT_EQ(topic_config(observer_.get(), events_, "cleanup.policy"), std::make_pair(std::string("delete"), true));
  EXPECT_EQ(topic_config(observer_.get(), events_, "retention.ms").first, std::to_string(kHour));
  EXPECT_EQ(topic_config(observer_.get(), state_, "cleanup.policy"), std::make_pair(std::string("compact"), true));
  EXPECT_EQ(topic_config(observer_.get(), state_, "min.compaction.lag.ms").first, "60000");

  // 2. Again: all OK, nothing executed.
  ReconcileReport again = apply(spec(2, kHour));
  EXPECT_EQ(again.outcome, Outcome::kInLine);
  EXPECT_EQ(again.plan.count(ActionKind::kOk), 2u);
  EXPECT_TRUE(again.executed.empty());

  // 3. Dry run of a growth: exit 2, nothing changes.
  ReconcileReport dry = apply(spec(4, kHour), /*dry_run=*/true);
  EXPECT_EQ(dry.outcome, Outcome::kPendingChanges);
  EXPECT_EQ(dry.plan.count(ActionKind::kAddPartitions), 1u);
  EXPECT_EQ(partition_count(observer_.get(), events_), 2);

  // 4. Grow partitions.
  ReconcileReport grown = apply(spec(4, kHour));
  ASSERT_EQ(grown.outcome, Outcome::kInLine);
  EXPECT_EQ(grown.plan.count(ActionKind::kAddPartitions), 1u);
  EXPECT_EQ(partition_count(observer_.get(), events_), 4);

  // 5. Shrink: refused, topic untouched, non-zero exit.
  ReconcileReport shrink = apply(spec(1, kHour));
  EXPECT_EQ(shrink.outcome, Outcome::kFailed);
  ASSERT_EQ(shrink.plan.count(ActionKind::kError), 1u);
  EXPECT_NE(shrink.errors.at(0).find("cannot remove partitions"), std::string::npos);
  EXPECT_TRUE(shrink.executed.empty());
  EXPECT_EQ(partition_count(observer_.get(), events_), 4);
}

TEST_F(TopicsIntegration, FixesConfigDriftWithTheFullConfigSet) {
  constexpr int64_t kHour = 3600000;
  ASSERT_EQ(apply(spec(2, kHour, "    configs:\n      segment.ms: 600000\n")).outcome, Outcome::kInLine);
  EXPECT_EQ(topic_config(observer_.get(), events_, "segment.ms"), std::make_pair(std::string("600000"), true));

  // Change retention and drop segment.ms from the spec: one ALTER_CONFIGS; afterwards retention
  // has the new value, segment.ms is back to the broker default, the other spec'd configs stay.
  ReconcileReport altered = apply(spec(2, 2 * kHour));
  ASSERT_EQ(altered.outcome, Outcome::kInLine);
  ASSERT_EQ(altered.plan.count(ActionKind::kAlterConfigs), 1u);
  EXPECT_EQ(altered.plan.actions[0].changes.size(), 2u);
  EXPECT_EQ(topic_config(observer_.get(), events_, "retention.ms").first, std::to_string(2 * kHour));
  EXPECT_FALSE(topic_config(observer_.get(), events_, "segment.ms").second);
  EXPECT_EQ(topic_config(observer_.get(), events_, "cleanup.policy"), std::make_pair(std::string("delete"), true));
  EXPECT_EQ(topic_config(observer_.get(), events_, "unclean.leader.election.enable"),
            std::make_pair(std::string("false"), true));

  EXPECT_TRUE(apply(spec(2, 2 * kHour)).executed.empty());
}

TEST_F(TopicsIntegration, BrokerRejectsUnknownConfigOnCreate) {
  ReconcileReport report = apply(spec(2, 3600000, "    configs:\n      no.such.config: 1\n"));
  EXPECT_EQ(report.outcome, Outcome::kFailed);
  bool mentioned = false;
  for (const std::string& e : report.errors) {
    mentioned = mentioned || (e.find(events_) != std::string::npos && e.find("[rejected]") != std::string::npos);
  }
  EXPECT_TRUE(mentioned);
  EXPECT_EQ(partition_count(observer_.get(), events_), 0);
}

TEST_F(TopicsIntegration, ReplicationBeyondTheBrokersIsAPlanError) {
  auto three = with_replication_factor(spec(2, 3600000), 3);
  ASSERT_TRUE(three.ok());
  ReconcileReport report = apply(three.value());
  // A single broker: both topics refused up front (on a 3-node cluster this would create them).
  if (report.plan.count(ActionKind::kError) == 2u) {
    EXPECT_EQ(report.outcome, Outcome::kFailed);
    EXPECT_EQ(partition_count(observer_.get(), events_), 0);
  } else {
    EXPECT_EQ(report.outcome, Outcome::kInLine);
  }
}

// The command the binary runs, end to end through a spec file.
TEST_F(TopicsIntegration, RunApplyExitCodes) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() / ("caselink-topics-" + events_ + ".yaml");
  std::ofstream(file) << spec_yaml(2, 3600000);
  ApplyCommand command;
  command.spec_path = file.string();
  command.bootstrap = bootstrap_;
  command.client_config = caselink::testing::kafka_client_config_file();
  command.timeout = kTimeout;
  std::ostringstream out;
  std::ostringstream err;

  command.dry_run = true;
  EXPECT_EQ(run_apply(command, out, err), 2) << out.str() << err.str();
  command.dry_run = false;
  EXPECT_EQ(run_apply(command, out, err), 0) << out.str() << err.str();
  std::ostringstream second;
  EXPECT_EQ(run_apply(command, second, err), 0) << err.str();
  EXPECT_NE(second.str().find("plan: 0 create, 0 add-partitions, 0 alter-configs, 2 ok, 0 error"), std::string::npos)
      << second.str();
  std::filesystem::remove(file);
}

// Needs no broker: a closed port must fail cleanly after the timeout. Runs even without
// CASELINK_KAFKA_BOOTSTRAP.
TEST(TopicsUnreachable, BrokerDownIsAClearErrorAfterTheTimeout) {
  KafkaAdminConfig config;
  config.bootstrap = "127.0.0.1:1";
  config.timeout = std::chrono::milliseconds(2000);
  auto cluster = make_kafka_topic_cluster(config);
  ASSERT_TRUE(cluster.ok());
  const auto start = std::chrono::steady_clock::now();
  Result<ClusterState> state = cluster.value()->describe({"caselink.x.v1"});
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(state.error().message.find("127.0.0.1:1"), std::string::npos) << state.error().message;
  EXPECT_LT(took, std::chrono::seconds(10));
  std::cout << "error message: " << state.error().message << '\n';
}

}  // namespace
}  // namespace caselink::topics
