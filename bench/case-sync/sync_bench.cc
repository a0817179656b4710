// caselink-sync throughput against the no-op transactional passthrough (the ceiling), same
// broker, same input, same invocation; plus the memory of a handler holding many open cases.
//
//   produce   N valid case events (N/10 forward cases: referral ... closed, then an
//             acknowledgement; every 10th one divergent), per-case order, one topic
//   noop      caselink-passthrough's handler, bytes copied blindly (as bench/loop)
//   sync      caselink-sync's SyncHandler in the same TransactionalLoop (decode, fold, snapshot
//             with internal header to the state topic, alerts), range assignment, restore on assign
//   rss       in-process, no Kafka: SyncHandler fed directly with --open-cases cases of 4 events
//             each (reported, approved, referred, accepted: open, deadlines pending); VmRSS
//             before/after. Runs first, so the figure is not inflated by librdkafka buffers.
//
// Each loop phase consumes the produced topic from the start with a fresh group; the time is
// from loop start until the group's committed offsets cover all N inputs (as bench/loop).
// Event times are "now" + seconds, so no deadline fires during the run.

#include <CLI/CLI.hpp>
#include <sys/resource.h>

#include <fstream>
#include <iomanip>
#include <iostream>
#include <thread>

#include "services/case-sync/handler.h"
#include "services/case-sync/tests/test_support.h"
#include "services/common/core/build_info.h"
#include "services/common/envelope/codec.h"
#include "services/common/kafka/producer.h"
#include "services/common/kafka/transactional_loop.h"
#include "services/common/logging/logging.h"
#include "services/passthrough/handler.h"
#include "tests/support/kafka_test_env.h"

namespace caselink {
namespace {

using Steady = std::chrono::steady_clock;
using sync::test::organ;

struct Options {
  std::string bootstrap = "127.0.0.1:9092";
  std::string rules_directory = "rules/deadlines";
  int64_t records = 50000;
  int partitions = 6;
  int64_t commit_every_records = 500;
  int64_t commit_every_ms = 100;
  int64_t open_cases = 100000;
  bool skip_kafka = false;
  std::string compression = "none";  // producer compression.type of both loop phases
};

double seconds_since(Steady::time_point start) { return std::chrono::duration<double>(Steady::now() - start).count(); }

// Event `step` (0..9) of forward case `c`.
// Step 9 acknowledges version 9 with `ack_hash` (the caller passes the real chain hash, or a
// wrong one for every 10th case: one DIVERGENCE alert each).
v1::Envelope case_event(int64_t c, int step, TimePoint t0, const std::string& ack_hash = "") {
  const std::string id = "bench-case-" + std::to_string(c);
  auto ev = sync::test::make(id, t0 + std::chrono::seconds(step), [&](v1::Envelope& e) {
    switch (step) {
      case 0: {
        auto* p = e.mutable_suspected_crime_reported();
        *p->mutable_reporting_agency() = organ("sthjj-330100");
        p->set_domain(v1::DOMAIN_ENVIRONMENT);
        break;
      }
      case 1: e.mutable_transfer_decided()->set_decision(v1::TRANSFER_DECISION_APPROVED); break;
      case 2: {
        auto* p = e.mutable_case_referral();
        *p->mutable_referring_agency() = organ("sthjj-330100");
        *p->mutable_target_police_organ() = organ("ga-330100");
        p->set_domain(v1::DOMAIN_ENVIRONMENT);
        p->set_copy_to_procuratorate(true);
        *p->mutable_procuratorate() = organ("jcy-330100");
        break;
      }
      case 3: *e.mutable_referral_accepted()->mutable_police_organ() = organ("ga-330100"); break;
      case 4: e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED); break;
      case 5: e.mutable_seized_items_handed_over()->set_handover_record_number("H-1"); break;
      case 6:
        e.mutable_prosecution_decision()->set_outcome(v1::PROSECUTION_OUTCOME_PROSECUTE);
        *e.mutable_prosecution_decision()->mutable_procuratorate() = organ("jcy-330100");
        break;
      case 7:
        e.mutable_court_judgment()->set_verdict(v1::VERDICT_CONVICTED);
        *e.mutable_court_judgment()->mutable_court() = organ("fy-330100");
        break;
      case 8: e.mutable_case_closed()->set_reason(v1::CASE_CLOSED_REASON_JUDGMENT_EFFECTIVE); break;
      default: {
        auto* a = e.mutable_state_acknowledged();
        a->set_party_id("ga-330100");
        a->set_state_version(9);
        a->set_state_hash_hex(ack_hash);
        break;
      }
    }
  });
  return ev.env;
}

double produce_phase(const Options& o, const std::string& topic, TimePoint t0) {
  kafka::KafkaSettings settings;
  settings.bootstrap = o.bootstrap;
  settings.properties["linger.ms"] = "5";
  auto producer = kafka::IdempotentProducer::create(settings, "sync-bench-producer");
  if (!producer.ok()) throw std::runtime_error(producer.error().describe());
  std::atomic<int64_t> failed{0};
  const int64_t cases = o.records / 10;
  std::vector<std::string> chain(static_cast<size_t>(cases));
  const auto start = Steady::now();
  // Step-major: all cases' step 0, then step 1, ...: per-case order, cases interleaved.
  for (int step = 0; step < 10; ++step) {
    for (int64_t c = 0; c < cases; ++c) {
      auto& h = chain[static_cast<size_t>(c)];
      const auto rec = envelope::to_record(
          case_event(c, step, t0, c % 10 == 0 ? std::string(64, 'b') : h), topic);
      if (step < 9) h = sync::chain_hash_hex(h, *rec.value);
      for (;;) {
        Status st = (*producer)->send_async(rec, [&failed](Result<kafka::Delivery> r) {
          if (!r.ok()) failed.fetch_add(1);
        });
        if (st.ok()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  }
  if (!(*producer)->flush(std::chrono::minutes(5)).ok() || failed.load() != 0) {
    throw std::runtime_error("produce phase: " + std::to_string(failed.load()) + " records not acknowledged");
  }
  return static_cast<double>(cases * 10) / seconds_since(start);
}

double loop_phase(const Options& o, const std::string& in, kafka::RecordHandler& handler, const std::string& group,
                  const std::string& strategy) {
  kafka::KafkaSettings kafka;
  kafka.bootstrap = o.bootstrap;
  if (o.compression != "none") kafka.properties["compression.type"] = o.compression;
  kafka::LoopSettings loop;
  loop.group_id = group;
  loop.input_topics = {in};
  loop.dlq_topic = "caselink.dlq.v1";
  loop.commit_every_records = o.commit_every_records;
  loop.commit_every_ms = o.commit_every_ms;
  loop.partition_assignment_strategy = strategy;
  SystemClock clock;
  kafka::TransactionalLoop transactional_loop(kafka, loop, "bench", handler, nullptr, clock);
  std::atomic<bool> stop{false};
  const int64_t total = (o.records / 10) * 10;
  const auto start = Steady::now();
  std::thread runner([&] { (void)transactional_loop.run(stop); });
  double elapsed = 0;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    int64_t committed = 0;
    for (int64_t offset : testing::committed_offsets(o.bootstrap, loop.group_id, in, o.partitions)) {
      committed += std::max<int64_t>(offset, 0);
    }
    if (committed >= total) {
      elapsed = seconds_since(start);
      break;
    }
    if (seconds_since(start) > 900) {
      stop.store(true);
      runner.join();
      throw std::runtime_error("loop phase did not finish in 15 minutes");
    }
  }
  stop.store(true);
  runner.join();
  return static_cast<double>(total) / elapsed;
}

double vm_rss_mb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  }
  return -1;
}
double max_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // kB on Linux
}

class NoState final : public sync::StateReader {
 public:
  Status read(const std::string&, const std::vector<int32_t>&, const Visitor&) override { return Status::success(); }
};

struct RssResult {
  double before_mb = 0, after_mb = 0, max_mb = 0, seconds = 0;
  size_t cases = 0;
  size_t resident_bytes = 0;
};

RssResult rss_phase(const Options& o, const sync::CaseEngine& engine, TimePoint t0) {
  RssResult r;
  r.before_mb = vm_rss_mb();
  SystemClock clock;
  NoState reader;
  sync::SyncHandler handler(engine, {}, clock, &reader, nullptr);
  std::vector<kafka::TopicPartition> tps;
  for (int p = 0; p < o.partitions; ++p) tps.push_back({"bench.in", p});
  handler.on_partitions_assigned(tps);
  const auto start = Steady::now();
  int64_t offset = 0;
  int64_t in_txn = 0;
  for (int step = 0; step < 4; ++step) {
    for (int64_t c = 0; c < o.open_cases; ++c) {
      OutgoingRecord out = envelope::to_record(case_event(c, step, t0), "bench.in");
      ConsumedRecord rec;
      rec.topic = out.topic;
      rec.partition = static_cast<int32_t>(std::hash<std::string>{}(out.key) % static_cast<size_t>(o.partitions));
      rec.offset = offset++;
      rec.key = out.key;
      rec.value = out.value;
      rec.headers = out.headers;
      auto res = handler.handle(rec);
      if (res.dead_letter) throw std::runtime_error("rss phase: event dead-lettered");
      if (++in_txn == o.commit_every_records) {
        handler.on_transaction_committed();
        in_txn = 0;
      }
    }
  }
  handler.on_transaction_committed();
  r.seconds = seconds_since(start);
  r.cases = handler.case_count();
  r.resident_bytes = handler.resident_bytes();
  r.after_mb = vm_rss_mb();
  r.max_mb = max_rss_mb();
  return r;
}

}  // namespace
}  // namespace caselink

int main(int argc, char** argv) {
  using namespace caselink;
  Options o;
  CLI::App app{"caselink-sync benchmark: sync handler vs. no-op passthrough in the exactly-once loop, same run"};
  app.add_option("--bootstrap", o.bootstrap, "Broker");
  app.add_option("--rules", o.rules_directory, "Deadline rules directory");
  app.add_option("--records", o.records, "Events per loop phase (N/10 cases of 10 events)");
  app.add_option("--partitions", o.partitions, "Partitions of the benchmark topics");
  app.add_option("--commit-every-records", o.commit_every_records, "Loop commit interval (records)");
  app.add_option("--commit-every-ms", o.commit_every_ms, "Loop commit interval (ms)");
  app.add_option("--open-cases", o.open_cases, "Open cases held by the handler in the RSS phase (0: skip)");
  app.add_flag("--skip-kafka", o.skip_kafka, "Only the RSS phase");
  app.add_option("--compression", o.compression,
                 "Producer compression.type of both loop phases (none, lz4, zstd, ...), as caselink-sync ships with");
  CLI11_PARSE(app, argc, argv);
  // Which allocator the numbers were made with (docs/performance.md).
  std::cerr << caselink::version_line("caselink-sync-bench") << "\n";
  (void)logging::init({std::getenv("CASELINK_LOG_LEVEL") ? std::getenv("CASELINK_LOG_LEVEL") : "warn", "text", "sync-bench"});

  auto rules = sync::DeadlineRules::load_directory(o.rules_directory);
  if (!rules.ok()) {
    std::cerr << "rules: " << rules.error().describe() << "\n";
    return 1;
  }
  sync::Settings sync_settings;
  const sync::CaseEngine engine(*rules, sync::engine_options(sync_settings));
  const TimePoint t0 = SystemClock().now();
  std::cout << std::fixed;
  try {
    if (o.open_cases > 0) {
      std::cerr << "[bench] rss phase: " << o.open_cases << " open cases\n";
      const auto r = rss_phase(o, engine, t0);
      std::cout << std::setprecision(1) << "rss: open_cases=" << r.cases << " VmRSS before=" << r.before_mb
                << " MB after=" << r.after_mb << " MB (delta " << r.after_mb - r.before_mb
                << " MB) ru_maxrss=" << r.max_mb << " MB; fed " << o.open_cases * 4 << " events in " << r.seconds
                << " s (" << std::setprecision(0) << static_cast<double>(o.open_cases * 4) / r.seconds
                << " events/s handler-only); packed case bytes " << r.resident_bytes << " ("
                << r.resident_bytes / std::max<size_t>(r.cases, 1) << " per case)\n";
    }
    if (o.skip_kafka) return 0;
    const std::string in = testing::unique_name("bench.sync.in");
    const std::string out_noop = testing::unique_name("bench.sync.noop");
    const std::string state = testing::unique_name("bench.sync.state");
    const std::string alerts = testing::unique_name("bench.sync.alert");
    if (Status st = testing::create_topics(o.bootstrap, {in, out_noop, state, alerts}, o.partitions); !st.ok()) {
      std::cerr << "cannot create topics: " << st.error().describe() << "\n";
      return 1;
    }
    std::cerr << "[bench] produce phase: " << o.records << " events\n";
    const double produce = produce_phase(o, in, t0);
    std::cerr << "[bench] loop phase: no-op passthrough\n";
    passthrough::PassthroughHandler noop_handler({out_noop, false});
    const double noop = loop_phase(o, in, noop_handler, testing::unique_name("bench.noop.group"), "cooperative-sticky");
    std::cerr << "[bench] loop phase: caselink-sync handler\n";
    sync_settings.state_topic = state;
    sync_settings.alert_topic = alerts;
    kafka::KafkaSettings kafka;
    kafka.bootstrap = o.bootstrap;
    const std::string group = testing::unique_name("bench.sync.group");
    auto reader = sync::make_kafka_state_reader(kafka, group + "-restore", 120000);
    SystemClock clock;
    sync::SyncHandler sync_handler(engine, sync_settings, clock, reader.get(), nullptr);
    const double sync_rate = loop_phase(o, in, sync_handler, group, "range");
    std::cout << "records=" << (o.records / 10) * 10 << " partitions=" << o.partitions
              << " commit_every_records=" << o.commit_every_records << " commit_every_ms=" << o.commit_every_ms
              << " cases_held_after_sync_phase=" << sync_handler.case_count() << " VmRSS_end=" << std::setprecision(1)
              << vm_rss_mb() << " MB\n";
    std::cout << "| phase | events/s | ratio to no-op loop |\n| --- | ---: | ---: |\n";
    std::cout << std::setprecision(0) << "| idempotent produce (acks=all, for reference) | " << produce << " | - |\n";
    std::cout << "| no-op transactional passthrough | " << noop << " | 1.00 |\n";
    std::cout << "| caselink-sync handler | " << sync_rate << " | " << std::setprecision(2) << sync_rate / noop
              << " |\n";
  } catch (const std::exception& e) {
    std::cerr << "benchmark failed: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
