// caselink-services-bench: each loop service's real binary against caselink-passthrough's, on
// the same waiting input, same broker, same invocation (issue 19).
//
// Per service, an input of N valid events is produced once to fresh topics:
//   caselink-standards  N administrative penalty records (bench/screening's generator: offences
//                       with shipped rules, provinces with and without figures of their own)
//   caselink-feedback   N/6 cases: a CaseReferral on the referral topic, then ReferralAccepted,
//                       FilingDecision, ProsecutionDecision, CourtJudgment and CaseClosed on the
//                       decision topic (bench/case-sync's case events), each routed to the
//                       agency's feedback topic
//   caselink-evidence   N EvidenceManifests of three items each; the blobs sit in a local store
//                       and the service checks their presence and size (`verify_content: false`:
//                       the "without blob I/O")
//   caselink-classcase  the same N penalty records as caselink-standards (its repeated-penalty
//                       model); its own repartition topic is an input of its loop, fresh per
//                       launch, and only the penalty topic's offsets are counted
// Then, every round, the service and caselink-passthrough (the no-op transactional copy, its
// defaults: the ceiling) are each launched as processes with a fresh group on that input, their
// own fresh output topics and dead-letter topic, and watched from outside the same way
// (bench/support/service_launch.h): launch -> first commit, -> all inputs committed, events/s
// once running, peak memory, CPU. Which of the two goes first alternates by round. A launch that
// dead-letters anything fails the benchmark: every input here is valid.

#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <thread>

#include "bench/case-sync/case_events.h"
#include "bench/screening/generator.h"
#include "bench/support/service_launch.h"
#include "services/daemons/evidence/local_blob_store.h"
#include "services/lib/core/build_info.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/producer.h"
#include "services/lib/logging/logging.h"
#include "tests/support/kafka_test_env.h"

namespace caselink {
namespace {

namespace fs = std::filesystem;

struct Options {
  std::string bootstrap = "127.0.0.1:9092";
  int64_t records = 100000;
  int partitions = 6;
  int rounds = 3;
  std::vector<std::string> services = {"standards", "feedback", "evidence", "classcase"};
  std::string rules = "rules";
  std::string bin_dir;  // default: next to this benchmark
  std::string work = ".local/bench-services";
  std::vector<std::string> kafka_properties;  // KEY=VALUE for every launched process
};

// One service's input, produced once and read from the start by every launch.
// The launch on a few events: enough that most of the 6 partitions get one.
constexpr int64_t kFewEvents = 60;

struct Workload {
  std::string service;  // e.g. "feedback" (binary caselink-feedback)
  std::vector<std::string> inputs;
  int64_t events = 0;
  fs::path store;  // caselink-evidence's blob store
};

// The idempotent producer of the inputs.
class InputWriter {
 public:
  explicit InputWriter(const Options& o) {
    kafka::KafkaSettings settings;
    settings.bootstrap = o.bootstrap;
    settings.properties["linger.ms"] = "5";
    auto producer = kafka::make_idempotent_producer(settings, "services-bench-producer");
    if (!producer.ok()) throw std::runtime_error(producer.error().describe());
    producer_ = std::move(*producer);
  }
  void send(const v1::Envelope& env, const std::string& topic) {
    const OutgoingRecord record = envelope::to_record(env, topic);
    while (!producer_->send_async(record, [this](Result<kafka::Delivery> r) {
                       if (!r.ok()) failed_.fetch_add(1);
                     }).ok()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // local queue full
    }
  }
  void finish() {
    if (!producer_->flush(std::chrono::minutes(5)).ok() || failed_.load() != 0) {
      throw std::runtime_error(std::to_string(failed_.load()) + " input records not acknowledged");
    }
  }

 private:
  std::unique_ptr<kafka::IdempotentProducer> producer_;
  std::atomic<int64_t> failed_{0};
};

void create(const Options& o, const std::vector<std::string>& topics) {
  if (Status st = testing::create_topics(o.bootstrap, topics, o.partitions); !st.ok()) {
    throw std::runtime_error("cannot create topics: " + st.error().describe());
  }
}

// N penalty records of bench/screening's generator on a fresh penalty topic.
Workload penalty_input(const Options& o, const std::string& service, TimePoint now, int64_t events) {
  Workload w{service, {testing::unique_name("bench.svc.penalty")}, events, {}};
  create(o, w.inputs);
  InputWriter writer(o);
  bench::PenaltyGenerator generator(42, now);
  for (int64_t i = 0; i < w.events; ++i) writer.send(generator.next().envelope, w.inputs[0]);
  writer.finish();
  return w;
}

Workload standards_input(const Options& o, TimePoint now, int64_t events) {
  return penalty_input(o, "standards", now, events);
}

// caselink-classcase reads penalties for its repeated-penalty model (and clues, not sent here).
Workload classcase_input(const Options& o, TimePoint now, int64_t events) {
  return penalty_input(o, "classcase", now, events);
}

// Case steps of bench/case-sync/case_events.h: 2 is the referral, these are decisions.
constexpr int kDecisionSteps[] = {3, 4, 6, 7, 8};

Workload feedback_input(const Options& o, TimePoint now, int64_t events) {
  Workload w{"feedback", {testing::unique_name("bench.svc.referral"), testing::unique_name("bench.svc.decision")}, 0, {}};
  create(o, w.inputs);
  const int64_t cases = events / 6;
  InputWriter writer(o);
  for (int64_t c = 0; c < cases; ++c) writer.send(bench::case_event(c, 2, now), w.inputs[0]);
  for (int step : kDecisionSteps) {
    for (int64_t c = 0; c < cases; ++c) writer.send(bench::case_event(c, step, now), w.inputs[1]);
  }
  writer.finish();
  w.events = cases * 6;
  return w;
}

v1::EvidenceManifest manifest(int64_t n, const std::vector<std::pair<std::string, int64_t>>& blobs) {
  static const v1::MaterialCategory kCategories[] = {v1::MATERIAL_CATEGORY_TRANSFER_LETTER,
                                                     v1::MATERIAL_CATEGORY_INVESTIGATION_REPORT,
                                                     v1::MATERIAL_CATEGORY_OTHER_MATERIALS};
  v1::EvidenceManifest m;
  m.set_manifest_id("bench-manifest-" + std::to_string(n));
  m.set_purpose(v1::MANIFEST_PURPOSE_REFERRAL);
  m.set_domain(v1::DOMAIN_MARKET_REGULATION);
  for (size_t i = 0; i < blobs.size(); ++i) {
    v1::EvidenceItem* item = m.add_items();
    item->set_item_id("i" + std::to_string(i + 1));
    item->set_material_category(kCategories[i % 3]);
    item->set_evidence_type(v1::EVIDENCE_TYPE_DOCUMENTARY);
    item->set_sha256_hex(blobs[i].first);
    item->set_size_bytes(blobs[i].second);
    item->set_media_type("application/pdf");
    item->set_collecting_body_name("某区市场监督管理局");
  }
  return m;
}

Workload evidence_input(const Options& o, TimePoint now, int64_t events) {
  Workload w{"evidence", {testing::unique_name("bench.svc.manifest")}, events, fs::absolute(o.work) / "blobs"};
  create(o, w.inputs);
  auto store = evidence::LocalBlobStore::create(w.store);
  if (!store.ok()) throw std::runtime_error(store.error().describe());
  std::vector<std::pair<std::string, int64_t>> blobs;
  for (const std::string content : {"transfer letter", "investigation report", "party statement"}) {
    auto digest = (*store)->put(content);
    if (!digest.ok()) throw std::runtime_error(digest.error().describe());
    blobs.emplace_back(digest->hex(), static_cast<int64_t>(content.size()));
  }
  InputWriter writer(o);
  for (int64_t n = 0; n < w.events; ++n) {
    v1::Envelope env = envelope::make_envelope(CaseId("bench-evidence-" + std::to_string(n)),
                                               AgencyId("scjgj-330100"), now, now);
    *env.mutable_evidence_manifest() = manifest(n, blobs);
    envelope::seal(env);
    writer.send(env, w.inputs[0]);
  }
  writer.finish();
  return w;
}

// A YAML double-quoted scalar.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string yaml_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& item : items) out += (out.size() > 1 ? ", " : "") + quoted(item);
  return out + "]";
}

std::string rules_path(const Options& o, const std::string& relative) {
  return fs::absolute(fs::path(o.rules) / relative).string();
}

// The keys every launch shares: broker, group, inputs, dead-letter topic, admin port, log.
std::string common_config(const Options& o, const std::vector<std::string>& inputs, const std::string& group,
                          const std::string& dlq) {
  std::string properties;
  for (const auto& kv : o.kafka_properties) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) throw std::runtime_error("--kafka-property wants KEY=VALUE, got " + kv);
    properties += quoted(kv.substr(0, eq)) + ": " + quoted(kv.substr(eq + 1)) + ", ";
  }
  return "kafka: {bootstrap: " + quoted(o.bootstrap) + ", properties: {" + properties + "}}\n" +
         "loop: {group_id: " + quoted(group) + ", input_topics: " + yaml_list(inputs) + ", dlq_topic: " + quoted(dlq) +
         "}\n" +
         "http: {port: 0}\nlog: {level: warn}\n";
}

// A launch's own section of the config, and the topics it reads besides the workload's inputs.
struct Section {
  std::string yaml;
  std::vector<std::string> own_inputs;  // consumed too, not counted (the service writes them)
};

// The service's own section, its output topics made fresh for this launch and created.
Section service_config(const Options& o, const Workload& w) {
  const auto out = [&](const std::string& what) {
    const std::string topic = testing::unique_name("bench.svc." + what);
    create(o, {topic});
    return topic;
  };
  if (w.service == "classcase") {
    // Its repartition topic is an input of its own loop (docs/services/classcase.md): fresh per
    // launch like its state, so no launch reads another's groups.
    const std::string facts = out("ccfacts");
    return {"classcase: {models_file: " + quoted(rules_path(o, "classcase/models.yaml")) +
                ", organs_file: " + quoted(rules_path(o, "organs/organs.yaml")) + ", facts_topic: " + quoted(facts) +
                ", state_topic: " + quoted(out("ccstate")) + ", classcase_topic: " + quoted(out("classcase")) +
                ", recommendation_topic: " + quoted(out("recommendation")) + "}\n",
            {facts}};
  }
  if (w.service == "standards") {
    return {"standards: {rules_dir: " + quoted(fs::absolute(o.rules).string()) +
                ", organs_file: " + quoted(rules_path(o, "organs/organs.yaml")) +
                ", assessment_topic: " + quoted(out("assessment")) + ", alert_topic: " + quoted(out("alert")) +
                ", history_topic: " + quoted(out("history")) + ", penalty_topic: " + quoted(w.inputs[0]) + "}\n",
            {}};
  }
  if (w.service == "feedback") {
    const std::string prefix = testing::unique_name("bench.svc.feedback");
    create(o, {prefix + ".sthjj-330100"});  // the agency of bench/case-sync's cases
    return {"feedback: {agencies: [sthjj-330100], topic_template: " + quoted(prefix + ".{agency}") +
                ", changelog_topic: " + quoted(out("fbstate")) + ", alert_topic: " + quoted(out("alert")) + "}\n",
            {}};
  }
  return {"evidence: {store: {path: " + quoted(w.store.string()) + "}, rules_dir: " +
              quoted(rules_path(o, "materials")) + ", receipt_topic: " + quoted(out("receipt")) +
              ", access_topic: " + quoted(out("access")) + ", verify_content: false}\n",
          {}};
}

Section passthrough_config(const Options& o) {
  const std::string copy = testing::unique_name("bench.svc.copy");
  create(o, {copy});
  return {"passthrough: {output_topic: " + quoted(copy) + "}\n", {}};
}

// One process's two launches in a round: on a few waiting events (nothing to restore or
// refill: the launch itself), then on the N waiting events.
struct Measured {
  std::string who;
  bench::Launch few;
  bench::Launch many;
};

// Launches the service, or the passthrough when `passthrough`, on `w` with a fresh group.
bench::Launch run_once(const Options& o, const Workload& w, bool passthrough) {
  const std::string who = passthrough ? "caselink-passthrough" : "caselink-" + w.service;
  const std::string group = testing::unique_name("bench.svc.group." + who);
  const std::string dlq = testing::unique_name("bench.svc.dlq");
  create(o, {dlq});
  const Section section = passthrough ? passthrough_config(o) : service_config(o, w);
  std::vector<std::string> inputs = w.inputs;
  inputs.insert(inputs.end(), section.own_inputs.begin(), section.own_inputs.end());
  const fs::path config = fs::path(o.work) / (group + ".yaml");
  std::ofstream(config) << common_config(o, inputs, group, dlq) << section.yaml;
  bench::LaunchSpec spec{.bootstrap = o.bootstrap,
                         .binary = (fs::path(o.bin_dir) / who).string(),
                         .args = {"--config", config.string()},
                         .log = (fs::path(o.work) / (group + ".log")).string(),
                         .group = group,
                         .input_topics = w.inputs,
                         .partitions = o.partitions,
                         .committed_target = w.events};
  const bench::Launch launch = bench::launch_and_watch(spec);
  // end_offsets answers nothing both for a topic without records and when the broker does not
  // answer: the input (which has records) tells the two apart.
  if (testing::end_offsets(o.bootstrap, w.inputs[0]).empty()) {
    throw std::runtime_error("cannot read topic offsets to check the dead-letter topic: the broker did not answer");
  }
  int64_t dead = 0;
  for (const auto& [partition, end] : testing::end_offsets(o.bootstrap, dlq)) dead += end;
  if (dead > 0) throw std::runtime_error(who + " dead-lettered " + std::to_string(dead) + " records (see " + spec.log + ")");
  return launch;
}

void print_row(int round, const Measured& m, const Measured& ceiling, int64_t events) {
  const auto& l = m.many;
  std::cout << "| " << round << " | " << m.who << " | " << std::setprecision(2) << m.few.first_commit_s << " s | "
            << l.first_commit_s << " s | " << l.all_s << " s | " << std::setprecision(0) << l.events_per_s << " | "
            << std::setprecision(2);
  // A process whose first transaction took every input has no rate once running (--records too small).
  if (l.events_per_s > 0 && ceiling.many.events_per_s > 0) {
    std::cout << l.events_per_s / ceiling.many.events_per_s;
  } else {
    std::cout << "-";
  }
  std::cout << " | " << std::setprecision(1) << l.hwm_mb << " MB | " << std::setprecision(2)
            << l.cpu_s * 100000.0 / static_cast<double>(events) << " s |" << std::endl;
}

void bench_service(const Options& o, const Workload& few, const Workload& many) {
  std::cout << "\ncaselink-" << many.service << ": " << many.events << " events waiting on " << yaml_list(many.inputs)
            << " (and " << few.events << " on " << yaml_list(few.inputs) << "), " << o.partitions << " partitions\n"
            << "| round | process | launch -> first commit, " << few.events << " waiting | the same, " << many.events
            << " waiting | -> all committed | events/s once running | ratio to passthrough | peak RSS | "
               "CPU per 100,000 events |\n"
            << "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" << std::endl;
  for (int round = 1; round <= o.rounds; ++round) {
    const bool passthrough_first = round % 2 == 1;
    Measured m[2];
    for (int i = 0; i < 2; ++i) {
      const bool passthrough = (i == 0) == passthrough_first;
      m[i] = {passthrough ? "caselink-passthrough" : "caselink-" + many.service, run_once(o, few, passthrough),
              run_once(o, many, passthrough)};
    }
    const Measured& ceiling = passthrough_first ? m[0] : m[1];
    print_row(round, m[0], ceiling, many.events);
    print_row(round, m[1], ceiling, many.events);
  }
}

Workload make_input(const Options& o, const std::string& service, TimePoint now, int64_t events) {
  std::cerr << "[bench] producing " << events << " events for caselink-" << service << "\n";
  if (service == "standards") return standards_input(o, now, events);
  if (service == "classcase") return classcase_input(o, now, events);
  if (service == "feedback") return feedback_input(o, now, events);
  return evidence_input(o, now, events);
}

}  // namespace
}  // namespace caselink

int main(int argc, char** argv) {
  using namespace caselink;
  Options o;
  CLI::App app{"Each loop service's binary against caselink-passthrough's on the same waiting input (issue 19)"};
  app.add_option("--bootstrap", o.bootstrap, "Broker (plaintext)")->capture_default_str();
  app.add_option("--records", o.records, "Input events per service")->capture_default_str()->check(CLI::Range(6, 100000000));
  app.add_option("--partitions", o.partitions, "Partitions of every topic")->capture_default_str()->check(CLI::Range(1, 1000));
  app.add_option("--rounds", o.rounds, "Launches of each process per service")->capture_default_str()->check(CLI::Range(1, 100));
  app.add_option("--services", o.services, "Which services")
      ->capture_default_str()
      ->check(CLI::IsMember({"standards", "feedback", "evidence", "classcase"}));
  app.add_option("--rules", o.rules, "The repository's rules/ directory")->capture_default_str();
  app.add_option("--bin-dir", o.bin_dir, "Where the service binaries are (default: next to this benchmark)");
  app.add_option("--work", o.work, "Configs, logs and the blob store")->capture_default_str();
  app.add_option("--kafka-property", o.kafka_properties, "KEY=VALUE librdkafka property of every launched process");
  CLI11_PARSE(app, argc, argv);
  std::cerr << version_line("caselink-services-bench") << "\n";
  (void)logging::init({"warn", "text", "services-bench"});
  if (o.bin_dir.empty()) o.bin_dir = std::filesystem::canonical("/proc/self/exe").parent_path().string();
  std::filesystem::create_directories(o.work);
  std::cout << std::fixed;
  try {
    const TimePoint now = SystemClock().now();
    for (const auto& service : o.services) {
      const Workload few = make_input(o, service, now, kFewEvents);
      const Workload many = make_input(o, service, now, o.records);
      bench_service(o, few, many);
    }
  } catch (const std::exception& e) {
    std::cerr << "benchmark failed: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
