// Fold::build(): the numbers of one period and one jurisdiction from the folded facts.
// Definitions: docs/reports.md.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "services/lib/report/fold_state.h"
#include "services/lib/report/report.h"

namespace caselink::report {

namespace {

constexpr Seconds kChinaStandardTimeOffset = 8 * 3600;

std::optional<Seconds> cst_midnight(std::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(date[i]))) return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = std::stoi(std::string(date.substr(0, 4))) - 1900;
  tm.tm_mon = std::stoi(std::string(date.substr(5, 2))) - 1;
  tm.tm_mday = std::stoi(std::string(date.substr(8, 2)));
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31) return std::nullopt;
  std::tm check = tm;
  const Seconds utc = timegm(&check);
  // timegm normalises 2026-02-30 to March: refuse dates that do not exist.
  if (check.tm_mday != tm.tm_mday || check.tm_mon != tm.tm_mon) return std::nullopt;
  return utc - kChinaStandardTimeOffset;
}

std::vector<NamedCount> sorted_counts(const std::map<std::string, NamedCount>& by_key) {
  std::vector<NamedCount> out;
  for (const auto& [key, c] : by_key) out.push_back(c);
  std::stable_sort(out.begin(), out.end(), [](const NamedCount& a, const NamedCount& b) { return a.count > b.count; });
  return out;
}

void bump(std::map<std::string, NamedCount>& by_key, const std::string& key, const std::string& name) {
  NamedCount& c = by_key[key];
  c.key = key;
  if (!name.empty() && (c.name.empty() || name < c.name)) c.name = name;
  ++c.count;
}

// Everything build() needs besides the facts: which cases count and the period.
class Scope {
 public:
  Scope(const Fold::State& s, const Period& p, const Jurisdiction& j) : s_(s), period_(p), j_(j) {}

  // The organ a case is attributed to: its referring agency, else the agency that reported the
  // suspected crime, else the producer of its earliest event that is an organ.
  std::string home_organ(const std::string& case_id) const {
    auto it = s_.cases.find(case_id);
    if (it == s_.cases.end()) return {};
    if (!it->second.referring_agency.empty()) return it->second.referring_agency;
    if (!it->second.reporting_agency.empty()) return it->second.reporting_agency;
    return it->second.earliest_organ ? it->second.earliest_organ->value : std::string();
  }
  bool in_region(const std::string& case_id) const { return j_.code.empty() || j_.covers_organ(home_organ(case_id)); }
  bool counts(const std::string& case_id, Seconds t) const { return period_.contains(t) && in_region(case_id); }

 private:
  const Fold::State& s_;
  const Period& period_;
  const Jurisdiction& j_;
};

Referrals count_referrals(const Fold::State& s, const Scope& scope) {
  Referrals out;
  std::map<std::string, NamedCount> agencies, offences;
  for (const auto& r : s.referrals) {
    if (!scope.counts(r.case_id, r.t)) continue;
    ++out.total;
    bump(agencies, r.agency_id, r.agency_name);
    bump(offences, r.offence_code, r.offence_name);
  }
  out.by_agency = sorted_counts(agencies);
  out.by_offence = sorted_counts(offences);
  return out;
}

Filing count_filing(const Fold::State& s, const Scope& scope) {
  Filing out;
  for (const auto& f : s.filings) {
    if (!scope.counts(f.case_id, f.t)) continue;
    if (f.outcome == v1::FILING_OUTCOME_FILED) ++out.filed;
    if (f.outcome == v1::FILING_OUTCOME_NOT_FILED) ++out.not_filed;
    if (f.outcome == v1::FILING_OUTCOME_REVOKED) ++out.revoked;
  }
  out.rate = {out.filed, out.filed + out.not_filed};
  return out;
}

std::optional<Seconds> closed_at(const Fold::State& s, const DeadlineFacts& d) {
  if (d.closed_by.empty()) return std::nullopt;
  auto it = s.event_time.find(d.closed_by);
  if (it != s.event_time.end()) return it->second;
  return d.closed_at_fallback;
}

StepTimes summarise_step(const std::string& step, std::vector<Seconds>& durations, std::vector<Seconds>& limits,
                         int64_t exceeded, const RuleInfo& rule) {
  std::sort(durations.begin(), durations.end());
  std::sort(limits.begin(), limits.end());
  StepTimes st;
  st.step = step;
  st.count = static_cast<int64_t>(durations.size());
  st.median = durations[(durations.size() - 1) / 2];
  st.max = durations.back();
  st.limit_min = limits.front();
  st.limit_max = limits.back();
  st.exceeded = exceeded;
  st.exceeded_rate = {exceeded, st.count};
  st.rule = rule;
  return st;
}

std::vector<StepTimes> count_steps(const Fold::State& s, const Scope& scope) {
  struct Acc {
    std::vector<Seconds> durations, limits;
    int64_t exceeded = 0;
    RuleInfo rule;
  };
  std::map<std::string, Acc> by_step;
  for (const auto& [key, d] : s.deadlines) {
    const auto stop = closed_at(s, d);
    if (!stop || d.step.empty() || !scope.counts(key.first, *stop)) continue;
    Acc& a = by_step[d.step];
    a.durations.push_back(*stop - d.started);
    a.limits.push_back(d.due - d.started);
    if (*stop >= d.due) ++a.exceeded;
    if (a.rule.id.empty() || d.rule.id < a.rule.id) a.rule = d.rule;
  }
  std::vector<StepTimes> out;
  for (auto& [step, a] : by_step) out.push_back(summarise_step(step, a.durations, a.limits, a.exceeded, a.rule));
  return out;
}

Overdue count_overdue(const Fold::State& s, const Scope& scope) {
  Overdue out;
  std::map<std::string, OverdueByStep> by_step;
  for (const auto& [key, a] : s.alerts) {
    if (a.kind == v1::ALERT_KIND_SUPERVISION_CLUE || !a.raised_at || !scope.counts(key.first, *a.raised_at)) continue;
    const std::string step = a.step.empty() ? "(not stated)" : a.step;
    OverdueByStep& b = by_step[step];
    b.step = step;
    ++out.raised;
    ++b.raised;
    if (a.withdrawn) {
      ++out.withdrawn;
      ++b.withdrawn;
    }
  }
  for (auto& [step, b] : by_step) out.by_step.push_back(b);
  return out;
}

void classify_clue(const CaseFacts* c, Seconds raised, ClueOutcomes& out) {
  std::optional<FollowUp> best;
  if (c) {
    for (const auto& [t, kind] : c->follow_ups) {
      if (t >= raised && (!best || kind < *best)) best = kind;
    }
  }
  if (!best) ++out.no_follow_up;
  else if (*best == FollowUp::kFiled) ++out.filed;
  else if (*best == FollowUp::kReferred) ++out.referred;
  else ++out.under_supervision;
}

Clues count_clues(const Fold::State& s, const Scope& scope) {
  Clues out;
  std::map<std::string, NamedCount> reasons;
  for (const auto& [key, a] : s.alerts) {
    if (a.kind != v1::ALERT_KIND_SUPERVISION_CLUE || !a.raised_at || !scope.counts(key.first, *a.raised_at)) continue;
    ++out.raised;
    bump(reasons, a.reason.empty() ? "(not stated)" : a.reason, "");
    if (a.withdrawn) {
      ++out.outcomes.withdrawn;
      continue;
    }
    auto it = s.cases.find(key.first);
    classify_clue(it == s.cases.end() ? nullptr : &it->second, *a.raised_at, out.outcomes);
  }
  out.by_reason = sorted_counts(reasons);
  const auto& o = out.outcomes;
  out.followed_up_rate = {o.filed + o.referred + o.under_supervision, out.raised - o.withdrawn};
  return out;
}

void count_reply(const RecommendationFacts& r, Recommendations& out) {
  if (!r.reply) return void(++out.no_reply);
  switch (r.reply->value) {
    case v1::REPLY_OUTCOME_ADOPTED: ++out.adopted; break;
    case v1::REPLY_OUTCOME_PARTLY_ADOPTED: ++out.partly_adopted; break;
    case v1::REPLY_OUTCOME_NOT_ADOPTED: ++out.not_adopted; break;
    default: ++out.no_reply; break;  // a reply that states no outcome adopts nothing
  }
}

void count_rectification(const RecommendationFacts& r, Recommendations& out) {
  if (!r.follow_up) return void(++out.no_follow_up);
  switch (r.follow_up->value) {
    case v1::RECTIFICATION_STATUS_RECTIFIED: ++out.rectified; break;
    case v1::RECTIFICATION_STATUS_IN_PROGRESS: ++out.in_progress; break;
    case v1::RECTIFICATION_STATUS_NOT_RECTIFIED: ++out.not_rectified; break;
    default: ++out.not_stated; break;
  }
}

Recommendations count_recommendations(const Fold::State& s, const Scope& scope) {
  Recommendations out;
  for (const auto& [id, r] : s.recommendations) {
    if (!r.issued_at || !scope.counts(r.case_id, *r.issued_at)) continue;
    ++out.issued;
    count_reply(r, out);
    count_rectification(r, out);
  }
  const int64_t replied = out.adopted + out.partly_adopted + out.not_adopted;
  out.adoption_rate = {out.adopted, replied};
  out.adopted_or_partly_rate = {out.adopted + out.partly_adopted, replied};
  const int64_t followed = out.rectified + out.in_progress + out.not_rectified + out.not_stated;
  out.rectification_rate = {out.rectified, followed};
  return out;
}

ClassCases count_class_cases(const Fold::State& s, const Scope& scope, const Period& period, bool available) {
  ClassCases out;
  out.available = available;
  std::map<std::string, NamedCount> models;
  for (const auto& c : s.class_cases) {
    if (!period.contains(c.opened_at)) continue;
    bool in = scope.in_region(c.case_id);
    for (const auto& m : c.member_case_ids) in = in || scope.in_region(m);
    if (!in) continue;
    ++out.opened;
    bump(models, c.model_id, "");
  }
  out.by_model = sorted_counts(models);
  return out;
}

int64_t unattributed(const Fold::State& s, const Scope& scope) {
  int64_t n = 0;
  for (const auto& [id, c] : s.cases) n += scope.home_organ(id).empty() ? 1 : 0;
  return n;
}

}  // namespace

Result<Period> make_period(std::string_view from_date, std::string_view to_date) {
  const auto from = cst_midnight(from_date);
  if (!from) return Error::invalid("not a date YYYY-MM-DD: '" + std::string(from_date) + "'", "from");
  const auto to = cst_midnight(to_date);
  if (!to) return Error::invalid("not a date YYYY-MM-DD: '" + std::string(to_date) + "'", "to");
  if (*from >= *to) return Error::invalid("the period is empty: --from must be before --to", "to");
  return Period{std::string(from_date), std::string(to_date), *from, *to};
}

std::optional<std::string> organ_code(std::string_view organ_id) {
  const auto dash = organ_id.rfind('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto code = organ_id.substr(dash + 1);
  if (code.size() != 6 || !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::string(code);
}

bool Jurisdiction::covers_organ(std::string_view organ_id) const {
  if (code.empty()) return true;
  const auto c = organ_code(organ_id);
  if (!c) return false;
  const size_t prefix = level == "province" ? 2 : level == "city" ? 4 : 6;
  return c->compare(0, prefix, code, 0, prefix) == 0;
}

Jurisdiction all_jurisdictions() { return {"", "all", ""}; }

Result<Jurisdiction> jurisdiction_from(const organs::Registry& registry, std::string_view code) {
  const auto* region = registry.find(code);
  if (!region) return Error::not_found("region '" + std::string(code) + "' is not in the organ registry");
  return Jurisdiction{region->code, region->name, region->level};
}

std::string Rate::text() const {
  const auto v = value();
  if (!v) return "no data";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f%% (%lld/%lld)", *v * 100.0, static_cast<long long>(numerator),
                static_cast<long long>(denominator));
  return buf;
}

std::string human_duration(Seconds seconds) {
  const Seconds s = seconds < 0 ? -seconds : seconds;
  const std::string sign = seconds < 0 ? "-" : "";
  const Seconds d = s / 86400, h = (s % 86400) / 3600, m = (s % 3600) / 60;
  if (d > 0) return sign + std::to_string(d) + " d " + std::to_string(h) + " h";
  if (h > 0) return sign + std::to_string(h) + " h " + std::to_string(m) + " min";
  return sign + std::to_string(m) + " min";
}

Report Fold::build(const Period& period, const Jurisdiction& jurisdiction) const {
  const Scope scope(*s_, period, jurisdiction);
  Report r;
  r.period = period;
  r.jurisdiction = jurisdiction;
  r.events = static_cast<int64_t>(s_->seen.size());
  r.duplicates = s_->duplicates;
  r.unattributed_cases = unattributed(*s_, scope);
  r.referrals = count_referrals(*s_, scope);
  r.filing = count_filing(*s_, scope);
  r.steps = count_steps(*s_, scope);
  r.overdue = count_overdue(*s_, scope);
  r.clues = count_clues(*s_, scope);
  r.class_cases = count_class_cases(*s_, scope, period, class_cases_available_);
  r.recommendations = count_recommendations(*s_, scope);
  return r;
}

}  // namespace caselink::report
