// The transactional loop against librdkafka's built-in mock cluster. This checks the loop's
// own logic (handler wiring, DLQ, abort-and-rewind, broker unreachable) without a broker.
// It does NOT check exactly-once: with librdkafka 2.0.2's mock broker a read_committed
// consumer still saw the records of an aborted transaction (observed here), so the mock is
// no judge of that. Exactly-once is proven on the real broker (tests/integration:
// it_transactional_loop, it_crash).

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <thread>

#include "services/common/envelope/codec.h"
#include "services/common/kafka/dlq.h"
#include "services/common/kafka/producer.h"
#include "services/common/kafka/transactional_loop.h"
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

TEST(TransactionalLoopMock, EchoesEachInputOnceAndDeadLettersGarbage) {
  MockCluster cluster;
  cluster.create_topic("in", 3);
  cluster.create_topic("out", 3);
  cluster.create_topic("dlq", 1);

  KafkaSettings kafka;
  kafka.bootstrap = cluster.bootstrap();
  kafka.statistics_interval_ms = 200;
  {
    auto producer = IdempotentProducer::create(kafka, "seeder");
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

TEST(TransactionalLoopMock, BrokerUnreachableKeepsRetryingAndStopsCleanly) {
  KafkaSettings kafka;
  kafka.bootstrap = "127.0.0.1:1";  // nothing listens there
  LoopSettings loop;
  loop.group_id = "nobody";
  loop.input_topics = {"in"};
  loop.retry_backoff_ms = 10;
  loop.retry_backoff_max_ms = 20;
  EchoHandler handler(UINT64_MAX);
  SystemClock clock;
  TransactionalLoop transactional_loop(kafka, loop, "unreachable-test", handler, nullptr, clock);
  std::atomic<bool> stop{false};
  Status result;
  std::thread runner([&] { result = transactional_loop.run(stop); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(transactional_loop.readiness().ready);
  stop.store(true);
  runner.join();
  EXPECT_TRUE(result.ok());
}

}  // namespace
}  // namespace caselink::kafka
