#pragma once
// A Report as JSON (stable field names, docs/reports.md) and as one self-contained HTML page
// (tables and Apache ECharts charts, animation off so a print to PDF captures them). caselinkctl
// writes both; the console serves the same page.

#include <string>
#include <string_view>

#include "services/lib/report/report.h"

namespace caselink::report {

// The report as pretty-printed JSON; the same Report gives the same bytes.
std::string render_json(const Report& report);

// A complete HTML page. `echarts_js` is the text of echarts.min.js, inlined so the page (and a
// PDF printed from it) needs nothing else; empty: the page shows tables only and says why.
std::string render_html(const Report& report, std::string_view echarts_js);

}  // namespace caselink::report
