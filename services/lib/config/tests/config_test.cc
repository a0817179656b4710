#include <gtest/gtest.h>

#include <map>

#include "services/lib/config/config.h"

namespace caselink::config {
namespace {

struct Settings {
  std::string bootstrap = "127.0.0.1:9092";
  std::string group;
  int64_t commit_every = 500;
  int port = 0;
  bool json_logs = false;
  double ratio = 0.5;
  std::vector<std::string> topics;
  std::map<std::string, std::string> extra;
  std::string token;
};

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

Status bind_and_finish(ConfigBinder& b, Settings& s) {
  b.bind("kafka.bootstrap", &s.bootstrap, "brokers");
  b.bind("loop.group_id", &s.group, "consumer group", Need::kRequired);
  b.bind("loop.commit_every_records", &s.commit_every, "records per transaction");
  b.bind("http.port", &s.port, "admin port");
  b.bind("log.json", &s.json_logs, "JSON lines");
  b.bind("ratio", &s.ratio, "a number");
  b.bind("loop.input_topics", &s.topics, "topics");
  b.bind("kafka.properties", &s.extra, "extra librdkafka properties");
  b.bind("auth.token", &s.token, "secret", Need::kOptional, Secrecy::kSecret);
  return b.finish();
}

TEST(Config, ReadsTypedValuesFromYaml) {
  auto b = ConfigBinder::parse(R"(
kafka:
  bootstrap: 10.0.0.1:9092
  properties:
    linger.ms: "5"
loop:
  group_id: sync
  commit_every_records: 1000
  input_topics: [a.v1, b.v1]
http: {port: 8080}
log: {json: true}
ratio: 0.25
)",
                               "test.yaml", "CASELINK_", fake_env({}));
  ASSERT_TRUE(b.ok()) << b.error().describe();
  Settings s;
  Status st = bind_and_finish(*b, s);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(s.bootstrap, "10.0.0.1:9092");
  EXPECT_EQ(s.group, "sync");
  EXPECT_EQ(s.commit_every, 1000);
  EXPECT_EQ(s.port, 8080);
  EXPECT_TRUE(s.json_logs);
  EXPECT_DOUBLE_EQ(s.ratio, 0.25);
  EXPECT_EQ(s.topics, (std::vector<std::string>{"a.v1", "b.v1"}));
  EXPECT_EQ(s.extra.at("linger.ms"), "5");
}

TEST(Config, KeepsDefaultsWhenAbsent) {
  auto b = ConfigBinder::parse("loop: {group_id: g}", "t.yaml", "CASELINK_", fake_env({}));
  ASSERT_TRUE(b.ok());
  Settings s;
  ASSERT_TRUE(bind_and_finish(*b, s).ok());
  EXPECT_EQ(s.bootstrap, "127.0.0.1:9092");
  EXPECT_EQ(s.commit_every, 500);
}

TEST(Config, EnvironmentOverridesFile) {
  auto b = ConfigBinder::parse("loop: {group_id: g, commit_every_records: 10}", "t.yaml", "CASELINK_",
                               fake_env({{"CASELINK_LOOP_COMMIT_EVERY_RECORDS", "77"},
                                         {"CASELINK_LOOP_INPUT_TOPICS", "x.v1, y.v1"},
                                         {"CASELINK_KAFKA_PROPERTIES", "a=1,b=2"}}));
  ASSERT_TRUE(b.ok());
  Settings s;
  ASSERT_TRUE(bind_and_finish(*b, s).ok());
  EXPECT_EQ(s.commit_every, 77);
  EXPECT_EQ(s.topics, (std::vector<std::string>{"x.v1", "y.v1"}));
  EXPECT_EQ(s.extra.at("b"), "2");
}

TEST(Config, UnknownKeyIsNamedWithAHint) {
  auto b = ConfigBinder::parse("loop: {group_id: g}\nkafka: {bootstrapp: x}\n", "t.yaml", "CASELINK_", fake_env({}));
  ASSERT_TRUE(b.ok());
  Settings s;
  Status st = bind_and_finish(*b, s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("kafka.bootstrapp: unknown setting"), std::string::npos) << st.error().message;
}

TEST(Config, UnknownKeyHintNamesTheRightKey) {
  auto b = ConfigBinder::parse("loop: {group_id: g}\ncommit_every_records: 5\n", "t.yaml", "CASELINK_", fake_env({}));
  ASSERT_TRUE(b.ok());
  Settings s;
  Status st = bind_and_finish(*b, s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("did you mean 'loop.commit_every_records'"), std::string::npos)
      << st.error().message;
}

TEST(Config, WrongTypeIsNamed) {
  auto b = ConfigBinder::parse("loop: {group_id: g, commit_every_records: lots}", "t.yaml", "CASELINK_",
                               fake_env({}));
  ASSERT_TRUE(b.ok());
  Settings s;
  Status st = bind_and_finish(*b, s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("loop.commit_every_records: expected an integer, got 'lots'"), std::string::npos)
      << st.error().message;
}

TEST(Config, WrongTypeFromEnvironmentNamesTheVariable) {
  auto b = ConfigBinder::parse("loop: {group_id: g}", "t.yaml", "CASELINK_", fake_env({{"CASELINK_LOG_JSON", "maybe"}}));
  ASSERT_TRUE(b.ok());
  Settings s;
  Status st = bind_and_finish(*b, s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("CASELINK_LOG_JSON"), std::string::npos) << st.error().message;
}

TEST(Config, MissingRequiredIsNamed) {
  auto b = ConfigBinder::parse("", "t.yaml", "CASELINK_", fake_env({}));
  ASSERT_TRUE(b.ok());
  Settings s;
  Status st = bind_and_finish(*b, s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("loop.group_id: required but not set"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("CASELINK_LOOP_GROUP_ID"), std::string::npos);
}

TEST(Config, MapWhereScalarExpectedIsRejected) {
  auto b = ConfigBinder::parse("loop: {group_id: {a: b}}", "t.yaml", "CASELINK_", fake_env({}));
  ASSERT_TRUE(b.ok());
  Settings s;
  Status st = bind_and_finish(*b, s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("loop.group_id: expected a single value"), std::string::npos);
}

TEST(Config, IntOutOfRangeIsRejected) {
  auto b = ConfigBinder::parse("loop: {group_id: g}\nhttp: {port: 99999999999}", "t.yaml", "CASELINK_", fake_env({}));
  ASSERT_TRUE(b.ok());
  Settings s;
  Status st = bind_and_finish(*b, s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("http.port: value 99999999999 is out of range"), std::string::npos);
}

TEST(Config, ChecksRunAfterValuesAreRead) {
  auto b = ConfigBinder::parse("loop: {group_id: g, commit_every_records: 0}", "t.yaml", "CASELINK_", fake_env({}));
  ASSERT_TRUE(b.ok());
  Settings s;
  b->check([&s]() -> Status {
    if (s.commit_every < 1) {
      return Error::invalid("must be at least 1", "loop.commit_every_records");
    }
    return Status::success();
  });
  Status st = bind_and_finish(*b, s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("loop.commit_every_records: must be at least 1"), std::string::npos);
}

TEST(Config, InvalidYamlAndMissingFileAreErrors) {
  EXPECT_FALSE(ConfigBinder::parse("a: [unclosed", "t.yaml", "CASELINK_", fake_env({})).ok());
  EXPECT_FALSE(ConfigBinder::parse("- a\n- b\n", "t.yaml", "CASELINK_", fake_env({})).ok());
  auto missing = ConfigBinder::load("/nonexistent/caselink.yaml", "CASELINK_", fake_env({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/caselink.yaml"), std::string::npos);
}

TEST(Config, DescribeMasksSecrets) {
  auto b = ConfigBinder::parse("loop: {group_id: g}\nauth: {token: hunter2}", "t.yaml", "CASELINK_", fake_env({}));
  ASSERT_TRUE(b.ok());
  Settings s;
  ASSERT_TRUE(bind_and_finish(*b, s).ok());
  EXPECT_EQ(s.token, "hunter2");
  const std::string text = b->describe();
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_NE(text.find("auth.token"), std::string::npos);
  EXPECT_NE(text.find("CASELINK_AUTH_TOKEN"), std::string::npos);
}

TEST(Config, DescribeMasksSecretEntriesOfAMap) {
  auto b = ConfigBinder::parse(
      "props: {security.protocol: SASL_SSL, sasl.username: agency-a, sasl.password: s3cr3t-pw, "
      "ssl.key.password: k3y-pw}",
      "t.yaml", "CASELINK_", fake_env({}));
  ASSERT_TRUE(b.ok());
  std::map<std::string, std::string> props;
  b->bind("props", &props, "librdkafka properties");
  ASSERT_TRUE(b->finish().ok());
  EXPECT_EQ(props.at("sasl.password"), "s3cr3t-pw");
  const std::string text = b->describe();
  EXPECT_EQ(text.find("s3cr3t-pw"), std::string::npos) << text;
  EXPECT_EQ(text.find("k3y-pw"), std::string::npos) << text;
  EXPECT_NE(text.find("sasl.password=***"), std::string::npos) << text;
  EXPECT_NE(text.find("sasl.username=agency-a"), std::string::npos) << text;
}

}  // namespace
}  // namespace caselink::config
