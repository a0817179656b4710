#pragma once
// `caselinkctl conformance` (issue 17 §4): its command line, declared on main's app and run after
// parsing. The checks are in conformance.h, the driver in conformance_run.h.

#include <CLI/CLI.hpp>
#include <memory>
#include <ostream>

#include "services/tools/ctl/ops.h"

namespace caselink::ctl {

class ConformanceCli {
 public:
  explicit ConformanceCli(CLI::App& app);
  ~ConformanceCli();
  ConformanceCli(const ConformanceCli&) = delete;
  ConformanceCli& operator=(const ConformanceCli&) = delete;

  [[nodiscard]] CLI::App* command() const;
  [[nodiscard]] bool parsed() const;
  // Runs the scripted case and prints the report. Exit: kOk every check passed or did not apply,
  // kNonConformant a check failed, kUsage bad options (rules, key registry), kBrokerError.
  int run(const OpsOptions& options, std::ostream& out, std::ostream& err);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace caselink::ctl
