#pragma once

// The rule model: what a rule file (rules/*.yaml) becomes after loading and validation.
// docs/rules.md describes the file format; loader.h builds these values.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "services/daemons/standards/engine/types.h"

namespace caselink::standards {

// One entry of rules/catalogue/facts.yaml.
inline constexpr const char* kWindowedPenaltyCount = "same_kind_penalty_count";

struct FactSpec {
  std::string name;
  FactKind kind = FactKind::kNumber;
  std::string unit;          // numbers only: yuan, tonnes, mu, persons, months, multiple, percent, ...
  bool integer = false;      // counts (persons, months, penalties): "just under" is one less
  bool procedural = false;   // a procedural condition (an order ignored, earlier penalties)
  // Typed, windowed fact (issue 16 §2): what the number counts over a window that each rule leaf
  // states (`window: {years: 2}`). kWindowedPenaltyCount: administrative penalties of the same
  // party for the same kind of act (the case's offence) decided within the window before the act.
  // caselink counts those it has seen itself (CaseFacts::seen_penalties) and cites them; otherwise
  // the sender's number is used, marked as declared. Empty: not windowed.
  std::string windowed;
  std::string description;
};

// One city tier of a province (rules/catalogue/jurisdictions.yaml), e.g. Guangdong's six
// first-tier cities for wage arrears.
struct CityTier {
  std::string id;
  std::string province;
  std::string name;
  std::map<std::string, std::string> cities;  // code -> name
};

struct Catalogue {
  std::map<std::string, FactSpec, std::less<>> facts;
  std::map<std::string, std::string, std::less<>> provinces;  // code -> name
  std::map<std::string, CityTier, std::less<>> tiers;         // id -> tier

  const FactSpec* fact(std::string_view name) const;
  // The tier id of a city, or "" when the city is in no tier.
  std::string tier_of_city(std::string_view city) const;
};

// A condition tree over named facts. Leaves compare one fact (or a weighted sum of facts);
// inner nodes combine children with any_of / all_of.
struct Condition {
  enum class Kind { kAllOf, kAnyOf, kCompare, kRange, kFlag, kText, kSum };
  enum class Op { kGte, kGt, kLte, kLt, kEq };

  Kind kind = Kind::kAllOf;
  std::vector<Condition> children;                    // all_of / any_of
  std::string fact;                                   // compare / range / flag / text
  std::vector<std::pair<std::string, double>> terms;  // sum: (fact, weight)
  Op op = Op::kGte;                                   // compare / sum
  double value = 0;                                   // compare / sum
  double range_low = 0;                               // range: below low -> false
  double range_high = 0;                              //        at or above high -> true
  bool flag = true;                                   // flag: expected value
  std::vector<std::string> texts;                     // text: accepted values
  int32_t window_months = 0;                          // windowed fact: the window before the act date
  // "接近" (approaching) a figure (issue 16 §3), e.g. 法释〔2011〕7号 第二条第二款: a compare leaf
  // `value >= approach_figure * approach_share`; the share is data with its own confidence
  // because the interpretation does not say how close "接近" is. 0 = not an approaching leaf.
  double approach_figure = 0;
  double approach_share = 0;
  std::string item;                                   // legal item label, e.g. "第一条(二)"
  std::optional<Confidence> confidence;               // when weaker than the rule's
  bool recall = false;                                // figure given from memory (domain.md)
  std::string note;

  bool is_leaf() const { return kind != Kind::kAllOf && kind != Kind::kAnyOf; }
  // Every fact name the subtree reads.
  void collect_facts(std::vector<std::string>* out) const;
  // "hazardous_waste_tonnes >= 3" (leaves only).
  std::string describe() const;
};

const char* to_string(Condition::Op op);
// A figure as rule texts and reports print it: whole numbers without decimals, others as %g.
std::string number_text(double v);
// The comparison that holds exactly when `op` does not (">=" -> "<", "==" -> "!=").
const char* negated_string(Condition::Op op);

struct LegalSource {
  std::string document;
  std::string article;
};

// Which date decides whether a rule is in force for a case.
enum class Anchor { kActDate, kFilingDate };
const char* to_string(Anchor anchor);

// Layer of a rule in the threshold hierarchy (domain.md §7: thresholds are layered).
enum class Layer { kStatute, kJudicialInterpretation, kFilingStandard, kProvincial, kCityTier };
const char* to_string(Layer layer);
std::optional<Layer> parse_layer(std::string_view text);

// Penalty tiers of one lineage (issue 16 §2): the entry tier is the criminal threshold (数额较大,
// 严重污染环境, 情节严重 where that is the entry); higher tiers are the statute's aggravated
// brackets. "amount_*" for 数额巨大 / 数额特别巨大, "circumstances_*" for 情节严重 / 情节特别严重
// (also 后果特别严重). Rank: entry 1; amount_large, circumstances_serious 2;
// amount_especially_large, circumstances_especially_serious 3.
inline constexpr const char* kEntryTier = "entry";
// The rank of a tier name, 0 for a name that is not a tier.
int tier_rank(std::string_view tier);
// The allowed tier names, for error messages: "entry | amount_large | ...".
std::string tier_names();

// Discretionary exits (issue 16 §1): a lineage whose entries say `exit: <kind>` does not decide
// whether the threshold is met; it states when the law lets an authority treat the case
// otherwise although it is (e.g. 拒不支付劳动报酬: wages paid in full with compensation before
// filing → 可以不予立案追诉, 2017 补充规定 第七条; → 可以认定为情节显著轻微危害不大，不认为是犯罪,
// 法释〔2013〕3号 第六条). Its conclusion carries tier kExitTier and never feeds the outcome, the
// missing facts or tier_reached; when met, the assessment names it (`exits`).
inline constexpr const char* kExitTier = "discretionary_exit";
// The exit kinds the loader accepts, and the words an assessment uses for them.
inline constexpr const char* kExitMayNotFile = "may_not_file";  // 可以不予立案追诉 (the police)
inline constexpr const char* kExitNotACrime = "not_a_crime";    // 可以认定为…不认为是犯罪 (a court's reading)
inline bool is_exit_kind(std::string_view kind) { return kind == kExitMayNotFile || kind == kExitNotACrime; }
// "may_not_file | not_a_crime", for error messages.
inline std::string exit_kinds() { return std::string(kExitMayNotFile) + " | " + kExitNotACrime; }

struct RuleScope {
  std::string province;   // "" = national
  std::string city_tier;  // "" = whole province
  // "national", "440000", "440000/guangdong.tier1"
  std::string str() const;
  friend bool operator==(const RuleScope&, const RuleScope&) = default;
  friend auto operator<=>(const RuleScope&, const RuleScope&) = default;
};

struct Rule {
  std::string id;       // lineage, e.g. "wage_arrears.amount"; provincial figures share the national id
  int64_t version = 0;  // unique per id: (id, version) names exactly one entry
  std::string offence;
  RuleScope scope;
  Date effective_from;
  std::optional<Date> effective_to;  // inclusive; open-ended when absent
  Anchor anchor = Anchor::kActDate;
  // When this rule is in force at assessment time but an older one was in force at the act
  // date: apply this one if its outcome is more lenient (两高 temporal-effect rule).
  bool retroactive_if_more_lenient = true;
  // The penalty tier this entry decides (kEntryTier unless the file says `tier:`). Validity
  // windows must not overlap within one (id, tier, jurisdiction).
  std::string tier = kEntryTier;
  // "" or an exit kind (is_exit_kind): a discretionary-exit entry (see kExitTier). Every entry of an exit
  // lineage is an exit; exits have no tiers and no more-lenient comparison.
  std::string exit;
  LegalSource source;
  // Default: city_tier / provincial from the scope, judicial_interpretation for national rules.
  Layer layer = Layer::kJudicialInterpretation;
  Confidence confidence = Confidence::kUnconfirmed;
  bool recall = false;
  std::string note;
  Condition threshold;
  std::optional<Condition> procedural;  // `requires:` in the file: procedural conditions
  std::vector<std::string> facts;       // every fact the rule reads, sorted (filled at load)
  std::string file;
  int line = 0;

  bool in_force(Date d) const { return d >= effective_from && (!effective_to || d <= *effective_to); }
  // "wage_arrears.amount v3"
  std::string ref() const { return id + " v" + std::to_string(version); }
};

// A worked example stored in a rule file; every example is run by the rules check and by the
// unit tests, so a rule file carries its own tests.
struct RuleExample {
  std::string name;
  std::string file;
  int line = 0;
  CaseFacts input;
  std::optional<Date> as_of;
  Outcome expect_outcome = Outcome::kNoApplicableRule;
  std::string expect_rule;                         // "id v3", optional
  std::optional<std::vector<std::string>> expect_missing;  // exact list, optional
  std::optional<std::string> expect_tier;  // the tier the facts reach ("" = none met), optional
  // "id vN" of the discretionary exit that must be met, "" = none may be met; optional.
  std::optional<std::string> expect_exit;
};

struct Offence {
  std::string code;   // = file stem
  std::string title;  // 污染环境罪
  std::string statute;
  std::string file;
  std::vector<std::string> lineages;  // rule ids, in file order
};

struct RuleSet {
  std::string version;               // "sha256:<16 hex>" over every file loaded
  std::vector<std::string> files;    // relative paths, sorted
  Catalogue catalogue;
  std::map<std::string, Offence, std::less<>> offences;
  std::vector<Rule> rules;
  // id -> indices into rules, sorted by scope then effective_from
  std::map<std::string, std::vector<size_t>, std::less<>> by_id;
  std::vector<RuleExample> examples;

  const Rule* find(std::string_view id, int64_t version) const;
};

}  // namespace caselink::standards
