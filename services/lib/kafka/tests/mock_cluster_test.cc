// The transactional loop against librdkafka's built-in mock cluster. This checks the loop's
// own logic (handler wiring, DLQ, abort-and-rewind, broker unreachable) without a broker.
// It does NOT check exactly-once: with librdkafka 2.0.2's mock broker a read_committed
// consumer still saw the records of an aborted transaction (observed here), so the mock is
// no judge of that. Exactly-once is proven on the real broker (tests/integration:
// it_transactional_loop, it_crash).

#include <gtest/gtest.h>

#include <functional>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <functional>
#include <future>
#include <map>
#include <optional>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/dlq.h"
#include "services/lib/kafka/producer.h"
#include "services/lib/kafka/transactional_loop.h"
#include "tests/support/mock_cluster.h"

namespace caselink::kafka {
namespace {

using caselink::testing::MockCluster;

// Reads everything committed on `topic` until `expected` records arrived or time runs out.
std::vector<ConsumedRecord> read_committed(const std::string& bootstrap, const std::string& topic, size_t expected) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", bootstrap, err);
  conf->set("group.id", "reader-" + topic, err);
  conf->set("isolation.level", "read_committed", err);
  conf->set("auto.offset.reset", "earliest", err);
  conf->set("enable.auto.commit", "false", err);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  consumer->subscribe({topic});
  std::vector<ConsumedRecord> out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto last = std::chrono::steady_clock::now();
  while ((out.size() < expected || std::chrono::steady_clock::now() - last < std::chrono::seconds(2)) &&
         std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
    if (m->err() == RdKafka::ERR_NO_ERROR) {
      last = std::chrono::steady_clock::now();
      ConsumedRecord r;
      r.topic = m->topic_name();
      r.partition = m->partition();
      r.offset = m->offset();
      if (m->key()) {
        r.key = *m->key();
      }
      if (m->payload()) {
        r.value = std::string(static_cast<const char*>(m->payload()), m->len());
      }
      if (m->headers()) {
        for (const auto& h : m->headers()->get_all()) {
          r.headers.emplace_back(h.key(), std::string(static_cast<const char*>(h.value()), h.value_size()));
        }
      }
      out.push_back(std::move(r));
    }
  }
  consumer->close();
  return out;
}

// Decodes each input envelope and emits one Probe output that points back to it. Asks to
// retry one chosen sequence number once, to exercise abort-and-rewind.
class EchoHandler : public RecordHandler {
 public:
  explicit EchoHandler(uint64_t retry_sequence) : retry_sequence_(retry_sequence) {}

  HandlerResult handle(const ConsumedRecord& record) override {
    auto env = envelope::decode(record.value.value_or(""));
    if (!env.ok()) {
      return HandlerResult::reject(env.error().reason, env.error().describe());
    }
    if (env->probe().sequence() == retry_sequence_ && !retried_) {
      retried_ = true;
      return HandlerResult::retry("simulated unavailable dependency");
    }
    v1::Envelope out = envelope::make_envelope(CaseId(env->case_id()), AgencyId("test"), clock_.now(), clock_.now());
    out.set_causation_id(env->event_id());
    out.mutable_probe()->set_sequence(env->probe().sequence());
    envelope::seal(out);
    return HandlerResult::emit({envelope::to_record(out, "out")});
  }
  void on_transaction_aborted() override { ++aborted_; }
  int aborted() const { return aborted_; }

 private:
  SystemClock clock_;
  uint64_t retry_sequence_;
  bool retried_ = false;
  int aborted_ = 0;
};

// Publishes `count` Probe envelopes (sequence 0..count-1, seven cases) to `topic`, then an
// undecodable record when `garbage` is set.
void seed(const KafkaSettings& kafka, const std::string& topic, uint64_t count, bool garbage, uint64_t first = 0) {
  auto producer = make_idempotent_producer(kafka, "seeder");
  ASSERT_TRUE(producer.ok()) << producer.error().describe();
  SystemClock clock;
  for (uint64_t i = first; i < first + count; ++i) {
    v1::Envelope env =
        envelope::make_envelope(CaseId("case-" + std::to_string(i % 7)), AgencyId("a"), clock.now(), clock.now());
    env.mutable_probe()->set_sequence(i);
    envelope::seal(env);
    auto delivered = (*producer)->send(envelope::to_record(env, topic));
    ASSERT_TRUE(delivered.ok()) << delivered.error().describe();
  }
  if (garbage) {
    auto sent = (*producer)->send(OutgoingRecord{topic, "case-x", std::string("not an envelope"), {}});
    ASSERT_TRUE(sent.ok());
  }
}

// A mock cluster with topics in (3 partitions), out (3) and dlq (1), and settings for it.
struct MockEnv {
  MockCluster cluster;
  KafkaSettings kafka;
  LoopSettings loop;
  explicit MockEnv(const std::string& group) {
    cluster.create_topic("in", 3);
    cluster.create_topic("out", 3);
    cluster.create_topic("dlq", 1);
    kafka.bootstrap = cluster.bootstrap();
    kafka.statistics_interval_ms = 200;
    loop.group_id = group;
    loop.input_topics = {"in"};
    loop.dlq_topic = "dlq";
    loop.commit_every_records = 7;
    loop.commit_every_ms = 50;
  }
};

// Runs a loop on its own thread; stops and joins it on destruction.
class Running {
 public:
  Running(TransactionalLoop& loop) : loop_(loop), thread_([this] { result_ = loop_.run(stop_); }) {}
  ~Running() { (void)stop(); }
  Status stop() {
    stop_.store(true);
    if (thread_.joinable()) {
      thread_.join();
    }
    return result_;
  }

 private:
  TransactionalLoop& loop_;
  std::atomic<bool> stop_{false};
  Status result_;
  std::thread thread_;
};

// Waits for `condition` until `deadline` passes; returns its last value.
template <typename F>
bool wait_for(F condition, std::chrono::seconds deadline = std::chrono::seconds(30)) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) {
      return condition();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::map<uint64_t, int> sequences(const std::vector<ConsumedRecord>& records) {
  std::map<uint64_t, int> seen;
  for (const auto& r : records) {
    auto env = envelope::decode(r.value.value_or(""));
    if (env.ok()) {
      seen[env->probe().sequence()]++;
    }
  }
  return seen;
}

TEST(TransactionalLoopMock, EchoesEachInputOnceAndDeadLettersGarbage) {
  MockCluster cluster;
  cluster.create_topic("in", 3);
  cluster.create_topic("out", 3);
  cluster.create_topic("dlq", 1);

  KafkaSettings kafka;
  kafka.bootstrap = cluster.bootstrap();
  kafka.statistics_interval_ms = 200;
  {
    auto producer = make_idempotent_producer(kafka, "seeder");
    ASSERT_TRUE(producer.ok()) << producer.error().describe();
    SystemClock clock;
    for (uint64_t i = 0; i < 50; ++i) {
      v1::Envelope env = envelope::make_envelope(CaseId("case-" + std::to_string(i % 7)), AgencyId("a"), clock.now(),
                                                 clock.now());
      env.mutable_probe()->set_sequence(i);
      envelope::seal(env);
      auto delivered = (*producer)->send(envelope::to_record(env, "in"));
      ASSERT_TRUE(delivered.ok()) << delivered.error().describe();
    }
    auto garbage = (*producer)->send(OutgoingRecord{"in", "case-x", std::string("not an envelope"), {}});
    ASSERT_TRUE(garbage.ok());
  }

  LoopSettings loop;
  loop.group_id = "echo";
  loop.input_topics = {"in"};
  loop.dlq_topic = "dlq";
  loop.commit_every_records = 7;
  loop.commit_every_ms = 50;
  EchoHandler handler(/*retry_sequence=*/20);
  SystemClock clock;
  TransactionalLoop transactional_loop(kafka, loop, "echo-test", handler, nullptr, clock);
  std::atomic<bool> stop{false};
  Status result;
  std::thread runner([&] { result = transactional_loop.run(stop); });

  auto outputs = read_committed(kafka.bootstrap, "out", 50);
  auto dead = read_committed(kafka.bootstrap, "dlq", 1);
  stop.store(true);
  runner.join();
  ASSERT_TRUE(result.ok()) << result.error().describe();

  std::map<uint64_t, int> seen;
  for (const auto& r : outputs) {
    auto env = envelope::decode(*r.value);
    ASSERT_TRUE(env.ok());
    seen[env->probe().sequence()]++;
  }
  // Every input produced an output (at least once: see the note at the top of the file).
  EXPECT_EQ(seen.size(), 50U);
  ASSERT_EQ(dead.size(), 1U);
  EXPECT_EQ(find_header(dead[0].headers, kDlqErrorClass), "envelope.undecodable");
  EXPECT_EQ(find_header(dead[0].headers, kDlqOriginalTopic), "in");
  EXPECT_EQ(dead[0].value, "not an envelope");
  EXPECT_GE(handler.aborted(), 1);
  EXPECT_GE(transactional_loop.aborted_transactions(), 1U);
  EXPECT_GE(transactional_loop.committed_transactions(), 1U);
}

// Counts what the loop reports; thread-safe because readiness is also asked from the test.
class CountingObserver : public LoopObserver {
 public:
  void broker_connected(bool connected) override { (connected ? connected_ : disconnected_).fetch_add(1); }
  void ready(bool ready) override {
    if (ready) {
      was_ready_.store(true);
    } else if (was_ready_.load()) {
      unready_after_ready_.fetch_add(1);
    }
  }
  void dlq_write_failed() override { dlq_write_failures_.fetch_add(1); }
  void producer_recreated() override { recreated_.fetch_add(1); }
  std::atomic<int> connected_{0};
  std::atomic<int> disconnected_{0};
  std::atomic<bool> was_ready_{false};
  std::atomic<int> unready_after_ready_{0};
  std::atomic<int> dlq_write_failures_{0};
  std::atomic<int> recreated_{0};
};

// The broker is down when the loop starts: it keeps trying (more than one failed attempt is
// seen), becomes ready once the broker is up, and stops cleanly.
TEST(TransactionalLoopMock, BrokerUnreachableKeepsRetryingUntilItIsBack) {
  MockEnv env("late-broker");
  env.loop.retry_backoff_ms = 10;
  env.loop.retry_backoff_max_ms = 50;
  rd_kafka_mock_broker_set_down(env.cluster.cluster(), 1);
  EchoHandler handler(UINT64_MAX);
  CountingObserver observer;
  SystemClock clock;
  TransactionalLoop loop(env.kafka, env.loop, "late-broker-test", handler, &observer, clock);
  Running running(loop);
  // Each attempt is an init_transactions that waits 10 s for the broker.
  ASSERT_TRUE(wait_for([&] { return observer.disconnected_.load() >= 2; }, std::chrono::seconds(60)))
      << "the loop stopped trying";
  EXPECT_FALSE(loop.readiness().ready);
  rd_kafka_mock_broker_set_up(env.cluster.cluster(), 1);
  EXPECT_TRUE(wait_for([&] { return loop.readiness().ready; })) << loop.readiness().reason;
  EXPECT_TRUE(running.stop().ok());
}

// #1: a produce error that is not the record's fault (the transaction is in an abortable
// state, the producer is fenced, the topic is briefly unknown) aborts and retries; the input
// is processed again and never dead-lettered.
class TransientProduceError : public ::testing::TestWithParam<RdKafka::ErrorCode> {};

TEST_P(TransientProduceError, IsNotTheRecordsFault) {
  MockEnv env("transient-" + std::to_string(static_cast<int>(GetParam())));
  seed(env.kafka, "in", 20, false);
  EchoHandler handler(UINT64_MAX);
  SystemClock clock;
  TransactionalLoop loop(env.kafka, env.loop, "transient-test", handler, nullptr, clock);
  std::atomic<int> outputs{0};
  std::atomic<bool> injected{false};
  loop.inject_faults_for_testing({.produce = [&](const OutgoingRecord& r) {
    if (r.topic == "out" && ++outputs == 6 && !injected.exchange(true)) {
      return GetParam();
    }
    return RdKafka::ERR_NO_ERROR;
  }});
  Running running(loop);
  auto out = read_committed(env.kafka.bootstrap, "out", 20);
  auto dead = read_committed(env.kafka.bootstrap, "dlq", 0);
  ASSERT_TRUE(running.stop().ok());
  EXPECT_TRUE(injected.load());
  EXPECT_EQ(sequences(out).size(), 20U);
  EXPECT_TRUE(dead.empty()) << "dead-lettered as " << find_header(dead[0].headers, kDlqErrorClass).value_or("?");
  EXPECT_GE(loop.aborted_transactions(), 1U);
}

INSTANTIATE_TEST_SUITE_P(Codes, TransientProduceError,
                         ::testing::Values(RdKafka::ERR__STATE, RdKafka::ERR__FATAL,
                                           RdKafka::ERR_UNKNOWN_TOPIC_OR_PART, RdKafka::ERR__UNKNOWN_TOPIC),
                         [](const auto& info) {
                           const int code = static_cast<int>(info.param);
                           return (code < 0 ? "local_" : "broker_") + std::to_string(code < 0 ? -code : code);
                         });

// ...while a record-level refusal (too large) dead-letters exactly that input.
TEST(TransactionalLoopMock, RecordTooLargeDeadLettersItsInputAsOutputRefused) {
  MockEnv env("too-large");
  seed(env.kafka, "in", 10, false);
  EchoHandler handler(UINT64_MAX);
  SystemClock clock;
  TransactionalLoop loop(env.kafka, env.loop, "too-large-test", handler, nullptr, clock);
  loop.inject_faults_for_testing({.produce = [](const OutgoingRecord& r) {
    auto env = envelope::decode(r.value.value_or(""));
    return r.topic == "out" && env.ok() && env->probe().sequence() == 4 ? RdKafka::ERR_MSG_SIZE_TOO_LARGE
                                                                        : RdKafka::ERR_NO_ERROR;
  }});
  Running running(loop);
  auto dead = read_committed(env.kafka.bootstrap, "dlq", 1);
  auto out = read_committed(env.kafka.bootstrap, "out", 9);
  ASSERT_TRUE(running.stop().ok());
  ASSERT_EQ(dead.size(), 1U);
  EXPECT_EQ(find_header(dead[0].headers, kDlqErrorClass), "output.refused");
  EXPECT_EQ(sequences(dead).begin()->first, 4U);
  EXPECT_EQ(sequences(out).size(), 9U);
}

// #5: the DLQ cannot be written (topic missing or not authorized). The loop backs off
// exponentially instead of aborting and rewinding in a tight loop, counts it, reports not
// ready, and writes the record once the DLQ works again: it is never dropped.
TEST(TransactionalLoopMock, DlqWriteFailureBacksOffAndNeverDropsTheRecord) {
  MockEnv env("dlq-broken");
  // Longer than one abort-rewind-refetch cycle on the mock (about 0.5 s), so the gaps below
  // show the back-off and not the cycle.
  env.loop.retry_backoff_ms = 1000;
  env.loop.retry_backoff_max_ms = 2000;
  seed(env.kafka, "in", 3, true);
  EchoHandler handler(UINT64_MAX);
  CountingObserver observer;
  SystemClock clock;
  TransactionalLoop loop(env.kafka, env.loop, "dlq-broken-test", handler, &observer, clock);
  std::atomic<bool> dlq_broken{true};
  std::mutex mutex;
  std::vector<std::chrono::steady_clock::time_point> attempts;
  loop.inject_faults_for_testing({.produce = [&](const OutgoingRecord& r) {
    if (r.topic != "dlq" || !dlq_broken.load()) {
      return RdKafka::ERR_NO_ERROR;
    }
    std::lock_guard<std::mutex> lock(mutex);
    attempts.push_back(std::chrono::steady_clock::now());
    return RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED;
  }});
  Running running(loop);
  auto count = [&] {
    std::lock_guard<std::mutex> lock(mutex);
    return attempts.size();
  };
  ASSERT_TRUE(wait_for([&] { return count() >= 5; })) << "only " << count() << " DLQ attempts";
  EXPECT_FALSE(loop.readiness().ready);
  EXPECT_NE(loop.readiness().reason.find("in a row failed"), std::string::npos) << loop.readiness().reason;
  {
    std::lock_guard<std::mutex> lock(mutex);
    // From the second failure in a row on, at least retry_backoff_ms between attempts.
    for (size_t i = 2; i < 5; ++i) {
      EXPECT_GE(attempts[i] - attempts[i - 1], std::chrono::milliseconds(1000)) << "attempt " << i;
    }
  }
  EXPECT_GE(observer.dlq_write_failures_.load(), 5);
  dlq_broken.store(false);
  auto dead = read_committed(env.kafka.bootstrap, "dlq", 1);
  ASSERT_EQ(dead.size(), 1U);
  EXPECT_EQ(dead[0].value, "not an envelope");
  EXPECT_EQ(find_header(dead[0].headers, kDlqErrorClass), "envelope.undecodable");
  EXPECT_TRUE(wait_for([&] { return loop.readiness().ready; })) << loop.readiness().reason;
  EXPECT_TRUE(running.stop().ok());
}

// Counts which inputs the handler saw in committed transactions, the way a stateful handler
// (case-sync's staged changes) keeps state: staged per transaction, kept on commit, dropped
// on abort.
class StagingHandler : public EchoHandler {
 public:
  StagingHandler() : EchoHandler(UINT64_MAX) {}
  HandlerResult handle(const ConsumedRecord& record) override {
    auto env = envelope::decode(record.value.value_or(""));
    if (env.ok()) {
      staged_.push_back(env->probe().sequence());
    }
    return EchoHandler::handle(record);
  }
  void on_transaction_committed() override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (uint64_t s : staged_) {
      kept_[s]++;
    }
    staged_.clear();
  }
  void on_transaction_aborted() override { staged_.clear(); }
  void on_state_uncertain(const std::vector<TopicPartition>& assigned) override {
    uncertain_.fetch_add(1);
    uncertain_partitions_.store(assigned.size());
    staged_.clear();
  }
  std::map<uint64_t, int> kept() {
    std::lock_guard<std::mutex> lock(mutex_);
    return kept_;
  }
  std::atomic<int> uncertain_{0};
  std::atomic<size_t> uncertain_partitions_{0};

 private:
  std::vector<uint64_t> staged_;
  std::mutex mutex_;
  std::map<uint64_t, int> kept_;
};

// A handler that throws is a bug, but the record is dead-lettered as handler.exception with
// the message and every other input goes on (crash-vs-cope, docs/error-handling.md).
TEST(TransactionalLoopMock, HandlerExceptionDeadLettersTheRecordAndGoesOn) {
  MockEnv env("throws");
  seed(env.kafka, "in", 10, false);
  struct Throwing : EchoHandler {
    Throwing() : EchoHandler(UINT64_MAX) {}
    HandlerResult handle(const ConsumedRecord& record) override {
      auto env = envelope::decode(record.value.value_or(""));
      if (env.ok() && env->probe().sequence() == 6) {
        throw std::runtime_error("bug: sequence 6");
      }
      return EchoHandler::handle(record);
    }
  } handler;
  SystemClock clock;
  TransactionalLoop loop(env.kafka, env.loop, "throws-test", handler, nullptr, clock);
  Running running(loop);
  auto dead = read_committed(env.kafka.bootstrap, "dlq", 1);
  auto out = read_committed(env.kafka.bootstrap, "out", 9);
  ASSERT_TRUE(running.stop().ok());
  ASSERT_EQ(dead.size(), 1U);
  EXPECT_EQ(find_header(dead[0].headers, kDlqErrorClass), "handler.exception");
  EXPECT_EQ(find_header(dead[0].headers, kDlqErrorMessage), "bug: sequence 6");
  EXPECT_EQ(sequences(dead).begin()->first, 6U);
  EXPECT_EQ(sequences(out).size(), 9U);
  EXPECT_EQ(sequences(out).count(6), 0U);
}

// The loop reports what /metrics needs: commit time of each committed transaction, the age of
// every processed record (its Kafka timestamp is the seeder's send time, so never negative and
// never a day old here), and the parsed statistics of both its clients.
TEST(TransactionalLoopMock, ReportsCommitTimeEventAgeAndBothClientsStatistics) {
  MockEnv env("observed");
  seed(env.kafka, "in", 10, false);
  struct Recorder : LoopObserver {
    void commit_seconds(double s) override { commits.fetch_add(s >= 0 ? 1 : 1000); }
    void event_age_seconds(const std::string& topic, double s) override {
      ages.fetch_add(topic == "in" && s >= 0 && s < 3600 ? 1 : 1000);
    }
    void client_statistics(const ClientStatistics& stats) override {
      (stats.type == "consumer" ? consumer_stats : producer_stats).fetch_add(1);
    }
    std::atomic<int> commits{0}, ages{0}, consumer_stats{0}, producer_stats{0};
  } recorder;
  EchoHandler handler(UINT64_MAX);
  SystemClock clock;
  TransactionalLoop loop(env.kafka, env.loop, "observed-test", handler, &recorder, clock);
  Running running(loop);
  ASSERT_EQ(read_committed(env.kafka.bootstrap, "out", 10).size(), 10U);
  EXPECT_TRUE(wait_for([&] { return recorder.consumer_stats.load() > 0 && recorder.producer_stats.load() > 0; }))
      << "consumer " << recorder.consumer_stats.load() << ", producer " << recorder.producer_stats.load();
  ASSERT_TRUE(running.stop().ok());
  EXPECT_GE(recorder.commits.load(), 1);
  EXPECT_LT(recorder.commits.load(), 1000) << "a negative commit time";
  EXPECT_GE(recorder.ages.load(), 10);
  EXPECT_LT(recorder.ages.load(), 1000) << "an age out of range or on another topic";
}

// A static member fenced by the broker (FENCED_INSTANCE_ID: fatal for librdkafka's consumer, and
// what 2.0.2 answered a live member after its coordinator broker was killed in the chaos run) no
// longer ends the loop: it aborts the open transaction, tells the handler its partitions are lost,
// replaces its consumer with the same group.instance.id, and the new consumer reads on.
TEST(TransactionalLoopMock, FencedStaticMemberReplacesItsConsumerAndGoesOn) {
  MockEnv env("fenced");
  env.loop.group_instance_id = "fenced-1";
  env.loop.commit_every_records = 1000;  // the fence falls inside an open transaction
  env.loop.commit_every_ms = 2000;
  seed(env.kafka, "in", 20, /*garbage=*/false);
  struct Counting : EchoHandler {
    using EchoHandler::EchoHandler;
    HandlerResult handle(const ConsumedRecord& record) override {
      handled.fetch_add(1);
      return EchoHandler::handle(record);
    }
    void on_partitions_revoked(const std::vector<TopicPartition>&) override { revoked.fetch_add(1); }
    void on_partitions_lost(const std::vector<TopicPartition>&) override { lost.fetch_add(1); }
    void on_partitions_assigned(const std::vector<TopicPartition>&) override { assigned.fetch_add(1); }
    std::atomic<int> handled{0}, revoked{0}, lost{0}, assigned{0};
  } handler(/*retry_sequence=*/1000);
  SystemClock clock;
  TransactionalLoop loop(env.kafka, env.loop, "fenced-test", handler, nullptr, clock);
  std::atomic<bool> fenced{false};
  loop.inject_faults_for_testing({.fence_consumer = [&] { return handler.handled.load() >= 5 && !fenced.exchange(true); }});
  Running running(loop);

  ASSERT_TRUE(wait_for([&] { return loop.consumer_replacements() == 1U && handler.assigned.load() >= 2; }))
      << "replacements " << loop.consumer_replacements() << ", assignments " << handler.assigned.load();
  EXPECT_GE(handler.lost.load(), 1);                   // the old assignment was given up as lost
  EXPECT_EQ(handler.revoked.load(), 0);                // not as a revoke: another member may own it
  EXPECT_GE(loop.aborted_transactions(), 1U);          // with the transaction it had open
  seed(env.kafka, "in", 30, /*garbage=*/false, /*first=*/100);  // read by the new consumer only
  const auto seen = sequences(read_committed(env.kafka.bootstrap, "out", 50));
  const Status result = running.stop();
  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_EQ(loop.consumer_replacements(), 1U);
  for (uint64_t i = 100; i < 130; ++i) {
    EXPECT_EQ(seen.count(i), 1U) << "sequence " << i << " was not processed after the replacement";
  }
}

// A handler may keep state across on_partitions_revoked (caselink-sync does) only because the loop
// calls it when the revoke's commit carried offsets the group accepted: that shows no other member
// owned the partitions meanwhile. A revoke with nothing to commit shows nothing: on_partitions_lost.
struct RevokeReport : EchoHandler {
  RevokeReport() : EchoHandler(/*retry_sequence=*/1000) {}
  HandlerResult handle(const ConsumedRecord& record) override {
    handled.fetch_add(1);
    return EchoHandler::handle(record);
  }
  void on_partitions_assigned(const std::vector<TopicPartition>&) override { assigned.fetch_add(1); }
  void on_partitions_revoked(const std::vector<TopicPartition>&) override { revoked.fetch_add(1); }
  void on_partitions_lost(const std::vector<TopicPartition>&) override { lost.fetch_add(1); }
  std::atomic<int> handled{0}, assigned{0}, revoked{0}, lost{0};
};

// Member a of `env`'s group has its partitions and has handled the `records` seeded; then member b
// joins, and the eager (range) rebalance revokes everything a holds. Returns when a heard of the
// revoke.
void second_member_joins(MockEnv& env, RevokeReport& first, const std::function<bool(TransactionalLoop&)>& ready,
                         int records = 20) {
  env.loop.partition_assignment_strategy = "range";  // eager, as caselink-sync: every rebalance revokes all
  if (records > 0) {
    seed(env.kafka, "in", records, /*garbage=*/false);
  }
  SystemClock clock;
  LoopSettings a_settings = env.loop;
  a_settings.instance_id = "a";
  TransactionalLoop a(env.kafka, a_settings, "revoke-a", first, nullptr, clock);
  Running running_a(a);
  ASSERT_TRUE(wait_for([&] { return first.assigned.load() >= 1 && first.handled.load() >= records && ready(a); }))
      << "handled " << first.handled.load() << ", committed " << a.committed_transactions();
  RevokeReport second;
  LoopSettings b_settings = env.loop;
  b_settings.instance_id = "b";
  TransactionalLoop b(env.kafka, b_settings, "revoke-b", second, nullptr, clock);
  Running running_b(b);
  ASSERT_TRUE(wait_for([&] { return first.revoked.load() + first.lost.load() >= 1; }));
}

TEST(TransactionalLoopMock, ARevokeWhoseCommitCarriedOffsetsIsReportedAsARevoke) {
  MockEnv env("confirmed");
  env.loop.commit_every_records = 100000;  // the transaction stays open until the revoke commits it
  env.loop.commit_every_ms = 600000;
  RevokeReport first;
  uint64_t committed_before_revoke = 1;
  second_member_joins(env, first, [&](TransactionalLoop& a) {
    committed_before_revoke = a.committed_transactions();
    return true;
  });
  EXPECT_EQ(committed_before_revoke, 0U) << "committed before the revoke: the test proves nothing";
  EXPECT_EQ(first.revoked.load(), 1);
  EXPECT_EQ(first.lost.load(), 0);
}

// Nothing pending and nothing committed for the partitions (nothing was ever consumed): no offsets
// to commit, so nothing shows that no other member owned them meanwhile: lost, never a revoke.
// (An idle member with committed offsets commits them again and is revoked: it_transactional_loop's
// IdleRevokeCommitsTheCommittedOffsetsAgainAndIsARevoke; the mock cluster keeps no transactional
// offsets, so it cannot show that case.)
TEST(TransactionalLoopMock, ARevokeWithNoOffsetToCommitIsReportedAsLost) {
  MockEnv env("nothing-to-carry");
  RevokeReport first;
  second_member_joins(env, first, [](TransactionalLoop&) { return true; }, /*records=*/0);
  EXPECT_EQ(first.lost.load(), 1);
  EXPECT_EQ(first.revoked.load(), 0) << "reported as a revoke with no offsets commit to show the membership";
}

// Runs a loop the test expects to return by itself and gives what it returned; nullopt, after
// stopping it, when it is still running a minute later.
std::optional<Status> run_until_it_returns(TransactionalLoop& loop) {
  std::atomic<bool> stop{false};
  auto result = std::async(std::launch::async, [&] { return loop.run(stop); });
  if (result.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    stop.store(true);
    result.wait();
    return std::nullopt;
  }
  return result.get();
}

// The same error over and over is not a failover but a twin: another live process with the same
// group.instance.id. The loop stops and says so instead of fencing it back for ever.
TEST(TransactionalLoopMock, StaticMemberFencedOverAndOverStopsNamingTheInstanceId) {
  MockEnv env("twins");
  env.loop.group_instance_id = "twin";
  EchoHandler handler(/*retry_sequence=*/1000);
  SystemClock clock;
  TransactionalLoop loop(env.kafka, env.loop, "twin-test", handler, nullptr, clock);
  loop.inject_faults_for_testing({.fence_consumer = [] { return true; }});
  const std::optional<Status> status = run_until_it_returns(loop);
  ASSERT_TRUE(status.has_value()) << "the loop did not stop by itself after " << loop.consumer_replacements()
                                  << " replacements";
  ASSERT_FALSE(status->ok());
  EXPECT_NE(status->error().message.find("same group.instance.id 'twin'"), std::string::npos)
      << status->error().message;
  EXPECT_EQ(loop.consumer_replacements(), TransactionalLoop::kMaxConsumerReplacements);
}

// A dynamic member (no group.instance.id) cannot be fenced as a static one: any fatal consumer error
// stops it, as before, instead of a replacement.
TEST(TransactionalLoopMock, FatalConsumerErrorOfADynamicMemberStopsTheLoop) {
  MockEnv env("dynamic-fatal");
  EchoHandler handler(/*retry_sequence=*/1000);
  SystemClock clock;
  TransactionalLoop loop(env.kafka, env.loop, "dynamic-test", handler, nullptr, clock);
  loop.inject_faults_for_testing({.fence_consumer = [] { return true; }});
  const std::optional<Status> status = run_until_it_returns(loop);
  ASSERT_TRUE(status.has_value()) << "the loop did not stop after a fatal consumer error";
  ASSERT_FALSE(status->ok());
  EXPECT_NE(status->error().message.find("consumer fatal error"), std::string::npos) << status->error().message;
  EXPECT_EQ(loop.consumer_replacements(), 0U);
}

// The byte bound closes a transaction on its own when neither the record count nor the time would
// (large outputs, e.g. case snapshots, keep what one transaction holds bounded).
TEST(TransactionalLoopMock, CommitEveryBytesClosesTransactions) {
  MockEnv env("bytes-bound");
  env.loop.commit_every_records = 100000;
  env.loop.commit_every_ms = 600000;
  env.loop.commit_every_bytes = 1;  // every output closes its transaction
  seed(env.kafka, "in", 20, /*garbage=*/false);
  EchoHandler handler(/*retry_sequence=*/1000);
  SystemClock clock;
  TransactionalLoop loop(env.kafka, env.loop, "bytes-test", handler, nullptr, clock);
  Running running(loop);
  EXPECT_TRUE(wait_for([&] { return loop.committed_transactions() >= 20U; }))
      << "committed " << loop.committed_transactions() << " transactions";
  ASSERT_TRUE(running.stop().ok());
}

// The idempotent producer's fatal path (librdkafka #4438 in 2.0.2 raises such errors): after a
// fatal error fatal_error() names it and every send fails at once, so the caller (ingress, SDK)
// knows to recreate the producer; a new producer delivers again.
TEST(IdempotentProducerMock, FatalErrorIsReportedAndSendsFailUntilRecreated) {
  MockEnv env("fatal-producer");
  auto producer = make_idempotent_producer(env.kafka, "fatal");
  ASSERT_TRUE(producer.ok());
  const OutgoingRecord record{"in", "case-1", std::string("x"), {}};
  ASSERT_TRUE((*producer)->send(record).ok());
  EXPECT_EQ((*producer)->fatal_error(), "");
  (*producer)->raise_fatal_error_for_testing("injected: idempotence state lost");
  EXPECT_NE((*producer)->fatal_error().find("injected: idempotence state lost"), std::string::npos)
      << (*producer)->fatal_error();
  EXPECT_FALSE((*producer)->send(record).ok());
  auto fresh = make_idempotent_producer(env.kafka, "fatal-recreated");
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE((*fresh)->send(record).ok());
  EXPECT_EQ((*fresh)->fatal_error(), "");
}

// #4 (the settled branch runs on the real broker: tests/integration/loop_faults_test.cc,
// the mock does not keep transactional offsets). A commit in doubt whose transaction carried no input offsets (a timer
// output only) cannot be settled from the committed offsets; the handler hears
// on_state_uncertain with every assigned partition before the loop goes on.
TEST(TransactionalLoopMock, CommitThatCannotBeSettledMakesTheHandlerReload) {
  MockEnv env("unsettled");
  struct TickingHandler : StagingHandler {
    std::vector<OutgoingRecord> on_tick(TimePoint) override {
      if (ticked_.exchange(true)) {
        return {};
      }
      return {OutgoingRecord{"out", "case-tick", std::string("tick"), {}}};
    }
    std::atomic<bool> ticked_{false};
  } handler;
  SystemClock clock;
  TransactionalLoop loop(env.kafka, env.loop, "unsettled-test", handler, nullptr, clock,
                         std::chrono::milliseconds(10));
  loop.inject_faults_for_testing({.after_commit = [] { return RdKafka::ERR__TIMED_OUT; }});
  Running running(loop);
  ASSERT_TRUE(wait_for([&] { return handler.uncertain_.load() >= 1; }));
  EXPECT_EQ(handler.uncertain_partitions_.load(), 3U);
  EXPECT_TRUE(running.stop().ok());
}

// #6: recreating the producer fails until the loop is stopped. The loop must not touch the
// missing producer (it crashed polling a null producer) and stops cleanly.
TEST(TransactionalLoopMock, ProducerThatCannotBeRecreatedDoesNotCrashTheLoop) {
  MockEnv env("no-producer");
  env.loop.retry_backoff_ms = 10;
  env.loop.retry_backoff_max_ms = 20;
  seed(env.kafka, "in", 10, false);
  EchoHandler handler(UINT64_MAX);
  CountingObserver observer;
  SystemClock clock;
  TransactionalLoop loop(env.kafka, env.loop, "no-producer-test", handler, &observer, clock);
  std::atomic<int> created{0};
  std::atomic<int> refused{0};
  loop.inject_faults_for_testing(
      {.after_commit = [] { return RdKafka::ERR__FATAL; },
       .create_producer = [&] {
         if (created.fetch_add(1) == 0) {
           return RdKafka::ERR_NO_ERROR;
         }
         refused.fetch_add(1);
         return RdKafka::ERR__FATAL;
       }});
  Running running(loop);
  ASSERT_TRUE(wait_for([&] { return refused.load() >= 3; }));
  EXPECT_FALSE(loop.readiness().ready);
  EXPECT_TRUE(running.stop().ok());
}

}  // namespace
}  // namespace caselink::kafka
