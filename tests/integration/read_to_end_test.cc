// kafka::read_to_end on the real broker: a restore must not stop at the last stable offset
// while a transaction written before the read started is still open (the case of an instance
// killed mid-transaction, whose partitions a survivor restores), and must say which partition
// holds it back when it gives up.

#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <memory>
#include <thread>

#include "services/lib/kafka/read_to_end.h"
#include "tests/support/kafka_test_env.h"
#include "tests/support/open_transaction.h"

namespace caselink {
namespace {

class ReadToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = testing::kafka_bootstrap();
    if (!b) GTEST_SKIP() << "CASELINK_KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
    settings = testing::kafka_settings(*b);
    topic = testing::unique_name("it.read-to-end");
    ASSERT_TRUE(testing::create_topics(*b, {topic}, 1).ok());
  }
  kafka::ReadToEndRequest request(std::chrono::milliseconds timeout) const {
    return kafka::ReadToEndRequest{topic, {0}, testing::unique_name("it.read-to-end.reader"), timeout, {}, {}};
  }
  kafka::KafkaSettings settings;
  std::string topic;
};

TEST_F(ReadToEnd, WaitsForATransactionOpenAtTheStartAndReadsItsRecordsOnceCommitted) {
  testing::OpenTransaction txn(settings.bootstrap, topic);
  ASSERT_TRUE(txn.ready());
  ASSERT_TRUE(txn.write({"v1", "v2"}));
  ASSERT_TRUE(txn.commit());
  ASSERT_TRUE(txn.write({"v3", "v4"}));  // left open: the stable offset stays at 3 (2 records + marker)

  std::atomic<bool> waiting{false};
  std::atomic<bool> done{false};
  std::vector<std::string> seen;
  Status status = Status::success();
  auto req = request(std::chrono::seconds(60));
  req.on_waiting = [&](int32_t partition, int64_t stable, int64_t end) {
    EXPECT_EQ(partition, 0);
    EXPECT_LT(stable, end);
    waiting = true;
  };
  std::thread reader([&] {
    status = kafka::read_to_end(settings, req, [&](const ConsumedRecord& r) { seen.push_back(r.value.value_or("")); });
    done = true;
  });
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!waiting && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(waiting.load()) << "the reader never reported waiting for the open transaction";
  // It cannot have finished: the transaction it waits for has not ended.
  EXPECT_FALSE(done.load());
  ASSERT_TRUE(txn.commit());
  reader.join();
  ASSERT_TRUE(status.ok()) << status.error().describe();
  EXPECT_EQ(seen, (std::vector<std::string>{"v1", "v2", "v3", "v4"}));
}

TEST_F(ReadToEnd, GivesUpNamingThePartitionHeldByAnOpenTransaction) {
  testing::OpenTransaction txn(settings.bootstrap, topic);
  ASSERT_TRUE(txn.ready());
  ASSERT_TRUE(txn.write({"v1"}));
  ASSERT_TRUE(txn.commit());
  ASSERT_TRUE(txn.write({"v2"}));  // open until the destructor aborts it

  std::vector<std::string> seen;
  const Status status = kafka::read_to_end(settings, request(std::chrono::seconds(4)),
                                           [&](const ConsumedRecord& r) { seen.push_back(r.value.value_or("")); });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(status.error().message.find("[0] (stable offset 2 of 3)"), std::string::npos)
      << status.error().describe();
  EXPECT_EQ(seen, std::vector<std::string>{"v1"});  // the committed part was read
}

TEST_F(ReadToEnd, AnEmptyPartitionEndsAtOnce) {
  std::size_t seen = 0;
  const Status status =
      kafka::read_to_end(settings, request(std::chrono::seconds(30)), [&](const ConsumedRecord&) { ++seen; });
  ASSERT_TRUE(status.ok()) << status.error().describe();
  EXPECT_EQ(seen, 0U);
}

TEST_F(ReadToEnd, AnUnknownTopicIsAnErrorNotAHang) {
  topic = testing::unique_name("it.read-to-end.missing");
  const Status status = kafka::read_to_end(settings, request(std::chrono::seconds(5)), [](const ConsumedRecord&) {});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(status.error().message.find(topic), std::string::npos) << status.error().describe();
}

// caselink-sync keeps a revoked partition's cases and, when the rebalance gives it straight back,
// reads only what settled after the stable offset it took at the revoke.
TEST_F(ReadToEnd, TheStableOffsetStopsBeforeAnOpenTransactionAndAReadFromItGetsWhatSettledLater) {
  testing::OpenTransaction txn(settings.bootstrap, topic);
  ASSERT_TRUE(txn.ready());
  ASSERT_TRUE(txn.write({"v1", "v2"}));
  ASSERT_TRUE(txn.commit());
  ASSERT_TRUE(txn.write({"v3"}));  // open: v1@0 v2@1 commit marker@2 v3@3
  kafka::KafkaChangelogReader reader(settings, testing::unique_name("it.read-to-end.reader"), std::chrono::seconds(60),
                                     "it.read-to-end");
  auto stable = reader.stable_offsets(topic, {0});
  ASSERT_TRUE(stable.ok()) << stable.error().describe();
  EXPECT_EQ(stable->at(0), 3) << "the stable offset is not where the open transaction starts";
  ASSERT_TRUE(txn.commit());
  ASSERT_TRUE(txn.write({"v4"}));
  ASSERT_TRUE(txn.commit());
  std::vector<std::string> seen;
  const Status status = reader.read_from(topic, {{0, stable->at(0)}},
                                         [&](const ConsumedRecord& r) { seen.push_back(r.value.value_or("")); });
  ASSERT_TRUE(status.ok()) << status.error().describe();
  EXPECT_EQ(seen, (std::vector<std::string>{"v3", "v4"}));
}

TEST_F(ReadToEnd, AReadFromAnOffsetPastTheEndIsAConflictNotAnEmptyRead) {
  testing::OpenTransaction txn(settings.bootstrap, topic);
  ASSERT_TRUE(txn.ready());
  ASSERT_TRUE(txn.write({"v1"}));
  ASSERT_TRUE(txn.commit());
  kafka::KafkaChangelogReader reader(settings, testing::unique_name("it.read-to-end.reader"), std::chrono::seconds(30),
                                     "it.read-to-end");
  const Status status = reader.read_from(topic, {{0, 7}}, [](const ConsumedRecord&) {});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kConflict);
  EXPECT_NE(status.error().message.find("past its end 2"), std::string::npos) << status.error().describe();
}

}  // namespace
}  // namespace caselink
