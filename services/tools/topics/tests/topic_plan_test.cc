// Plan computation and the reconcile loop against an in-memory "cluster": no broker.
// (What a real broker does is proven by it_topics.)
#include "services/tools/topics/topic_plan.h"

#include <gtest/gtest.h>

#include <sstream>

#include "services/tools/topics/topic_admin.h"
#include "services/lib/kafka/errors.h"

namespace caselink::topics {
namespace {

TopicsSpec make_spec() {
  auto result = parse_topics_spec(
      "version: 1\n"
      "defaults:\n"
      "  partitions: 3\n"
      "  replication_factor: 1\n"
      "topics:\n"
      "  - name: caselink.a.v1\n"
      "    cleanup_policy: delete\n"
      "    retention_ms: 86400000\n"
      "    description: a\n"
      "  - name: caselink.b.v1\n"
      "    partitions: 2\n"
      "    cleanup_policy: compact\n"
      "    configs:\n"
      "      segment.ms: 3600000\n"
      "    description: b\n",
      "fake.yaml");
  EXPECT_TRUE(result.ok()) << to_string(result.error());
  return result.value();
}

// The broker-side defaults our fake knows: a config outside this list is "unknown".
const std::map<std::string, std::string>& broker_defaults() {
  static const std::map<std::string, std::string> defaults = {
      {"cleanup.policy", "delete"},     {"retention.ms", "604800000"},     {"segment.ms", "604800000"},
      {"min.insync.replicas", "1"},     {"delete.retention.ms", "86400000"}, {"min.compaction.lag.ms", "0"},
      {"max.message.bytes", "1048588"}, {"unclean.leader.election.enable", "false"},
  };
  return defaults;
}

ExistingTopic existing(int32_t partitions, int16_t rf, const std::map<std::string, std::string>& dynamic) {
  ExistingTopic e;
  e.partitions = partitions;
  e.replication_factor = rf;
  for (const auto& [key, value] : broker_defaults()) {
    e.configs[key] = ExistingConfig{value, false};
  }
  for (const auto& [key, value] : dynamic) {
    e.configs[key] = ExistingConfig{value, true};
  }
  return e;
}

// A cluster that already matches make_spec().
ClusterState in_line_state(const TopicsSpec& spec) {
  ClusterState state;
  state.broker_count = 1;
  for (const TopicSpec& t : spec.topics) {
    state.topics[t.name] = existing(t.partitions, t.replication_factor, t.configs);
  }
  return state;
}

std::vector<ActionKind> kinds(const Plan& plan) {
  std::vector<ActionKind> out;
  for (const TopicAction& a : plan.actions) {
    out.push_back(a.kind);
  }
  return out;
}

TEST(ComputePlan, EmptyClusterCreatesEverything) {
  const TopicsSpec spec = make_spec();
  const Plan plan = compute_plan(spec, ClusterState{1, {}});
  ASSERT_EQ(kinds(plan), (std::vector<ActionKind>{ActionKind::kCreate, ActionKind::kCreate}));
  const TopicAction& b = plan.actions[1];
  EXPECT_EQ(b.topic, "caselink.b.v1");
  EXPECT_EQ(b.partitions, 2);
  EXPECT_EQ(b.replication_factor, 1);
  EXPECT_EQ(b.configs, spec.topics[1].configs);
  EXPECT_FALSE(plan.has_errors());
  EXPECT_EQ(plan.changes().size(), 2u);
}

TEST(ComputePlan, InLineClusterIsAllOk) {
  const TopicsSpec spec = make_spec();
  const Plan plan = compute_plan(spec, in_line_state(spec));
  EXPECT_EQ(kinds(plan), (std::vector<ActionKind>{ActionKind::kOk, ActionKind::kOk}));
  EXPECT_TRUE(plan.changes().empty());
}

TEST(ComputePlan, UnmanagedTopicsAreIgnored) {
  const TopicsSpec spec = make_spec();
  ClusterState state = in_line_state(spec);
  state.topics["someone.else.v1"] = existing(1, 1, {});
  EXPECT_EQ(compute_plan(spec, state).actions.size(), 2u);
}

TEST(ComputePlan, GrowsPartitions) {
  const TopicsSpec spec = make_spec();
  ClusterState state = in_line_state(spec);
  state.topics["caselink.a.v1"].partitions = 1;
  const Plan plan = compute_plan(spec, state);
  ASSERT_EQ(kinds(plan), (std::vector<ActionKind>{ActionKind::kAddPartitions, ActionKind::kOk}));
  EXPECT_EQ(plan.actions[0].current_partitions, 1);
  EXPECT_EQ(plan.actions[0].partitions, 3);
  EXPECT_EQ(format_action(plan.actions[0]), "ADD_PARTITIONS  caselink.a.v1  partitions 1 -> 3");
}

TEST(ComputePlan, RefusesToShrink) {
  const TopicsSpec spec = make_spec();
  ClusterState state = in_line_state(spec);
  state.topics["caselink.a.v1"].partitions = 8;
  state.topics["caselink.a.v1"].configs["retention.ms"].value = "1";  // drift too: still untouched
  const Plan plan = compute_plan(spec, state);
  ASSERT_EQ(kinds(plan), (std::vector<ActionKind>{ActionKind::kError, ActionKind::kOk}));
  EXPECT_NE(plan.actions[0].message.find("has 8 partitions, the spec wants 3"), std::string::npos);
  EXPECT_NE(plan.actions[0].message.find("cannot remove partitions"), std::string::npos);
  EXPECT_TRUE(plan.has_errors());
  EXPECT_TRUE(plan.changes().empty());
}

TEST(ComputePlan, ReportsReplicationMismatchWithoutChangingIt) {
  const TopicsSpec spec = make_spec();
  ClusterState state = in_line_state(spec);
  state.topics["caselink.b.v1"].replication_factor = 3;
  const Plan plan = compute_plan(spec, state);
  ASSERT_EQ(kinds(plan), (std::vector<ActionKind>{ActionKind::kOk, ActionKind::kError}));
  EXPECT_NE(plan.actions[1].message.find("replication factor is 3 on the cluster, the spec wants 1"),
            std::string::npos);
  EXPECT_NE(plan.actions[1].message.find("--replication-factor 3"), std::string::npos);
}

TEST(ComputePlan, CreateNeedsEnoughBrokers) {
  auto spec = with_replication_factor(make_spec(), 3);
  ASSERT_TRUE(spec.ok());
  const Plan plan = compute_plan(spec.value(), ClusterState{1, {}});
  ASSERT_EQ(kinds(plan), (std::vector<ActionKind>{ActionKind::kError, ActionKind::kError}));
  EXPECT_NE(plan.actions[0].message.find("the cluster has 1 broker(s)"), std::string::npos);
  // Unknown broker count: let the broker decide.
  EXPECT_EQ(compute_plan(spec.value(), ClusterState{0, {}}).count(ActionKind::kCreate), 2u);
}

TEST(ComputePlan, ConfigDriftSendsTheFullSet) {
  const TopicsSpec spec = make_spec();
  ClusterState state = in_line_state(spec);
  state.topics["caselink.b.v1"].configs["segment.ms"] = ExistingConfig{"604800000", false};  // reverted by hand
  const Plan plan = compute_plan(spec, state);
  ASSERT_EQ(kinds(plan), (std::vector<ActionKind>{ActionKind::kOk, ActionKind::kAlterConfigs}));
  const TopicAction& alter = plan.actions[1];
  EXPECT_EQ(alter.configs, spec.topics[1].configs);  // not just segment.ms: AlterConfigs replaces all
  ASSERT_EQ(alter.changes.size(), 1u);
  EXPECT_EQ(alter.changes[0].key, "segment.ms");
  EXPECT_EQ(alter.changes[0].from, "604800000");
  EXPECT_EQ(alter.changes[0].to, "3600000");
  EXPECT_EQ(format_action(alter), "ALTER_CONFIGS   caselink.b.v1  segment.ms 604800000 -> 3600000");
}

TEST(ComputePlan, DynamicConfigNotInSpecIsRemoved) {
  const TopicsSpec spec = make_spec();
  ClusterState state = in_line_state(spec);
  state.topics["caselink.a.v1"].configs["max.message.bytes"] = ExistingConfig{"5000000", true};
  const Plan plan = compute_plan(spec, state);
  ASSERT_EQ(kinds(plan), (std::vector<ActionKind>{ActionKind::kAlterConfigs, ActionKind::kOk}));
  ASSERT_EQ(plan.actions[0].changes.size(), 1u);
  EXPECT_EQ(plan.actions[0].changes[0].key, "max.message.bytes");
  EXPECT_FALSE(plan.actions[0].changes[0].to);
  EXPECT_EQ(plan.actions[0].configs.count("max.message.bytes"), 0u);
  EXPECT_NE(format_action(plan.actions[0]).find("max.message.bytes 5000000 -> (broker default)"), std::string::npos);
}

TEST(ComputePlan, SpecValueEqualToBrokerDefaultIsOk) {
  // retention.ms equal to the default but not set on the topic: nothing to do.
  TopicsSpec spec = make_spec();
  spec.topics[0].configs["retention.ms"] = "604800000";
  ClusterState state = in_line_state(spec);
  state.topics["caselink.a.v1"].configs["retention.ms"] = ExistingConfig{"604800000", false};
  EXPECT_EQ(compute_plan(spec, state).actions[0].kind, ActionKind::kOk);
}

TEST(ComputePlan, GrowAndAlterTogether) {
  const TopicsSpec spec = make_spec();
  ClusterState state = in_line_state(spec);
  state.topics["caselink.a.v1"].partitions = 2;
  state.topics["caselink.a.v1"].configs["retention.ms"].value = "1";
  EXPECT_EQ(kinds(compute_plan(spec, state)),
            (std::vector<ActionKind>{ActionKind::kAddPartitions, ActionKind::kAlterConfigs, ActionKind::kOk}));
}

TEST(ComputePlan, UnknownConfigIsAnError) {
  TopicsSpec spec = make_spec();
  spec.topics[0].configs["segmnt.ms"] = "1";
  const Plan plan = compute_plan(spec, in_line_state(make_spec()));
  ASSERT_EQ(plan.actions[0].kind, ActionKind::kError);
  EXPECT_NE(plan.actions[0].message.find("'segmnt.ms'"), std::string::npos);
}

TEST(ComputePlan, PrintsOneLinePerActionAndASummary) {
  const TopicsSpec spec = make_spec();
  std::ostringstream out;
  print_plan(compute_plan(spec, ClusterState{1, {}}), out);
  EXPECT_EQ(out.str(),
            "CREATE          caselink.a.v1  partitions=3 replication_factor=1 cleanup.policy=delete "
            "retention.ms=86400000\n"
            "CREATE          caselink.b.v1  partitions=2 replication_factor=1 cleanup.policy=compact "
            "segment.ms=3600000\n"
            "plan: 2 create, 0 add-partitions, 0 alter-configs, 0 ok, 0 error\n");
}

// ---- reconcile against an in-memory cluster ------------------------------------------------

class FakeCluster : public TopicCluster {
 public:
  ClusterState state{1, {}};
  int describe_calls = 0;
  int execute_calls = 0;
  bool validate_only_seen = false;
  std::optional<Error> describe_error;          // describe() fails with it
  std::map<std::string, Error> refuse;          // topic -> the broker's refusal
  int hide_changes_for = 0;                     // describes that still show the old state
  std::optional<ClusterState> before_changes;   // what those describes show

  Result<ClusterState> describe(const std::vector<std::string>& topics) override {
    ++describe_calls;
    if (describe_error) {
      return *describe_error;
    }
    const ClusterState& visible = (hide_changes_for > 0 && before_changes) ? *before_changes : state;
    if (hide_changes_for > 0) {
      --hide_changes_for;
    }
    ClusterState out{visible.broker_count, {}};
    for (const std::string& t : topics) {
      if (auto it = visible.topics.find(t); it != visible.topics.end()) {
        out.topics.insert(*it);
      }
    }
    return out;
  }

  std::vector<ActionOutcome> execute(const std::vector<TopicAction>& actions, bool validate_only) override {
    ++execute_calls;
    validate_only_seen = validate_only;
    before_changes = state;
    std::vector<ActionOutcome> outcomes;
    for (const TopicAction& a : actions) {
      if (auto it = refuse.find(a.topic); it != refuse.end()) {
        outcomes.push_back({a.kind, a.topic, it->second});
        continue;
      }
      outcomes.push_back({a.kind, a.topic, std::nullopt});
      if (validate_only) {
        continue;
      }
      if (a.kind == ActionKind::kCreate) {
        state.topics[a.topic] = existing(a.partitions, a.replication_factor, a.configs);
      } else if (a.kind == ActionKind::kAddPartitions) {
        state.topics[a.topic].partitions = a.partitions;
      } else if (a.kind == ActionKind::kAlterConfigs) {
        state.topics[a.topic] = existing(state.topics[a.topic].partitions, state.topics[a.topic].replication_factor,
                                         a.configs);  // non-incremental: everything else reverts
      }
    }
    return outcomes;
  }
};

ReconcileOptions fast(bool dry_run = false) {
  ReconcileOptions o;
  o.dry_run = dry_run;
  o.verify_attempts = 5;
  o.sleep = [](std::chrono::milliseconds) {};
  return o;
}

TEST(Reconcile, AppliesThenASecondRunChangesNothing) {
  const TopicsSpec spec = make_spec();
  FakeCluster cluster;
  std::ostringstream out;
  ReconcileReport first = reconcile(spec, cluster, fast(), out);
  EXPECT_EQ(first.outcome, Outcome::kInLine) << out.str();
  EXPECT_EQ(first.exit_code(), 0);
  EXPECT_EQ(first.executed.size(), 2u);
  EXPECT_NE(out.str().find("applied: CREATE caselink.a.v1"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("verified: the cluster matches the spec"), std::string::npos) << out.str();
  EXPECT_EQ(cluster.state.topics.at("caselink.b.v1").partitions, 2);

  std::ostringstream again;
  const int executes = cluster.execute_calls;
  ReconcileReport second = reconcile(spec, cluster, fast(), again);
  EXPECT_EQ(second.outcome, Outcome::kInLine);
  EXPECT_EQ(cluster.execute_calls, executes);  // nothing sent
  EXPECT_EQ(second.plan.count(ActionKind::kOk), 2u);
  EXPECT_EQ(again.str(),
            "OK              caselink.a.v1\nOK              caselink.b.v1\n"
            "plan: 0 create, 0 add-partitions, 0 alter-configs, 2 ok, 0 error\n");
}

TEST(Reconcile, DryRunValidatesAndChangesNothing) {
  const TopicsSpec spec = make_spec();
  FakeCluster cluster;
  std::ostringstream out;
  ReconcileReport report = reconcile(spec, cluster, fast(/*dry_run=*/true), out);
  EXPECT_EQ(report.outcome, Outcome::kPendingChanges);
  EXPECT_EQ(report.exit_code(), 2);
  EXPECT_TRUE(cluster.validate_only_seen);
  EXPECT_TRUE(cluster.state.topics.empty());
  EXPECT_NE(out.str().find("dry run: nothing changed"), std::string::npos);

  // In line: a dry run exits 0.
  FakeCluster done;
  done.state = in_line_state(spec);
  EXPECT_EQ(reconcile(spec, done, fast(true), out).outcome, Outcome::kInLine);
  EXPECT_EQ(done.execute_calls, 0);

  // A refusal the broker would give is an error even in a dry run.
  FakeCluster refusing;
  refusing.refuse.emplace("caselink.b.v1", Error::invalid("Unknown topic config name", {}, kafka::kBrokerRefused));
  std::ostringstream refused;
  EXPECT_EQ(reconcile(spec, refusing, fast(true), refused).outcome, Outcome::kFailed);
  EXPECT_NE(refused.str().find("CREATE caselink.b.v1: the broker would refuse: Unknown topic config name"),
            std::string::npos)
      << refused.str();
}

TEST(Reconcile, PlanErrorsFailButOtherTopicsAreStillApplied) {
  const TopicsSpec spec = make_spec();
  FakeCluster cluster;
  cluster.state.topics["caselink.a.v1"] = existing(9, 1, spec.topics[0].configs);  // would shrink
  std::ostringstream out;
  ReconcileReport report = reconcile(spec, cluster, fast(), out);
  EXPECT_EQ(report.outcome, Outcome::kFailed);
  EXPECT_EQ(report.exit_code(), 1);
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_NE(report.errors[0].find("caselink.a.v1: has 9 partitions"), std::string::npos);
  EXPECT_EQ(cluster.state.topics.at("caselink.a.v1").partitions, 9);  // untouched
  EXPECT_EQ(cluster.state.topics.count("caselink.b.v1"), 1u);         // created anyway
}

TEST(Reconcile, BrokerRefusalFails) {
  const TopicsSpec spec = make_spec();
  FakeCluster cluster;
  cluster.refuse.emplace("caselink.a.v1", Error::invalid("Invalid config", {}, kafka::kBrokerRefused));
  std::ostringstream out;
  ReconcileReport report = reconcile(spec, cluster, fast(), out);
  EXPECT_EQ(report.outcome, Outcome::kFailed);
  EXPECT_NE(out.str().find("error: CREATE caselink.a.v1: failed: Invalid config [rejected]"), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("applied: CREATE caselink.b.v1"), std::string::npos);
}

TEST(Reconcile, UnreachableBrokerFails) {
  FakeCluster cluster;
  cluster.describe_error = Error{ErrorCode::kUnavailable, "cannot read cluster metadata from 127.0.0.1:1"};
  std::ostringstream out;
  ReconcileReport report = reconcile(make_spec(), cluster, fast(), out);
  EXPECT_EQ(report.outcome, Outcome::kFailed);
  EXPECT_EQ(out.str(), "error: cannot read cluster metadata from 127.0.0.1:1\n");
  EXPECT_EQ(cluster.execute_calls, 0);
}

TEST(Reconcile, WaitsForChangesToBecomeVisible) {
  const TopicsSpec spec = make_spec();
  int sleeps = 0;
  ReconcileOptions options = fast();
  options.sleep = [&](std::chrono::milliseconds) {
    ++sleeps;
  };
  // The first two describes after the change still show the empty cluster.
  struct Lagging : FakeCluster {
    std::vector<ActionOutcome> execute(const std::vector<TopicAction>& a, bool v) override {
      auto out = FakeCluster::execute(a, v);
      hide_changes_for = 2;
      return out;
    }
  } lagging;
  std::ostringstream out;
  EXPECT_EQ(reconcile(spec, lagging, options, out).outcome, Outcome::kInLine) << out.str();
  EXPECT_EQ(sleeps, 2);

  struct NeverVisible : FakeCluster {
    std::vector<ActionOutcome> execute(const std::vector<TopicAction>& a, bool v) override {
      auto out = FakeCluster::execute(a, v);
      hide_changes_for = 1000;
      return out;
    }
  } never;
  std::ostringstream out2;
  ReconcileReport report = reconcile(spec, never, options, out2);
  EXPECT_EQ(report.outcome, Outcome::kFailed);
  EXPECT_NE(out2.str().find("did not report it in line with the spec in time"), std::string::npos) << out2.str();
}

// ---- error labels in the output -------------------------------------------------------------

// The classification itself is kafka::classify_request_error's (kafka_test); this is how
// caselink-topics prints it.
TEST(ErrorLabel, NamesWhatToDoNext) {
  EXPECT_STREQ(error_label(kafka::request_error(RdKafka::ERR__TRANSPORT, "down")), "unavailable");
  EXPECT_STREQ(error_label(kafka::request_error(RdKafka::ERR_INVALID_CONFIG, "no")), "rejected");
  EXPECT_STREQ(error_label(kafka::request_error(RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED, "no")), "rejected");
  EXPECT_STREQ(error_label(kafka::request_error(RdKafka::ERR__BAD_MSG, "bug")), "internal");
  EXPECT_STREQ(error_label(Error::invalid("--timeout-ms: out of range")), "invalid_spec");
  EXPECT_STREQ(error_label(Error::internal("validate_only")), "internal");
}

TEST(KafkaTopicCluster, RejectsBadSettingsBeforeConnecting) {
  KafkaAdminConfig config;
  config.bootstrap = "";
  auto empty = make_kafka_topic_cluster(config);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalid);
  config.bootstrap = "127.0.0.1:9092";
  config.timeout = std::chrono::milliseconds(0);
  EXPECT_FALSE(make_kafka_topic_cluster(config).ok());
}

}  // namespace
}  // namespace caselink::topics
