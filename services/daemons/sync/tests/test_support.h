#pragma once
// Helpers shared by caselink-sync's tests: rules from the repo's data files, envelopes.

#include <functional>
#include <string>

#include "services/daemons/sync/case_engine.h"
#include "services/lib/authz/authz.h"
#include "services/lib/envelope/codec.h"

namespace caselink::sync::test {

inline const DeadlineRules& repo_rules() {
  static const DeadlineRules rules = [] {
    const char* src = std::getenv("CASELINK_SOURCE_DIR");
    auto r = DeadlineRules::load_directory(std::string(src != nullptr ? src : "/work/main") + "/rules/deadlines");
    if (!r.ok()) {
      throw std::runtime_error(r.error().describe());
    }
    return std::move(r).value();
  }();
  return rules;
}

// The repo's deadline rules with the organ registry (rules/organs/organs.yaml), as caselink-sync
// runs them: competent procuratorates and clue addressees come from it.
inline DeadlineRules repo_rules_with_organs() {
  DeadlineRules rules = repo_rules();
  const char* src = std::getenv("CASELINK_SOURCE_DIR");
  auto organs = organs::Registry::load_file(std::string(src != nullptr ? src : ".") + "/rules/organs/organs.yaml");
  if (!organs.ok()) throw std::runtime_error(organs.error().describe());
  rules.set_organs(std::make_shared<const organs::Registry>(std::move(*organs)));
  return rules;
}

inline TimePoint at(const std::string& rfc3339) {
  TimePoint t;
  if (!parse_rfc3339(rfc3339, &t)) throw std::runtime_error("bad time " + rfc3339);
  return t;
}

inline v1::Organ organ(const std::string& id, v1::OrganKind kind = v1::ORGAN_KIND_UNSPECIFIED) {
  v1::Organ o;
  o.set_organ_id(id);
  o.set_name(id);
  o.set_kind(kind);
  return o;
}

struct Ev {
  v1::Envelope env;
  std::string raw;
};

// The sender a legitimate event of the tests' Hangzhou cast has (issue 15 §2: caselink-sync
// refuses a step its sender may not take): the organ the payload names as acting, else the cast
// member of the kind that sends it (sthjj-330100, ga-330100, jcy-330100, fy-330100).
inline std::string cast_sender(const v1::Envelope& env) {
  std::string acting = authz::acting_party(env);
  if (!acting.empty()) return acting;
  const authz::PayloadRule* rule = authz::RoleModel::builtin().payload(env.event_type());
  if (rule == nullptr || rule->kinds.empty()) return "tester";
  switch (rule->kinds.front()) {
    case authz::PartyKind::kPolice: return "ga-330100";
    case authz::PartyKind::kProcuratorate: return "jcy-330100";
    case authz::PartyKind::kCourt: return "fy-330100";
    case authz::PartyKind::kService: return "caselink-evidence";
    case authz::PartyKind::kAgency: return "sthjj-330100";
  }
  return "tester";
}

// `producer` empty: cast_sender().
inline Ev make(const std::string& case_id, TimePoint occurred, const std::function<void(v1::Envelope&)>& fill,
               const std::string& producer = "") {
  Ev e;
  e.env = envelope::make_envelope(CaseId(case_id), AgencyId(producer.empty() ? "tester" : producer), occurred, occurred);
  fill(e.env);
  envelope::seal(e.env);
  if (producer.empty()) e.env.set_producer_agency_id(cast_sender(e.env));
  e.raw = envelope::encode(e.env);
  return e;
}

}  // namespace caselink::sync::test
