#include <gtest/gtest.h>

#include "services/common/kafka/settings.h"

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

}  // namespace
}  // namespace caselink::kafka
