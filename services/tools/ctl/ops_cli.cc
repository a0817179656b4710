#include "services/tools/ctl/ops_cli.h"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "services/tools/topics/topic_admin.h"
#include "services/lib/core/build_info.h"
#include "services/lib/kafka/properties_file.h"
#include "services/tools/ctl/commands.h"
#include "services/tools/ctl/ops_audit.h"
#include "services/tools/ctl/ops_dlq.h"
#include "services/tools/ctl/ops_lag.h"
#include "services/tools/ctl/ops_tail.h"
#include "services/tools/ctl/ops_topics.h"

namespace caselink::ctl {

struct OpsCli::State {
  std::string client_config;
  OpsOptions options;
  CLI::App* topics = nullptr;
  TopicsRequest topics_request;
  CLI::App* lag = nullptr;
  LagRequest lag_request;
  std::vector<std::string> lag_groups;
  double lag_interval_s = 5;
  CLI::App* dlq_list = nullptr;
  CLI::App* dlq_show = nullptr;
  CLI::App* dlq_replay = nullptr;
  std::string offsets;  // --offset N|A-B
  int32_t show_partition = 0;
  int64_t show_offset = 0;
  ReplayRequest replay;
  CLI::App* tail = nullptr;
  TailRequest tail_request;
  std::string tail_from = "beginning";
  CLI::App* audit = nullptr;
  CLI::App* audit_verify = nullptr;
  std::string audit_case;
  bool audit_all_partitions = false;
  std::string audit_key_registry;
};

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int /*signal*/) { g_stop.store(true); }

void add_json(CLI::App* sub, OpsOptions& options) {
  sub->add_flag("--json", options.json, "print JSON instead of a table");
}

void add_selector(CLI::App* sub, DlqSelector& selector, std::string& offsets) {
  sub->add_option("--partition", selector.partition, "only dead letters on this DLQ partition");
  sub->add_option("--offset", offsets, "only this DLQ offset N or range A-B (inclusive; needs --partition)");
  sub->add_option("--reason", selector.reason, "only this dlq.error.class, e.g. envelope.unknown_type");
  sub->add_option("--case", selector.case_id, "only dead letters of this case (record key or envelope case id)");
}

}  // namespace

OpsCli::OpsCli(CLI::App& app, CLI::App& dlq) : s_(std::make_unique<State>()) {
  app.set_version_flag("--version", version_line("caselinkctl"), "print the version and exit");
  // No envname: CASELINK_KAFKA_CLIENT_CONFIG_FILE is read already, as every service reads it
  // (kafka::settings_from_environment in main.cc); this option adds a file on the command line.
  app.add_option("--client-config", s_->client_config,
                 "librdkafka properties file for TLS/SASL, as caselink-topics --client-config "
                 "(default: $CASELINK_KAFKA_CLIENT_CONFIG_FILE, as the services read it)");

  s_->topics = app.add_subcommand("topics", "every caselink topic: partitions, replication, end offsets, "
                                            "retention, and drift from the topic spec");
  s_->topics->add_option("topic", s_->topics_request.only, "only these topics (default: every caselink.* topic)");
  s_->topics->add_option("--spec", s_->topics_request.spec_path, "the topic spec to compare with")
      ->capture_default_str()
      ->envname("CASELINK_TOPICS_SPEC");
  add_json(s_->topics, s_->options);

  s_->lag = app.add_subcommand("lag", "per consumer group and partition: committed offset, end offset, lag, "
                                      "and a verdict from two samples (OK, FALLING_BEHIND, STALLED, STOPPED)");
  s_->lag->add_option("--group", s_->lag_groups, "only this group (repeatable; default: every group)");
  s_->lag->add_option("--interval", s_->lag_interval_s, "seconds between the two samples")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  add_json(s_->lag, s_->options);

  add_dlq(dlq);
  add_tail_and_audit(app);
}

void OpsCli::add_tail_and_audit(CLI::App& app) {
  s_->tail = app.add_subcommand("tail", "records of a topic as JSON lines, the decoded envelope first (read_committed)");
  s_->tail->add_option("topic", s_->tail_request.topic, "the topic, e.g. caselink.decision.v1")->required();
  s_->tail->add_option("--from", s_->tail_from, "beginning | end | offset:N | time:2026-03-02T00:00:00Z | last:N")
      ->capture_default_str();
  s_->tail->add_option("--case", s_->tail_request.case_id, "only records of this case");
  s_->tail->add_option("--type", s_->tail_request.event_type, "only this event type, e.g. FilingDecision");
  s_->tail->add_flag("-f,--follow", s_->tail_request.follow, "keep reading new records until Ctrl-C");
  s_->tail->add_option("-n,--limit", s_->tail_request.limit, "stop after this many records")
      ->check(CLI::PositiveNumber);
  s_->tail->add_flag("--json", s_->options.json, "accepted for uniformity: tail always prints JSON lines");

  s_->audit = app.add_subcommand("audit", "audit a case from the topics alone");
  s_->audit->require_subcommand(1);
  s_->audit_verify = s_->audit->add_subcommand(
      "verify",
      "recompute a case's hash chain from the stored events with caselink-sync's chain function, and check\n"
      "every receipt's event digest against the event it acknowledges");
  s_->audit_verify->add_option("case-id", s_->audit_case, "the case id (the Kafka key)")->required();
  s_->audit_verify->add_flag("--all-partitions", s_->audit_all_partitions,
                             "read every partition, not only the one the case id hashes to");
  if (const char* env = std::getenv("CASELINK_SIGNING_REGISTRY_FILE")) s_->audit_key_registry = env;
  s_->audit_verify->add_option("--key-registry", s_->audit_key_registry,
                               "key registry YAML (docs/contracts/signing.md): also check each receipt's signature "
                               "(default: CASELINK_SIGNING_REGISTRY_FILE)");
  add_json(s_->audit_verify, s_->options);
}

void OpsCli::add_dlq(CLI::App& dlq) {
  s_->dlq_list = dlq.add_subcommand("list", "dead letters with their reason headers and whether they were replayed");
  add_selector(s_->dlq_list, s_->replay.selector, s_->offsets);
  add_json(s_->dlq_list, s_->options);
  s_->dlq_show = dlq.add_subcommand("show", "one dead letter: every header and the envelope decoded");
  s_->dlq_show->add_option("partition", s_->show_partition, "DLQ partition")->required();
  s_->dlq_show->add_option("offset", s_->show_offset, "DLQ offset")->required();
  add_json(s_->dlq_show, s_->options);
  s_->dlq_replay = dlq.add_subcommand(
      "replay", "write selected dead letters back to their original topic, once each, recorded on " +
                    std::string(kReplayLogTopic));
  add_selector(s_->dlq_replay, s_->replay.selector, s_->offsets);
  s_->dlq_replay->add_flag("--dry-run", s_->replay.dry_run, "say what would be replayed; write nothing");
  s_->dlq_replay->add_option("--note", s_->replay.note, "why (the fix made), kept in the replay log");
  s_->dlq_replay->add_option("--by", s_->replay.by, "who replays (default: $USER), kept in the replay log");
  add_json(s_->dlq_replay, s_->options);
}

OpsCli::~OpsCli() = default;

std::vector<CLI::App*> OpsCli::subcommands() const {
  return {s_->topics, s_->lag, s_->dlq_list, s_->dlq_show, s_->dlq_replay, s_->tail, s_->audit, s_->audit_verify};
}

Result<OpsOptions> OpsCli::connection(const kafka::KafkaSettings& kafka, const std::string& bootstrap,
                                       std::chrono::milliseconds timeout) const {
  OpsOptions options = s_->options;
  options.kafka = kafka;
  options.kafka.bootstrap = bootstrap;
  options.timeout = timeout;
  if (Status applied = apply_client_config(options.kafka); !applied.ok()) return applied.error();
  return options;
}

Status OpsCli::apply_client_config(kafka::KafkaSettings& kafka) const {
  if (s_->client_config.empty()) return Status::success();
  // The file on the command line replaces the connection security the environment gave
  // (CASELINK_KAFKA_CLIENT_CONFIG_FILE or the typed variables): one principal, never a mix.
  kafka.security = kafka::SecuritySettings{};
  kafka.client_config_file = s_->client_config;
  kafka.client_config_loaded.clear();
  return kafka::load_client_config_file(kafka);
}

std::optional<int> OpsCli::run(const kafka::KafkaSettings& kafka, const std::string& bootstrap,
                               std::chrono::milliseconds timeout) {
  auto resolved = connection(kafka, bootstrap, timeout);
  if (!resolved.ok()) {
    std::cerr << "caselinkctl: " << resolved.error().message << "\n";
    return kUsage;
  }
  OpsOptions options = *resolved;
  if (s_->topics->parsed()) return topics_command(s_->topics_request, options, std::cout, std::cerr);
  if (s_->lag->parsed()) {
    auto cluster = OpsCluster::create(options.kafka, options.timeout);
    if (!cluster.ok()) {
      std::cerr << "caselinkctl: " << cluster.error().message << "\n";
      return kBrokerError;
    }
    s_->lag_request.groups = s_->lag_groups;
    s_->lag_request.interval = std::chrono::milliseconds(static_cast<int64_t>(s_->lag_interval_s * 1000));
    return lag_command(s_->lag_request, *cluster.value(), options, std::cout, std::cerr);
  }
  if (s_->tail->parsed()) return run_tail(options);
  if (s_->audit_verify->parsed()) return run_audit(options);
  return run_dlq(options);
}

int OpsCli::run_audit(const OpsOptions& options) {
  std::optional<signing::KeyRegistry> registry;
  if (!s_->audit_key_registry.empty()) {
    auto loaded = signing::KeyRegistry::load(s_->audit_key_registry);
    if (!loaded.ok()) {
      std::cerr << "caselinkctl: --key-registry: " << loaded.error().message << "\n";
      return kUsage;
    }
    registry = std::move(*loaded);
  }
  return audit_verify(s_->audit_case, s_->audit_all_partitions, registry ? &*registry : nullptr, options, std::cout,
                      std::cerr);
}

int OpsCli::run_tail(const OpsOptions& options) {
  const auto start = parse_start(s_->tail_from);
  if (!start) {
    std::cerr << "caselinkctl: --from: expected beginning, end, offset:N, time:<RFC 3339> or last:N\n";
    return kUsage;
  }
  s_->tail_request.start = *start;
  // Ctrl-C or SIGTERM ends --follow between two polls, with the output flushed.
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  s_->tail_request.stop = &g_stop;
  return tail_command(s_->tail_request, options, std::cout, std::cerr);
}

std::optional<int> OpsCli::run_dlq(const OpsOptions& options) {
  if (s_->dlq_show->parsed()) return dlq_show(s_->show_partition, s_->show_offset, options, std::cout, std::cerr);
  if (!s_->dlq_list->parsed() && !s_->dlq_replay->parsed()) return std::nullopt;
  DlqSelector& selector = s_->replay.selector;
  if (!s_->offsets.empty() && (!selector.partition || !parse_offset_range(s_->offsets, &selector))) {
    std::cerr << "caselinkctl: --offset: expected N or A-B with A <= B, together with --partition\n";
    return kUsage;
  }
  if (s_->dlq_list->parsed()) return dlq_list(selector, options, std::cout, std::cerr);
  if (selector.empty()) {
    std::cerr << "caselinkctl: dlq replay: select what to replay (--partition/--offset, --reason or --case)\n";
    return kUsage;
  }
  if (s_->replay.by.empty()) {
    const char* user = std::getenv("USER");
    s_->replay.by = user != nullptr ? user : "unknown";
  }
  return dlq_replay(s_->replay, options, std::cout, std::cerr);
}

}  // namespace caselink::ctl
