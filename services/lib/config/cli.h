#pragma once

// Command-line parsing for the tools whose logic is a function of (args, out, err) so tests can
// drive it: --help and usage errors answered the same way by every such tool.

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace caselink::config {

// Parses `args` (the arguments after the program name) into `app`. nullopt: go on. Otherwise the
// exit status: 0 after printing the help to `out`; 2 after a usage error, printed to `err` as
// `error_prefix` + the error, then the help (`help_on_error`) or a hint to run with --help.
std::optional<int> parse_cli(CLI::App& app, const std::vector<std::string>& args, std::ostream& out,
                             std::ostream& err, std::string_view error_prefix = "", bool help_on_error = true);

}  // namespace caselink::config
