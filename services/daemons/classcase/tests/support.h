#pragma once
// Builders of the inputs caselink-classcase counts, and the repo's models and organ registry.
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>

#include "services/daemons/classcase/engine.h"
#include "services/lib/crypto/derived_uuid.h"
#include "services/lib/envelope/codec.h"

namespace caselink::classcase::test {

inline std::string source_dir() {
  const char* src = std::getenv("CASELINK_SOURCE_DIR");
  return src != nullptr ? src : "/work/main";
}

inline const ModelSet& repo_models() {
  static const ModelSet models = [] {
    auto r = ModelSet::load_file(source_dir() + "/rules/classcase/models.yaml");
    if (!r.ok()) throw std::runtime_error(r.error().describe());
    return std::move(r).value();
  }();
  return models;
}

inline const organs::Registry& repo_organs() {
  static const organs::Registry registry = [] {
    auto r = organs::Registry::load_file(source_dir() + "/rules/organs/organs.yaml");
    if (!r.ok()) throw std::runtime_error(r.error().describe());
    return std::move(r).value();
  }();
  return registry;
}

inline TimePoint at(const std::string& rfc3339) {
  TimePoint t;
  if (!parse_rfc3339(rfc3339, &t)) throw std::runtime_error("bad time " + rfc3339);
  return t;
}

inline v1::Envelope sealed(v1::Envelope e, const std::string& event_key) {
  e.set_event_id(crypto::derived_uuid("classcase-test", event_key));
  envelope::seal(e);
  return e;
}

// A 以罚代刑 supervision clue of caselink-standards for `case_id`.
inline v1::Envelope clue(const std::string& case_id, const std::string& agency, const std::string& offence,
                         const std::string& when, v1::AlertStatus status = v1::ALERT_STATUS_RAISED) {
  v1::Envelope e = envelope::make_envelope(CaseId(case_id), AgencyId("caselink-standards"), at(when), at(when));
  v1::Alert* a = e.mutable_alert();
  a->set_alert_id("clue/" + case_id);
  a->set_kind(v1::ALERT_KIND_SUPERVISION_CLUE);
  a->set_status(status);
  auto* d = a->mutable_supervision_clue();
  d->set_reason(v1::SUPERVISION_CLUE_REASON_PENALTY_INSTEAD_OF_TRANSFER);
  d->mutable_deciding_agency()->set_organ_id(agency);
  d->mutable_assessment()->set_offence_code(offence);
  d->mutable_assessment()->mutable_jurisdiction()->set_city_code("330100");
  return sealed(std::move(e), "clue/" + case_id + "/" + when + "/" + std::to_string(status));
}

// caselink-sync's DEADLINE_OVERDUE alert on the police filing review of `case_id`.
inline v1::Envelope overdue(const std::string& case_id, const std::string& police, const std::string& when,
                            v1::AlertStatus status = v1::ALERT_STATUS_RAISED) {
  v1::Envelope e = envelope::make_envelope(CaseId(case_id), AgencyId("caselink-sync"), at(when), at(when));
  v1::Alert* a = e.mutable_alert();
  a->set_alert_id("overdue/" + case_id);
  a->set_kind(v1::ALERT_KIND_DEADLINE_OVERDUE);
  a->set_status(status);
  a->mutable_deadline()->set_step("police_filing_review");
  a->mutable_deadline()->set_responsible_party_id(police);
  return sealed(std::move(e), "overdue/" + case_id + "/" + std::to_string(status));
}

// A penalty imposed on the unit `company` (masked credit code and name).
inline v1::Envelope penalty(const std::string& case_id, const std::string& company, const std::string& when) {
  v1::Envelope e = envelope::make_envelope(CaseId(case_id), AgencyId("scjg-330100"), at(when), at(when));
  auto* p = e.mutable_administrative_penalty_reported();
  p->set_decision_number("杭市监罚〔2026〕" + case_id);
  p->mutable_deciding_agency()->set_organ_id("scjg-330100");
  p->set_outcome(v1::PENALTY_OUTCOME_IMPOSED);
  auto* unit = p->add_penalized_parties();
  unit->set_suspect_id("u1");
  unit->set_kind(v1::SUSPECT_KIND_UNIT);
  unit->set_name(company);
  unit->set_id_number_masked("913301********12AB");
  return sealed(std::move(e), "penalty/" + case_id);
}

// Both steps without Kafka: extract, then fold each fact into its group.
struct Pipeline {
  Extractor extractor{repo_models(), &repo_organs()};
  std::map<std::string, v1::ClassCaseGroupState> groups;
  TimePoint now = at("2026-06-01T00:00:00Z");

  std::vector<v1::Envelope> feed(const v1::Envelope& input) {
    std::vector<v1::Envelope> events;
    for (const auto& fact : extractor.extract(input, now).facts) {
      Folded f = fold(groups[fact.case_id()], fact, now);
      events.insert(events.end(), f.events.begin(), f.events.end());
    }
    return events;
  }
};

inline int count(const std::vector<v1::Envelope>& events, v1::Envelope::PayloadCase payload) {
  int n = 0;
  for (const auto& e : events) n += e.payload_case() == payload ? 1 : 0;
  return n;
}

}  // namespace caselink::classcase::test
