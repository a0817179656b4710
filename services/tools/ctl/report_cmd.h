#pragma once
// caselinkctl report: reads the case topics to their end (read_committed), folds them with the
// report library (services/lib/report) and writes the report of a period and a jurisdiction as JSON,
// HTML or PDF (docs/reports.md).

#include <CLI/CLI.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "services/tools/ctl/ops.h"
#include "services/lib/report/report.h"

namespace caselink::ctl {

struct ReportRequest {
  std::string from, to;     // YYYY-MM-DD, China Standard Time, [from, to)
  std::string jurisdiction;  // region code of the organ registry; empty = all
  std::string format = "json";
  std::string out;  // file, or "-" for standard output (json, html)
  std::string organs_file = "rules/organs/organs.yaml";
  std::string echarts_file = ".local/web/node_modules/echarts/dist/echarts.min.js";
  bool no_charts = false;
  std::string chromium = "/usr/bin/chromium";
};

// The topics a report reads (the class-case topic joins here when its contract is merged).
const std::vector<std::string>& report_topics();

// Adds `report` to `app`; the returned command is parsed when the user ran it.
CLI::App* add_report_command(CLI::App& app, ReportRequest& request);

// Reads every record of report_topics() up to the end offsets taken at the start into `fold`,
// with progress on `err` every few seconds. kUnavailable when the broker fails or nothing
// arrives for options.timeout while records are still due.
Status read_report_events(const OpsOptions& options, report::Fold& fold, std::ostream& err);

// Exit: kOk; kUsage bad dates or format; kNotFound an unknown region or no Chromium / ECharts;
// kBrokerError the topics could not be read or the output not written.
int report_command(const ReportRequest& request, const OpsOptions& options, std::ostream& out, std::ostream& err);

}  // namespace caselink::ctl
