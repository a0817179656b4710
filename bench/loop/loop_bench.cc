// Throughput of the shared exactly-once loop on a real broker, as ratios against a baseline
// measured in the same invocation (docs/performance.md).
//
//   produce   N probe envelopes with the idempotent producer (acks=all), all acknowledged
//   noop      caselink-passthrough's handler, bytes copied blindly (the ceiling)
//   validate  the same, but each envelope decoded and validated (the codec's cost)
//
// With --signing (issue 15: the cost of signing and verification on a hop) the produce phase signs
// every probe with a key made for the run, as an agency's SDK does, and two more loop phases
// follow. Both do what a caselink service does with an event: decode and validate it, then emit
// a new envelope of its own (producer "bench-service", the probe copied):
//   reemit    without signatures (no signing runtime installed)
//   signed    with `signing.verify: required` and the service's key held: the input's Ed25519
//             signature verified against the key registry, the output signed
// signed / reemit is the cost of signatures on one hop; the other costs are the same.

// A second table says where each loop phase's time went: its transactions, the time in
// commit_transaction, and the brokers' round-trip times from librdkafka's statistics.
//
// Each loop phase consumes the produced topic from the start with a fresh group; the time is
// from loop start until the group's committed offsets cover all N inputs.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <utility>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <numeric>
#include <sstream>
#include <thread>
#include <vector>

#include "services/lib/core/build_info.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/topics.h"
#include "services/lib/kafka/producer.h"
#include "services/lib/kafka/settings.h"
#include "services/lib/kafka/transactional_loop.h"
#include "services/lib/logging/logging.h"
#include "services/lib/kafka/decode.h"
#include "services/lib/signing/envelope_signature.h"
#include "services/lib/signing/runtime.h"
#include "services/lib/signing/tests/test_keys.h"
#include "services/daemons/passthrough/handler.h"
#include "tests/support/kafka_test_env.h"

namespace caselink {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string bootstrap = "127.0.0.1:9092";
  int64_t records = 200000;
  int partitions = 6;
  int note_bytes = 150;
  int64_t commit_every_records = kafka::LoopSettings{}.commit_every_records;
  int64_t commit_every_ms = kafka::LoopSettings{}.commit_every_ms;
  std::vector<std::string> loop_properties;  // KEY=VALUE for the loop's clients (not the produce baseline)
  bool signing = false;
};

// The run's keys (--signing): "bench" signs the produced probes, "bench-service" the loop's
// outputs. Made at run time in a temporary directory, removed at exit.
struct BenchKeys {
  std::filesystem::path dir;
  signing::Settings settings;  // verify required, the service's key held
  std::optional<signing::PrivateKey> producer_key;

  static BenchKeys make() {
    BenchKeys keys;
    keys.dir = std::filesystem::temp_directory_path() / testing::unique_name("bench-loop-keys");
    std::filesystem::create_directories(keys.dir);
    std::filesystem::permissions(keys.dir, std::filesystem::perms::owner_all);  // private keys inside
    keys.settings.verify = "required";
    keys.settings.registry_file =
        signing::testing::write_keys(keys.dir, {{"bench.k1", "bench", ""}, {"bench-service.k1", "bench-service", ""}});
    keys.settings.key_dir = (keys.dir / "held").string();
    std::filesystem::create_directories(keys.dir / "held");
    std::filesystem::copy_file(keys.dir / "bench-service.k1.pem", keys.dir / "held" / "bench-service.k1.pem");
    std::ifstream pem(keys.dir / "bench.k1.pem");
    const std::string text((std::istreambuf_iterator<char>(pem)), std::istreambuf_iterator<char>());
    auto key = signing::PrivateKey::from_pem(text, "bench.k1.pem");
    if (!key.ok()) throw std::runtime_error(key.error().describe());
    keys.producer_key.emplace(std::move(*key));
    return keys;
  }
  ~BenchKeys() {
    std::error_code ignored;
    if (!dir.empty()) std::filesystem::remove_all(dir, ignored);
  }
  BenchKeys() = default;
  // The moved-from object must not remove the directory the new one uses.
  BenchKeys(BenchKeys&& other) noexcept
      : dir(std::exchange(other.dir, {})),
        settings(std::move(other.settings)),
        producer_key(std::move(other.producer_key)) {}
  BenchKeys& operator=(BenchKeys&&) = delete;
};

// What a caselink service does with an event, without its business logic: decode and validate
// (and, with a signing runtime installed, verify), then emit an envelope of its own (signed when
// the runtime holds the service's key).
class ReemitHandler : public kafka::RecordHandler {
 public:
  explicit ReemitHandler(std::string topic) : topic_(std::move(topic)) {}
  kafka::HandlerResult handle(const ConsumedRecord& record) override {
    auto in = kafka::decode_record(record, kafka::KeyRule::kAny);
    if (!in.ok()) {
      // A refusal would still advance the offsets and pass for speed: the phase fails on it.
      if (refused_.fetch_add(1) == 0) first_refusal_ = in.error().describe();
      return kafka::refuse(in.error());
    }
    v1::Envelope out = envelope::make_envelope(CaseId(in->case_id()), AgencyId("bench-service"), clock_.now(),
                                               clock_.now());
    *out.mutable_probe() = in->probe();
    out.set_causation_id(in->event_id());
    envelope::seal(out);
    return kafka::HandlerResult::emit({envelope::to_record(out, topic_)});
  }

 private:
  std::string topic_;
  SystemClock clock_;

 public:
  std::atomic<int64_t> refused_{0};
  std::string first_refusal_;  // written once, read after the loop stopped
};

// The broker's address from --bootstrap; security (SASL_SSL on a secured broker) from the
// environment as every client takes it: CASELINK_KAFKA_CLIENT_CONFIG_FILE (docs/configuration.md).
kafka::KafkaSettings bench_settings(const Options& o) {
  auto from_env = kafka::settings_from_environment();
  if (!from_env.ok()) {
    throw std::runtime_error(from_env.error().describe());
  }
  kafka::KafkaSettings settings = *from_env;
  settings.bootstrap = o.bootstrap;
  return settings;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double produce_phase(const Options& o, const std::string& topic, const BenchKeys* keys) {
  kafka::KafkaSettings settings = bench_settings(o);
  settings.properties["linger.ms"] = "5";
  auto producer = kafka::make_idempotent_producer(settings, "bench-producer");
  if (!producer.ok()) {
    throw std::runtime_error(producer.error().describe());
  }
  SystemClock clock;
  const std::string note(static_cast<size_t>(o.note_bytes), 'x');
  std::atomic<int64_t> failed{0};
  auto probe = [&](int64_t i) {
    v1::Envelope env = envelope::make_envelope(CaseId("case-" + std::to_string(i % 10007)), AgencyId("bench"),
                                               clock.now(), clock.now());
    env.mutable_probe()->set_sequence(static_cast<uint64_t>(i));
    env.mutable_probe()->set_note(note);
    envelope::seal(env);
    return env;
  };
  // Signed probes are signed before the clock starts: the phase stays the broker's produce
  // baseline (signing is the loop phases' subject, and 20,000 signatures/s would bound it).
  std::vector<OutgoingRecord> signed_records;
  if (keys != nullptr) {
    signed_records.reserve(static_cast<size_t>(o.records));
    for (int64_t i = 0; i < o.records; ++i) {
      v1::Envelope env = probe(i);
      signing::sign(env, *keys->producer_key, "bench.k1");
      signed_records.push_back(envelope::to_record(env, topic));
    }
  }
  const auto start = Clock::now();
  for (int64_t i = 0; i < o.records; ++i) {
    OutgoingRecord record =
        keys != nullptr ? std::move(signed_records[static_cast<size_t>(i)]) : envelope::to_record(probe(i), topic);
    for (;;) {
      Status st = (*producer)->send_async(record, [&failed](Result<kafka::Delivery> r) {
        if (!r.ok()) {
          failed.fetch_add(1);
        }
      });
      if (st.ok()) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // local queue full
    }
  }
  if (!(*producer)->flush(std::chrono::minutes(5)).ok() || failed.load() != 0) {
    throw std::runtime_error("produce phase: " + std::to_string(failed.load()) + " records not acknowledged");
  }
  return static_cast<double>(o.records) / seconds_since(start);
}

// Where a loop phase's time goes, from the loop's observer (issue 15: does the secured broker's
// loss come from the transactions' round trips?): each commit_transaction's duration (it flushes
// the transaction's outputs, then EndTxn) and the brokers' round-trip times as librdkafka's
// statistics report them every second (the mean of the windows' averages; one window per client
// and broker).
class CommitTiming : public kafka::LoopObserver {
 public:
  void commit_seconds(double seconds) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!frozen_) commits_.push_back(seconds);
  }
  // The phase's time is taken: the commit made while stopping is not part of it.
  void freeze() {
    std::lock_guard<std::mutex> lock(mutex_);
    frozen_ = true;
  }
  void client_statistics(const kafka::ClientStatistics& stats) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& broker : stats.brokers) {
      if (broker.rtt_avg_seconds > 0) {
        (stats.type == "producer" ? producer_rtt_ : consumer_rtt_).push_back(broker.rtt_avg_seconds);
      }
    }
  }
  // One row of the timing table, times in milliseconds.
  std::string row(const std::string& phase, int64_t records, double elapsed_seconds) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::sort(commits_.begin(), commits_.end());
    const double total = std::accumulate(commits_.begin(), commits_.end(), 0.0);
    std::ostringstream out;
    out << std::fixed << std::setprecision(1) << "| " << phase << " | " << commits_.size() << " | "
        << (commits_.empty() ? 0.0 : static_cast<double>(records) / static_cast<double>(commits_.size())) << " | "
        << 1000 * quantile(commits_, 0.5) << " | " << 1000 * quantile(commits_, 0.99) << " | " << std::setprecision(2)
        << total / elapsed_seconds << " | " << std::setprecision(1) << 1000 * mean(producer_rtt_) << " | "
        << 1000 * mean(consumer_rtt_) << " |";
    return out.str();
  }

 private:
  // Nearest rank: with the 20-30 commits of a phase, p99 is the largest.
  static double quantile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) return 0.0;
    const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
    return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
  }
  static double mean(const std::vector<double>& v) {
    return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  }
  std::mutex mutex_;
  bool frozen_ = false;
  std::vector<double> commits_;
  std::vector<double> producer_rtt_;
  std::vector<double> consumer_rtt_;
};

struct LoopPhase {
  double rate = 0;
  std::string timing;  // a row of the timing table
  std::string label;   // its row in the rate table
};

enum class Kind { kNoop, kValidate, kReemit, kSigned };

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kNoop: return "no-op loop";
    case Kind::kValidate: return "validating loop";
    case Kind::kReemit: return "re-emitting loop";
    case Kind::kSigned: return "signed loop";
  }
  return "?";
}

std::unique_ptr<kafka::RecordHandler> phase_handler(Kind kind, const std::string& out) {
  if (kind == Kind::kNoop || kind == Kind::kValidate) {
    return std::make_unique<passthrough::PassthroughHandler>(passthrough::Settings{out, kind == Kind::kValidate});
  }
  return std::make_unique<ReemitHandler>(out);
}

LoopPhase loop_phase(const Options& o, const std::string& in, const std::string& out, const std::string& dlq,
                     Kind kind, const BenchKeys* keys) {
  kafka::KafkaSettings kafka = bench_settings(o);
  for (const auto& property : o.loop_properties) {
    const auto eq = property.find('=');
    if (eq == std::string::npos || eq == 0) throw std::runtime_error("--loop-property wants KEY=VALUE, got " + property);
    kafka.properties[property.substr(0, eq)] = property.substr(eq + 1);
  }
  kafka::LoopSettings loop;
  loop.group_id = testing::unique_name("bench.group");
  loop.input_topics = {in};
  loop.dlq_topic = dlq;
  loop.commit_every_records = o.commit_every_records;
  loop.commit_every_ms = o.commit_every_ms;
  std::shared_ptr<signing::Runtime> runtime;  // installed for the signed phase only
  if (kind == Kind::kSigned) {
    auto made = signing::Runtime::create(keys->settings, nullptr);
    if (!made.ok()) throw std::runtime_error(made.error().describe());
    runtime = *made;
  }
  signing::ScopedInstall installed(runtime);
  const std::unique_ptr<kafka::RecordHandler> handler = phase_handler(kind, out);
  SystemClock clock;
  CommitTiming timing;
  kafka::TransactionalLoop transactional_loop(kafka, loop, "bench", *handler, &timing, clock);
  std::atomic<bool> stop{false};
  const auto start = Clock::now();
  std::thread runner([&] { (void)transactional_loop.run(stop); });
  double elapsed = 0;
  testing::CommittedOffsetsView progress(o.bootstrap, loop.group_id);  // one connection for the phase
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    if (progress.total(in, o.partitions) >= o.records) {
      elapsed = seconds_since(start);
      timing.freeze();
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
  if (const auto* reemit = dynamic_cast<const ReemitHandler*>(handler.get()); reemit && reemit->refused_.load() > 0) {
    throw std::runtime_error(std::string(kind_name(kind)) + ": " + std::to_string(reemit->refused_.load()) +
                             " records dead-lettered, the first: " + reemit->first_refusal_);
  }
  return {static_cast<double>(o.records) / elapsed,
          timing.row(kind_name(kind), o.records, elapsed)};
}

}  // namespace
}  // namespace caselink

namespace caselink {
namespace {

// The rate table (each loop phase against the produce baseline and the no-op loop), then where
// each loop phase's time went. bench.sh parses the rate rows by their labels.
void print_report(const Options& o, double produce, const std::vector<LoopPhase>& phases) {
  std::cout << std::fixed << std::setprecision(0);
  std::cout << "records=" << o.records << " partitions=" << o.partitions << " commit_every_records="
            << o.commit_every_records << " commit_every_ms=" << o.commit_every_ms;
  for (const auto& property : o.loop_properties) std::cout << " " << property;
  if (o.signing) std::cout << " signing (produced probes signed)";
  std::cout << "\n| phase | records/s | ratio to idempotent produce | ratio to no-op loop |\n";
  std::cout << "| --- | ---: | ---: | ---: |\n";
  std::cout << std::setprecision(0) << "| idempotent produce (acks=all) | " << produce << " | 1.00 | - |\n";
  const double noop = phases.front().rate;
  for (const LoopPhase& phase : phases) {
    std::cout << std::setprecision(0) << "| " << phase.label << " | " << phase.rate << " | " << std::setprecision(2)
              << phase.rate / produce << " | " << phase.rate / noop << " |\n";
  }
  if (o.signing) std::cout << "signed / re-emitting: " << phases[3].rate / phases[2].rate << "\n";
  std::cout << "\n| loop | transactions | records per transaction | commit_transaction p50 ms | p99 ms | "
               "share of the phase in commit_transaction | producer round trip ms (mean) | consumer round trip ms "
               "(mean) |\n";
  std::cout << "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const LoopPhase& phase : phases) std::cout << phase.timing << "\n";
}

}  // namespace
}  // namespace caselink

int main(int argc, char** argv) {
  using namespace caselink;
  Options o;
  CLI::App app{"caselink loop benchmark: exactly-once loop throughput vs. idempotent produce, same broker, same run"};
  app.add_option("--bootstrap", o.bootstrap, "Broker");
  app.add_option("--records", o.records, "Records per phase");
  app.add_option("--partitions", o.partitions, "Partitions of the benchmark topics");
  app.add_option("--note-bytes", o.note_bytes, "Payload padding per record");
  app.add_option("--commit-every-records", o.commit_every_records, "Loop commit interval (records)");
  app.add_option("--commit-every-ms", o.commit_every_ms, "Loop commit interval (ms)");
  app.add_option("--loop-property", o.loop_properties,
                 "KEY=VALUE librdkafka property for the loop's consumer and producer (repeatable; not the produce "
                 "baseline), e.g. linger.ms=20");
  app.add_flag("--signing", o.signing,
               "Sign the produced probes and add the re-emitting and signed loop phases (Ed25519 verification of "
               "each input and signing of each output against re-emitting without signatures)");
  CLI11_PARSE(app, argc, argv);
  // Which allocator the numbers were made with (docs/performance.md).
  std::cerr << caselink::version_line("caselink-loop-bench") << "\n";
  (void)logging::init({"warn", "text", "loop-bench"});

  const std::string in = testing::unique_name("bench.loop.in");
  const std::string out_noop = testing::unique_name("bench.loop.out");
  const std::string out_validate = testing::unique_name("bench.loop.outv");
  const std::string out_reemit = testing::unique_name("bench.loop.outr");
  const std::string out_signed = testing::unique_name("bench.loop.outs");
  // Its own dead-letter topic: a refused record must not stall the phase on a broker without
  // caselink's topics (the signed phase fails when any record was refused).
  const std::string dlq = testing::unique_name("bench.loop.dlq");
  std::vector<std::string> topics{in, out_noop, out_validate, dlq};
  if (o.signing) topics.insert(topics.end(), {out_reemit, out_signed});
  if (Status st = testing::create_topics(o.bootstrap, topics, o.partitions); !st.ok()) {
    std::cerr << "cannot create topics: " << st.error().describe() << "\n";
    return 1;
  }
  try {
    std::cerr << "[bench] produce phase: " << o.records << " records\n";
    const std::optional<BenchKeys> keys = o.signing ? std::optional<BenchKeys>(BenchKeys::make()) : std::nullopt;
    const BenchKeys* run_keys = keys ? &*keys : nullptr;
    const double produce = produce_phase(o, in, run_keys);
    struct Planned {
      Kind kind;
      const std::string& out;
      const char* label;
    };
    std::vector<Planned> plan{{Kind::kNoop, out_noop, "no-op transactional passthrough"},
                              {Kind::kValidate, out_validate, "validating passthrough (decode + validate)"}};
    if (o.signing) {
      plan.push_back({Kind::kReemit, out_reemit, "re-emitting loop (decode, new envelope, unsigned)"});
      plan.push_back({Kind::kSigned, out_signed, "signed loop (verify input, sign output)"});
    }
    std::vector<LoopPhase> phases;
    for (const Planned& step : plan) {
      std::cerr << "[bench] loop phase: " << step.label << "\n";
      phases.push_back(loop_phase(o, in, step.out, dlq, step.kind, run_keys));
      phases.back().label = step.label;
    }
    print_report(o, produce, phases);
  } catch (const std::exception& e) {
    std::cerr << "benchmark failed: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
