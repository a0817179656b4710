// JSON of a Report. Field names are a contract (docs/reports.md): add, never rename.
#include <nlohmann/json.hpp>

#include "services/lib/report/render.h"

namespace caselink::report {

using Json = nlohmann::ordered_json;

namespace {

Json rate_json(const Rate& r) {
  Json j{{"numerator", r.numerator}, {"denominator", r.denominator}};
  const auto v = r.value();
  j["value"] = v ? Json(*v) : Json(nullptr);
  j["text"] = r.text();
  return j;
}

Json counts_json(const std::vector<NamedCount>& counts, const char* key_name) {
  Json out = Json::array();
  for (const auto& c : counts) {
    Json j{{key_name, c.key}};
    if (!c.name.empty()) j["name"] = c.name;
    j["count"] = c.count;
    out.push_back(std::move(j));
  }
  return out;
}

Json duration_json(Seconds s) { return Json{{"seconds", s}, {"text", human_duration(s)}}; }

Json steps_json(const std::vector<StepTimes>& steps) {
  Json out = Json::array();
  for (const auto& st : steps) {
    out.push_back(Json{{"step", st.step},
                       {"count", st.count},
                       {"median", duration_json(st.median)},
                       {"max", duration_json(st.max)},
                       {"limit_min", duration_json(st.limit_min)},
                       {"limit_max", duration_json(st.limit_max)},
                       {"exceeded", st.exceeded},
                       {"exceeded_rate", rate_json(st.exceeded_rate)},
                       {"rule",
                        {{"id", st.rule.id},
                         {"version", st.rule.version},
                         {"legal_source", st.rule.legal_source},
                         {"confidence", st.rule.confidence}}}});
  }
  return out;
}

Json overdue_json(const Overdue& o) {
  Json by_step = Json::array();
  for (const auto& b : o.by_step) {
    by_step.push_back(
        Json{{"step", b.step}, {"raised", b.raised}, {"withdrawn", b.withdrawn}, {"standing", b.raised - b.withdrawn}});
  }
  return Json{{"raised", o.raised}, {"withdrawn", o.withdrawn}, {"standing", o.standing()}, {"by_step", by_step}};
}

Json clues_json(const Clues& c) {
  const auto& o = c.outcomes;
  return Json{{"raised", c.raised},
              {"by_reason", counts_json(c.by_reason, "reason")},
              {"outcomes",
               {{"withdrawn", o.withdrawn},
                {"filed", o.filed},
                {"referred", o.referred},
                {"under_supervision", o.under_supervision},
                {"no_follow_up", o.no_follow_up}}},
              {"followed_up_rate", rate_json(c.followed_up_rate)}};
}

Json class_cases_json(const ClassCases& c) {
  if (!c.available) return Json{{"available", false}, {"text", "no data (no class-case events were read)"}};
  return Json{{"available", true}, {"opened", c.opened}, {"by_model", counts_json(c.by_model, "model_id")}};
}

Json recommendations_json(const Recommendations& r) {
  return Json{{"issued", r.issued},
              {"replies",
               {{"adopted", r.adopted},
                {"partly_adopted", r.partly_adopted},
                {"not_adopted", r.not_adopted},
                {"no_reply", r.no_reply}}},
              {"adoption_rate", rate_json(r.adoption_rate)},
              {"adopted_or_partly_rate", rate_json(r.adopted_or_partly_rate)},
              {"rectification",
               {{"rectified", r.rectified},
                {"in_progress", r.in_progress},
                {"not_rectified", r.not_rectified},
                {"not_stated", r.not_stated},
                {"no_follow_up", r.no_follow_up}}},
              {"rectification_rate", rate_json(r.rectification_rate)}};
}

}  // namespace

std::string render_json(const Report& r) {
  Json j;
  j["report"] = "caselink governance report";
  j["format_version"] = 1;
  j["period"] = {{"from", r.period.from_date},
                 {"to", r.period.to_date},
                 {"end", "exclusive"},
                 {"time", "occurred_at"},
                 {"timezone", "UTC+08:00"}};
  j["jurisdiction"] = {{"code", r.jurisdiction.code}, {"name", r.jurisdiction.name}, {"level", r.jurisdiction.level}};
  j["input"] = {{"events", r.events}, {"duplicates", r.duplicates}, {"unattributed_cases", r.unattributed_cases}};
  j["referrals"] = {{"total", r.referrals.total},
                    {"by_agency", counts_json(r.referrals.by_agency, "agency_id")},
                    {"by_offence", counts_json(r.referrals.by_offence, "offence_code")}};
  j["filing"] = {{"filed", r.filing.filed},
                 {"not_filed", r.filing.not_filed},
                 {"revoked", r.filing.revoked},
                 {"rate", rate_json(r.filing.rate)}};
  j["steps"] = steps_json(r.steps);
  j["overdue"] = overdue_json(r.overdue);
  j["supervision_clues"] = clues_json(r.clues);
  j["class_cases"] = class_cases_json(r.class_cases);
  j["recommendations"] = recommendations_json(r.recommendations);
  return j.dump(2) + "\n";
}

}  // namespace caselink::report
