// Nothing lost, nothing doubled: the caselink-passthrough process is killed with SIGKILL
// while its transaction is open, on the real broker, and restarted.
//
// The checker follows Jepsen's Kafka workload in spirit: every input carries a unique
// sequence number and is acknowledged by the broker before the run; at the end a
// read_committed consumer must see every acknowledged input exactly once in the output
// (no loss, no duplicate), and must never see a record of an aborted transaction (the
// read_uncommitted view shows those records exist, so the kill really hit mid-transaction).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "services/common/envelope/codec.h"
#include "services/common/kafka/producer.h"
#include "tests/support/kafka_test_env.h"

namespace caselink {
namespace {

namespace fs = std::filesystem;

struct Fixture {
  std::string bootstrap;
  std::string in;
  std::string out;
  std::string dlq;
  std::string group;
  fs::path dir;
};

std::optional<Fixture> make_fixture(const std::string& name) {
  auto bootstrap = testing::kafka_bootstrap();
  if (!bootstrap) {
    return std::nullopt;
  }
  Fixture f;
  f.bootstrap = *bootstrap;
  f.in = testing::unique_name("it." + name + ".in");
  f.out = testing::unique_name("it." + name + ".out");
  f.dlq = testing::unique_name("it." + name + ".dlq");
  f.group = testing::unique_name("it." + name + ".group");
  f.dir = fs::temp_directory_path() / testing::unique_name("caselink-" + name);
  fs::create_directories(f.dir);
  EXPECT_TRUE(testing::create_topics(f.bootstrap, {f.in, f.out}, 3).ok());
  EXPECT_TRUE(testing::create_topics(f.bootstrap, {f.dlq}, 1).ok());
  return f;
}

std::string write_config(const Fixture& f, const std::string& file, int64_t commit_every_records,
                         int64_t commit_every_ms) {
  const fs::path path = f.dir / file;
  std::ofstream(path) << "kafka:\n"
                      << "  bootstrap: \"" << f.bootstrap << "\"\n"
                      << "  properties:\n"
                      << "    session.timeout.ms: \"6000\"\n"
                      << "    heartbeat.interval.ms: \"1000\"\n"
                      << "loop:\n"
                      << "  group_id: " << f.group << "\n"
                      << "  input_topics: [" << f.in << "]\n"
                      << "  dlq_topic: " << f.dlq << "\n"
                      << "  commit_every_records: " << commit_every_records << "\n"
                      << "  commit_every_ms: " << commit_every_ms << "\n"
                      << "passthrough:\n"
                      << "  output_topic: " << f.out << "\n"
                      << "  validate_envelopes: true\n"
                      << "http:\n"
                      << "  port: 0\n";
  return path.string();
}

// Produces `count` inputs with sequences [first, first+count); all acknowledged.
void produce_inputs(const Fixture& f, uint64_t first, uint64_t count) {
  kafka::KafkaSettings settings;
  settings.bootstrap = f.bootstrap;
  auto producer = kafka::IdempotentProducer::create(settings, "crash-seeder");
  ASSERT_TRUE(producer.ok());
  SystemClock clock;
  for (uint64_t i = first; i < first + count; ++i) {
    v1::Envelope env = envelope::make_envelope(CaseId("case-" + std::to_string(i % 97)), AgencyId("a"), clock.now(),
                                               clock.now());
    env.mutable_probe()->set_sequence(i);
    envelope::seal(env);
    ASSERT_TRUE((*producer)->send_async(envelope::to_record(env, f.in), [](Result<kafka::Delivery> r) {
      ASSERT_TRUE(r.ok()) << r.error().describe();
    }).ok());
  }
  ASSERT_TRUE((*producer)->flush(std::chrono::seconds(60)).ok());
}

std::map<uint64_t, int> count_sequences(const std::vector<ConsumedRecord>& records) {
  std::map<uint64_t, int> seen;
  for (const auto& r : records) {
    auto env = envelope::decode(r.value.value_or(""));
    EXPECT_TRUE(env.ok());
    if (env.ok()) {
      seen[env->probe().sequence()]++;
    }
  }
  return seen;
}

void expect_exactly_once(const std::map<uint64_t, int>& seen, uint64_t expected) {
  EXPECT_EQ(seen.size(), expected) << "lost inputs";
  uint64_t duplicates = 0;
  for (uint64_t i = 0; i < expected; ++i) {
    auto it = seen.find(i);
    if (it == seen.end()) {
      ADD_FAILURE() << "sequence " << i << " lost";
    } else if (it->second != 1) {
      ++duplicates;
    }
  }
  EXPECT_EQ(duplicates, 0U) << "duplicated effects";
}

const std::string kBinary = "services/passthrough/caselink-passthrough";

TEST(CrashIntegration, KillBetweenProduceAndCommitLosesAndDoublesNothing) {
  auto f = make_fixture("kill1");
  if (!f) {
    GTEST_SKIP() << "KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
  }
  constexpr uint64_t kInputs = 300;
  produce_inputs(*f, 0, kInputs);

  // A transaction that stays open for a long time: outputs are produced, not committed.
  const std::string slow = write_config(*f, "slow.yaml", 1'000'000, 25'000);
  const std::string log = (f->dir / "passthrough.log").string();
  {
    testing::ChildProcess first(testing::build_path(kBinary), {"--config", slow}, log);
    // Outputs of the open transaction become visible to read_uncommitted readers only.
    auto uncommitted = testing::read_topic(f->bootstrap, f->out, testing::Isolation::kReadUncommitted, 1,
                                           std::chrono::seconds(60));
    ASSERT_FALSE(uncommitted.empty()) << "the passthrough produced nothing; see " << log;
    ASSERT_TRUE(first.running()) << "see " << log;
    first.kill_hard();  // SIGKILL between produce and commit
  }
  auto after_kill = testing::read_topic(f->bootstrap, f->out, testing::Isolation::kReadCommitted, 0,
                                        std::chrono::seconds(10), std::chrono::seconds(2));
  EXPECT_TRUE(after_kill.empty()) << "a read_committed consumer saw output of an uncommitted transaction";

  // Restart with the same transactional id: Kafka fences the dead incarnation, aborts its
  // transaction, and the new one re-reads from the last committed offset.
  const std::string fast = write_config(*f, "fast.yaml", 50, 100);
  testing::ChildProcess second(testing::build_path(kBinary), {"--config", fast}, log);
  auto committed = testing::read_topic(f->bootstrap, f->out, testing::Isolation::kReadCommitted, kInputs,
                                       std::chrono::seconds(120));
  // Give a duplicate, if there were one, time to show up.
  auto settled = testing::read_topic(f->bootstrap, f->out, testing::Isolation::kReadCommitted, 0,
                                     std::chrono::seconds(30), std::chrono::seconds(3));
  expect_exactly_once(count_sequences(settled), kInputs);
  EXPECT_EQ(settled.size(), kInputs);

  auto raw = testing::read_topic(f->bootstrap, f->out, testing::Isolation::kReadUncommitted, 0,
                                 std::chrono::seconds(30), std::chrono::seconds(3));
  EXPECT_GT(raw.size(), kInputs) << "the aborted transaction's records should be in the log (proves the kill hit "
                                    "between produce and commit)";
  // Graceful stop: SIGTERM commits or aborts, leaves the group and exits 0.
  EXPECT_EQ(second.terminate(std::chrono::seconds(30)), 0) << "see " << log;
}

TEST(CrashIntegration, RandomKillsWhileStreaming) {
  auto f = make_fixture("kill2");
  if (!f) {
    GTEST_SKIP() << "KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
  }
  constexpr uint64_t kBatches = 6;
  constexpr uint64_t kPerBatch = 500;
  const std::string config = write_config(*f, "svc.yaml", 50, 100);
  const std::string log = (f->dir / "passthrough.log").string();
  std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> delay_ms(300, 2500);

  std::thread feeder([&] {
    for (uint64_t b = 0; b < kBatches; ++b) {
      produce_inputs(*f, b * kPerBatch, kPerBatch);
      std::this_thread::sleep_for(std::chrono::milliseconds(700));
    }
  });
  int kills = 0;
  for (uint64_t round = 0; round < kBatches - 1; ++round) {
    testing::ChildProcess child(testing::build_path(kBinary), {"--config", config}, log);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500 + delay_ms(rng)));
    ASSERT_TRUE(child.running()) << "passthrough died on its own; see " << log;
    child.kill_hard();
    ++kills;
  }
  feeder.join();
  testing::ChildProcess last(testing::build_path(kBinary), {"--config", config}, log);
  const uint64_t total = kBatches * kPerBatch;
  testing::read_topic(f->bootstrap, f->out, testing::Isolation::kReadCommitted, total, std::chrono::seconds(180));
  auto settled = testing::read_topic(f->bootstrap, f->out, testing::Isolation::kReadCommitted, 0,
                                     std::chrono::seconds(60), std::chrono::seconds(3));
  EXPECT_EQ(kills, static_cast<int>(kBatches - 1));
  expect_exactly_once(count_sequences(settled), total);
  EXPECT_EQ(settled.size(), total);
  EXPECT_EQ(last.terminate(std::chrono::seconds(30)), 0);
}

}  // namespace
}  // namespace caselink
