#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "services/lib/kafka/settings.h"

namespace caselink::kafka {
namespace {

Status load(const std::string& yaml, KafkaSettings* kafka, LoopSettings* loop) {
  auto binder = config::ConfigBinder::parse(yaml, "svc.yaml", "CASELINK_",
                                            [](const std::string&) { return std::nullopt; });
  if (!binder.ok()) {
    return binder.error();
  }
  bind(*binder, kafka);
  bind(*binder, loop, kafka);
  return binder->finish();
}

TEST(KafkaSettings, ValidConfigLoads) {
  KafkaSettings kafka;
  LoopSettings loop;
  Status st = load("kafka: {bootstrap: '127.0.0.1:19092'}\nloop: {group_id: g, input_topics: [a.v1]}", &kafka, &loop);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(kafka.bootstrap, "127.0.0.1:19092");
  EXPECT_EQ(effective_transactional_id(loop), "g-0");
}

TEST(KafkaSettings, OwnedPropertiesCannotBeOverridden) {
  for (const char* key : {"enable.idempotence", "acks", "isolation.level", "enable.auto.commit", "transactional.id"}) {
    KafkaSettings kafka;
    LoopSettings loop;
    Status st = load(std::string("kafka: {properties: {") + key + ": x}}\nloop: {group_id: g, input_topics: [a]}",
                     &kafka, &loop);
    ASSERT_FALSE(st.ok()) << key;
    EXPECT_NE(st.error().message.find(std::string("kafka.properties.") + key), std::string::npos)
        << st.error().message;
  }
}

TEST(KafkaSettings, ATransactionTimeoutWithoutTimeToCommitIsRejected) {
  KafkaSettings kafka;
  LoopSettings loop;
  Status st = load("loop: {group_id: g, input_topics: [a], commit_every_ms: 2500, transaction_timeout_ms: 5000}",
                   &kafka, &loop);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("loop.transaction_timeout_ms"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("5500"), std::string::npos) << st.error().message;
  EXPECT_TRUE(load("loop: {group_id: g, input_topics: [a], commit_every_ms: 2000, transaction_timeout_ms: 5000}",
                   &kafka, &loop)
                  .ok());
}

// The default transaction timeout (5 s, for takeover within 10 s) is below the 30 s default
// message timeout: the loop's producer waits no longer for a produce than its transaction lives.
TEST(KafkaSettings, TheLoopsProduceTimeoutIsCappedAtTheTransactionTimeout) {
  KafkaSettings kafka;
  LoopSettings loop;
  ASSERT_TRUE(load("kafka: {message_timeout_ms: 60000}\nloop: {group_id: g, input_topics: [a]}", &kafka, &loop).ok());
  EXPECT_EQ(loop.transaction_timeout_ms, 5000);
  EXPECT_EQ(loop_message_timeout_ms(loop, kafka), 5000);
  kafka.message_timeout_ms = 4000;
  EXPECT_EQ(loop_message_timeout_ms(loop, kafka), 4000);
}

TEST(KafkaSettings, ConsumingTheDlqIsRejected) {
  KafkaSettings kafka;
  LoopSettings loop;
  Status st = load("loop: {group_id: g, input_topics: [caselink.dlq.v1]}", &kafka, &loop);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("loop.input_topics"), std::string::npos);
}

TEST(KafkaSettings, CommitIntervalsMustBePositive) {
  KafkaSettings kafka;
  LoopSettings loop;
  Status st = load("loop: {group_id: g, input_topics: [a], commit_every_records: 0}", &kafka, &loop);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("loop.commit_every_records"), std::string::npos);
  KafkaSettings kafka2;
  LoopSettings loop2;  // fresh: a failed load leaves what it read
  st = load("loop: {group_id: g, input_topics: [a], commit_every_bytes: 0}", &kafka2, &loop2);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("loop.commit_every_bytes"), std::string::npos);
}

TEST(KafkaSettings, ReadAheadIsSetThroughLoopSettingsNotProperties) {
  KafkaSettings kafka;
  LoopSettings loop;
  ASSERT_TRUE(load("loop: {group_id: g, input_topics: [a], prefetch_messages: 500, prefetch_kbytes: 1024}", &kafka,
                   &loop)
                  .ok());
  EXPECT_EQ(loop.prefetch_messages, 500);
  EXPECT_EQ(loop.prefetch_kbytes, 1024);
  // The loop sets these two from loop.prefetch_*; accepted here they would be silently overwritten.
  for (const auto& [key, hint] : {std::pair{"queued.min.messages", "loop.prefetch_messages"},
                                  std::pair{"queued.max.messages.kbytes", "loop.prefetch_kbytes"}}) {
    Status st = load(std::string("kafka: {properties: {") + key + ": '10'}}\nloop: {group_id: g, input_topics: [a]}",
                     &kafka, &loop);
    ASSERT_FALSE(st.ok()) << key;
    EXPECT_NE(st.error().message.find(std::string("kafka.properties.") + key), std::string::npos) << st.error().message;
    EXPECT_NE(st.error().message.find(hint), std::string::npos) << st.error().message;
  }
  Status st = load("loop: {group_id: g, input_topics: [a], prefetch_messages: 0}", &kafka, &loop);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("loop.prefetch_messages"), std::string::npos) << st.error().message;
}

TEST(KafkaSettings, FetcherWakeUpsAreOffByDefaultAndBounded) {
  KafkaSettings kafka;
  LoopSettings loop;
  ASSERT_TRUE(load("loop: {group_id: g, input_topics: [a]}", &kafka, &loop).ok());
  EXPECT_EQ(loop.wake_fetcher_every_ms, 0);  // librdkafka's own read-ahead does not run dry
  ASSERT_TRUE(load("loop: {group_id: g, input_topics: [a], wake_fetcher_every_ms: 20}", &kafka, &loop).ok());
  EXPECT_EQ(loop.wake_fetcher_every_ms, 20);
  for (const char* bad : {"-1", "10001"}) {
    Status st = load(std::string("loop: {group_id: g, input_topics: [a], wake_fetcher_every_ms: ") + bad + "}", &kafka,
                     &loop);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_NE(st.error().message.find("loop.wake_fetcher_every_ms"), std::string::npos) << st.error().message;
  }
}

TEST(KafkaSettings, StaticMembershipIsSetThroughLoopSettingsOnly) {
  KafkaSettings kafka;
  LoopSettings loop;
  ASSERT_TRUE(load("loop: {group_id: g, input_topics: [a]}", &kafka, &loop).ok());
  EXPECT_EQ(loop.group_instance_id, "");  // dynamic membership unless configured
  ASSERT_TRUE(load("loop: {group_id: g, input_topics: [a], group_instance_id: caselink-sync-0}", &kafka, &loop).ok());
  EXPECT_EQ(loop.group_instance_id, "caselink-sync-0");
  for (const char* bad : {"'sync 0'", "'sync/0'", "'\u00e9'"}) {
    Status st = load(std::string("loop: {group_id: g, input_topics: [a], group_instance_id: ") + bad + "}", &kafka,
                     &loop);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_NE(st.error().message.find("loop.group_instance_id"), std::string::npos) << st.error().message;
  }
  Status st = load("kafka: {properties: {group.instance.id: x}}\nloop: {group_id: g, input_topics: [a]}", &kafka,
                   &loop);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("loop.group_instance_id"), std::string::npos) << st.error().message;
}

TEST(KafkaSettings, ExplicitTransactionalIdWins) {
  LoopSettings loop;
  loop.group_id = "g";
  loop.instance_id = "7";
  EXPECT_EQ(effective_transactional_id(loop), "g-7");
  loop.transactional_id = "custom";
  EXPECT_EQ(effective_transactional_id(loop), "custom");
}

std::string write_client_config(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name + ".properties";
  std::ofstream(path) << text;
  return path;
}

// kafka.sh --secure's per-principal file: a path in the config (or CASELINK_KAFKA_CLIENT_CONFIG_FILE)
// gives the typed security settings; its bootstrap.servers does not override kafka.bootstrap.
TEST(KafkaSettings, ClientConfigFileFillsTheSecuritySettings) {
  const std::string path = write_client_config(
      "caselink-sync", "# Generated by deploy/local/kafka.sh\nbootstrap.servers=127.0.0.1:1\nsecurity.protocol=SASL_SSL\n"
                       "sasl.mechanisms=SCRAM-SHA-512\nsasl.username=caselink-sync\nsasl.password=pw-1\n"
                       "ssl.ca.location=/tmp/ca.crt\nsocket.keepalive.enable=true\n");
  KafkaSettings kafka;
  LoopSettings loop;
  Status st = load("kafka: {bootstrap: '127.0.0.1:19192', client_config_file: '" + path +
                       "'}\nloop: {group_id: g, input_topics: [a]}",
                   &kafka, &loop);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(kafka.bootstrap, "127.0.0.1:19192");
  EXPECT_EQ(kafka.security.protocol, "SASL_SSL");
  EXPECT_EQ(kafka.security.sasl_mechanism, "SCRAM-SHA-512");
  EXPECT_EQ(kafka.security.sasl_username, "caselink-sync");
  EXPECT_EQ(kafka.security.sasl_password, "pw-1");
  EXPECT_EQ(kafka.security.ssl_ca_location, "/tmp/ca.crt");
  EXPECT_EQ(kafka.properties.at("socket.keepalive.enable"), "true");
  EXPECT_EQ(kafka.properties.count("bootstrap.servers"), 0U);
  EXPECT_EQ(describe_connection(kafka),
            "SASL_SSL as caselink-sync (SCRAM-SHA-512), CA /tmp/ca.crt, from " + path);
  EXPECT_EQ(describe_connection(KafkaSettings{}), "plaintext");

  auto env = [&path](const std::string& name) -> std::optional<std::string> {
    if (name == "CASELINK_KAFKA_CLIENT_CONFIG_FILE") return path;
    if (name == "CASELINK_KAFKA_BOOTSTRAP") return std::string("127.0.0.1:19192");
    return std::nullopt;
  };
  auto from_env = settings_from_environment(env);
  ASSERT_TRUE(from_env.ok()) << from_env.error().message;
  EXPECT_EQ(from_env->security.sasl_username, "caselink-sync");
  EXPECT_EQ(from_env->bootstrap, "127.0.0.1:19192");
}

// A key given twice (the file and a kafka.* key, or the file and kafka.properties), a missing
// file or a malformed line is refused naming kafka.client_config_file, never the password.
TEST(KafkaSettings, ClientConfigFileConflictsAndErrorsNameTheSetting) {
  const std::string path = write_client_config(
      "conflict", "security.protocol=SASL_SSL\nsasl.username=a\nsasl.password=hunter2\nlinger.ms=5\n");
  const std::vector<std::string> refused = {
      "kafka: {client_config_file: '" + path + "', sasl_username: b}",
      "kafka: {client_config_file: '" + path + "', properties: {linger.ms: '1'}}",
      "kafka: {client_config_file: '/nonexistent/caselink.properties'}",
      "kafka: {client_config_file: '" + write_client_config("broken", "hunter2\n") + "'}",
  };
  for (const std::string& yaml : refused) {
    KafkaSettings kafka;
    LoopSettings loop;
    Status st = load(yaml + "\nloop: {group_id: g, input_topics: [a]}", &kafka, &loop);
    ASSERT_FALSE(st.ok()) << yaml;
    EXPECT_NE(st.error().message.find("kafka.client_config_file"), std::string::npos) << st.error().message;
    EXPECT_EQ(st.error().message.find("hunter2"), std::string::npos) << st.error().message;
  }
}

}  // namespace
}  // namespace caselink::kafka
