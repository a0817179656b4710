// Nothing lost, nothing doubled: the caselink-passthrough process is killed with SIGKILL
// while its transaction is open, on the real broker, and restarted.
//
// The checker follows Jepsen's Kafka workload in spirit: every input carries a unique
// sequence number and is acknowledged by the broker before the run; at the end a
// read_committed consumer must see every acknowledged input exactly once in the output
// (no loss, no duplicate), and must never see a record of an aborted transaction (the
// read_uncommitted view shows those records exist, so the kill really hit mid-transaction).
// Nothing waits by sleeping: the tests wait for what they can observe (the group's committed
// input offsets, records on a topic), each with a deadline, and count only kills that hit a
// process that was alive, had made progress and still had inputs to process.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>

#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/producer.h"
#include "tests/support/kafka_test_env.h"

namespace caselink {
namespace {

namespace fs = std::filesystem;

constexpr int kPartitions = 3;

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
  EXPECT_TRUE(testing::create_topics(f.bootstrap, {f.in, f.out}, kPartitions).ok());
  EXPECT_TRUE(testing::create_topics(f.bootstrap, {f.dlq}, 1).ok());
  return f;
}

// The consumer's session: short by default, so a killed dynamic member's partitions move on
// after 6 s; group_instance_id set = static membership (loop.group_instance_id).
struct Membership {
  int64_t session_timeout_ms = 6000;
  std::string group_instance_id;
};

std::string write_config(const Fixture& f, const std::string& file, int64_t commit_every_records,
                         int64_t commit_every_ms, const Membership& membership = {}) {
  const fs::path path = f.dir / file;
  std::ofstream(path) << "kafka:\n"
                      << "  bootstrap: \"" << f.bootstrap << "\"\n"
                      << "  properties:\n"
                      << "    session.timeout.ms: \"" << membership.session_timeout_ms << "\"\n"
                      << "    heartbeat.interval.ms: \"1000\"\n"
                      << "loop:\n"
                      << "  group_id: " << f.group << "\n"
                      << (membership.group_instance_id.empty()
                              ? std::string()
                              : "  group_instance_id: " + membership.group_instance_id + "\n")
                      << "  input_topics: [" << f.in << "]\n"
                      << "  dlq_topic: " << f.dlq << "\n"
                      << "  commit_every_records: " << commit_every_records << "\n"
                      << "  commit_every_ms: " << commit_every_ms << "\n"
                      // A deliberately long transaction (commit after 25 s) needs a timeout past it.
                      << "  transaction_timeout_ms: " << std::max<int64_t>(5000, commit_every_ms + 30000) << "\n"
                      << "passthrough:\n"
                      << "  output_topic: " << f.out << "\n"
                      << "  validate_envelopes: true\n"
                      << "http:\n"
                      << "  port: 0\n";
  return path.string();
}

// Produces `count` inputs with sequences [first, first+count); all acknowledged.
void produce_inputs(const Fixture& f, uint64_t first, uint64_t count) {
  kafka::KafkaSettings settings = testing::kafka_settings(f.bootstrap);
  auto producer = kafka::make_idempotent_producer(settings, "crash-seeder");
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

const std::string kBinary = "bin/caselink-passthrough";

TEST(CrashIntegration, KillBetweenProduceAndCommitLosesAndDoublesNothing) {
  auto f = make_fixture("kill1");
  if (!f) {
    GTEST_SKIP() << "CASELINK_KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
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
  // Every input's offset committed = every output committed (same transaction); reading past
  // the output's end then shows every output there is, duplicates included.
  ASSERT_TRUE(testing::wait_caught_up(f->bootstrap, f->group, {f->in}, std::chrono::seconds(120)))
      << "the restarted passthrough did not process every input; see " << log;
  auto settled = testing::read_topic(f->bootstrap, f->out, testing::Isolation::kReadCommitted, 0,
                                     std::chrono::seconds(60));
  expect_exactly_once(count_sequences(settled), kInputs);
  EXPECT_EQ(settled.size(), kInputs);

  auto raw = testing::read_topic(f->bootstrap, f->out, testing::Isolation::kReadUncommitted, 0,
                                 std::chrono::seconds(30), std::chrono::seconds(3));
  EXPECT_GT(raw.size(), kInputs) << "the aborted transaction's records should be in the log (proves the kill hit "
                                    "between produce and commit)";
  // Graceful stop: SIGTERM commits or aborts, leaves the group and exits 0.
  EXPECT_EQ(second.terminate(std::chrono::seconds(30)), 0) << "see " << log;
}

// SIGKILL at random points of a stream, kKills times, then a last instance finishes it. A kill
// counts only when it hit a process that was running, had committed progress of its own (it had
// joined and was working) and died with inputs left (it was interrupted mid-stream); every kill
// must count, or the run proves nothing. A sixth kill hits a long transaction whose records are
// on the broker, so the log surely holds aborted records. The survivor must have had inputs left
// when it started.
TEST(CrashIntegration, RandomKillsMidStreamLoseAndDoubleNothing) {
  auto f = make_fixture("kill2");
  if (!f) {
    GTEST_SKIP() << "CASELINK_KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
  }
  constexpr int kKills = 5;
  constexpr uint64_t kPerRound = 2000;
  // Small transactions: many commits per round, so a kill lands inside one.
  const std::string config = write_config(*f, "svc.yaml", 20, 100);
  const std::string log = (f->dir / "passthrough.log").string();
  std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int64_t> progress_before_kill(1, kPerRound / 4);
  auto committed = [&] { return testing::committed_total(f->bootstrap, f->group, f->in, kPartitions); };

  uint64_t produced = 0;
  int kills_mid_work = 0;
  for (int round = 0; round < kKills; ++round) {
    produce_inputs(*f, produced, kPerRound);
    produced += kPerRound;
    const int64_t at_start = committed();
    testing::ChildProcess child(testing::build_path(kBinary), {"--config", config}, log);
    // Kill once the child has committed a random number of inputs of its own (it rejoins the
    // group first: the dead member's session expires after 6 s).
    const int64_t mark = at_start + progress_before_kill(rng);
    ASSERT_TRUE(testing::wait_until([&] { return !child.running() || committed() >= mark; }, std::chrono::seconds(90)))
        << "round " << round << ": no progress in 90 s; see " << log;
    ASSERT_TRUE(child.running()) << "passthrough died on its own; see " << log;
    child.kill_hard();
    const int64_t at_death = committed();
    std::cerr << "kill " << round + 1 << ": committed " << at_start << " at start, " << at_death << " at death, "
              << produced << " produced\n";
    if (at_death > at_start && at_death < static_cast<int64_t>(produced)) {
      ++kills_mid_work;
    }
  }
  EXPECT_EQ(kills_mid_work, kKills) << "a kill of a process that had finished its inputs interrupts nothing";

  // A random kill lands between commits, but whether the open transaction's records had left
  // the producer's queue for the broker is chance (a fresh-clone CI run had none of five). One
  // more kill is certain to: a long transaction (commit after 25 s), killed once the output
  // log has grown past any abort markers the start can write (at most one per partition), that
  // is once records of the open transaction are on the broker.
  produce_inputs(*f, produced, kPerRound);
  produced += kPerRound;
  {
    const std::string slow = write_config(*f, "slow.yaml", 1'000'000, 25'000);
    auto log_end = [&] {
      int64_t sum = 0;
      for (const auto& [partition, end] : testing::end_offsets(f->bootstrap, f->out)) {
        sum += end;
      }
      return sum;
    };
    const int64_t at_start = committed();
    const int64_t end_before = log_end();
    testing::ChildProcess child(testing::build_path(kBinary), {"--config", slow}, log);
    ASSERT_TRUE(testing::wait_until([&] { return !child.running() || log_end() > end_before + kPartitions; },
                                    std::chrono::seconds(60)))
        << "the long transaction put no record on the broker in 60 s; see " << log;
    ASSERT_TRUE(child.running()) << "passthrough died on its own; see " << log;
    child.kill_hard();
    EXPECT_EQ(committed(), at_start) << "the long transaction committed before its kill; the kill proves nothing";
  }

  const int64_t before_survivor = committed();
  ASSERT_LT(before_survivor, static_cast<int64_t>(produced));
  testing::ChildProcess last(testing::build_path(kBinary), {"--config", config}, log);
  ASSERT_TRUE(testing::wait_caught_up(f->bootstrap, f->group, {f->in}, std::chrono::seconds(180)))
      << "the survivor did not finish the stream; see " << log;
  EXPECT_TRUE(last.running()) << "see " << log;
  EXPECT_EQ(committed(), static_cast<int64_t>(produced));

  auto settled = testing::read_topic(f->bootstrap, f->out, testing::Isolation::kReadCommitted, 0,
                                     std::chrono::seconds(60));
  expect_exactly_once(count_sequences(settled), produced);
  EXPECT_EQ(settled.size(), produced);
  auto raw = testing::read_topic(f->bootstrap, f->out, testing::Isolation::kReadUncommitted, 0,
                                 std::chrono::seconds(60));
  EXPECT_GT(raw.size(), produced) << "the last kill left no aborted records: it did not hit between produce and commit";
  EXPECT_EQ(last.terminate(std::chrono::seconds(30)), 0) << "see " << log;
}

// Static membership (loop.group_instance_id): an instance killed with SIGKILL and started again
// under the same id gets its partitions back at once. The session timeout is 120 s here, and the
// restarted instance must finish the stream within 60 s: with dynamic membership the coordinator
// would hold the dead member's partitions until its session expired (the restarted process would
// stand still for about 120 s). Nothing is lost or doubled across the kill.
TEST(CrashIntegration, StaticMemberRestartedAfterSigkillResumesWithoutWaitingForItsSession) {
  auto f = make_fixture("static");
  if (!f) {
    GTEST_SKIP() << "KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
  }
  constexpr uint64_t kPerRound = 500;
  const std::string config =
      write_config(*f, "static.yaml", 20, 100, {.session_timeout_ms = 120000, .group_instance_id = "it-static-0"});
  const std::string log = (f->dir / "passthrough.log").string();
  auto committed = [&] { return testing::committed_total(f->bootstrap, f->group, f->in, kPartitions); };
  produce_inputs(*f, 0, kPerRound);
  {
    testing::ChildProcess first(testing::build_path(kBinary), {"--config", config}, log);
    ASSERT_TRUE(testing::wait_until([&] { return !first.running() || committed() > 0; }, std::chrono::seconds(90)))
        << "no progress in 90 s; see " << log;
    ASSERT_TRUE(first.running()) << "passthrough died on its own; see " << log;
    first.kill_hard();
  }
  produce_inputs(*f, kPerRound, kPerRound);
  testing::ChildProcess second(testing::build_path(kBinary), {"--config", config}, log);
  ASSERT_TRUE(testing::wait_caught_up(f->bootstrap, f->group, {f->in}, std::chrono::seconds(60)))
      << "the restarted static member did not take its partitions back before the 120 s session of its dead "
         "incarnation expired; see "
      << log;
  auto settled = testing::read_topic(f->bootstrap, f->out, testing::Isolation::kReadCommitted, 0,
                                     std::chrono::seconds(60));
  expect_exactly_once(count_sequences(settled), 2 * kPerRound);
  const auto group = testing::describe_group(f->bootstrap, f->group);
  ASSERT_TRUE(group.has_value());
  ASSERT_EQ(group->members.size(), 1U) << "the dead incarnation is still a member";
  EXPECT_EQ(group->members[0].instance_id, "it-static-0");
  EXPECT_EQ(second.terminate(std::chrono::seconds(30)), 0) << "see " << log;
}

}  // namespace
}  // namespace caselink
