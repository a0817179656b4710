#include "services/lib/config/cli.h"

#include <CLI/CLI.hpp>

namespace caselink::config {

std::optional<int> parse_cli(CLI::App& app, const std::vector<std::string>& args, std::ostream& out,
                             std::ostream& err, std::string_view error_prefix, bool help_on_error) {
  // CLI11 consumes a vector from the back.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    err << error_prefix << e.what() << "\n";
    if (help_on_error) {
      err << app.help();
    } else {
      err << "run with --help for usage\n";
    }
    return 2;
  }
  return std::nullopt;
}

}  // namespace caselink::config
