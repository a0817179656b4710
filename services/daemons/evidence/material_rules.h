#pragma once

// The legal lists the evidence service checks against, loaded from data files
// (rules/materials/*.yaml, format in docs/services/evidence.md):
//
//   kind: transfer_materials   which material categories a referral must carry, per domain
//                              profile (Order 310 Art 6, the general list; S2 Art 6, the
//                              environmental list)
//   kind: evidence_usability   which evidence types may be used in criminal proceedings as
//                              collected, and which must be collected again (CPL Art 54 ¶2,
//                              S2 Art 20–21)
//
// Code never hard-codes a legal list: every entry carries its legal source and confidence.
// Names of categories and evidence types must exist in the contract (the proto enums); the
// loader is given that vocabulary and rejects anything else, naming file and field.

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "services/lib/core/confidence.h"
#include "services/lib/core/result.h"

namespace caselink::evidence {

// Names the rules may use: enum value names of the contract without their prefix
// (e.g. "TRANSFER_LETTER", "WITNESS_TESTIMONY"). The service builds it from the proto
// descriptors; tests build it by hand.
struct Vocabulary {
  std::set<std::string> material_categories;
  std::set<std::string> evidence_types;
  std::set<std::string> domains;  // lowercase, e.g. "environment"
};


struct LegalSource {
  std::string document;
  std::string article;
  Confidence confidence = Confidence::kUnconfirmed;
  std::string note;  // e.g. "(recall)" caveats, interpretation choices
};

// required:    missing -> the receipt is INCOMPLETE, naming the category
// conditional: required only where it applies (e.g. a list of seized items when items were
//              seized); missing -> named in the receipt as "confirm not applicable", not INCOMPLETE
// optional:    never reported missing
enum class Requirement { kRequired, kConditional, kOptional };
const char* to_string(Requirement r);

struct MaterialEntry {
  std::string category;
  Requirement requirement = Requirement::kRequired;
  std::string title;  // the statute's wording, e.g. "涉嫌犯罪案件移送书"
  LegalSource source;
  // Conditional or optional entries: offences (offence codes) for which the category is required
  // (a conditional entry whose condition always holds for them, e.g. a test or appraisal report
  // for an offence whose threshold is proven by a measurement; an optional entry asked of these
  // offences only, e.g. the order to pay of a wage-arrears case). Empty = as `requirement` says.
  std::vector<std::string> required_for_offences;

  // The requirement for a case of `offence_code` (empty = unknown offence: as written).
  Requirement requirement_for(const std::string& offence_code) const;
};

struct MaterialList {
  std::string file;      // where it was loaded from (for messages)
  std::string id;        // rule id, e.g. "materials.s1.art6" (RuleRef.rule_id in receipts)
  std::string profile;   // "general", "environment", ...
  std::vector<std::string> domains;  // case domains that select this list
  bool is_default = false;           // used when no list names the case's domain
  LegalSource source;
  std::vector<MaterialEntry> entries;
};

enum class Usability { kUsable, kUsableAfterReview, kRequiresRecollection, kNotListed };
const char* to_string(Usability u);

struct UsabilityRule {
  Usability usability = Usability::kNotListed;
  LegalSource source;
};

struct UsabilityProfile {
  std::string name;
  std::string extends;  // a profile whose rules apply unless this one overrides a type
  std::map<std::string, UsabilityRule> by_type;  // own rules only
};

class MaterialRules {
 public:
  // Loads every *.yaml file in `dir`. All problems are reported at once, one per line, each
  // as "<file>: <field path>: <what is wrong>".
  static Result<MaterialRules> load_directory(const std::filesystem::path& dir, const Vocabulary& vocabulary);
  // Same from (file name, YAML text) pairs; for tests and embedded defaults.
  static Result<MaterialRules> load_texts(const std::vector<std::pair<std::string, std::string>>& files,
                                          const Vocabulary& vocabulary);

  // The list for a case domain (case-insensitive match on `domains`, else the default list).
  const MaterialList& list_for_domain(const std::string& domain) const;

  // Usability of an evidence type under a profile (following `extends`); kNotListed when no
  // rule names it. `source` is set when a rule matched.
  Usability usability(const std::string& profile, const std::string& evidence_type,
                      const LegalSource** source = nullptr) const;

  const std::vector<MaterialList>& lists() const { return lists_; }
  const std::map<std::string, UsabilityProfile>& usability_profiles() const { return profiles_; }
  // Content fingerprint of the loaded files (first 16 hex digits of a SHA-256 over names and
  // texts), recorded in every receipt so a receipt names the rule set that made it.
  const std::string& version() const { return version_; }

 private:
  MaterialRules() = default;  // only the loaders make one: a loaded set always has a default list

  std::vector<MaterialList> lists_;
  std::map<std::string, UsabilityProfile> profiles_;
  std::string version_;
};

}  // namespace caselink::evidence
