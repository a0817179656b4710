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
//   service   (--service-cases M) the real caselink-sync binary, as deployed (its own process,
//             librdkafka buffers, restore reader, admin HTTP), consuming M cases of the same 4
//             events from a fresh topic; its VmRSS and VmHWM once its committed offsets cover
//             all 4*M inputs. The figure the memory target is about. Then stopped
//             (SIGTERM), 60 new cases' first events produced, and started again: it restores the
//             M cases before its first commit. Both launches report launch -> first commit and
//             launch -> all inputs committed, watched from outside every 20 ms (issue 19).
//   takeover  (--takeover-runs R, alone) two caselink-sync processes, one killed with SIGKILL
//             per run: time until the survivor processes the dead one's new events (takeover.h).
//
// Each loop phase consumes the produced topic from the start with a fresh group; the time is
// from loop start until the group's committed offsets cover all N inputs (as bench/loop).
// Event times are "now" + seconds, so no deadline fires during the run.

#include <CLI/CLI.hpp>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <optional>
#include <thread>

#include "bench/case-sync/case_events.h"
#include "bench/support/proc_status.h"
#include "bench/support/service_launch.h"
#include "bench/case-sync/takeover.h"
#include "services/daemons/sync/kafka_edge.h"
#include "services/lib/kafka/read_to_end.h"
#include "services/daemons/sync/tests/test_support.h"
#include "services/lib/core/build_info.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/topics.h"
#include "services/lib/kafka/producer.h"
#include "services/lib/kafka/transactional_loop.h"
#include "services/lib/logging/logging.h"
#include "services/daemons/passthrough/handler.h"
#include "tests/support/kafka_test_env.h"

namespace caselink {
namespace {

using Steady = std::chrono::steady_clock;
using bench::case_event;

struct Options {
  std::string bootstrap = "127.0.0.1:9092";
  std::string rules_directory = "rules/deadlines";
  int64_t records = 50000;
  int partitions = 6;
  // 0: as shipped, each phase its own (the shared loop's default for the passthrough,
  // sync::loop_defaults for caselink-sync); otherwise this for every loop phase.
  int64_t commit_every_records = 0;
  // The RSS phase folds its staged cases in every this many events: about the size of a
  // transaction of the service under load (100 ms at ~12,000 events/s is ~1,200; caselink-sync's
  // record bound is 1,000 since 2026-12-06).
  int64_t rss_fold_every = 500;
  int64_t commit_every_ms = kafka::LoopSettings{}.commit_every_ms;
  int64_t open_cases = 100000;
  bool skip_kafka = false;
  std::string compression = "none";  // producer compression.type of both loop phases
  std::vector<std::string> kafka_properties;  // KEY=VALUE, librdkafka, every loop phase and the service
  int64_t service_cases = 0;          // open cases for the service phase (0: skip)
  std::string service_binary;         // caselink-sync; default: next to this benchmark in the build tree
  // loop.prefetch_* of the caselink-sync phases (loop and service); 0: as caselink-sync ships
  // (sync::loop_defaults). The passthrough keeps the shared loop's defaults: it is the ceiling.
  int64_t prefetch_messages = 0;
  int64_t prefetch_kbytes = 0;
  bench::TakeoverOptions takeover;  // runs > 0: only the takeover phase (takeover.h)
  std::vector<std::string> loop_keys;  // KEY=VALUE, loop.* of the takeover phase's two instances
};

double seconds_since(Steady::time_point start) { return std::chrono::duration<double>(Steady::now() - start).count(); }

// Produces steps 0..steps-1 of cases first_case .. first_case+cases-1 (case_event), step-major;
// events/s of the produce.
double produce_phase(const Options& o, const std::string& topic, TimePoint t0, int64_t cases, int steps,
                     int64_t first_case = 0) {
  kafka::KafkaSettings settings;
  settings.bootstrap = o.bootstrap;
  settings.properties["linger.ms"] = "5";
  auto producer = kafka::make_idempotent_producer(settings, "sync-bench-producer");
  if (!producer.ok()) throw std::runtime_error(producer.error().describe());
  std::atomic<int64_t> failed{0};
  std::vector<std::string> chain(static_cast<size_t>(cases));
  const auto start = Steady::now();
  // Step-major: all cases' step 0, then step 1, ...: per-case order, cases interleaved.
  for (int step = 0; step < steps; ++step) {
    for (int64_t c = first_case; c < first_case + cases; ++c) {
      auto& h = chain[static_cast<size_t>(c - first_case)];
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
  return static_cast<double>(cases * steps) / seconds_since(start);
}

std::vector<std::pair<std::string, std::string>> extra_properties(const Options& o) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : o.kafka_properties) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) throw std::runtime_error("--kafka-property wants KEY=VALUE, got " + kv);
    out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return out;
}

// Seconds from `start` until `group`'s committed offsets on `topic` add up to `total`; nullopt
// after 15 minutes or as soon as `alive()` says the consumer is gone.
std::optional<double> wait_committed(const Options& o, const std::string& group, const std::string& topic,
                                     int64_t total, Steady::time_point start, const std::function<bool()>& alive) {
  while (seconds_since(start) < 900 && alive()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    int64_t committed = 0;
    for (int64_t offset : testing::committed_offsets(o.bootstrap, group, topic, o.partitions)) {
      committed += std::max<int64_t>(offset, 0);
    }
    if (committed >= total) return seconds_since(start);
  }
  return std::nullopt;
}

// caselink-sync's loop settings as shipped, with --prefetch-* applied.
kafka::LoopSettings sync_loop_settings(const Options& o) {
  kafka::LoopSettings loop;
  sync::loop_defaults(&loop);
  if (o.prefetch_messages > 0) loop.prefetch_messages = o.prefetch_messages;
  if (o.prefetch_kbytes > 0) loop.prefetch_kbytes = o.prefetch_kbytes;
  return loop;
}

// `loop` brings the strategy and read-ahead; group, topics, DLQ and commit interval are the bench's.
double loop_phase(const Options& o, const std::string& in, kafka::RecordHandler& handler, const std::string& group,
                  kafka::LoopSettings loop) {
  kafka::KafkaSettings kafka;
  kafka.bootstrap = o.bootstrap;
  if (o.compression != "none") kafka.properties["compression.type"] = o.compression;
  for (const auto& [key, value] : extra_properties(o)) kafka.properties[key] = value;
  loop.group_id = group;
  loop.input_topics = {in};
  loop.dlq_topic = envelope::topics::kDlq;
  if (o.commit_every_records > 0) loop.commit_every_records = o.commit_every_records;
  loop.commit_every_ms = o.commit_every_ms;
  SystemClock clock;
  kafka::TransactionalLoop transactional_loop(kafka, loop, "bench", handler, nullptr, clock);
  std::atomic<bool> stop{false};
  const int64_t total = (o.records / 10) * 10;
  const auto start = Steady::now();
  std::thread runner([&] { (void)transactional_loop.run(stop); });
  std::optional<double> elapsed = wait_committed(o, loop.group_id, in, total, start, [] { return true; });
  stop.store(true);
  runner.join();
  if (!elapsed) throw std::runtime_error("loop phase did not finish in 15 minutes");
  return static_cast<double>(total) / *elapsed;
}

using bench::status_mb;
double vm_rss_mb() { return status_mb("/proc/self/status", "VmRSS"); }
double max_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // kB on Linux
}

class NoState final : public kafka::ChangelogReader {
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
      if (++in_txn == o.rss_fold_every) {
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

using bench::Launch;

struct ServiceResult {
  int64_t events = 0;
  Launch first;    // empty state topic, every input waiting
  Launch restart;  // the same group and state topic again (service_cases cases), new inputs waiting
  int64_t new_events = 0;
};

// Starts caselink-sync with `config` and watches its group's committed offsets on `in` until they
// reach `to` (bench/support/service_launch.h), then stops it. `from`: committed before the launch.
Launch launch_service(const Options& o, const std::string& config, const std::string& log, const std::string& group,
                      const std::string& in, int64_t from, int64_t to) {
  bench::LaunchSpec spec;
  spec.bootstrap = o.bootstrap;
  spec.binary = o.service_binary;
  spec.args = {"--config", config};
  spec.log = log;
  spec.group = group;
  spec.input_topics = {in};
  spec.partitions = o.partitions;
  spec.committed_before = from;
  spec.committed_target = to;
  spec.admin_port_file = config + ".port";
  spec.metrics_at_end = {"caselink_heap_allocated_bytes", "caselink_heap_resident_bytes", "caselink_sync_resident_bytes"};
  return bench::launch_and_watch(spec);
}

// caselink-sync's config for the service phase: the bench's broker, group and topics, the rules.
void write_service_config(const Options& o, const std::filesystem::path& config, const std::string& group,
                          const std::string& in, const std::string& state, const std::string& alerts) {
  namespace fs = std::filesystem;
  std::string properties;
  for (const auto& [key, value] : extra_properties(o)) properties += key + ": \"" + value + "\", ";
  std::ofstream(config) << "kafka: {bootstrap: \"" << o.bootstrap << "\", properties: {" << properties << "}}\n"
                        << "loop: {group_id: " << group << ", input_topics: [" << in
                        << "], prefetch_messages: " << sync_loop_settings(o).prefetch_messages
                        << ", prefetch_kbytes: " << sync_loop_settings(o).prefetch_kbytes << "}\n"
                        << "sync: {state_topic: " << state << ", alert_topic: " << alerts << ", rules_directory: \""
                        << fs::absolute(o.rules_directory).string() << "\", organs_file: \""
                        << fs::absolute(fs::path(o.rules_directory).parent_path() / "organs" / "organs.yaml").string()
                        << "\"}\n"
                        << "http: {port: 0, port_file: \"" << config.string() << ".port\"}\nlog: {level: warn}\n";
}

// New cases' first events for the restart: enough that every partition most likely gets some.
constexpr int64_t kRestartCases = 60;

ServiceResult service_phase(const Options& o, TimePoint t0) {
  namespace fs = std::filesystem;
  const std::string in = testing::unique_name("bench.svc.in");
  const std::string state = testing::unique_name("bench.svc.state");
  const std::string alerts = testing::unique_name("bench.svc.alert");
  if (Status st = testing::create_topics(o.bootstrap, {in, state, alerts}, o.partitions); !st.ok()) {
    throw std::runtime_error("service phase: cannot create topics: " + st.error().describe());
  }
  ServiceResult r;
  r.events = o.service_cases * 4;
  std::cerr << "[bench] service phase: producing " << r.events << " events of " << o.service_cases << " cases\n";
  (void)produce_phase(o, in, t0, o.service_cases, 4);
  const fs::path dir = fs::temp_directory_path() / testing::unique_name("caselink-sync-bench");
  fs::create_directories(dir);
  const std::string group = testing::unique_name("bench.svc.group");
  const fs::path config = dir / "caselink-sync.yaml";
  write_service_config(o, config, group, in, state, alerts);
  const std::string log = (dir / "caselink-sync.log").string();
  std::cerr << "[bench] service phase: " << o.service_binary << " (log " << log << ")\n";
  r.first = launch_service(o, config.string(), log, group, in, 0, r.events);
  // Stopped; new cases arrive; started again: it restores every case before its first commit.
  r.new_events = kRestartCases;
  (void)produce_phase(o, in, t0, kRestartCases, 1, o.service_cases);
  std::cerr << "[bench] service phase: restart with " << o.service_cases << " cases on the state topic\n";
  r.restart = launch_service(o, config.string(), log + ".restart", group, in, r.events, r.events + r.new_events);
  return r;
}

void add_options(CLI::App& app, Options& o) {
  app.add_option("--bootstrap", o.bootstrap, "Broker");
  app.add_option("--rules", o.rules_directory, "Deadline rules directory");
  app.add_option("--records", o.records, "Events per loop phase (N/10 cases of 10 events)");
  app.add_option("--partitions", o.partitions, "Partitions of the benchmark topics");
  app.add_option("--commit-every-records", o.commit_every_records,
                 "Loop commit interval (records) of every loop phase (default: each as shipped)");
  app.add_option("--rss-fold-every", o.rss_fold_every,
                 "RSS phase: events per simulated transaction (staged cases folded in after each)")
      ->check(CLI::PositiveNumber);
  app.add_option("--commit-every-ms", o.commit_every_ms, "Loop commit interval (ms)");
  app.add_option("--open-cases", o.open_cases, "Open cases held by the handler in the RSS phase (0: skip)");
  app.add_flag("--skip-kafka", o.skip_kafka, "Only the RSS phase");
  app.add_option("--service-cases", o.service_cases,
                 "Open cases fed to the real caselink-sync binary, whose VmRSS is then reported (0: skip)");
  app.add_option("--service-binary", o.service_binary, "caselink-sync binary (default: the build tree's)");
  app.add_option("--prefetch-messages", o.prefetch_messages,
                 "loop.prefetch_messages of the caselink-sync phases (default: as caselink-sync ships)");
  app.add_option("--prefetch-kbytes", o.prefetch_kbytes,
                 "loop.prefetch_kbytes of the caselink-sync phases (default: as caselink-sync ships)");
  app.add_option("--kafka-property", o.kafka_properties,
                 "KEY=VALUE librdkafka property for every loop phase and the service (repeatable)");
  app.add_option("--takeover-runs", o.takeover.runs, "Takeover phase only: kills (0: other phases)")->default_val(0);
  app.add_option("--takeover-cases", o.takeover.cases, "Takeover phase: open cases");
  app.add_option("--takeover-steps", o.takeover.steps,
                 "Takeover phase: events loaded per open case, each writing a state record (1 is what a compacted "
                 "state topic holds)")
      ->check(CLI::Range(1, 4));
  app.add_option("--takeover-rate", o.takeover.rate, "Takeover phase: new events per second");
  app.add_flag("--takeover-standby", o.takeover.standby,
               "Takeover phase: sync.standby_replicas on in both instances, caught up before each kill");
  app.add_option("--loop-key", o.loop_keys, "KEY=VALUE loop.* key of the takeover phase's instances (repeatable)");
  app.add_option("--compression", o.compression,
                 "Producer compression.type of both loop phases (none, lz4, zstd, ...), as caselink-sync ships with");
}

void report_rss_phase(const Options& o, const sync::CaseEngine& engine, TimePoint t0) {
  std::cerr << "[bench] rss phase: " << o.open_cases << " open cases\n";
  const auto r = rss_phase(o, engine, t0);
  std::cout << std::setprecision(1) << "rss: open_cases=" << r.cases << " fold_every=" << o.rss_fold_every << " VmRSS before=" << r.before_mb
            << " MB after=" << r.after_mb << " MB (delta " << r.after_mb - r.before_mb
            << " MB) ru_maxrss=" << r.max_mb << " MB; fed " << o.open_cases * 4 << " events in " << r.seconds
            << " s (" << std::setprecision(0) << static_cast<double>(o.open_cases * 4) / r.seconds
            << " events/s handler-only); packed case bytes " << r.resident_bytes << " ("
            << r.resident_bytes / std::max<size_t>(r.cases, 1) << " per case)\n";
}

void set_service_binary(Options& o) {
  if (o.service_binary.empty()) {
    // build/bin/caselink-sync-bench -> build/bin/caselink-sync
    o.service_binary = (std::filesystem::canonical("/proc/self/exe").parent_path() /
                        "caselink-sync").lexically_normal().string();
  }
}

void print_launch(const char* what, const Launch& l) {
  std::cout << std::setprecision(2) << what << ": launch -> first commit " << l.first_commit_s
            << " s, -> all inputs committed " << l.all_s << " s; VmRSS " << std::setprecision(1) << l.rss_mb
            << " MB, VmHWM " << l.hwm_mb << " MB";
  // What the memory is at the end (MiB): live allocations, jemalloc's pages, the packed cases.
  const auto mib = [&l](const char* name) {
    const auto it = l.metrics.find(name);
    return it == l.metrics.end() ? -1.0 : it->second / (1024.0 * 1024.0);
  };
  if (!l.metrics.empty()) {
    std::cout << "; at the end: heap allocated " << mib("caselink_heap_allocated_bytes") << " MB, jemalloc resident "
              << mib("caselink_heap_resident_bytes") << " MB, packed cases " << mib("caselink_sync_resident_bytes")
              << " MB";
  }
  std::cout << "\n";
}

void report_service_phase(Options& o, TimePoint t0) {
  set_service_binary(o);
  const auto r = service_phase(o, t0);
  std::cout << "service: open_cases=" << o.service_cases << " events=" << r.events << " (caselink-sync process)\n";
  print_launch("service, empty state topic, every input waiting", r.first);
  std::cout << "service restart: " << r.new_events << " new events waiting, " << o.service_cases
            << " cases on the state topic\n";
  print_launch("service, restarted", r.restart);
}

int run_takeover_phase(Options& o) {
  set_service_binary(o);
  o.takeover.bootstrap = o.bootstrap;
  o.takeover.rules_directory = o.rules_directory;
  o.takeover.service_binary = o.service_binary;
  o.takeover.partitions = o.partitions;
  o.takeover.kafka_properties = extra_properties(o);
  for (const auto& kv : o.loop_keys) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) throw std::runtime_error("--loop-key wants KEY=VALUE, got " + kv);
    o.takeover.loop_keys.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return bench::run_takeover(o.takeover);
}

// Produce, then the no-op passthrough and the caselink-sync handler over the same input; prints
// the table of rates. 0, or 1 when the topics cannot be created.
int run_loop_phases(const Options& o, const sync::CaseEngine& engine, sync::Settings sync_settings, TimePoint t0) {
  const std::string in = testing::unique_name("bench.sync.in");
  const std::string out_noop = testing::unique_name("bench.sync.noop");
  const std::string state = testing::unique_name("bench.sync.state");
  const std::string alerts = testing::unique_name("bench.sync.alert");
  if (Status st = testing::create_topics(o.bootstrap, {in, out_noop, state, alerts}, o.partitions); !st.ok()) {
    std::cerr << "cannot create topics: " << st.error().describe() << "\n";
    return 1;
  }
  std::cerr << "[bench] produce phase: " << o.records << " events\n";
  const double produce = produce_phase(o, in, t0, o.records / 10, 10);
  std::cerr << "[bench] loop phase: no-op passthrough\n";
  passthrough::PassthroughHandler noop_handler({out_noop, false});
  const double noop = loop_phase(o, in, noop_handler, testing::unique_name("bench.noop.group"), kafka::LoopSettings{});
  std::cerr << "[bench] loop phase: caselink-sync handler\n";
  sync_settings.state_topic = state;
  sync_settings.alert_topic = alerts;
  kafka::KafkaSettings kafka;
  kafka.bootstrap = o.bootstrap;
  const std::string group = testing::unique_name("bench.sync.group");
  auto reader = std::make_unique<kafka::KafkaChangelogReader>(kafka, group + "-restore",
                                                              std::chrono::milliseconds(120000), "sync.restore");
  SystemClock clock;
  sync::SyncHandler sync_handler(engine, sync_settings, clock, reader.get(), nullptr);
  const double sync_rate = loop_phase(o, in, sync_handler, group, sync_loop_settings(o));
  std::cout << "records=" << (o.records / 10) * 10 << " partitions=" << o.partitions << " commit_every_records="
            << (o.commit_every_records > 0 ? std::to_string(o.commit_every_records)
                                           : std::to_string(kafka::LoopSettings{}.commit_every_records) + " (passthrough) / " +
                                                 std::to_string(sync_loop_settings(o).commit_every_records) + " (caselink-sync)")
            << " commit_every_ms=" << o.commit_every_ms
            << " cases_held_after_sync_phase=" << sync_handler.case_count() << " VmRSS_end=" << std::setprecision(1)
            << vm_rss_mb() << " MB\n";
  std::cout << "| phase | events/s | ratio to no-op loop |\n| --- | ---: | ---: |\n";
  std::cout << std::setprecision(0) << "| idempotent produce (acks=all, for reference) | " << produce << " | - |\n";
  std::cout << "| no-op transactional passthrough | " << noop << " | 1.00 |\n";
  std::cout << "| caselink-sync handler | " << sync_rate << " | " << std::setprecision(2) << sync_rate / noop
            << " |\n";
  return 0;
}

}  // namespace
}  // namespace caselink

int main(int argc, char** argv) {
  using namespace caselink;
  Options o;
  CLI::App app{"caselink-sync benchmark: sync handler vs. no-op passthrough in the exactly-once loop, same run"};
  add_options(app, o);
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
    if (o.takeover.runs > 0) return run_takeover_phase(o);
    if (o.open_cases > 0) report_rss_phase(o, engine, t0);
    if (o.skip_kafka) return 0;
    if (o.service_cases > 0) report_service_phase(o, t0);
    return run_loop_phases(o, engine, sync_settings, t0);
  } catch (const std::exception& e) {
    std::cerr << "benchmark failed: " << e.what() << "\n";
    return 1;
  }
}
