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

#include <cstdint>
#include <string>
#include <vector>

#include "services/lib/core/result.h"
#include "services/daemons/standards/engine/rule.h"

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

// Bounds of a rule set a service loads (issue 14 §3; 0 = none). Parsing holds the YAML tree of
// every file at once, about 65 times the text (10,000 rules: 2.5 MB of YAML, 161 MB peak), so
// the text is bounded before anything is parsed; the rule count bounds what stays loaded.
struct RuleSetLimits {
  uint64_t max_bytes = 0;  // the files together
  size_t max_rules = 0;
};

// load_rule_set(dir) within `limits`: a directory over max_bytes is refused before parsing,
// a set of more than max_rules rules after; the error names the limit's key
// (standards.max_rule_bytes / standards.max_rules).
Result<RuleSet> load_rule_set(const std::string& dir, const RuleSetLimits& limits);

}  // namespace caselink::standards
