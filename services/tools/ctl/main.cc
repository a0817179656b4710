// caselinkctl — look at caselink's cases and topics: `case show <id>` (timeline, synchronized
// state, deadlines, alerts, hash-chain check), `case list`, `dlq tail`; and run them: `topics`,
// `lag`, `tail`, `dlq list|show|replay`, `audit verify`; `report` (governance report of a
// period); and `conformance` (an agency adapter's conformance kit). Logic in commands.cc, ops_*.cc,
// report_cmd.cc and conformance*.cc.

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "services/tools/ctl/commands.h"
#include "services/tools/ctl/conformance_cli.h"
#include "services/tools/ctl/ops_cli.h"
#include "services/tools/ctl/report_cmd.h"

namespace {

// --bootstrap / --timeout-ms / --client-config may follow the subcommand too: every
// subcommand's --help says so, with the exit codes.
void add_common_footer(const std::vector<CLI::App*>& subs) {
  for (auto* sub : subs) {
    sub->fallthrough();
    sub->footer(
        "Also: --bootstrap ADDR (Kafka, default 127.0.0.1:9092 or $CASELINK_KAFKA_BOOTSTRAP),\n"
        "--client-config FILE (librdkafka TLS/SASL properties; replaces $CASELINK_KAFKA_CLIENT_CONFIG_FILE),\n"
        "--timeout-ms N (default 30000).\nExit codes: 0 ok, 1 not found, 2 usage, 3 broker/IO error, 4 hash chain\n"
        "broken, 5 attention (topic drift, a group falling behind), 6 failing (a group stalled or stopped),\n"
        "7 a conformance check failed, 8 a receipt does not match the event it acknowledges (audit verify).");
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace caselink::ctl;
  CLI::App app{"caselinkctl — inspect caselink cases and topics, and run them day to day"};
  app.require_subcommand(1);
  ReadOptions options;
  // The connection (security included) as the services take it from the environment.
  auto from_env = caselink::kafka::settings_from_environment();
  if (!from_env.ok()) {
    std::cerr << "caselinkctl: " << from_env.error().describe() << "\n";
    return 2;
  }
  options.kafka = *from_env;
  options.bootstrap = from_env->bootstrap;  // CASELINK_KAFKA_BOOTSTRAP (CASELINK_BOOTSTRAP: deprecated)
  int timeout_ms = 30000;
  app.add_option("--bootstrap", options.bootstrap, "Kafka bootstrap servers")
      ->capture_default_str();
  app.add_option("--timeout-ms", timeout_ms, "give up reading after this long")->capture_default_str()->check(CLI::PositiveNumber);

  auto* case_cmd = app.add_subcommand("case", "one case or all cases");
  case_cmd->require_subcommand(1);
  std::string case_id;
  bool json = false;
  auto* show = case_cmd->add_subcommand("show", "timeline, state, deadlines, alerts and hash-chain check of a case");
  show->add_option("case-id", case_id, "the case id (the Kafka key)")->required();
  show->add_flag("--json", json, "print one JSON object instead of text");
  std::string key_registry;
  if (const char* env = std::getenv("CASELINK_SIGNING_REGISTRY_FILE")) key_registry = env;
  show->add_option("--key-registry", key_registry,
                   "key registry YAML to verify each event's signature against (env CASELINK_SIGNING_REGISTRY_FILE)");
  show->add_flag("--all-partitions", options.all_partitions,
                 "read every partition, not only the one the case id hashes to");
  std::string state_filter;
  auto* list = case_cmd->add_subcommand("list", "latest state of every case on caselink.case.state.v1");
  list->add_option("--state", state_filter, "only cases in this state (e.g. FILING_SUPERVISION)");

  auto* dlq = app.add_subcommand("dlq", "the dead-letter topic");
  dlq->require_subcommand(1);
  int64_t count = 10;
  auto* tail = dlq->add_subcommand("tail", "the newest DLQ records with where they came from and why");
  tail->add_option("-n,--count", count, "how many records")->capture_default_str()->check(CLI::PositiveNumber);

  OpsCli ops(app, *dlq);
  ReportRequest report_request;
  auto* report = add_report_command(app, report_request);
  ConformanceCli conformance(app);
  std::vector<CLI::App*> subs = {case_cmd, show, list, dlq, tail, report, conformance.command()};
  for (auto* sub : ops.subcommands()) subs.push_back(sub);
  add_common_footer(subs);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kOk : kUsage;
  }
  options.timeout = std::chrono::milliseconds(timeout_ms);
  if (show->parsed() || list->parsed() || tail->parsed()) {
    // The ops, report and conformance commands apply it in ops.connection().
    if (caselink::Status applied = ops.apply_client_config(options.kafka); !applied.ok()) {
      std::cerr << "caselinkctl: " << applied.error().describe() << "\n";
      return kUsage;
    }
    if (show->parsed()) return case_show(case_id, options, json, std::cout, std::cerr, key_registry);
    if (list->parsed()) return case_list(state_filter, options, std::cout, std::cerr);
    return dlq_tail(count, options, std::cout, std::cerr);
  }
  if (report->parsed() || conformance.parsed()) {
    auto connection = ops.connection(options.kafka, options.bootstrap, options.timeout);
    if (!connection.ok()) {
      std::cerr << "caselinkctl: " << connection.error().message << "\n";
      return kUsage;
    }
    if (report->parsed()) return report_command(report_request, *connection, std::cout, std::cerr);
    return conformance.run(*connection, std::cout, std::cerr);
  }
  if (auto code = ops.run(options.kafka, options.bootstrap, options.timeout)) return *code;
  return kUsage;
}
