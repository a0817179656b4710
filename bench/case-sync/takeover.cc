#include "bench/case-sync/takeover.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "bench/case-sync/case_events.h"
#include "bench/support/proc_status.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/producer.h"
#include "tests/support/http_get.h"
#include "tests/support/kafka_test_env.h"

namespace caselink::bench {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

double seconds_since(Steady::time_point t) { return std::chrono::duration<double>(Steady::now() - t).count(); }

struct Topics {
  std::string in, state, alerts, group;
};

// New events at `rate` per second, until destroyed: steps `steps`..8 of the open cases (case-major
// within a step, so each case's events stay in order and the number of cases stays put), then
// first events of new cases (numbered from `cases` on) once those run out.
class Feeder {
 public:
  Feeder(const TakeoverOptions& o, std::string topic) : o_(o), topic_(std::move(topic)) {
    kafka::KafkaSettings settings;
    settings.bootstrap = o.bootstrap;
    auto producer = kafka::make_idempotent_producer(settings, "takeover-feeder");
    if (!producer.ok()) throw std::runtime_error(producer.error().describe());
    producer_ = std::move(producer).value();
    thread_ = std::thread([this] { run(); });
  }
  ~Feeder() {
    stop_.store(true);
    thread_.join();
    (void)producer_->flush(std::chrono::seconds(30));
  }
  int64_t failed() const { return failed_.load(); }

 private:
  void run() {
    const auto start = Steady::now();
    const TimePoint t0 = SystemClock().now();
    for (int64_t sent = 0; !stop_.load(); ++sent) {
      const auto due = start + std::chrono::microseconds(sent * 1000000 / std::max<int64_t>(o_.rate, 1));
      std::this_thread::sleep_until(due);  // pacing a load generator, not waiting for a condition
      const int64_t step = o_.steps + sent / o_.cases;
      const auto record = envelope::to_record(
          step <= 8 ? case_event(sent % o_.cases, static_cast<int>(step), t0) : case_event(o_.cases + sent, 0, t0),
          topic_);
      if (!producer_->send_async(record, [this](Result<kafka::Delivery> r) { failed_ += r.ok() ? 0 : 1; }).ok()) {
        failed_.fetch_add(1);
      }
    }
  }
  const TakeoverOptions& o_;
  std::string topic_;
  std::unique_ptr<kafka::IdempotentProducer> producer_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> failed_{0};
  std::thread thread_;
};

void open_cases(const TakeoverOptions& o, const std::string& topic) {
  kafka::KafkaSettings settings;
  settings.bootstrap = o.bootstrap;
  settings.properties["linger.ms"] = "5";
  auto producer = kafka::make_idempotent_producer(settings, "takeover-loader");
  if (!producer.ok()) throw std::runtime_error(producer.error().describe());
  std::atomic<int64_t> failed{0};
  const TimePoint t0 = SystemClock().now();
  for (int step = 0; step < o.steps; ++step) {
    for (int64_t c = 0; c < o.cases; ++c) {
      const auto record = envelope::to_record(case_event(c, step, t0), topic);
      while (!(*producer)->send_async(record, [&failed](Result<kafka::Delivery> r) { failed += r.ok() ? 0 : 1; })
                  .ok()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // local queue full
      }
    }
  }
  if (!(*producer)->flush(std::chrono::minutes(5)).ok() || failed.load() != 0) {
    throw std::runtime_error("loading open cases: " + std::to_string(failed.load()) + " records not acknowledged");
  }
}

std::string write_config(const TakeoverOptions& o, const Topics& t, const fs::path& dir, const std::string& name) {
  const fs::path path = dir / (name + ".yaml");
  std::ofstream out(path);
  out << "kafka:\n  bootstrap: \"" << o.bootstrap << "\"\n  properties:\n";
  for (const auto& [key, value] : o.kafka_properties) out << "    " << key << ": \"" << value << "\"\n";
  out << "loop:\n  group_id: " << t.group << "\n  instance_id: " << name << "\n  group_instance_id: " << t.group
      << "-" << name << "\n  input_topics: [" << t.in << "]\n";
  for (const auto& [key, value] : o.loop_keys) out << "  " << key << ": " << value << "\n";
  out << "sync:\n  state_topic: " << t.state << "\n  alert_topic: " << t.alerts << "\n  rules_directory: \""
      << fs::absolute(o.rules_directory).string() << "\"\n  organs_file: \""
      << fs::absolute(fs::path(o.rules_directory).parent_path() / "organs" / "organs.yaml").string() << "\"\n"
      << (o.standby ? "  standby_replicas: true\n" : "") << "http: {port: 0}\nlog: {level: info}\n";
  return path.string();
}

struct Instance {
  std::string name, config, log, binary;
  std::unique_ptr<testing::ChildProcess> child;
  std::streamoff log_start = 0;  // the log's size when the latest incarnation started (it appends)
  void start() {
    std::error_code ec;
    const auto size = fs::file_size(log, ec);
    log_start = ec ? 0 : static_cast<std::streamoff>(size);
    child = std::make_unique<testing::ChildProcess>(binary, std::vector<std::string>{"--config", config}, log);
  }
};

// Partitions of `topic` the member with group.instance.id `instance` holds.
std::vector<int32_t> held_by(const TakeoverOptions& o, const Topics& t, const std::string& instance) {
  std::vector<int32_t> out;
  if (auto view = testing::describe_group(o.bootstrap, t.group)) {
    for (const auto& m : view->members) {
      if (m.instance_id != instance) continue;
      for (const auto& [topic, partition] : m.partitions) {
        if (topic == t.in) out.push_back(partition);
      }
    }
  }
  return out;
}

struct RunResult {
  std::optional<double> first, all;  // seconds after the kill: first / last of the dead one's partitions
};

// Kills `victim` and times the survivor's first processed post-kill event on each of its partitions.
RunResult kill_and_time(const TakeoverOptions& o, const Topics& t, Instance& victim,
                        const std::vector<int32_t>& partitions) {
  victim.child->kill_hard();
  const auto killed = Steady::now();
  const auto ends = testing::end_offsets(o.bootstrap, t.in);  // every later record arrived after the kill
  std::map<int32_t, double> done;
  RunResult r;
  while (done.size() < partitions.size() && seconds_since(killed) < static_cast<double>(o.timeout_s)) {
    const auto committed = testing::committed_offsets(o.bootstrap, t.group, t.in, o.partitions);
    for (int32_t p : partitions) {
      const auto end = ends.find(p);
      const int64_t at_kill = end == ends.end() ? 0 : end->second;
      if (done.count(p) == 0 && committed[static_cast<size_t>(p)] > at_kill) done[p] = seconds_since(killed);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling interval of the observer
  }
  for (const auto& [p, s] : done) r.first = std::min(r.first.value_or(s), s);
  if (done.size() == partitions.size() && !done.empty()) {
    for (const auto& [p, s] : done) r.all = std::max(r.all.value_or(s), s);
  }
  return r;
}

// Both instances members of a Stable group, each holding some partitions, all of them assigned;
// then every partition processed past its end at that moment (both are working, state restored).
bool wait_both_working(const TakeoverOptions& o, const Topics& t, const Instance& a, const Instance& b) {
  const bool balanced = testing::wait_until(
      [&] {
        const auto view = testing::describe_group(o.bootstrap, t.group);
        if (!view || view->state != "Stable" || view->members.size() != 2) return false;
        size_t held = 0;
        for (const auto& m : view->members) held += m.partitions.empty() ? 0 : m.partitions.size();
        return held == static_cast<size_t>(o.partitions) && !held_by(o, t, t.group + "-" + a.name).empty() &&
               !held_by(o, t, t.group + "-" + b.name).empty();
      },
      std::chrono::seconds(o.timeout_s), std::chrono::milliseconds(500));
  return balanced && testing::wait_caught_up(o.bootstrap, t.group, {t.in}, std::chrono::seconds(o.timeout_s));
}

// Each instance's standby replicas follow exactly the partitions it does not hold and are at most
// kCurrent records behind their ends (caselink_sync_standby_* on its admin endpoint; an open
// transaction of the other instance and commit markers count, so "current" is not 0).
constexpr double kCurrent = 1000;
bool wait_standby_caught_up(const TakeoverOptions& o, const Topics& t, const std::vector<const Instance*>& instances) {
  return testing::wait_until(
      [&] {
        for (const Instance* i : instances) {
          const auto held = held_by(o, t, t.group + "-" + i->name);
          const double expected = static_cast<double>(o.partitions) - static_cast<double>(held.size());
          if (held.empty() ||
              testing::scrape_metric(i->log, "caselink_sync_standby_partitions", i->log_start) != expected ||
              testing::scrape_metric(i->log, "caselink_sync_standby_behind_records", i->log_start) < 0 ||
              testing::scrape_metric(i->log, "caselink_sync_standby_behind_records", i->log_start) > kCurrent) {
            return false;
          }
        }
        return true;
      },
      std::chrono::seconds(o.timeout_s), std::chrono::milliseconds(500));
}

std::string seconds_text(const std::optional<double>& s) {
  if (!s) return "(timed out)";
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << *s << " s";
  return out.str();
}

void print_settings(const TakeoverOptions& o) {
  std::cout << "settings: two caselink-sync processes, static members, range assignment; open cases=" << o.cases
            << " (" << o.steps << " events each); new events " << o.rate << "/s; partitions=" << o.partitions
            << "; kafka.properties:";
  for (const auto& [k, v] : o.kafka_properties) std::cout << " " << k << "=" << v;
  if (o.kafka_properties.empty()) std::cout << " (none: librdkafka defaults)";
  std::cout << "; standby replicas: " << (o.standby ? "on" : "off") << "; loop keys:";
  for (const auto& [k, v] : o.loop_keys) std::cout << " loop." << k << "=" << v;
  if (o.loop_keys.empty()) std::cout << " (none: caselink-sync defaults)";
  std::cout << "\n";
}

int report(const std::vector<RunResult>& results) {
  std::vector<double> all;
  for (const auto& r : results) {
    if (r.all) all.push_back(*r.all);
  }
  std::sort(all.begin(), all.end());
  if (all.size() != results.size() || all.empty()) {
    std::cout << "takeover: " << results.size() - all.size() << " of " << results.size() << " runs timed out\n";
    return 3;
  }
  std::cout << std::fixed << std::setprecision(1) << "takeover (kill -9 -> survivor processed a new event on "
            << "every partition of the dead one): min " << all.front() << " s, median " << all[all.size() / 2]
            << " s, max " << all.back() << " s over " << all.size() << " runs\n";
  return 0;
}

}  // namespace

int run_takeover(const TakeoverOptions& o) {
  Topics t{testing::unique_name("bench.takeover.in"), testing::unique_name("bench.takeover.state"),
           testing::unique_name("bench.takeover.alert"), testing::unique_name("bench.takeover")};
  if (Status st = testing::create_topics(o.bootstrap, {t.in, t.state, t.alerts}, o.partitions); !st.ok()) {
    throw std::runtime_error("cannot create topics: " + st.error().describe());
  }
  print_settings(o);
  std::cerr << "[bench] takeover: loading " << o.cases << " open cases\n";
  open_cases(o, t.in);
  const fs::path dir = fs::temp_directory_path() / testing::unique_name("caselink-takeover-bench");
  fs::create_directories(dir);
  Instance a{"a", write_config(o, t, dir, "a"), (dir / "a.log").string(), o.service_binary, nullptr};
  Instance b{"b", write_config(o, t, dir, "b"), (dir / "b.log").string(), o.service_binary, nullptr};
  std::cerr << "[bench] takeover: logs in " << dir.string() << "\n";
  a.start();
  b.start();
  if (!wait_both_working(o, t, a, b) || (o.standby && !wait_standby_caught_up(o, t, {&a, &b}))) {
    throw std::runtime_error("the two instances did not load the open cases (see " + dir.string() + ")");
  }
  Feeder feeder(o, t.in);
  std::vector<RunResult> results;
  for (int run = 0; run < o.runs; ++run) {
    Instance& victim = run % 2 == 0 ? a : b;
    const auto partitions = held_by(o, t, t.group + "-" + victim.name);
    Instance& survivor = run % 2 == 0 ? b : a;
    // The survivor's peak from here on is the takeover's (Linux: 5 resets VmHWM to VmRSS).
    std::ofstream("/proc/" + std::to_string(survivor.child->pid()) + "/clear_refs") << "5";
    const char* kTaken = "caselink_sync_standby_partitions_taken_total";
    const double taken_before = testing::scrape_metric(survivor.log, kTaken, survivor.log_start);
    const RunResult r = kill_and_time(o, t, victim, partitions);
    results.push_back(r);
    std::cout << std::fixed << std::setprecision(1) << "run " << run + 1 << ": killed " << victim.name
              << " holding " << partitions.size() << " partition(s); the survivor processed a new event on the first "
              << "of them after " << seconds_text(r.first) << ", on all after " << seconds_text(r.all)
              << "; survivor's peak VmHWM during the takeover " << process_mb(survivor.child->pid(), "VmHWM") << " MB";
    if (o.standby) {
      const double taken = testing::scrape_metric(survivor.log, kTaken, survivor.log_start) - std::max(taken_before, 0.0);
      std::cout << "; partitions taken from its standby replicas: " << taken;
    }
    std::cout << "\n";
    victim.start();
    // After the last run too: the memory printed below is of two working instances.
    if (!wait_both_working(o, t, a, b) || (o.standby && !wait_standby_caught_up(o, t, {&a, &b}))) {
      throw std::runtime_error("the restarted instance did not rejoin (see " + dir.string() + ")");
    }
  }
  if (feeder.failed() != 0) std::cout << "feeder: " << feeder.failed() << " events not acknowledged\n";
  // Both working again; each peak is of its process's life (restarts and restores included).
  for (const Instance* i : {&a, &b}) {
    std::cout << std::fixed << std::setprecision(1) << "memory of " << i->name << ": VmRSS "
              << process_mb(i->child->pid(), "VmRSS") << " MB, peak VmHWM " << process_mb(i->child->pid(), "VmHWM")
              << " MB\n";
  }
  return report(results);
}

}  // namespace caselink::bench
