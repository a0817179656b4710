#pragma once
// Helpers shared by caselink-sync's tests: rules from the repo's data files, envelopes.

#include <functional>
#include <string>

#include "services/case-sync/case_engine.h"
#include "services/common/envelope/codec.h"

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

inline Ev make(const std::string& case_id, TimePoint occurred, const std::function<void(v1::Envelope&)>& fill,
               const std::string& producer = "tester") {
  Ev e;
  e.env = envelope::make_envelope(CaseId(case_id), AgencyId(producer), occurred, occurred);
  fill(e.env);
  envelope::seal(e.env);
  e.raw = envelope::encode(e.env);
  return e;
}

}  // namespace caselink::sync::test
