#include "services/daemons/classcase/engine.h"

#include <algorithm>
#include <cstdio>

#include "services/lib/crypto/derived_uuid.h"
#include "services/lib/envelope/codec.h"

namespace caselink::classcase {

namespace {

struct Civil {
  int64_t y;
  unsigned m;
  unsigned d;
};

// Days since 1970-01-01 -> proleptic Gregorian date (H. Hinnant's civil_from_days).
Civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

std::string date_text(int64_t y, unsigned m, unsigned d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// The 6-digit division code at the end of a party id ("ga-330106" -> "330106"), or "".
std::string code_of_organ(const std::string& organ_id) {
  const auto dash = organ_id.rfind('-');
  const std::string code = dash == std::string::npos ? std::string() : organ_id.substr(dash + 1);
  const bool six = code.size() == 6 && std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
  return six ? code : std::string();
}

std::string code_of(const v1::Jurisdiction& j) {
  return !j.county_code().empty() ? j.county_code() : !j.city_code().empty() ? j.city_code() : j.province_code();
}

// What one input says for one model, before grouping.
struct Candidate {
  std::string organ, offence, region, subject, condition;
  bool withdrawn = false;
};

void clue_candidates(const Model& m, const v1::Envelope& in, std::vector<Candidate>& out) {
  const v1::Alert& a = in.alert();
  if (a.kind() != v1::ALERT_KIND_SUPERVISION_CLUE || a.supervision_clue().reason() != m.clue_reason) return;
  const auto& d = a.supervision_clue();
  out.push_back({d.deciding_agency().organ_id(), d.assessment().offence_code(), code_of(d.assessment().jurisdiction()),
                 "", a.alert_id(), a.status() == v1::ALERT_STATUS_RESOLVED});
}

void overdue_candidates(const Model& m, const v1::Envelope& in, std::vector<Candidate>& out) {
  const v1::Alert& a = in.alert();
  if (a.kind() != v1::ALERT_KIND_DEADLINE_OVERDUE || a.deadline().step() != m.step) return;
  const std::string& organ = a.deadline().responsible_party_id();
  out.push_back({organ, "", code_of_organ(organ), "", a.alert_id(), a.status() == v1::ALERT_STATUS_RESOLVED});
}

// One candidate per penalised unit: a company penalised together with its manager counts once.
void penalty_candidates(const v1::Envelope& in, std::vector<Candidate>& out) {
  const auto& p = in.administrative_penalty_reported();
  if (p.outcome() != v1::PENALTY_OUTCOME_IMPOSED) return;
  const std::string condition = p.decision_number().empty() ? in.event_id() : p.decision_number();
  for (const auto& party : p.penalized_parties()) {
    if (party.kind() != v1::SUSPECT_KIND_UNIT || (party.id_number_masked().empty() && party.name().empty())) continue;
    out.push_back({p.deciding_agency().organ_id(), p.offence_code(), code_of(p.jurisdiction()),
                   party.id_number_masked() + "/" + party.name(), condition, false});
  }
}

std::vector<Candidate> candidates(const Model& m, const v1::Envelope& in) {
  std::vector<Candidate> out;
  if (m.counts == Counts::kSupervisionClue && in.has_alert()) clue_candidates(m, in, out);
  if (m.counts == Counts::kDeadlineOverdue && in.has_alert()) overdue_candidates(m, in, out);
  if (m.counts == Counts::kPenaltyImposed && in.has_administrative_penalty_reported()) penalty_candidates(in, out);
  return out;
}

// The group of `c` under `m`, or false when a grouped field is missing.
bool make_group(const Model& m, const Candidate& c, const WindowDates& w, v1::ClassCaseGroup* g) {
  if ((m.group_by.organ && c.organ.empty()) || (m.group_by.offence && c.offence.empty()) ||
      (m.group_by.region && c.region.empty()) || (m.group_by.subject && c.subject.empty())) {
    return false;
  }
  if (m.group_by.organ) g->set_organ_id(c.organ);
  if (m.group_by.offence) g->set_offence_code(c.offence);
  if (m.group_by.region) g->set_region_code(c.region);
  if (m.group_by.subject) g->set_subject_id(c.subject);
  g->set_window_start_date(w.start);
  g->set_window_end_date(w.end);
  return true;
}

v1::ClassCaseRecommendationPlan plan(const Model& m, const v1::ClassCaseGroup& g, const organs::Registry* organs) {
  v1::ClassCaseRecommendationPlan p;
  if (m.recommendation == v1::RECOMMENDATION_TYPE_UNSPECIFIED) return p;
  p.set_type(m.recommendation);
  p.set_recipient_organ_id(g.organ_id());
  if (organs != nullptr) {
    auto competent = organs->competent_for_organ(g.organ_id());
    if (competent.ok()) p.set_procuratorate_id(competent.value().organs->procuratorate.id);
  }
  return p;
}

}  // namespace

WindowDates window_of(Window window, TimePoint t) {
  const int64_t secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count() + 8 * 3600;
  const int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  const Civil c = civil_from_days(days);
  unsigned first = c.m;
  unsigned last = c.m;
  if (window == Window::kQuarter) {
    first = (c.m - 1) / 3 * 3 + 1;
    last = first + 2;
  } else if (window == Window::kYear) {
    first = 1;
    last = 12;
  }
  return {date_text(c.y, first, 1), date_text(c.y, last, days_in_month(c.y, last))};
}

std::string group_key(const v1::ClassCaseModelRef& model, const v1::ClassCaseGroup& g) {
  return model.model_id() + "@" + model.model_version() + "|" + g.organ_id() + "|" + g.offence_code() + "|" +
         g.region_code() + "|" + g.subject_id() + "|" + g.window_start_date() + ".." + g.window_end_date();
}

std::string group_id(const std::string& key) { return crypto::derived_uuid(kClassCaseIdSpace, key); }

Extracted Extractor::extract(const v1::Envelope& in, TimePoint now) const {
  Extracted out;
  const TimePoint occurred = envelope::to_time_point(in.occurred_at());
  for (const Model& m : models_.models) {
    for (const Candidate& c : candidates(m, in)) {
      v1::ClassCaseFact fact;
      *fact.mutable_model() = m.ref();
      if (!make_group(m, c, window_of(m.window, occurred), fact.mutable_group())) {
        ++out.ungroupable;
        continue;
      }
      fact.mutable_group()->set_group_key(group_key(fact.model(), fact.group()));
      fact.mutable_member()->set_case_id(in.case_id());
      fact.mutable_member()->set_event_id(in.event_id());
      *fact.mutable_member()->mutable_occurred_at() = in.occurred_at();
      fact.mutable_member()->set_condition_id(c.condition);
      fact.set_withdrawn(c.withdrawn);
      *fact.mutable_recommendation() = plan(m, fact.group(), organs_);
      const std::string id = group_id(fact.group().group_key());
      v1::Envelope e = envelope::make_envelope(CaseId(id), AgencyId(kProducerId), occurred, now);
      e.set_event_id(crypto::derived_uuid(kFactIdSpace, m.id + "@" + m.version + "/" + in.event_id() + "/" + c.subject));
      e.set_correlation_id(in.correlation_id());
      e.set_causation_id(in.event_id());
      *e.mutable_class_case_fact() = std::move(fact);
      envelope::seal(e);
      out.facts.push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace caselink::classcase
