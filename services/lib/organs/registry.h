#pragma once

// Registry of organs by region (rules/organs/organs.yaml, issue 20 #3): which procuratorate and
// which police organ are competent for an administrative division, as data. Supervision clues
// are addressed from here (the competence rule: the same-level procuratorate, 同级人民检察院).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "services/lib/core/result.h"

namespace caselink::organs {

struct Organ {
  std::string id;    // party id, e.g. "jcy-330100"
  std::string name;  // e.g. "杭州市人民检察院"
};

struct RegionOrgans {
  std::string code;   // 6-digit division code
  std::string name;   // e.g. "杭州市"
  std::string level;  // "province" | "city" | "county"
  Organ procuratorate;
  Organ police;
};

struct CompetenceRule {
  std::string rule;  // "same_level_procuratorate"
  std::string description;
  std::string legal_source;
  std::string confidence;  // "HIGH" | "MEDIUM" | "LOW"
};

// The answer for one region: the organs of the region itself (exact) or of the nearest listed
// level above it (not exact; `note` says which region was asked and which answered).
struct Competent {
  const RegionOrgans* organs = nullptr;
  bool exact = false;
  std::string note;
};

class Registry {
 public:
  // Parses the registry text; every problem is named (region code and key) in the error.
  static Result<Registry> parse(const std::string& yaml_text, const std::string& origin);
  static Result<Registry> load_file(const std::string& path);

  // The region's own entry, or nullptr.
  const RegionOrgans* find(std::string_view code) const;
  // Organs competent for `code` (county → city → province fallback). not_found naming the
  // region when neither it nor any level above it is listed, or when `code` is not 6 digits.
  Result<Competent> competent_for(std::string_view code) const;
  // Organs competent for an organ's party id "<prefix>-<6-digit code>" (e.g. "ga-330100",
  // "sthjj-330100"): the region is the id's code. not_found naming the id otherwise.
  Result<Competent> competent_for_organ(std::string_view organ_id) const;
  // Codes of `codes` that resolve to no listed level (for start-up coverage checks).
  std::vector<std::string> uncovered(const std::vector<std::string>& codes) const;

  const CompetenceRule& rule() const { return rule_; }
  const std::map<std::string, RegionOrgans, std::less<>>& regions() const { return regions_; }

 private:
  CompetenceRule rule_;
  std::map<std::string, RegionOrgans, std::less<>> regions_;
};

}  // namespace caselink::organs
