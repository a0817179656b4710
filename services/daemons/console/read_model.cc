#include "services/daemons/console/read_model.h"

#include <algorithm>
#include <mutex>

#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/topics.h"
#include "services/lib/kafka/dlq.h"

namespace caselink::console {

namespace {

std::string strip_prefix(const std::string& name, const std::string& prefix) {
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

std::string region_of(const v1::Jurisdiction& j) {
  if (!j.county_code().empty()) return j.county_code();
  if (!j.city_code().empty()) return j.city_code();
  return j.province_code();
}

// Deadline counts and the next one due, from the snapshot's deadlines.
void summarize_deadlines(const v1::CaseStateSnapshot& s, TimePoint now, CaseSummary* out) {
  for (const auto& d : s.deadlines()) {
    const bool open = d.status() == v1::DEADLINE_STATUS_OPEN;
    const TimePoint due = envelope::to_time_point(d.due_at());
    if (open) {
      ++out->open_deadlines;
      if (!out->next_due_at || due < *out->next_due_at) {
        out->next_due_at = due;
        out->next_due_step = d.step();
      }
    }
    if (d.status() == v1::DEADLINE_STATUS_OVERDUE || (open && d.has_due_at() && due <= now)) {
      ++out->overdue_deadlines;
    }
  }
}

}  // namespace

std::string state_name(v1::CaseState state) { return strip_prefix(v1::CaseState_Name(state), "CASE_STATE_"); }

CaseSummary summarize_case(const std::string& case_id, const std::optional<v1::CaseStateSnapshot>& latest,
                           size_t alerts, TimePoint now, size_t missed_deadlines) {
  CaseSummary out;
  out.case_id = case_id;
  out.alerts = alerts;
  out.missed_deadlines = missed_deadlines;
  if (!latest) return out;
  const auto& s = *latest;
  out.has_state = true;
  out.state = state_name(s.state());
  out.domain = strip_prefix(v1::Domain_Name(s.domain()), "DOMAIN_");
  out.offence = s.offence_code();
  out.region = region_of(s.jurisdiction());
  out.version = s.version();
  if (s.has_last_event_occurred_at()) out.last_event_at = envelope::to_time_point(s.last_event_occurred_at());
  for (const auto& p : s.parties()) {
    out.agencies.push_back(p.party_id());
    if (p.role() == v1::PARTY_ROLE_REFERRING_AGENCY && out.referring_agency.empty()) {
      out.referring_agency = p.party_id();
    }
  }
  out.recommendations = static_cast<size_t>(s.recommendations_size());
  summarize_deadlines(s, now, &out);
  return out;
}

bool matches(const CaseSummary& summary, const CaseFilter& filter) {
  if (!filter.agency.empty() &&
      std::find(summary.agencies.begin(), summary.agencies.end(), filter.agency) == summary.agencies.end()) {
    return false;
  }
  if (!filter.offence.empty() && summary.offence != filter.offence) return false;
  if (!filter.status.empty() && summary.state != strip_prefix(filter.status, "CASE_STATE_")) return false;
  if (filter.overdue && summary.overdue() != *filter.overdue) return false;
  return true;
}

void ReadModel::apply(const ctl::CaseRecordRef& record) {
  if (record.topic == ctl::kDlqTopic) {
    apply_dlq(record);
    return;
  }
  if (record.topic == envelope::topics::kClassCase) {
    apply_class_case(record);
    return;
  }
  const auto& topics = ctl::case_topics();
  if (std::find(topics.begin(), topics.end(), record.topic) == topics.end()) return;
  const std::string& case_id = record.envelope.case_id().empty() ? record.key : record.envelope.case_id();
  if (case_id.empty()) return;  // nothing to file it under
  std::unique_lock lock(mutex_);
  ++applied_;
  CaseEntry& entry = cases_[case_id];
  entry.history.records.push_back(record);
  if (record.envelope.has_recommendation_issued() && !record.envelope.recommendation_issued().class_case_id().empty()) {
    const auto& issued = record.envelope.recommendation_issued();
    recommendation_class_case_[issued.recommendation_id()] = issued.class_case_id();
  }
  if (record.envelope.has_alert()) {
    ++entry.alerts;
    const auto& alert = record.envelope.alert();
    if (alert.kind() == v1::ALERT_KIND_DEADLINE_OVERDUE && alert.has_deadline()) {
      entry.missed.insert(alert.deadline().deadline_id());
    }
  }
  // Snapshots count from the state topic only, as `caselinkctl case list` reads them.
  if (record.topic == ctl::kStateTopic && record.envelope.has_case_state_snapshot()) {
    const auto& snapshot = record.envelope.case_state_snapshot();
    // An acknowledgement republishes a version (same hash, new recognition): the later one wins.
    if (!entry.latest || snapshot.version() >= entry.latest->version()) entry.latest = snapshot;
  }
}

void ReadModel::apply_dlq(const ctl::CaseRecordRef& record) {
  std::unique_lock lock(mutex_);
  ++applied_;
  ++dlq_.total;
  ++dlq_.by_reason[find_header(record.headers, kafka::kDlqErrorClass).value_or("(no reason header)")];
  ++dlq_.by_topic[find_header(record.headers, kafka::kDlqOriginalTopic).value_or("(unknown topic)")];
}

std::vector<CaseSummary> ReadModel::cases(const CaseFilter& filter, TimePoint now) const {
  std::vector<CaseSummary> out;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [id, entry] : cases_) {
      CaseSummary summary = summarize_case(id, entry.latest, entry.alerts, now, entry.missed.size());
      if (matches(summary, filter)) out.push_back(std::move(summary));
    }
  }
  std::sort(out.begin(), out.end(), [](const CaseSummary& a, const CaseSummary& b) { return a.case_id < b.case_id; });
  return out;
}

std::optional<ctl::CaseHistory> ReadModel::history(const std::string& case_id) const {
  std::shared_lock lock(mutex_);
  const auto it = cases_.find(case_id);
  if (it == cases_.end()) return std::nullopt;
  return it->second.history;
}

std::vector<RecommendationRow> ReadModel::recommendations() const {
  std::vector<RecommendationRow> out;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [id, entry] : cases_) {
      if (!entry.latest) continue;
      for (const auto& r : entry.latest->recommendations()) {
        const auto link = recommendation_class_case_.find(r.recommendation_id());
        out.push_back({id, r, link == recommendation_class_case_.end() ? std::string() : link->second});
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const RecommendationRow& a, const RecommendationRow& b) {
    return std::tie(a.case_id, a.summary.recommendation_id()) < std::tie(b.case_id, b.summary.recommendation_id());
  });
  return out;
}

void ReadModel::apply_class_case(const ctl::CaseRecordRef& record) {
  const auto& env = record.envelope;
  std::unique_lock lock(mutex_);
  ++applied_;
  if (env.has_class_case_opened()) {
    ClassCaseRow& row = class_cases_[env.class_case_opened().class_case_id()];
    row.opened = env.class_case_opened();
    row.opened_at = envelope::to_time_point(env.occurred_at());
  } else if (env.has_class_case_member_joined()) {
    const auto& joined = env.class_case_member_joined();
    class_cases_[joined.class_case_id()].joined.push_back(joined.member());
  }
}

std::vector<ClassCaseRow> ReadModel::class_cases() const {
  std::vector<ClassCaseRow> out;
  std::shared_lock lock(mutex_);
  for (const auto& [id, row] : class_cases_) {
    if (!row.opened.class_case_id().empty()) out.push_back(row);
  }
  return out;
}

DlqCounts ReadModel::dlq() const {
  std::shared_lock lock(mutex_);
  return dlq_;
}

size_t ReadModel::case_count() const {
  std::shared_lock lock(mutex_);
  return cases_.size();
}

uint64_t ReadModel::records_applied() const {
  std::shared_lock lock(mutex_);
  return applied_;
}

}  // namespace caselink::console
