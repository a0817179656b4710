#include "services/daemons/console/api.h"

#include <nlohmann/json.hpp>

#include "services/lib/envelope/codec.h"
#include "services/tools/ctl/ops_format.h"

namespace caselink::console {

namespace {

using nlohmann::json;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> url_decode(std::string_view text, const std::string& key) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return Error::invalid("bad %-escape in " + key, key);
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return Error::invalid("bad %-escape in " + key, key);
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

json time_or_null(const std::optional<TimePoint>& t) { return t ? json(format_rfc3339(*t)) : json(nullptr); }

json summary_json(const CaseSummary& c, TimePoint now) {
  return {{"case_id", c.case_id},
          {"has_state", c.has_state},
          {"state", c.state},
          {"domain", c.domain},
          {"offence", c.offence},
          {"region", c.region},
          {"referring_agency", c.referring_agency},
          {"agencies", c.agencies},
          {"version", c.version},
          {"last_event_at", time_or_null(c.last_event_at)},
          {"open_deadlines", c.open_deadlines},
          {"overdue_deadlines", c.overdue_deadlines},
          {"overdue", c.overdue()},
          {"next_due_at", time_or_null(c.next_due_at)},
          {"next_due_step", c.next_due_step},
          {"next_due_text", c.next_due_at ? due_text(*c.next_due_at, now) : ""},
          {"missed_deadlines", c.missed_deadlines},
          {"alerts", c.alerts},
          {"recommendations", c.recommendations}};
}

// Counts of the listed cases per state, referring agency, offence and overdue (the charts).
json counts_json(const std::vector<CaseSummary>& cases) {
  std::map<std::string, size_t> by_state, by_agency, by_offence;
  size_t overdue = 0;
  size_t missed = 0;
  for (const auto& c : cases) {
    if (c.missed_deadlines > 0) ++missed;
    ++by_state[c.has_state ? c.state : "(no snapshot yet)"];
    ++by_agency[c.referring_agency.empty() ? "(unknown)" : c.referring_agency];
    ++by_offence[c.offence.empty() ? "(unknown)" : c.offence];
    if (c.overdue()) ++overdue;
  }
  return {{"by_state", by_state}, {"by_agency", by_agency}, {"by_offence", by_offence}, {"overdue", overdue},
          {"missed", missed}};
}

}  // namespace

Result<std::map<std::string, std::string>> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    auto key = url_decode(pair.substr(0, eq), "query");
    if (!key.ok()) return key.error();
    auto value = url_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), *key);
    if (!value.ok()) return value.error();
    out[*key] = std::move(*value);
  }
  return out;
}

Result<CaseFilter> parse_filter(std::string_view query) {
  auto params = parse_query(query);
  if (!params.ok()) return params.error();
  CaseFilter filter;
  for (const auto& [key, value] : *params) {
    if (key == "agency") {
      filter.agency = value;
    } else if (key == "offence") {
      filter.offence = value;
    } else if (key == "status") {
      filter.status = value;
    } else if (key == "overdue") {
      if (value == "true" || value == "1") filter.overdue = true;
      else if (value == "false" || value == "0") filter.overdue = false;
      else if (!value.empty()) return Error::invalid("overdue must be true or false, got '" + value + "'", "overdue");
    } else {
      return Error::invalid("unknown filter '" + key + "' (agency, offence, status, overdue)", key);
    }
  }
  return filter;
}

std::string due_text(TimePoint due, TimePoint now) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(due - now).count();
  if (ms >= 0) return "due in " + ctl::human_duration(ms);
  return "overdue by " + ctl::human_duration(-ms);
}

std::string cases_json(const std::vector<CaseSummary>& cases, const CaseFilter& filter, TimePoint now) {
  json list = json::array();
  for (const auto& c : cases) list.push_back(summary_json(c, now));
  json applied = {{"agency", filter.agency}, {"offence", filter.offence}, {"status", filter.status},
                  {"overdue", filter.overdue ? json(*filter.overdue) : json(nullptr)}};
  return json{{"now", format_rfc3339(now)},
              {"filter", applied},
              {"count", cases.size()},
              {"counts", counts_json(cases)},
              {"cases", list}}
      .dump();
}

std::string case_json(const ctl::CaseView& view, TimePoint now) {
  json j = json::parse(ctl::render_json(view));
  // caselinkctl's view, plus what a page shows people: each deadline relative to now.
  for (size_t i = 0; i < view.deadlines.size() && i < j["deadlines"].size(); ++i) {
    const auto& d = view.deadlines[i].deadline;
    const bool running = d.status() == v1::DEADLINE_STATUS_OPEN || d.status() == v1::DEADLINE_STATUS_OVERDUE;
    j["deadlines"][i]["due_text"] = running && d.has_due_at() ? due_text(envelope::to_time_point(d.due_at()), now) : "";
  }
  j["now"] = format_rfc3339(now);
  return j.dump();
}

std::string recommendations_json(const std::vector<RecommendationRow>& rows, TimePoint now) {
  json list = json::array();
  std::map<std::string, size_t> by_status;
  for (const auto& r : rows) {
    const auto& s = r.summary;
    const std::string status = v1::RecommendationStatus_Name(s.status());
    ++by_status[status];
    const bool waiting = s.status() == v1::RECOMMENDATION_STATUS_ISSUED ||
                         s.status() == v1::RECOMMENDATION_STATUS_REPLY_OVERDUE;
    list.push_back({{"case_id", r.case_id},
                    {"recommendation_id", s.recommendation_id()},
                    {"type", v1::RecommendationType_Name(s.type())},
                    {"status", status},
                    {"recipient", s.recipient_party_id()},
                    {"reply_due_at", s.has_reply_due_at() ? json(format_rfc3339(envelope::to_time_point(s.reply_due_at())))
                                                          : json(nullptr)},
                    {"reply_due_text", waiting && s.has_reply_due_at()
                                           ? due_text(envelope::to_time_point(s.reply_due_at()), now) : ""},
                    {"reply_outcome", v1::ReplyOutcome_Name(s.reply_outcome())},
                    {"class_case_id", r.class_case_id}});
  }
  return json{{"now", format_rfc3339(now)}, {"count", rows.size()}, {"by_status", by_status},
              {"recommendations", list}}.dump();
}

namespace {
json member_json(const v1::ClassCaseMember& m) {
  return {{"case_id", m.case_id()}, {"event_id", m.event_id()}, {"condition_id", m.condition_id()},
          {"occurred_at", m.has_occurred_at() ? json(format_rfc3339(envelope::to_time_point(m.occurred_at())))
                                              : json(nullptr)}};
}

json class_case_json(const ClassCaseRow& row) {
  const auto& o = row.opened;
  json members = json::array();
  for (const auto& m : o.members()) members.push_back(member_json(m));
  for (const auto& m : row.joined) members.push_back(member_json(m));
  const auto& g = o.group();
  return {{"class_case_id", o.class_case_id()},
          {"model_id", o.model().model_id()},
          {"model_version", o.model().model_version()},
          {"basis", o.model().basis()},
          {"basis_source", o.model().basis_source()},
          {"confidence", v1::Confidence_Name(o.model().confidence())},
          {"threshold", o.model().threshold()},
          {"organ_id", g.organ_id()},
          {"offence_code", g.offence_code()},
          {"region_code", g.region_code()},
          {"subject_id", g.subject_id()},
          {"window", g.window_start_date().empty() ? "" : g.window_start_date() + " – " + g.window_end_date()},
          {"opened_at", time_or_null(row.opened_at)},
          {"recommendation_id", o.recommendation_id()},
          {"summary", o.summary()},
          {"member_count", row.member_count()},
          {"members", members}};
}
}  // namespace

std::string class_cases_json(const std::vector<ClassCaseRow>& rows) {
  json list = json::array();
  std::map<std::string, size_t> by_model;
  for (const auto& r : rows) {
    ++by_model[r.opened.model().model_id()];
    list.push_back(class_case_json(r));
  }
  return json{{"count", rows.size()}, {"by_model", by_model}, {"class_cases", list}}.dump();
}

std::string ops_json(const OpsSnapshot& ops, const DlqCounts& dlq, TimePoint now) {
  json services = json::array();
  for (const auto& s : ops.services) {
    services.push_back({{"name", s.name}, {"url", s.url}, {"ready", s.ready}, {"status", s.status}, {"detail", s.detail}});
  }
  json lag = json::parse(ctl::render_lag_json(ops.lag, ops.lag_interval));
  std::map<std::string, int64_t> lag_by_group;
  // Records really waiting: offsets holding only transaction markers count as caught up.
  for (const auto& row : ops.lag) lag_by_group[row.group] += row.markers_only ? 0 : row.second.lag();
  return json{{"now", format_rfc3339(now)},
              {"taken_at", time_or_null(ops.taken_at)},
              {"lag_taken_at", time_or_null(ops.lag_taken_at)},
              {"services", services},
              {"lag", lag},
              {"lag_by_group", lag_by_group},
              {"lag_error", ops.lag_error},
              {"dlq", {{"total", dlq.total}, {"by_reason", dlq.by_reason}, {"by_topic", dlq.by_topic}}}}
      .dump();
}

std::string error_json(const std::string& message, const std::string& field) {
  return json{{"error", message}, {"field", field}}.dump();
}

}  // namespace caselink::console
