#include "services/tools/ctl/report_cmd.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/topics.h"
#include "services/lib/kafka/topic_reader.h"
#include "services/lib/organs/registry.h"
#include "services/tools/ctl/commands.h"
#include "services/tools/ctl/ops_read.h"
#include "services/lib/report/pdf.h"
#include "services/lib/report/render.h"

namespace caselink::ctl {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kProgressEvery = std::chrono::seconds(3);

struct ReadCounts {
  int64_t records = 0;
  int64_t undecodable = 0;
};

int64_t total_end(const kafka::TopicReader& reader) {
  int64_t n = 0;
  for (const auto& [tp, end] : reader.end_offsets()) n += end;
  return n;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::not_found("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Status write_text(const std::string& path, const std::string& text, std::ostream& out) {
  if (path == "-") {
    out << text;
    return Status::success();
  }
  std::ofstream file(path, std::ios::binary);
  file << text;
  if (!file) return Error::unavailable("cannot write " + path);
  return Status::success();
}

Result<report::Jurisdiction> resolve_jurisdiction(const ReportRequest& request) {
  if (request.jurisdiction.empty()) return report::all_jurisdictions();
  auto registry = organs::Registry::load_file(request.organs_file);
  if (!registry.ok()) return registry.error();
  return report::jurisdiction_from(*registry, request.jurisdiction);
}

Error no_echarts(const std::string& path) {
  return Error::not_found("no ECharts at " + path +
                          " (scripts/setup.sh installs it into .local/web; or pass --echarts FILE or --no-charts)");
}

// The page with ECharts inlined, or tables only with --no-charts.
Result<std::string> page(const report::Report& r, const ReportRequest& request) {
  if (request.no_charts) return report::render_html(r, "");
  auto echarts = read_file(request.echarts_file);
  if (!echarts.ok()) {
    return no_echarts(request.echarts_file);
  }
  return report::render_html(r, *echarts);
}

int exit_for(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalid: return kUsage;
    case ErrorCode::kNotFound: return kNotFound;
    default: return kBrokerError;
  }
}

Status write_report(const report::Report& r, const ReportRequest& request, std::ostream& out) {
  if (request.format == "json") return write_text(request.out, report::render_json(r), out);
  auto html = page(r, request);
  if (!html.ok()) return html.error();
  if (request.format == "html") return write_text(request.out, *html, out);
  if (request.out == "-") return Error::invalid("a PDF needs --out FILE", "out");
  return report::print_pdf(*html, request.out, {request.chromium});
}

// What the output needs besides the topics, checked before a long read rather than after it.
Status preflight(const ReportRequest& request) {
  if (request.format == "pdf" && request.out == "-") return Error::invalid("a PDF needs --out FILE", "out");
  if (request.format != "json" && !request.no_charts && access(request.echarts_file.c_str(), R_OK) != 0) {
    return no_echarts(request.echarts_file);
  }
  if (request.format == "pdf" && access(request.chromium.c_str(), X_OK) != 0) {
    return Error::not_found("no Chromium at " + request.chromium +
                            ": install Debian's package `chromium` (scripts/setup.sh does) or pass --chromium PATH");
  }
  return Status::success();
}

}  // namespace

const std::vector<std::string>& report_topics() {
  namespace t = envelope::topics;
  static const std::vector<std::string> topics = {t::kReferral,  t::kDecision, t::kAdminPenalty, t::kRecommendation,
                                                  t::kCaseState, t::kAlert,    t::kClassCase};
  return topics;
}

CLI::App* add_report_command(CLI::App& app, ReportRequest& request) {
  auto* cmd = app.add_subcommand(
      "report",
      "governance report of a period and a jurisdiction from the topics: referrals by agency and offence, filing rate, "
      "time per step against its legal limit, overdue, supervision clues, class cases, recommendations (docs/reports.md)");
  cmd->add_option("--from", request.from, "first day, YYYY-MM-DD (China Standard Time), included")->required();
  cmd->add_option("--to", request.to, "day after the last, YYYY-MM-DD, excluded")->required();
  cmd->add_option("--jurisdiction", request.jurisdiction,
                  "region code of the organ registry (e.g. 330100): its organs and those below it; default all");
  cmd->add_option("--format", request.format, "json, html or pdf")
      ->capture_default_str()
      ->check(CLI::IsMember({"json", "html", "pdf"}));
  cmd->add_option("--out", request.out, "output file (- = standard output, json and html only)")->required();
  cmd->add_option("--organs", request.organs_file, "organ registry YAML")->capture_default_str();
  cmd->add_option("--echarts", request.echarts_file, "echarts.min.js to inline (html, pdf)")->capture_default_str();
  cmd->add_flag("--no-charts", request.no_charts, "html/pdf with tables only, without ECharts");
  cmd->add_option("--chromium", request.chromium, "headless Chromium for --format pdf (Debian package chromium)")
      ->capture_default_str();
  return cmd;
}

Status read_report_events(const OpsOptions& options, report::Fold& fold, std::ostream& err) {
  auto reader_opts = reader_options(options, "caselinkctl-report");
  reader_opts.topics = report_topics();
  reader_opts.end = kafka::EndAt::kSettled;
  auto reader = kafka::TopicReader::open(options.kafka, std::move(reader_opts));
  if (!reader.ok()) return reader.error();
  fold.class_cases_read();  // the class-case topic is read: none opened is 0, not "no data"
  const int64_t ends = total_end(**reader);
  ReadCounts counts;
  auto last_record = Clock::now();
  auto last_report = Clock::now();
  while (!(*reader)->at_end()) {
    const Status st = (*reader)->poll(std::chrono::milliseconds(500), [&](const ConsumedRecord& record) {
      ++counts.records;
      last_record = Clock::now();
      if (!record.value) return;  // a tombstone carries no event
      auto env = envelope::decode(*record.value);
      if (env.ok()) fold.add(*env);
      else ++counts.undecodable;
    });
    if (!st.ok()) return st;
    if (Clock::now() - last_record > options.timeout) {
      return Error::unavailable("no record arrived for " + std::to_string(options.timeout.count()) +
                                " ms before the end of the topics");
    }
    if (Clock::now() - last_report >= kProgressEvery) {
      err << "caselinkctl report: " << counts.records << " records read (the topics end at offsets summing to " << ends
          << ")\n";
      last_report = Clock::now();
    }
  }
  err << "caselinkctl report: " << counts.records << " records read";
  if (counts.undecodable > 0) err << ", " << counts.undecodable << " not caselink envelopes (skipped)";
  err << "\n";
  return Status::success();
}

int report_command(const ReportRequest& request, const OpsOptions& options, std::ostream& out, std::ostream& err) {
  auto period = report::make_period(request.from, request.to);
  if (!period.ok()) {
    err << "caselinkctl report: --" << period.error().field << ": " << period.error().message << "\n";
    return kUsage;
  }
  auto jurisdiction = resolve_jurisdiction(request);
  if (!jurisdiction.ok()) {
    err << "caselinkctl report: --jurisdiction: " << jurisdiction.error().message << "\n";
    return kNotFound;
  }
  if (const Status ready = preflight(request); !ready.ok()) {
    err << "caselinkctl report: " << ready.error().message << "\n";
    return exit_for(ready.error());
  }
  report::Fold fold;
  const Status read = read_report_events(options, fold, err);
  if (!read.ok()) {
    err << "caselinkctl report: reading the topics: " << read.error().message << "\n";
    return exit_for(read.error()) == kNotFound ? kNotFound : kBrokerError;
  }
  const Status written = write_report(fold.build(*period, *jurisdiction), request, out);
  if (!written.ok()) {
    err << "caselinkctl report: " << written.error().message << "\n";
    return exit_for(written.error());
  }
  return kOk;
}

}  // namespace caselink::ctl
