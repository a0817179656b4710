// Bulk 以罚代刑 screening (issue 4): N administrative penalty records (report_context
// ROUTINE_SCREENING) through caselink-standards' real handler in the shared TransactionalLoop on
// the real broker, against the no-op transactional passthrough over the same N records, in one
// invocation (docs/performance.md, "Standards bulk screening (bench/screening)").
//
//   preflight  no Kafka: every case of the generator's table, at both ends and the middle of its
//              lever range, penalised / transferred / not penalised, through a StandardsHandler;
//              outcome and clue must be what the table says. Catches a wrong table (or a rule
//              change) before a long run does.
//   alone      no Kafka: records fed straight to handle(), time inside handle() only.
//   warm-up    untimed no-op loop over a few records, so neither timed phase pays for the
//              broker's first transaction and group coordinator.
//   produce    N records from the generator with the idempotent producer (acks=all) to a fresh
//              topic; the generator counts what each record must yield.
//   noop       caselink-passthrough's handler (bytes copied blindly) in the loop: the baseline.
//   standards  StandardsHandler (shipped rules, deployed defaults) in the same loop, fresh group.
//   verify     the standards outputs read back read_committed from their fresh topics and
//              decoded: assessments by outcome, supervision-clue alerts, dead letters.
//
// Loop phases are timed from loop start until the group's committed offsets cover all N inputs
// (group join included in both), as bench/loop and bench/case-sync. Exit 3 when any count
// differs from the generator's: assessments != N, clues != records that meet a threshold,
// were penalised and were never transferred, or a dead letter.

#include <CLI/CLI.hpp>
#include <librdkafka/rdkafkacpp.h>
#include <sys/resource.h>

#include <array>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "bench/screening/generator.h"
#include "services/lib/core/build_info.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/factory.h"
#include "services/lib/kafka/producer.h"
#include "services/lib/kafka/transactional_loop.h"
#include "services/lib/logging/logging.h"
#include "services/daemons/passthrough/handler.h"
#include "services/daemons/standards/engine/loader.h"
#include "services/daemons/standards/handler.h"
#include "tests/support/kafka_test_env.h"

namespace caselink {
namespace {

using Steady = std::chrono::steady_clock;
using bench::Expected;

constexpr int kCountMismatch = 3;

struct Options {
  std::string bootstrap = "127.0.0.1:9092";
  std::string rules_dir = "rules";
  int64_t records = 1000000;
  int partitions = 6;
  int64_t commit_every_records = kafka::LoopSettings{}.commit_every_records;  // the loop's defaults
  int64_t commit_every_ms = kafka::LoopSettings{}.commit_every_ms;
  uint64_t seed = 20261128;
  int64_t phase_timeout_s = 1800;
  int64_t handler_only_records = 100000;
  int64_t warmup_records = 2000;
};

double seconds_since(Steady::time_point start) { return std::chrono::duration<double>(Steady::now() - start).count(); }

double max_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // kB on Linux
}

double vm_rss_mb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  }
  return -1;
}

ConsumedRecord as_consumed(const OutgoingRecord& out, int64_t offset) {
  ConsumedRecord r;
  r.topic = out.topic;
  r.partition = 0;
  r.offset = offset;
  r.key = out.key;
  r.value = out.value;
  r.headers = out.headers;
  return r;
}

// --- preflight ----------------------------------------------------------------------------

// The organ registry the service loads (standards.organs_file, under the rule directory), so a
// clue is addressed as in production: without it every clue logged an error, which the
// standards loop paid for and the no-op loop did not.
void load_organs(standards::StandardsHandler& handler, const Options& o, const standards::RuleSet& rules) {
  auto organs = standards::load_organs(o.rules_dir + "/organs/organs.yaml", rules);
  if (!organs.ok()) throw std::runtime_error(organs.error().message);
  handler.set_organs(std::make_shared<const organs::Registry>(std::move(*organs)));
}

// Each case at both ends of its lever range and in the middle, as a clue candidate (imposed,
// never referred) and as a transferred one: outcome and clue/no clue must be the table's.
// Returns the disagreements.
std::vector<std::string> preflight(const Options& o, const std::shared_ptr<const standards::RuleSet>& rules,
                                   TimePoint now) {
  SystemClock clock;
  standards::Settings settings;
  settings.assessment_topic = "preflight.assessment";
  settings.alert_topic = "preflight.alert";
  standards::StandardsHandler handler(settings, rules, nullptr, clock, nullptr, nullptr);
  load_organs(handler, o, *rules);
  bench::PenaltyGenerator gen(1, now);
  std::vector<std::string> problems;
  int64_t serial = 0;
  for (size_t c = 0; c < gen.case_count(); ++c) {
    const auto [low, high] = gen.lever_range(c);
    for (double factor : {low, (low + high) / 2, high}) {
      for (const auto& [referred, imposed] : {std::pair{false, true}, std::pair{true, true}, std::pair{false, false}}) {
        const auto rec = gen.make(c, factor, referred, imposed, ++serial);
        auto result = handler.handle(as_consumed(envelope::to_record(rec.envelope, "preflight.in"), serial));
        handler.on_transaction_committed();
        std::string outcome = "(no assessment)";
        size_t clues = 0;
        if (result.dead_letter) {
          outcome = "dead-lettered: " + result.dead_letter->message;
        }
        for (const auto& out : result.outputs) {
          auto env = envelope::decode(*out.value);
          if (!env.ok()) continue;
          if (env->has_standards_assessment()) {
            outcome = v1::AssessmentOutcome_Name(env->standards_assessment().outcome()).substr(19);
          } else if (env->has_alert() && env->alert().kind() == v1::ALERT_KIND_SUPERVISION_CLUE) {
            ++clues;
          }
        }
        const std::string want = bench::to_string(rec.expected);  // "MEETS_THRESHOLD", ...
        const size_t want_clues = rec.clue ? 1 : 0;
        if (outcome != want || clues != want_clues) {
          std::ostringstream msg;
          msg << "case '" << gen.case_name(c) << "' lever x" << factor << (referred ? " (transferred)" : "")
              << (imposed ? "" : " (not penalised)") << ": expected " << want << " with " << want_clues
              << " clue(s), got " << outcome << " with " << clues;
          problems.push_back(msg.str());
        }
      }
    }
  }
  return problems;
}

// --- handler alone --------------------------------------------------------------------

// The standards handler fed directly, no Kafka: the time inside handle() only (records are
// generated and encoded one at a time outside the timed section, so memory stays flat). Shows
// how much of the loop's time the screening itself takes.
double handler_only_phase(const Options& o, const std::shared_ptr<const standards::RuleSet>& rules, TimePoint now) {
  SystemClock clock;
  standards::Settings settings;
  metrics::Registry registry;
  standards::StandardsHandler handler(settings, rules, nullptr, clock, &registry, nullptr);
  load_organs(handler, o, *rules);
  bench::PenaltyGenerator gen(o.seed + 1, now);
  Steady::duration inside{};
  for (int64_t i = 0; i < o.handler_only_records; ++i) {
    const ConsumedRecord rec = as_consumed(envelope::to_record(gen.next().envelope, "bench.in"), i);
    const auto start = Steady::now();
    auto result = handler.handle(rec);
    if ((i + 1) % o.commit_every_records == 0) handler.on_transaction_committed();
    inside += Steady::now() - start;
    if (result.dead_letter) throw std::runtime_error("handler-only phase: dead letter: " + result.dead_letter->message);
  }
  return static_cast<double>(o.handler_only_records) / std::chrono::duration<double>(inside).count();
}

// --- produce ------------------------------------------------------------------------------

struct ProduceResult {
  double rate = 0;
  double seconds = 0;
  int64_t bytes = 0;
  bench::ExpectedCounts expected;
};

ProduceResult produce_phase(const Options& o, const std::string& topic, TimePoint now) {
  kafka::KafkaSettings settings;
  settings.bootstrap = o.bootstrap;
  settings.properties["linger.ms"] = "5";
  auto producer = kafka::make_idempotent_producer(settings, "screening-bench-producer");
  if (!producer.ok()) throw std::runtime_error(producer.error().describe());
  bench::PenaltyGenerator gen(o.seed, now);
  std::atomic<int64_t> failed{0};
  ProduceResult r;
  const auto start = Steady::now();
  for (int64_t i = 0; i < o.records; ++i) {
    const auto rec = gen.next();
    const OutgoingRecord out = envelope::to_record(rec.envelope, topic);
    r.bytes += static_cast<int64_t>(out.value->size());
    for (;;) {
      Status st = (*producer)->send_async(out, [&failed](Result<kafka::Delivery> d) {
        if (!d.ok()) failed.fetch_add(1);
      });
      if (st.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // local queue full
    }
    if ((i + 1) % 200000 == 0) std::cerr << "[bench]   produced " << i + 1 << "\n";
  }
  if (!(*producer)->flush(std::chrono::minutes(10)).ok() || failed.load() != 0) {
    throw std::runtime_error("produce phase: " + std::to_string(failed.load()) + " records not acknowledged");
  }
  r.seconds = seconds_since(start);
  r.rate = static_cast<double>(o.records) / r.seconds;
  r.expected = gen.counts();
  return r;
}

// --- loop phases --------------------------------------------------------------------------

// Counts what the wrapped handler emits, per topic, as the loop's transactions commit: outputs
// of an aborted transaction are dropped, as the loop drops them. Dead letters are counted too.
class CountingHandler final : public kafka::RecordHandler {
 public:
  explicit CountingHandler(kafka::RecordHandler& inner) : inner_(inner) {}

  kafka::HandlerResult handle(const ConsumedRecord& record) override {
    auto result = inner_.handle(record);
    for (const auto& out : result.outputs) ++pending_[out.topic];
    if (result.dead_letter) ++pending_dead_letters_;
    return result;
  }
  void on_partitions_assigned(const std::vector<kafka::TopicPartition>& p) override {
    inner_.on_partitions_assigned(p);
  }
  void on_partitions_revoked(const std::vector<kafka::TopicPartition>& p) override { inner_.on_partitions_revoked(p); }
  void on_transaction_committed() override {
    inner_.on_transaction_committed();
    for (const auto& [topic, n] : pending_) committed_[topic] += n;
    dead_letters_ += pending_dead_letters_;
    pending_.clear();
    pending_dead_letters_ = 0;
  }
  void on_transaction_aborted() override {
    inner_.on_transaction_aborted();
    pending_.clear();
    pending_dead_letters_ = 0;
  }
  std::vector<OutgoingRecord> on_tick(TimePoint now) override {
    auto outputs = inner_.on_tick(now);
    for (const auto& out : outputs) ++pending_[out.topic];
    return outputs;
  }

  // Read after the loop thread was joined.
  int64_t committed(const std::string& topic) const {
    auto it = committed_.find(topic);
    return it == committed_.end() ? 0 : it->second;
  }
  int64_t dead_letters() const { return dead_letters_; }

 private:
  kafka::RecordHandler& inner_;
  std::map<std::string, int64_t> pending_;
  std::map<std::string, int64_t> committed_;
  int64_t pending_dead_letters_ = 0;
  int64_t dead_letters_ = 0;
};

struct LoopResult {
  double rate = 0;
  double seconds = 0;
  uint64_t commits = 0;
  uint64_t aborts = 0;
};

LoopResult loop_phase(const Options& o, const std::string& in, const std::string& dlq, kafka::RecordHandler& handler,
                      const std::string& group) {
  kafka::KafkaSettings kafka;
  kafka.bootstrap = o.bootstrap;
  kafka::LoopSettings loop;
  loop.group_id = group;
  loop.input_topics = {in};
  loop.dlq_topic = dlq;
  loop.commit_every_records = o.commit_every_records;
  loop.commit_every_ms = o.commit_every_ms;
  SystemClock clock;
  kafka::TransactionalLoop transactional_loop(kafka, loop, "screening-bench", handler, nullptr, clock);
  std::atomic<bool> stop{false};
  LoopResult r;
  const auto start = Steady::now();
  std::thread runner([&] { (void)transactional_loop.run(stop); });
  int64_t last_report = 0;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    int64_t committed = 0;
    for (int64_t offset : testing::committed_offsets(o.bootstrap, loop.group_id, in, o.partitions)) {
      committed += std::max<int64_t>(offset, 0);
    }
    if (committed >= o.records) {
      r.seconds = seconds_since(start);
      break;
    }
    if (committed - last_report >= 200000) {
      last_report = committed;
      std::cerr << "[bench]   committed " << committed << " after " << std::fixed << std::setprecision(1)
                << seconds_since(start) << " s\n";
    }
    if (seconds_since(start) > static_cast<double>(o.phase_timeout_s)) {
      stop.store(true);
      runner.join();
      throw std::runtime_error("loop phase did not finish in " + std::to_string(o.phase_timeout_s) + " s (" +
                               std::to_string(committed) + " of " + std::to_string(o.records) + " committed)");
    }
  }
  stop.store(true);
  runner.join();
  r.rate = static_cast<double>(o.records) / r.seconds;
  r.commits = transactional_loop.committed_transactions();
  r.aborts = transactional_loop.aborted_transactions();
  return r;
}

// --- verify -------------------------------------------------------------------------------

// Reads every partition of `topic` from the start, read_committed, up to its end, and hands each
// value to `visit`. Counts, never stores: a million assessments do not fit the point of the bench.
int64_t read_all(const std::string& bootstrap, const std::string& topic, int partitions,
                 const std::function<void(const std::string&)>& visit) {
  kafka::KafkaSettings settings;
  settings.bootstrap = bootstrap;
  auto made = kafka::make_consumer(settings, {{"group.id", testing::unique_name("screening-bench-verify")},
                                              {"isolation.level", "read_committed"},
                                              {"enable.auto.commit", "false"},
                                              {"enable.partition.eof", "true"}});
  if (!made.ok()) throw std::runtime_error("verify consumer: " + made.error().message);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer = std::move(made).value();
  std::vector<RdKafka::TopicPartition*> tps;
  for (int p = 0; p < partitions; ++p) {
    tps.push_back(RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
  }
  consumer->assign(tps);
  RdKafka::TopicPartition::destroy(tps);
  std::vector<bool> at_end(static_cast<size_t>(partitions), false);
  int ended = 0;
  int64_t count = 0;
  const auto start = Steady::now();
  while (ended < partitions) {
    if (seconds_since(start) > 900) throw std::runtime_error("verify: reading " + topic + " took over 15 minutes");
    std::unique_ptr<RdKafka::Message> m(consumer->consume(500));
    if (m->err() == RdKafka::ERR__PARTITION_EOF) {
      const auto p = static_cast<size_t>(m->partition());
      if (!at_end[p]) {
        at_end[p] = true;
        ++ended;
      }
      continue;
    }
    if (m->err() != RdKafka::ERR_NO_ERROR) continue;
    ++count;
    visit(m->payload() == nullptr ? std::string() : std::string(static_cast<const char*>(m->payload()), m->len()));
  }
  consumer->close();
  return count;
}

struct Verified {
  int64_t assessments = 0;
  std::array<int64_t, v1::AssessmentOutcome_ARRAYSIZE> by_outcome{};
  int64_t undecodable = 0;
  int64_t alerts = 0;
  int64_t clues = 0;
  int64_t dead_letters = 0;
};

Verified verify(const Options& o, const std::string& assessments, const std::string& alerts, const std::string& dlq) {
  Verified v;
  v.assessments = read_all(o.bootstrap, assessments, o.partitions, [&v](const std::string& value) {
    auto env = envelope::decode(value);
    if (!env.ok() || !env->has_standards_assessment()) {
      ++v.undecodable;
      return;
    }
    ++v.by_outcome[static_cast<size_t>(env->standards_assessment().outcome())];
  });
  v.alerts = read_all(o.bootstrap, alerts, o.partitions, [&v](const std::string& value) {
    auto env = envelope::decode(value);
    if (!env.ok() || !env->has_alert()) {
      ++v.undecodable;
      return;
    }
    if (env->alert().kind() == v1::ALERT_KIND_SUPERVISION_CLUE &&
        env->alert().supervision_clue().reason() == v1::SUPERVISION_CLUE_REASON_PENALTY_INSTEAD_OF_TRANSFER &&
        env->alert().supervision_clue().assessment().outcome() == v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD) {
      ++v.clues;
    }
  });
  v.dead_letters = read_all(o.bootstrap, dlq, o.partitions, [](const std::string&) {});
  return v;
}

// --- main's parts -------------------------------------------------------------------------

void add_options(CLI::App& app, Options& o, bool& handler_only) {
  app.add_option("--bootstrap", o.bootstrap, "Broker")->capture_default_str();
  app.add_option("--rules", o.rules_dir, "Rule directory (the shipped rules/)")->capture_default_str();
  app.add_option("--records", o.records, "Penalty records per loop phase")->capture_default_str()->check(
      CLI::PositiveNumber);
  app.add_option("--partitions", o.partitions, "Partitions of the benchmark topics")->capture_default_str()->check(
      CLI::PositiveNumber);
  app.add_option("--commit-every-records", o.commit_every_records, "Loop commit interval (records)")
      ->capture_default_str();
  app.add_option("--commit-every-ms", o.commit_every_ms, "Loop commit interval (ms)")->capture_default_str();
  app.add_option("--seed", o.seed, "Generator seed (same seed, same records)")->capture_default_str();
  app.add_option("--phase-timeout", o.phase_timeout_s, "Give up on a loop phase after this many seconds")
      ->capture_default_str();
  app.add_option("--handler-only-records", o.handler_only_records,
                 "Records fed straight to the handler, no Kafka, before the Kafka phases (0: skip)")
      ->capture_default_str();
  app.add_option("--warmup-records", o.warmup_records,
                 "Records through an untimed no-op loop first, so neither timed phase pays for the broker's "
                 "first transaction and group (0: skip)")
      ->capture_default_str();
  app.add_flag("--handler-only", handler_only, "Only the preflight and the handler-only phase (for profiling)");
}

// Fresh topics of one run.
struct Topics {
  std::string in = testing::unique_name("bench.screening.penalty");
  std::string out_noop = testing::unique_name("bench.screening.noop");
  std::string out_assessment = testing::unique_name("bench.screening.assessment");
  std::string out_alert = testing::unique_name("bench.screening.alert");
  std::string out_history = testing::unique_name("bench.screening.history");
  std::string dlq = testing::unique_name("bench.screening.dlq");
  std::string warmup_in = testing::unique_name("bench.screening.warmup");
  std::string warmup_out = testing::unique_name("bench.screening.warmup-out");
};

// What the Kafka phases measured and counted.
struct Measured {
  ProduceResult produced;
  LoopResult noop;
  LoopResult standards;
  double rss_after_produce = 0;
  double rss_after_noop = 0;
  double rss_after_standards = 0;
  double vm_rss_end_of_loops = 0;
  Verified verified;
  double verify_seconds = 0;
  // Counted in the loop, committed transactions only.
  int64_t noop_outputs = 0;
  int64_t assessments_counted = 0;
  int64_t clues_counted = 0;
  int64_t dead_letters_counted = 0;
};

void warm_up(const Options& o, const Topics& t, TimePoint now) {
  std::cerr << "[bench] warm-up (untimed): " << o.warmup_records << " records through a no-op loop\n";
  Options w = o;
  w.records = o.warmup_records;
  (void)produce_phase(w, t.warmup_in, now);
  passthrough::PassthroughHandler warmup_handler({t.warmup_out, false});
  (void)loop_phase(w, t.warmup_in, t.dlq, warmup_handler, testing::unique_name("bench.screening.warmup-group"));
}

// produce, the no-op loop, the standards loop, verify.
Measured run_kafka_phases(const Options& o, const Topics& t, const std::shared_ptr<const standards::RuleSet>& rules,
                          TimePoint now) {
  Measured m;
  std::cerr << "[bench] produce: " << o.records << " penalty records to " << t.in << "\n";
  m.produced = produce_phase(o, t.in, now);
  m.rss_after_produce = max_rss_mb();

  std::cerr << "[bench] loop: no-op transactional passthrough (baseline)\n";
  passthrough::PassthroughHandler noop_inner({t.out_noop, false});
  CountingHandler noop(noop_inner);
  m.noop = loop_phase(o, t.in, t.dlq, noop, testing::unique_name("bench.screening.noop-group"));
  m.rss_after_noop = max_rss_mb();

  std::cerr << "[bench] loop: caselink-standards handler\n";
  standards::Settings settings;  // deployed defaults (dedup window, recipient template)
  settings.rules_dir = o.rules_dir;
  settings.assessment_topic = t.out_assessment;
  settings.alert_topic = t.out_alert;
  settings.history_topic = t.out_history;  // the penalty history copies, as the service writes them
  SystemClock clock;
  metrics::Registry registry;  // as in the service: metrics on
  standards::StandardsHandler standards_inner(settings, rules, nullptr, clock, &registry, nullptr);
  load_organs(standards_inner, o, *rules);
  CountingHandler screened(standards_inner);
  m.standards = loop_phase(o, t.in, t.dlq, screened, testing::unique_name("bench.screening.standards-group"));
  m.rss_after_standards = max_rss_mb();
  m.vm_rss_end_of_loops = vm_rss_mb();

  std::cerr << "[bench] verify: reading the outputs back (read_committed)\n";
  const auto verify_start = Steady::now();
  m.verified = verify(o, t.out_assessment, t.out_alert, t.dlq);
  m.verify_seconds = seconds_since(verify_start);
  m.noop_outputs = noop.committed(t.out_noop);
  m.assessments_counted = screened.committed(t.out_assessment);
  m.clues_counted = screened.committed(t.out_alert);
  m.dead_letters_counted = noop.dead_letters() + screened.dead_letters();
  return m;
}

void print_report(const Options& o, const std::string& rule_set, const Measured& m, double handler_rate) {
  const auto& want = m.produced.expected;
  const auto& v = m.verified;
  const int64_t meets = v.by_outcome[v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD];
  const int64_t below = v.by_outcome[v1::ASSESSMENT_OUTCOME_BELOW_THRESHOLD];
  const int64_t insufficient = v.by_outcome[v1::ASSESSMENT_OUTCOME_INSUFFICIENT_FACTS];
  std::cout << "records=" << o.records << " partitions=" << o.partitions
            << " commit_every_records=" << o.commit_every_records << " commit_every_ms=" << o.commit_every_ms
            << " seed=" << o.seed << " rule_set=" << rule_set << "\n";
  std::cout << std::setprecision(0) << "input: " << m.produced.bytes / o.records << " bytes/record on average, "
            << "generated mix: meets=" << want.meets << " (clue expected " << want.clues << ", transferred or "
            << "not penalised " << want.meets_without_clue << ") below=" << want.below
            << " insufficient_facts=" << want.insufficient << "\n";
  std::cout << "| phase | records/s | seconds | ratio to no-op loop |\n| --- | ---: | ---: | ---: |\n";
  std::cout << std::setprecision(0) << "| idempotent produce (acks=all, reference) | " << m.produced.rate << " | "
            << std::setprecision(1) << m.produced.seconds << " | - |\n";
  std::cout << std::setprecision(0) << "| no-op transactional passthrough (baseline) | " << m.noop.rate << " | "
            << std::setprecision(1) << m.noop.seconds << " | 1.00 |\n";
  std::cout << std::setprecision(0) << "| caselink-standards screening | " << m.standards.rate << " | "
            << std::setprecision(1) << m.standards.seconds << " | " << std::setprecision(2)
            << m.standards.rate / m.noop.rate << " |\n";
  if (handler_rate > 0) {
    std::cout << std::setprecision(0) << "| standards handler alone, no Kafka (time inside handle()) | "
              << handler_rate << " | - | - |\n";
  }
  std::cout << "transactions: noop " << m.noop.commits << " committed / " << m.noop.aborts << " aborted; standards "
            << m.standards.commits << " committed / " << m.standards.aborts << " aborted\n";
  std::cout << std::setprecision(1) << "peak RSS (ru_maxrss, whole process): after produce " << m.rss_after_produce
            << " MB, after no-op loop " << m.rss_after_noop << " MB, after standards loop " << m.rss_after_standards
            << " MB; VmRSS at end of loops " << m.vm_rss_end_of_loops << " MB\n";
  std::cout << "outputs (read back read_committed in " << m.verify_seconds << " s): assessments=" << v.assessments
            << " (meets=" << meets << " below=" << below << " insufficient_facts=" << insufficient
            << " other=" << v.assessments - meets - below - insufficient << ") supervision_clues=" << v.clues
            << " alerts=" << v.alerts << " dead_letters=" << v.dead_letters << " undecodable=" << v.undecodable
            << "\n";
  std::cout << "outputs (counted in the loop, committed transactions): noop=" << m.noop_outputs
            << " assessments=" << m.assessments_counted << " clues=" << m.clues_counted
            << " dead_letters=" << m.dead_letters_counted << "\n";
}

// Every count that differs from what the generator made.
std::vector<std::string> mismatches(const Options& o, const Measured& m) {
  const auto& want = m.produced.expected;
  const auto& v = m.verified;
  std::vector<std::string> out;
  auto expect_eq = [&out](const char* what, int64_t got, int64_t expected) {
    if (got != expected) {
      out.push_back(std::string(what) + ": got " + std::to_string(got) + ", expected " + std::to_string(expected));
    }
  };
  expect_eq("assessments on the topic", v.assessments, o.records);
  expect_eq("assessments counted in the loop", m.assessments_counted, o.records);
  expect_eq("MEETS_THRESHOLD assessments", v.by_outcome[v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD], want.meets);
  expect_eq("BELOW_THRESHOLD assessments", v.by_outcome[v1::ASSESSMENT_OUTCOME_BELOW_THRESHOLD], want.below);
  expect_eq("INSUFFICIENT_FACTS assessments", v.by_outcome[v1::ASSESSMENT_OUTCOME_INSUFFICIENT_FACTS],
            want.insufficient);
  expect_eq("supervision clues on the topic", v.clues, want.clues);
  expect_eq("alerts on the topic (all must be clues)", v.alerts, want.clues);
  expect_eq("clues counted in the loop", m.clues_counted, want.clues);
  expect_eq("no-op outputs counted in the loop", m.noop_outputs, o.records);
  expect_eq("dead letters", v.dead_letters + m.dead_letters_counted, 0);
  expect_eq("undecodable outputs", v.undecodable, 0);
  return out;
}

}  // namespace
}  // namespace caselink

int main(int argc, char** argv) {
  using namespace caselink;
  Options o;
  CLI::App app{
      "caselink-standards bulk 以罚代刑 screening benchmark: N administrative penalty records through the standards "
      "handler in the exactly-once loop, against the no-op passthrough over the same records, same broker, same run"};
  bool handler_only = false;
  add_options(app, o, handler_only);
  CLI11_PARSE(app, argc, argv);
  // Which allocator the numbers were made with (docs/performance.md).
  std::cerr << caselink::version_line("caselink-screening-bench") << "\n";
  (void)logging::init({"warn", "text", "screening-bench"});

  auto loaded = standards::load_rule_set(o.rules_dir);
  if (!loaded.ok()) {
    std::cerr << "rules: " << loaded.error().message << "\n";
    return 1;
  }
  const auto rules = std::make_shared<const standards::RuleSet>(std::move(*loaded));
  const TimePoint now = SystemClock().now();

  std::cerr << "[bench] preflight: the generator's case table against rule set " << rules->version << "\n";
  if (const auto problems = preflight(o, rules, now); !problems.empty()) {
    for (const auto& p : problems) std::cerr << "preflight: " << p << "\n";
    return kCountMismatch;
  }

  double handler_rate = 0;
  if (o.handler_only_records > 0) {
    std::cerr << "[bench] handler alone: " << o.handler_only_records << " records, no Kafka\n";
    handler_rate = handler_only_phase(o, rules, now);
    std::cerr << "[bench]   " << static_cast<int64_t>(handler_rate) << " records/s inside handle()\n";
  }
  if (handler_only) {
    std::cout << "handler alone: " << static_cast<int64_t>(handler_rate) << " records/s inside handle(); ru_maxrss "
              << static_cast<int64_t>(max_rss_mb()) << " MB\n";
    return 0;
  }

  const Topics t;
  if (Status st = testing::create_topics(
          o.bootstrap, {t.in, t.out_noop, t.out_assessment, t.out_alert, t.out_history, t.dlq, t.warmup_in, t.warmup_out},
          o.partitions);
      !st.ok()) {
    std::cerr << "cannot create topics: " << st.error().describe() << "\n";
    return 1;
  }
  std::cout << std::fixed;
  try {
    if (o.warmup_records > 0) warm_up(o, t, now);
    const Measured m = run_kafka_phases(o, t, rules, now);
    print_report(o, rules->version, m, handler_rate);
    if (const auto wrong = mismatches(o, m); !wrong.empty()) {
      for (const auto& w : wrong) std::cout << "MISMATCH " << w << "\n";
      return kCountMismatch;
    }
    std::cout << "counts verified: assessments == N, clues == records the generator made to meet a threshold "
                 "(penalised, never transferred)\n";
  } catch (const std::exception& e) {
    std::cerr << "benchmark failed: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
