#pragma once

// Loads and validates a rule set: every offence file (rules/*.yaml) plus the catalogues
// (rules/catalogue/facts.yaml, rules/catalogue/jurisdictions.yaml). Validation is complete
// or nothing: unknown keys, wrong types, bad dates, unknown facts or jurisdictions, a
// comparison that does not fit the fact's kind, duplicate (id, version), overlapping validity
// of one rule id in one jurisdiction, examples naming unknown facts. Every problem is
// reported (not just the first), one per line, as
//   <file>:<line>: rule <id> v<version>: <field>: <what is wrong>
// The rule-set version is "sha256:" + the first 16 hex digits of a SHA-256 over every file
// (path and bytes), so two services that loaded the same files report the same version.

#include <string>
#include <vector>

#include "services/common/core/result.h"
#include "services/standards/engine/rule.h"

namespace caselink::standards {

struct RuleFile {
  std::string path;  // relative to the rule directory: "fraud.yaml", "catalogue/facts.yaml"
  std::string text;
};

inline constexpr const char* kFactCatalogue = "catalogue/facts.yaml";
inline constexpr const char* kJurisdictionCatalogue = "catalogue/jurisdictions.yaml";

// Pure: parses and validates in-memory files. On failure the error is kInvalid, its message
// holds every problem (one per line) and `field` the first problem's field.
Result<RuleSet> parse_rule_set(const std::vector<RuleFile>& files);

// Reads <dir>/*.yaml and <dir>/catalogue/*.yaml, then parse_rule_set().
Result<RuleSet> load_rule_set(const std::string& dir);

}  // namespace caselink::standards
