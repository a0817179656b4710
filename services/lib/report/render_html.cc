// The report page: tables written here (readable without JavaScript, and what the PDF shows
// even where a chart could not draw), charts drawn by Apache ECharts from the report's own JSON
// embedded in the page. Animation is off: headless Chromium prints the first frame.
#include <sstream>

#include "services/lib/report/render.h"

namespace caselink::report {

namespace {

std::string esc(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Text inside <script>: "</" would end the element early.
std::string script_safe(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') out += "\\";
  }
  return out;
}

void row(std::ostringstream& o, std::initializer_list<std::string> cells) {
  o << "<tr>";
  for (const auto& c : cells) o << "<td>" << esc(c) << "</td>";
  o << "</tr>\n";
}

void head(std::ostringstream& o, std::initializer_list<std::string> cells) {
  o << "<tr>";
  for (const auto& c : cells) o << "<th>" << esc(c) << "</th>";
  o << "</tr>\n";
}

std::string n(int64_t v) { return std::to_string(v); }

void counts_table(std::ostringstream& o, const std::vector<NamedCount>& counts, const std::string& what) {
  o << "<table>";
  head(o, {what, "name", "count"});
  for (const auto& c : counts) row(o, {c.key, c.name, n(c.count)});
  if (counts.empty()) row(o, {"no data", "", ""});
  o << "</table>\n";
}

void referrals_section(std::ostringstream& o, const Report& r) {
  o << "<h2>Referrals (移送)</h2><p>" << r.referrals.total << " referrals in the period.</p>\n"
    << "<div class=\"chart\" id=\"chart-agency\"></div><div class=\"chart\" id=\"chart-offence\"></div>\n";
  counts_table(o, r.referrals.by_agency, "agency");
  counts_table(o, r.referrals.by_offence, "offence");
  o << "<h2>Filing (立案)</h2><table>";
  head(o, {"filed", "not filed", "revoked", "filing rate = filed / (filed + not filed)"});
  row(o, {n(r.filing.filed), n(r.filing.not_filed), n(r.filing.revoked), r.filing.rate.text()});
  o << "</table>\n";
}

void steps_section(std::ostringstream& o, const Report& r) {
  o << "<h2>Time per step against its legal limit</h2>\n<div class=\"chart\" id=\"chart-steps\"></div><table>";
  head(o, {"step", "closed", "median", "max", "legal limit", "exceeded", "rule (source, confidence)"});
  for (const auto& s : r.steps) {
    const std::string limit = s.limit_min == s.limit_max
                                  ? human_duration(s.limit_min)
                                  : human_duration(s.limit_min) + " – " + human_duration(s.limit_max);
    row(o, {s.step, n(s.count), human_duration(s.median), human_duration(s.max), limit, s.exceeded_rate.text(),
            s.rule.id + " " + s.rule.version + ": " + s.rule.legal_source + " (" + s.rule.confidence + ")"});
  }
  if (r.steps.empty()) row(o, {"no data", "", "", "", "", "", ""});
  o << "</table>\n<h2>Overdue (逾期)</h2><table>";
  head(o, {"step", "raised", "withdrawn", "standing"});
  for (const auto& b : r.overdue.by_step) row(o, {b.step, n(b.raised), n(b.withdrawn), n(b.raised - b.withdrawn)});
  row(o, {"all steps", n(r.overdue.raised), n(r.overdue.withdrawn), n(r.overdue.standing())});
  o << "</table>\n";
}

void clues_section(std::ostringstream& o, const Report& r) {
  const auto& c = r.clues;
  o << "<h2>Supervision clues (监督线索)</h2><p>" << c.raised << " clues raised.</p>\n";
  counts_table(o, c.by_reason, "reason");
  o << "<table>";
  head(o, {"withdrawn", "filed", "referred", "under supervision", "no follow-up", "followed up"});
  row(o, {n(c.outcomes.withdrawn), n(c.outcomes.filed), n(c.outcomes.referred), n(c.outcomes.under_supervision),
          n(c.outcomes.no_follow_up), c.followed_up_rate.text()});
  o << "</table>\n<h2>Class cases (类案监督)</h2>";
  if (!r.class_cases.available) {
    o << "<p>no data (no class-case events were read)</p>\n";
  } else {
    o << "<p>" << r.class_cases.opened << " class cases opened.</p>\n";
    counts_table(o, r.class_cases.by_model, "model");
  }
}

void recommendations_section(std::ostringstream& o, const Report& r) {
  const auto& m = r.recommendations;
  o << "<h2>Procuratorial recommendations (检察建议)</h2><p>" << m.issued << " issued in the period.</p>\n"
    << "<div class=\"chart\" id=\"chart-replies\"></div><div class=\"chart\" id=\"chart-rectification\"></div><table>";
  head(o, {"adopted", "partly adopted", "not adopted", "no reply", "adoption rate", "adopted or partly"});
  row(o, {n(m.adopted), n(m.partly_adopted), n(m.not_adopted), n(m.no_reply), m.adoption_rate.text(),
          m.adopted_or_partly_rate.text()});
  o << "</table><table>";
  head(o, {"rectified", "in progress", "not rectified", "not stated", "no follow-up", "rectification rate"});
  row(o, {n(m.rectified), n(m.in_progress), n(m.not_rectified), n(m.not_stated), n(m.no_follow_up),
          m.rectification_rate.text()});
  o << "</table>\n";
}

// Draws the charts from REPORT (the JSON of render_json). Bars and pies only, no animation.
constexpr const char* kChartScript = R"JS(
(function () {
  if (typeof echarts === 'undefined') return;
  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) return;
    option.animation = false;
    echarts.init(el, null, {renderer: 'svg'}).setOption(option);
  }
  function bars(id, title, rows, key) {
    draw(id, {title: {text: title}, grid: {left: 160}, tooltip: {},
      xAxis: {type: 'value', minInterval: 1},
      yAxis: {type: 'category', data: rows.map(function (r) { return r.name || r[key]; })},
      series: [{type: 'bar', data: rows.map(function (r) { return r.count; })}]});
  }
  function pie(id, title, parts) {
    draw(id, {title: {text: title}, tooltip: {}, legend: {bottom: 0},
      series: [{type: 'pie', radius: '55%', label: {formatter: '{b}: {c}'},
        data: Object.keys(parts).map(function (k) { return {name: k, value: parts[k]}; })}]});
  }
  bars('chart-agency', 'Referrals by agency', REPORT.referrals.by_agency, 'agency_id');
  bars('chart-offence', 'Referrals by offence', REPORT.referrals.by_offence, 'offence_code');
  var hours = function (s) { return Math.round(s / 36) / 100; };
  draw('chart-steps', {title: {text: 'Median and max time per step vs legal limit (hours)'}, tooltip: {},
    legend: {bottom: 0}, grid: {left: 200}, xAxis: {type: 'value'},
    yAxis: {type: 'category', data: REPORT.steps.map(function (s) { return s.step; })},
    series: ['median', 'max', 'limit_max'].map(function (k) {
      return {name: k === 'limit_max' ? 'legal limit' : k, type: 'bar',
        data: REPORT.steps.map(function (s) { return hours(s[k].seconds); })};
    })});
  pie('chart-replies', 'Replies to recommendations', REPORT.recommendations.replies);
  pie('chart-rectification', 'Rectification (latest follow-up)', REPORT.recommendations.rectification);
})();
)JS";

constexpr const char* kStyle =
    "body{font-family:'Noto Sans CJK SC','Noto Serif CJK SC','Noto Sans',sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:0.5em 0 1em}td,th{border:1px solid #bbb;padding:2px 8px;text-align:left}"
    "th{background:#eee}.chart{width:720px;height:300px;break-inside:avoid}h2{break-after:avoid}"
    ".note{color:#666;font-size:90%}";

}  // namespace

std::string render_html(const Report& r, std::string_view echarts_js) {
  std::ostringstream o;
  const std::string where = r.jurisdiction.code.empty() ? "all regions" : r.jurisdiction.name + " (" + r.jurisdiction.code + ")";
  o << "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>caselink report " << esc(r.period.from_date)
    << " – " << esc(r.period.to_date) << "</title><style>" << kStyle << "</style></head><body>\n"
    << "<h1>caselink governance report</h1><p>Period " << esc(r.period.from_date) << " to " << esc(r.period.to_date)
    << " (end exclusive, by when each event happened, China Standard Time); jurisdiction " << esc(where) << ".</p>\n"
    << "<p class=\"note\">" << r.events << " distinct events read, " << r.duplicates << " repeated records ignored, "
    << r.unattributed_cases << " cases not attributable to an organ. Definitions: docs/reports.md.</p>\n";
  if (echarts_js.empty()) o << "<p class=\"note\">Charts are not drawn: ECharts was not available.</p>\n";
  referrals_section(o, r);
  steps_section(o, r);
  clues_section(o, r);
  recommendations_section(o, r);
  o << "<script>var REPORT = " << script_safe(render_json(r)) << ";</script>\n";
  if (!echarts_js.empty()) o << "<script>" << script_safe(echarts_js) << "</script>\n<script>" << kChartScript << "</script>\n";
  o << "</body></html>\n";
  return o.str();
}

}  // namespace caselink::report
