#pragma once

// The standards engine: pick the rules in force for a case and evaluate them. Pure: no I/O,
// no clock (the assessment date is passed in), no shared state beyond the immutable RuleSet.
//
// Selection, per rule lineage (rule id) of the case's offence:
//   1. Jurisdiction: the most specific entry wins, city tier > province > national. A province
//      that sets city tiers but a case whose city (or tier) is unknown: every tier is
//      evaluated; if they agree that is the outcome, otherwise INSUFFICIENT_FACTS naming
//      `jurisdiction.city`.
//   2. Date: an entry is in force when its anchor date lies in [effective_from, effective_to].
//      The anchor is the act date, or the police filing date for entries that say
//      `anchor: filing_date` (Yunnan fraud); a case not yet filed uses the assessment date
//      (it can only be filed from now on).
//   3. Time of the act vs now ("more-lenient comparison"): the entry in force at the anchor
//      date applies ("then"). If a different entry is in force at the assessment date ("now")
//      and it allows retroactive application when more lenient (the default), both are
//      evaluated and the more lenient outcome wins (BELOW < INSUFFICIENT < MEETS); the
//      conclusion cites the winner and names the other as `compared_with`.
//      No entry in force at the anchor date: NO_APPLICABLE_RULE (acts before the first
//      encoded version are not assessed; the legal reviewer adds the older version).
//
// Evaluation is three-valued: a leaf whose fact is absent is unknown; any_of is true if any
// child is true, false if all are false; all_of is false if any child is false, true if all
// are true; otherwise unknown. A range leaf (a national range whose figure provinces set) is
// true at or above the top of the range, false below the bottom, and unknown in between
// (missing: the provincial figure). Then:
//   threshold false, or a procedural condition false        -> BELOW_THRESHOLD
//   threshold true and procedural conditions true           -> MEETS_THRESHOLD
//   otherwise                                               -> INSUFFICIENT_FACTS (+ missing)
// Across the lineages of an offence: MEETS if any meets, else INSUFFICIENT if any, else BELOW
// if any, else NO_APPLICABLE_RULE.
//
// Tiers (issue 16 §2): each entry of a lineage belongs to a penalty tier (rule.h). Selection and
// the more-lenient comparison run per tier, and each tier has its own conclusion. A higher tier's
// threshold is an alternative of the entry threshold (its facts reach the crime a fortiori: e.g.
// the 2023 pollution items that moved to 情节严重), so the entry conclusion counts the higher tiers
// in force at the same dates: one that MEETS makes it MEETS, one that is undecided keeps a BELOW
// open with its missing facts. Only the entry conclusion decides INSUFFICIENT / BELOW and the
// missing facts. The assessment names the highest tier met (`tier_reached`).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "services/daemons/standards/engine/rule.h"
#include "services/daemons/standards/engine/types.h"

namespace caselink::standards {

// Missing-fact tokens that are not fact names.
inline constexpr const char* kMissingActDate = "act_date";
inline constexpr const char* kMissingProvince = "jurisdiction.province";
inline constexpr const char* kMissingCity = "jurisdiction.city";
// "provincial_figure:<province>": the national range applies and the province's own figure
// is not in the rule set (a rule-table gap, not a fact the agency can supply).
inline constexpr const char* kMissingProvincialFigurePrefix = "provincial_figure:";

struct RuleCitation {
  std::string id;
  int64_t version = 0;
  std::string jurisdiction;  // RuleScope::str()
  std::string document;
  std::string article;
  Date effective_from;
  std::optional<Date> effective_to;
  Layer layer = Layer::kJudicialInterpretation;
  Confidence confidence = Confidence::kUnconfirmed;
  bool recall = false;
};

// One item (leaf condition) of a rule evaluated on the stated facts (issue 20 #9): what was
// evaluated and with what result, so an INSUFFICIENT_FACTS verdict still shows a stated item that
// is below its figure, and which unknown items could still change the outcome.
enum class ItemResult { kMet, kNotMet, kUnknown };
const char* to_string(ItemResult result);

struct ItemEvaluation {
  std::string item;                // legal item label, e.g. "第一条(二)" (may be empty)
  std::string condition;           // "hazardous_waste_tonnes >= 3"
  std::vector<std::string> facts;  // fact names the item reads
  ItemResult result = ItemResult::kUnknown;
  std::string stated;  // the stated value(s), "2.5" or "a = 1, b = ?"; empty when nothing stated
  bool procedural = false;            // from the rule's procedural conditions
  bool could_change_outcome = false;  // unknown, and stating it could still change the outcome
  std::string text;                   // "not met: 2.5 < 3", "unknown: x not stated (needs x >= 3)"
  // Windowed facts only (issue 16 §2): "counted" (caselink's own count of penalties it has seen
  // decided) or "declared" (the sender's number); the penalties caselink has seen in the window,
  // "decision number (YYYY-MM-DD)".
  std::string fact_source;
  std::vector<std::string> cited_records;
};

// The conclusion of one rule lineage for one case.
struct Conclusion {
  std::string rule_id;
  // The penalty tier of this conclusion (rule.h kEntryTier unless a higher tier of the lineage).
  std::string tier = kEntryTier;
  Outcome outcome = Outcome::kNoApplicableRule;
  std::optional<RuleCitation> rule;           // the entry whose outcome is reported
  std::optional<RuleCitation> compared_with;  // the other entry of a more-lenient comparison
  std::vector<std::string> missing_facts;     // sorted, unique (INSUFFICIENT_FACTS)
  std::vector<std::string> basis;             // leaves that decided, e.g. "hazardous_waste_tonnes 3.5 >= 3 [第一条(二)]"
  std::vector<ItemEvaluation> items;          // every item of the reported entry, evaluated
  // min(rule confidence, confidence of the deciding leaves); a conclusion resting on an
  // unconfirmed item says so.
  Confidence confidence = Confidence::kUnconfirmed;
  bool relies_on_recall = false;
  // The date the version was chosen for, and which date of the case it is (absent when the
  // act date was needed and missing).
  std::optional<Date> anchor_date;
  Anchor anchor_kind = Anchor::kActDate;
  // True when a newer version, more lenient than the one in force at the anchor date, applied.
  bool more_lenient_applied = false;
  std::string explanation;  // how the rule was selected, one sentence
};

struct Assessment {
  std::string offence;
  Outcome outcome = Outcome::kNoApplicableRule;
  // One per lineage of the offence at its entry tier, then one per higher tier of a lineage that
  // has a version for the case (a higher tier's NO_APPLICABLE_RULE is left out).
  std::vector<Conclusion> conclusions;
  // The highest tier a conclusion MEETS ("entry", "amount_large", ...); empty unless MEETS.
  std::string tier_reached;
  std::vector<std::string> missing_facts;  // union over the INSUFFICIENT conclusions
  // The discretionary exits whose conditions the facts meet (their conclusions have tier
  // kExitTier), "id vN (document article): <kind>" (rule.h: may_not_file, not_a_crime). They
  // leave `outcome` as it is: the threshold is met or not; the exit says the law lets the case be
  // treated otherwise nonetheless.
  std::vector<std::string> exits;
  std::string rule_set_version;
  Date as_of;
};

// Problems with the input facts (a fact with the wrong kind); the caller rejects the input.
struct FactProblem {
  std::string fact;
  std::string message;
};
std::vector<FactProblem> check_facts(const Catalogue& catalogue, const Facts& facts);

// Result of evaluating one rule entry on a fact set (exposed for tests and the benchmark).
struct RuleEvaluation {
  Outcome outcome = Outcome::kInsufficientFacts;
  std::vector<std::string> missing_facts;
  std::vector<std::string> basis;
  std::vector<ItemEvaluation> items;  // threshold items, then procedural ones, in rule order
  Confidence confidence = Confidence::kUnconfirmed;
  bool relies_on_recall = false;
};
// `with_items` false skips the per-item report (a higher tier evaluated only as an alternative of
// the entry threshold: its outcome, missing facts and basis are all that is used).
RuleEvaluation evaluate_rule(const Rule& rule, const Facts& facts, const std::string& province,
                             bool with_items = true);

class Engine {
 public:
  explicit Engine(std::shared_ptr<const RuleSet> rules) : rules_(std::move(rules)) {}

  // Assesses one case at `as_of` (the date of the assessment: the law in force "now").
  Assessment assess(const CaseFacts& input, Date as_of) const;

  const RuleSet& rules() const { return *rules_; }
  const std::shared_ptr<const RuleSet>& rules_ptr() const { return rules_; }

 private:
  std::shared_ptr<const RuleSet> rules_;
};

// Runs every example of the rule set; returns one line per failing example (empty = all pass).
std::vector<std::string> run_examples(const RuleSet& rules);

}  // namespace caselink::standards
