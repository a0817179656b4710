#pragma once
// The console's JSON API, pure: query strings in, JSON text out (routes.h serves it). Every
// duration meant for people is also given as text in days and hours ("due in 2d 3h",
// "overdue by 1d 4h"); times are RFC 3339 UTC.
//
//   GET /api/cases?agency=&offence=&status=&overdue=true|false   the case list and its counts
//   GET /api/cases/{id}                                           one case (caselinkctl's view)
//   GET /api/recommendations                                      检察建议 with their reply deadlines
//   GET /api/classcases                                           class cases (类案监督) with members
//   GET /api/ops                                                  readiness, consumer lag, DLQ counts

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "services/lib/core/clock.h"
#include "services/lib/core/result.h"
#include "services/daemons/console/ops_status.h"
#include "services/daemons/console/read_model.h"
#include "services/tools/ctl/case_view.h"

namespace caselink::console {

// Decodes a query string ("a=1&b=x%20y"): '+' is a space, %XX a byte; the last of a repeated key
// wins. A malformed escape is an error naming the key.
Result<std::map<std::string, std::string>> parse_query(std::string_view query);

// The case list's filters from a query; an unknown key or a bad value is an error naming it
// (the API answers 400 with that message).
Result<CaseFilter> parse_filter(std::string_view query);

// "due in 2d 3h" / "overdue by 1d 4h" for `due` seen at `now`.
std::string due_text(TimePoint due, TimePoint now);

std::string cases_json(const std::vector<CaseSummary>& cases, const CaseFilter& filter, TimePoint now);
std::string case_json(const ctl::CaseView& view, TimePoint now);
std::string recommendations_json(const std::vector<RecommendationRow>& rows, TimePoint now);
std::string ops_json(const OpsSnapshot& ops, const DlqCounts& dlq, TimePoint now);
std::string class_cases_json(const std::vector<ClassCaseRow>& rows);

// The error body every 4xx of the API carries: {"error": message, "field": field}.
std::string error_json(const std::string& message, const std::string& field);

}  // namespace caselink::console
