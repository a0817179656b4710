#pragma once
// The command line of caselinkctl's ops commands (topics, lag, tail, dlq list|show|replay,
// audit verify): declared on the app main.cc builds, run after parsing. Keeps main.cc a list.

#include <CLI/CLI.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "services/lib/core/result.h"
#include "services/tools/ctl/ops.h"

namespace caselink::ctl {

class OpsCli {
 public:
  // Adds the ops subcommands to `app` and list/show/replay to the existing `dlq` command, and
  // --client-config / --version to `app`.
  OpsCli(CLI::App& app, CLI::App& dlq);
  ~OpsCli();
  OpsCli(const OpsCli&) = delete;
  OpsCli& operator=(const OpsCli&) = delete;

  // Subcommands whose --help should carry main's common footer.
  [[nodiscard]] std::vector<CLI::App*> subcommands() const;

  // Runs the parsed ops subcommand with the connection settings `kafka` (from the environment,
  // as the services read them), `bootstrap` and --client-config on top; nullopt when the one
  // parsed is not an ops command.
  std::optional<int> run(const kafka::KafkaSettings& kafka, const std::string& bootstrap,
                         std::chrono::milliseconds timeout);

  // The connection the ops commands use: `kafka`, `bootstrap` and --client-config on top
  // (invalid when the --client-config file cannot be read). caselinkctl report uses it too.
  Result<OpsOptions> connection(const kafka::KafkaSettings& kafka, const std::string& bootstrap,
                                std::chrono::milliseconds timeout) const;

  // --client-config, when given, replaces the connection security of `kafka` (every command:
  // case show/list and dlq tail take it too). Invalid when the file cannot be read.
  Status apply_client_config(kafka::KafkaSettings& kafka) const;

 private:
  struct State;
  void add_dlq(CLI::App& dlq);
  void add_tail_and_audit(CLI::App& app);
  int run_tail(const OpsOptions& options);
  int run_audit(const OpsOptions& options);
  std::optional<int> run_dlq(const OpsOptions& options);
  std::unique_ptr<State> s_;
};

}  // namespace caselink::ctl
