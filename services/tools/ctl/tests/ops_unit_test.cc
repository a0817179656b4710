// caselinkctl's ops logic without a broker: lag verdicts (Burrow's rules over two samples),
// durations, the topic report built on caselink-topics' plan, DLQ selection and replay records.

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "services/lib/kafka/dlq.h"
#include "services/tools/ctl/ops_cli.h"
#include "services/tools/ctl/ops_dlq.h"
#include "services/tools/ctl/ops_format.h"
#include "services/tools/ctl/ops_lag.h"
#include "services/tools/ctl/ops_topics.h"

namespace caselink::ctl {
namespace {

TEST(LagVerdict, FollowsBurrowsRules) {
  struct Case {
    LagSample first, second;
    bool members;
    LagVerdict expected;
    const char* why;
  };
  const Case cases[] = {
      {{10, 0, 10}, {10, 0, 10}, true, LagVerdict::kOk, "no lag"},
      {{5, 0, 10}, {10, 0, 10}, true, LagVerdict::kOk, "caught up in the second sample"},
      {{10, 0, 10}, {10, 0, 15}, false, LagVerdict::kOk, "zero lag in the first sample"},
      {{5, 0, 20}, {15, 0, 22}, true, LagVerdict::kOk, "committing and the lag shrinks"},
      {{5, 0, 20}, {10, 0, 30}, true, LagVerdict::kFallingBehind, "committing, lag grows"},
      {{5, 0, 20}, {10, 0, 25}, true, LagVerdict::kFallingBehind, "committing, lag the same"},
      {{5, 0, 20}, {5, 0, 20}, true, LagVerdict::kStalled, "members, offset stuck"},
      {{5, 0, 20}, {5, 0, 25}, true, LagVerdict::kStalled, "members, offset stuck, lag grows"},
      {{5, 0, 20}, {5, 0, 20}, false, LagVerdict::kStopped, "no member, offset stuck"},
      {{-1, 0, 3}, {-1, 0, 3}, false, LagVerdict::kStopped, "never committed, records waiting"},
      {{2, 7, 9}, {2, 9, 9}, false, LagVerdict::kOk, "retention deleted what was not read: nothing left"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(judge(c.first, c.second, c.members), c.expected) << c.why;
  }
}

TEST(HumanDuration, ShowsTheTwoLargestUnits) {
  EXPECT_EQ(human_duration(2592000000), "30d");
  EXPECT_EQ(human_duration(86400000 + 12 * 3600000), "1d 12h");
  EXPECT_EQ(human_duration(86400000 + 180000), "1d");  // "1d 3m" would claim precision
  EXPECT_EQ(human_duration(5400000), "1h 30m");
  EXPECT_EQ(human_duration(42000), "42s");
  EXPECT_EQ(human_duration(250), "250ms");
  EXPECT_EQ(human_duration(-1), "forever");
}

TEST(TopicReports, DriftIsCaselinkTopicsPlan) {
  auto spec = topics::parse_topics_spec(R"(version: 1
defaults: {partitions: 3, replication_factor: 1}
topics:
  - {name: caselink.a.v1, cleanup_policy: delete, retention_ms: 86400000, description: a}
  - {name: caselink.b.v1, cleanup_policy: delete, retention_ms: 86400000, description: b}
  - {name: caselink.c.v1, cleanup_policy: compact, description: c}
)",
                                       "spec.yaml");
  ASSERT_TRUE(spec.ok());
  topics::ClusterState state;
  state.broker_count = 1;
  auto topic = [](int32_t partitions, std::map<std::string, std::string> configs) {
    topics::ExistingTopic t{partitions, 1, {}};
    for (auto& [k, v] : configs) t.configs[k] = {v, true};
    return t;
  };
  state.topics["caselink.a.v1"] = topic(3, {{"cleanup.policy", "delete"}, {"retention.ms", "86400000"}});
  state.topics["caselink.b.v1"] = topic(2, {{"cleanup.policy", "delete"}, {"retention.ms", "604800000"}});
  state.topics["caselink.extra.v1"] = topic(1, {{"cleanup.policy", "delete"}, {"retention.ms", "-1"}});
  const std::map<std::string, std::vector<PartitionEnd>> ends = {
      {"caselink.a.v1", {{0, 1, 0, 4, 4}, {1, 1, 2, 5, 5}, {2, 1, 0, 0, 0}}}};
  const auto reports = build_topic_reports(spec.value(), state, {"caselink.a.v1", "caselink.b.v1",
                                                                 "caselink.extra.v1", "other.topic.v1"}, ends);
  ASSERT_EQ(reports.size(), 4u);  // spec order, then the caselink topic only the cluster has
  EXPECT_TRUE(reports[0].drift.empty());
  EXPECT_EQ(reports[0].retention_ms, 86400000);
  ASSERT_EQ(reports[1].drift.size(), 2u);
  EXPECT_EQ(reports[1].drift[0], "partitions 2, spec 3");
  EXPECT_EQ(reports[1].drift[1], "retention.ms 604800000, spec 86400000");
  EXPECT_EQ(reports[2].drift, std::vector<std::string>{"missing on the cluster"});
  EXPECT_EQ(reports[3].name, "caselink.extra.v1");
  EXPECT_EQ(reports[3].drift, std::vector<std::string>{"not in the topic spec"});
  const std::string text = render_topics_text(reports);
  EXPECT_NE(text.find("1d"), std::string::npos) << text;
  EXPECT_NE(text.find("forever"), std::string::npos) << text;
  EXPECT_NE(text.find("4 topic(s), 3 drifting from the spec"), std::string::npos) << text;
  const auto json = nlohmann::json::parse(render_topics_json(reports));
  EXPECT_EQ(json["topics"][0]["end_offsets"][1]["high"], 5);
  EXPECT_EQ(json["topics"][1]["in_line"], false);
}

TEST(AdminConfig, CarriesTheServicesSecuritySettings) {
  kafka::KafkaSettings settings;
  settings.bootstrap = "broker:9093";
  settings.properties = {{"client.rack", "r1"}};
  settings.security.protocol = "sasl_ssl";
  settings.security.sasl_username = "ops";
  settings.security.sasl_password = "secret";
  const auto config = admin_config(settings, std::chrono::milliseconds(1234));
  EXPECT_EQ(config.bootstrap, "broker:9093");
  EXPECT_EQ(config.timeout, std::chrono::milliseconds(1234));
  EXPECT_EQ(config.properties.at("client.rack"), "r1");
  EXPECT_EQ(config.properties.at("security.protocol"), "sasl_ssl");
  EXPECT_EQ(config.properties.at("sasl.mechanisms"), "SCRAM-SHA-512");
  EXPECT_EQ(config.properties.at("sasl.password"), "secret");
}

CaseRecordRef dead_letter() {
  CaseRecordRef r;
  r.topic = "caselink.dlq.v1";
  r.partition = 2;
  r.offset = 41;
  r.key = "case-1";
  r.raw = "envelope bytes";
  r.headers = {{"ce_id", "e-1"},
               {kafka::kDlqOriginalTopic, "caselink.referral.v1"},
               {kafka::kDlqOriginalPartition, "4"},
               {kafka::kDlqOriginalOffset, "17"},
               {kafka::kDlqErrorClass, "envelope.unknown_type"}};
  r.envelope.set_case_id("case-1");
  r.envelope.set_event_id("e-1");
  return r;
}

TEST(DlqReplay, RecordGoesBackAsItWasWithReplayHeaders) {
  auto replay = make_replay_record(dead_letter());
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay.value().topic, "caselink.referral.v1");
  EXPECT_EQ(replay.value().key, "case-1");
  EXPECT_EQ(replay.value().value, "envelope bytes");
  const Headers expected = {{"ce_id", "e-1"},
                            {kReplayIdHeader, replay_id_for("caselink.dlq.v1", 2, 41)},
                            {kReplayOfHeader, "caselink.dlq.v1/2@41"}};
  EXPECT_EQ(replay.value().headers, expected);
}

TEST(DlqReplay, IdIsDeterministicPerDeadLetter) {
  EXPECT_EQ(replay_id_for("caselink.dlq.v1", 2, 41), replay_id_for("caselink.dlq.v1", 2, 41));
  EXPECT_NE(replay_id_for("caselink.dlq.v1", 2, 41), replay_id_for("caselink.dlq.v1", 2, 42));
  EXPECT_NE(replay_id_for("caselink.dlq.v1", 2, 41), replay_id_for("caselink.dlq.v1", 1, 41));
  EXPECT_EQ(replay_id_for("caselink.dlq.v1", 2, 41).size(), 32u);
  const auto log = make_replay_log_record(dead_letter(), "2026-12-04T01:00:00Z", "ops", "fixed the rule");
  EXPECT_EQ(log.topic, kReplayLogTopic);
  EXPECT_EQ(log.key, replay_id_for("caselink.dlq.v1", 2, 41));
  const auto j = nlohmann::json::parse(*log.value);
  EXPECT_EQ(j["original"]["topic"], "caselink.referral.v1");
  EXPECT_EQ(j["event_id"], "e-1");
  EXPECT_EQ(j["note"], "fixed the rule");
}

TEST(DlqReplay, RefusesWhatHasNoOriginOrWouldLoop) {
  auto r = dead_letter();
  r.headers.erase(r.headers.begin() + 1);  // no dlq.original.topic
  EXPECT_FALSE(make_replay_record(r).ok());
  r.headers.emplace_back(kafka::kDlqOriginalTopic, "caselink.dlq.v1");
  EXPECT_FALSE(make_replay_record(r).ok());
  r.headers.back().second = kReplayLogTopic;
  EXPECT_FALSE(make_replay_record(r).ok());
}

// A dead letter whose value was too large to copy cannot be replayed from the DLQ: the answer
// says where the original is.
TEST(DlqReplay, RefusesADeadLetterWithoutItsValue) {
  auto r = dead_letter();
  r.raw.clear();
  r.headers.emplace_back(kafka::kDlqValueOmitted, "2097152");
  const auto replay = make_replay_record(r);
  ASSERT_FALSE(replay.ok());
  EXPECT_NE(replay.error().message.find("caselink.referral.v1[4] offset 17"), std::string::npos)
      << replay.error().message;
}

TEST(DlqSelector, SelectsByRangeReasonAndCase) {
  DlqSelector s;
  EXPECT_TRUE(s.empty());
  ASSERT_TRUE(parse_offset_range("40-41", &s));
  s.partition = 2;
  EXPECT_TRUE(s.matches(dead_letter()));
  ASSERT_TRUE(parse_offset_range("42", &s));
  EXPECT_FALSE(s.matches(dead_letter()));
  EXPECT_FALSE(parse_offset_range("5-3", &s));
  EXPECT_FALSE(parse_offset_range("x", &s));
  EXPECT_FALSE(parse_offset_range("3-", &s));
  DlqSelector by_reason;
  by_reason.reason = "envelope.unknown_type";
  EXPECT_TRUE(by_reason.matches(dead_letter()));
  by_reason.reason = "transition.not_allowed";
  EXPECT_FALSE(by_reason.matches(dead_letter()));
  DlqSelector by_case;
  by_case.case_id = "case-2";
  EXPECT_FALSE(by_case.matches(dead_letter()));
}

}  // namespace
}  // namespace caselink::ctl

namespace caselink::ctl {
namespace {

// --client-config on the command line replaces the security the environment gave: one
// principal, never the environment's user with the file's password.
TEST(OpsCliClientConfig, TheFileOnTheCommandLineReplacesTheEnvironmentsSecurity) {
  const std::string file = ::testing::TempDir() + "/ctl-operator.properties";
  {
    std::ofstream out(file);
    out << "# as kafka.sh writes it\nbootstrap.servers=127.0.0.1:1\nsecurity.protocol=SASL_SSL\n"
           "sasl.mechanisms=SCRAM-SHA-512\nsasl.username=caselinkctl\nsasl.password=from-file\n";
  }
  CLI::App app;
  CLI::App* dlq = app.add_subcommand("dlq");
  OpsCli ops(app, *dlq);
  std::vector<std::string> args = {"--client-config", file, "topics"};
  std::reverse(args.begin(), args.end());  // CLI11 takes them in reverse
  app.parse(args);
  kafka::KafkaSettings from_env;
  from_env.security.protocol = "sasl_ssl";
  from_env.security.sasl_mechanism = "SCRAM-SHA-512";
  from_env.security.sasl_username = "admin";
  from_env.security.sasl_password = "from-env";
  from_env.security.ssl_ca_location = "/env/ca.crt";
  ASSERT_TRUE(ops.apply_client_config(from_env).ok());
  EXPECT_EQ(from_env.security.sasl_username, "caselinkctl");
  EXPECT_EQ(from_env.security.sasl_password, "from-file");
  EXPECT_EQ(from_env.security.protocol, "SASL_SSL");
  EXPECT_EQ(from_env.security.ssl_ca_location, "") << "the environment's CA is not kept beside the file's principal";
  auto options = ops.connection(kafka::KafkaSettings{}, "127.0.0.1:2", std::chrono::milliseconds(100));
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->kafka.security.sasl_username, "caselinkctl");
  EXPECT_EQ(options->kafka.bootstrap, "127.0.0.1:2");
}

}  // namespace
}  // namespace caselink::ctl
