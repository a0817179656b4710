#include "services/daemons/standards/engine/engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <set>

namespace caselink::standards {

namespace {

enum class Tri { kFalse, kTrue, kUnknown };

struct NodeResult {
  Tri value = Tri::kUnknown;
  std::vector<const Condition*> deciding;  // leaves that decided a true/false value
  std::vector<const std::string*> missing; // unknown only: fact names (owned by the rule set)
  bool missing_province_figure = false;    // unknown because a national range is undecided
};

const double* number_fact(const Facts& facts, const std::string& name) {
  auto it = facts.find(name);
  if (it == facts.end()) {
    return nullptr;
  }
  return std::get_if<double>(&it->second);
}

bool compare(double lhs, Condition::Op op, double rhs) {
  switch (op) {
    case Condition::Op::kGte:
      return lhs >= rhs;
    case Condition::Op::kGt:
      return lhs > rhs;
    case Condition::Op::kLte:
      return lhs <= rhs;
    case Condition::Op::kLt:
      return lhs < rhs;
    case Condition::Op::kEq:
      return lhs == rhs;
  }
  return false;
}

NodeResult leaf(const Condition& c, Tri value) {
  NodeResult r;
  r.value = value;
  if (value != Tri::kUnknown) {
    r.deciding.push_back(&c);
  }
  return r;
}

NodeResult missing(const std::string& name) {
  NodeResult r;
  r.missing.push_back(&name);
  return r;
}

NodeResult eval(const Condition& c, const Facts& facts, const std::string& province);

// all_of / any_of: any_of is decided by a true child, all_of by a false child; otherwise unknown
// when a child is unknown, else the non-decisive value with every child's deciding leaves.
NodeResult eval_group(const Condition& c, const Facts& facts, const std::string& province) {
  const bool any = c.kind == Condition::Kind::kAnyOf;
  const Tri decisive = any ? Tri::kTrue : Tri::kFalse;
  NodeResult out;
  bool unknown = false;
  std::vector<const Condition*> all_deciding;
  std::vector<const Condition*> decisive_leaves;
  std::vector<const std::string*> missing_facts;
  bool province_figure = false;
  for (const auto& child : c.children) {
    NodeResult r = eval(child, facts, province);
    if (r.value == decisive) {
      decisive_leaves.insert(decisive_leaves.end(), r.deciding.begin(), r.deciding.end());
    } else if (r.value == Tri::kUnknown) {
      unknown = true;
      missing_facts.insert(missing_facts.end(), r.missing.begin(), r.missing.end());
      province_figure = province_figure || r.missing_province_figure;
    } else {
      all_deciding.insert(all_deciding.end(), r.deciding.begin(), r.deciding.end());
    }
  }
  if (!decisive_leaves.empty()) {
    out.value = decisive;
    out.deciding = std::move(decisive_leaves);
  } else if (unknown) {
    out.value = Tri::kUnknown;
    out.missing = std::move(missing_facts);
    out.missing_province_figure = province_figure;
  } else {
    out.value = any ? Tri::kFalse : Tri::kTrue;
    out.deciding = std::move(all_deciding);
  }
  return out;
}

NodeResult eval_compare(const Condition& c, const Facts& facts) {
  const double* v = number_fact(facts, c.fact);
  if (v == nullptr) {
    return missing(c.fact);
  }
  return leaf(c, compare(*v, c.op, c.value) ? Tri::kTrue : Tri::kFalse);
}

// A national range: decided outside [low, high); inside it the province's own figure decides.
NodeResult eval_range(const Condition& c, const Facts& facts) {
  const double* v = number_fact(facts, c.fact);
  if (v == nullptr) {
    return missing(c.fact);
  }
  if (*v >= c.range_high) {
    return leaf(c, Tri::kTrue);
  }
  if (*v < c.range_low) {
    return leaf(c, Tri::kFalse);
  }
  NodeResult r;
  r.missing_province_figure = true;
  return r;
}

NodeResult eval_flag(const Condition& c, const Facts& facts) {
  auto it = facts.find(c.fact);
  const bool* v = it == facts.end() ? nullptr : std::get_if<bool>(&it->second);
  if (v == nullptr) {
    return missing(c.fact);
  }
  return leaf(c, *v == c.flag ? Tri::kTrue : Tri::kFalse);
}

NodeResult eval_text(const Condition& c, const Facts& facts) {
  auto it = facts.find(c.fact);
  const std::string* v = it == facts.end() ? nullptr : std::get_if<std::string>(&it->second);
  if (v == nullptr) {
    return missing(c.fact);
  }
  const bool hit = std::find(c.texts.begin(), c.texts.end(), *v) != c.texts.end();
  return leaf(c, hit ? Tri::kTrue : Tri::kFalse);
}

NodeResult eval_sum(const Condition& c, const Facts& facts) {
  double total = 0;
  NodeResult unknown;
  for (const auto& [name, weight] : c.terms) {
    const double* v = number_fact(facts, name);
    if (v == nullptr) {
      unknown.missing.push_back(&name);
    } else {
      total += weight * *v;
    }
  }
  if (!unknown.missing.empty()) {
    return unknown;
  }
  return leaf(c, compare(total, c.op, c.value) ? Tri::kTrue : Tri::kFalse);
}

NodeResult eval(const Condition& c, const Facts& facts, const std::string& province) {
  switch (c.kind) {
    case Condition::Kind::kAllOf:
    case Condition::Kind::kAnyOf:
      return eval_group(c, facts, province);
    case Condition::Kind::kCompare:
      return eval_compare(c, facts);
    case Condition::Kind::kRange:
      return eval_range(c, facts);
    case Condition::Kind::kFlag:
      return eval_flag(c, facts);
    case Condition::Kind::kText:
      return eval_text(c, facts);
    case Condition::Kind::kSum:
      return eval_sum(c, facts);
  }
  return {};
}

std::string fact_text(const Facts& facts, const std::string& name) {
  auto it = facts.find(name);
  if (it == facts.end()) {
    return "?";
  }
  if (const double* d = std::get_if<double>(&it->second)) {
    return number_text(*d);
  }
  if (const bool* b = std::get_if<bool>(&it->second)) {
    return *b ? "true" : "false";
  }
  return std::get<std::string>(it->second);
}

// "hazardous_waste_tonnes = 3.5; rule: hazardous_waste_tonnes >= 3 [第一条(二)]"
std::string basis_line(const Condition& c, const Facts& facts) {
  std::string values;
  if (c.kind == Condition::Kind::kSum) {
    for (size_t i = 0; i < c.terms.size(); ++i) {
      values += (i ? ", " : "") + c.terms[i].first + " = " + fact_text(facts, c.terms[i].first);
    }
  } else {
    values = c.fact + " = " + fact_text(facts, c.fact);
  }
  std::string line = values + "; rule: " + c.describe();
  if (!c.item.empty()) {
    line += " [" + c.item + "]";
  }
  if (c.recall) {
    line += " (recall)";
  }
  return line;
}

// --- per-item report (issue 20 #9) --------------------------------------------------------------

// The stated value of a leaf: "2.5", "true", "'x'"; a sum lists its terms ("a = 1, b = ?").
std::string stated_value(const Condition& c, const Facts& facts) {
  if (c.kind == Condition::Kind::kSum) {
    std::string out;
    bool any = false;
    for (size_t i = 0; i < c.terms.size(); ++i) {
      any = any || facts.count(c.terms[i].first) != 0;
      out += (i ? ", " : "") + c.terms[i].first + " = " + fact_text(facts, c.terms[i].first);
    }
    return any ? out : std::string();
  }
  return facts.count(c.fact) == 0 ? std::string() : fact_text(facts, c.fact);
}

double sum_of(const Condition& c, const Facts& facts) {
  double total = 0;
  for (const auto& [name, weight] : c.terms) {
    const double* v = number_fact(facts, name);
    total += v == nullptr ? 0 : weight * *v;
  }
  return total;
}

// "met: 3.5 >= 3", "not met: 2.5 < 3", "unknown: x not stated (needs x >= 3)".
std::string item_text(const Condition& c, const Facts& facts, Tri value, const std::string& stated) {
  if (value == Tri::kUnknown) {
    if (c.kind == Condition::Kind::kRange && !stated.empty()) {
      return "unknown: " + stated + " is within the national range [" + number_text(c.range_low) + ", " +
             number_text(c.range_high) + "); the provincial figure decides";
    }
    return "unknown: " + (c.kind == Condition::Kind::kSum ? std::string("a term") : c.fact) +
           " not stated (needs " + c.describe() + ")";
  }
  const std::string verdict = value == Tri::kTrue ? "met: " : "not met: ";
  const std::string op = value == Tri::kTrue ? to_string(c.op) : negated_string(c.op);
  switch (c.kind) {
    case Condition::Kind::kCompare:
      return verdict + stated + " " + op + " " + number_text(c.value);
    case Condition::Kind::kSum:
      return verdict + number_text(sum_of(c, facts)) + " " + op + " " + number_text(c.value) + " (" + stated + ")";
    case Condition::Kind::kRange:
      return value == Tri::kTrue ? verdict + stated + " >= " + number_text(c.range_high) + " (top of the national range)"
                                 : verdict + stated + " < " + number_text(c.range_low) + " (bottom of the national range)";
    default:
      return verdict + c.fact + " = " + stated + " (needs " + c.describe() + ")";
  }
}

// Every leaf of `c`, evaluated on its own (its value does not depend on the rest of the tree).
void collect_items(const Condition& c, const Facts& facts, const std::string& province, bool procedural,
                   std::vector<ItemEvaluation>* out) {
  if (!c.is_leaf()) {
    for (const auto& child : c.children) {
      collect_items(child, facts, province, procedural, out);
    }
    return;
  }
  const NodeResult r = eval(c, facts, province);
  ItemEvaluation item;
  item.item = c.item;
  item.condition = c.describe();
  c.collect_facts(&item.facts);
  item.result = r.value == Tri::kTrue ? ItemResult::kMet : r.value == Tri::kFalse ? ItemResult::kNotMet
                                                                                  : ItemResult::kUnknown;
  item.stated = stated_value(c, facts);
  item.procedural = procedural;
  item.text = item_text(c, facts, r.value, item.stated);
  out->push_back(std::move(item));
}

// An unknown item could still change the outcome when the verdict is open (INSUFFICIENT_FACTS)
// and one of its facts (or the provincial figure it waits for) is among the missing ones: the
// missing set only holds facts of undecided branches.
void mark_open_items(RuleEvaluation* eval) {
  if (eval->outcome != Outcome::kInsufficientFacts) {
    return;
  }
  auto missing = [&](const std::string& name) {
    return std::binary_search(eval->missing_facts.begin(), eval->missing_facts.end(), name);
  };
  const bool figure_open = std::any_of(eval->missing_facts.begin(), eval->missing_facts.end(), [](const auto& m) {
    return m.rfind(kMissingProvincialFigurePrefix, 0) == 0 || m == kMissingProvince;
  });
  for (auto& item : eval->items) {
    if (item.result != ItemResult::kUnknown) {
      continue;
    }
    item.could_change_outcome = (!item.stated.empty() && figure_open) ||
                                std::any_of(item.facts.begin(), item.facts.end(), missing);
  }
}

void sort_unique(std::vector<std::string>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

RuleCitation cite(const Rule& r) {
  return RuleCitation{r.id,           r.version,      r.scope.str(), r.source.document, r.source.article,
                      r.effective_from, r.effective_to, r.layer,       r.confidence,      r.recall};
}

// Entries of one lineage that apply, or "blocked" when the anchor date is unknown.
struct Selection {
  std::vector<const Rule*> rules;
  bool blocked = false;  // an entry needs the act date and the case has none
  Date anchor;           // the anchor date of the selected (or blocking) level
  Anchor anchor_kind = Anchor::kActDate;
};

struct Dates {
  std::optional<Date> act;
  std::optional<Date> filing;  // filing date, or the assessment date when not filed yet
};

Selection select(const RuleSet& set, const std::vector<size_t>& lineage, const Jurisdiction& j,
                 const std::string& tier, const Dates& dates) {
  // Levels from most to least specific.
  struct Level {
    bool tiers;  // any tier of the province (tier unknown) or the named tier
    std::string province;
    std::string tier;
  };
  std::vector<Level> levels;
  if (!j.province.empty()) {
    levels.push_back({true, j.province, tier});
    levels.push_back({false, j.province, ""});
  }
  levels.push_back({false, "", ""});

  for (const Level& level : levels) {
    Selection s;
    bool any_at_level = false;
    for (size_t index : lineage) {
      const Rule& r = set.rules[index];
      if (r.scope.province != level.province) {
        continue;
      }
      if (level.tiers) {
        if (r.scope.city_tier.empty() || (!level.tier.empty() && r.scope.city_tier != level.tier)) {
          continue;
        }
      } else if (!r.scope.city_tier.empty()) {
        continue;
      }
      any_at_level = true;
      const std::optional<Date> anchor = r.anchor == Anchor::kActDate ? dates.act : dates.filing;
      if (!anchor) {
        s.blocked = true;
        s.anchor_kind = r.anchor;
        continue;
      }
      if (r.in_force(*anchor)) {
        s.rules.push_back(&r);
        s.anchor = *anchor;
        s.anchor_kind = r.anchor;
      }
    }
    if (!s.rules.empty()) {
      s.blocked = false;
      return s;
    }
    if (s.blocked) {
      return s;
    }
    (void)any_at_level;
  }
  return {};
}

struct SetEvaluation {
  RuleEvaluation eval;
  const Rule* rule = nullptr;
  std::string note;
};

// --- windowed facts (issue 16 §2) ----------------------------------------------------------------

// The same calendar day `months` earlier (the last day of a shorter month).
Date months_before(Date d, int32_t months) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{d.days}}};
  const int total = static_cast<int>(ymd.year()) * 12 + static_cast<int>(static_cast<unsigned>(ymd.month())) - 1 - months;
  const std::chrono::year y{total / 12};
  const std::chrono::month m{static_cast<unsigned>(total % 12 + 1)};
  const std::chrono::day last = std::chrono::year_month_day_last{y, std::chrono::month_day_last{m}}.day();
  return Date::from_ymd(static_cast<int>(y), static_cast<unsigned>(m),
                        static_cast<unsigned>(std::min(ymd.day(), last)));
}

void windowed_leaves(const Condition& c, std::vector<const Condition*>* out) {
  if (c.window_months > 0) {
    out->push_back(&c);
  }
  for (const auto& child : c.children) {
    windowed_leaves(child, out);
  }
}

// Where a windowed fact's value came from, for the item report.
struct WindowSource {
  std::string fact;
  std::string source;  // "counted" | "declared"
  std::vector<std::string> cited;
};

// The facts a rule is evaluated on: each windowed fact is the larger of the sender's number and
// caselink's own count of the penalties it has seen in the leaf's window before the act date
// (same party, same offence). caselink's count is a lower bound of the real history, so without
// a declared number it is used only when it already meets the leaf; below that the fact stays
// unknown (never a false BELOW).
const Facts& windowed_facts(const Rule& rule, const CaseFacts& input, Facts* storage, std::vector<WindowSource>* out) {
  std::vector<const Condition*> leaves;
  windowed_leaves(rule.threshold, &leaves);
  if (rule.procedural) {
    windowed_leaves(*rule.procedural, &leaves);
  }
  if (leaves.empty()) {
    return input.facts;
  }
  bool copied = false;  // the facts are copied only when a count replaces a value
  for (const Condition* leaf : leaves) {
    const auto declared = input.facts.find(leaf->fact);
    const double* stated = declared == input.facts.end() ? nullptr : std::get_if<double>(&declared->second);
    WindowSource ws{leaf->fact, stated != nullptr ? "declared" : "", {}};
    if (input.act_date) {
      const Date from = months_before(*input.act_date, leaf->window_months);
      for (const SeenPenalty& p : input.seen_penalties) {
        if (p.offence == rule.offence && p.decided >= from && p.decided < *input.act_date) {
          ws.cited.push_back(p.decision_number + " (" + p.decided.str() + ")");
        }
      }
    }
    const double counted = static_cast<double>(ws.cited.size());
    if (counted > 0 && (stated != nullptr ? counted > *stated : counted >= leaf->value)) {
      if (!copied) {
        *storage = input.facts;
        copied = true;
      }
      (*storage)[leaf->fact] = counted;
      ws.source = "counted";
    }
    if (!ws.source.empty() || !ws.cited.empty()) {
      out->push_back(std::move(ws));
    }
  }
  return copied ? *storage : input.facts;
}

// Evaluates one rule on the case, windowed facts resolved, and marks where they came from.
RuleEvaluation evaluate_case(const Rule& rule, const CaseFacts& input, const std::string& province,
                             bool with_items = true) {
  Facts storage;
  std::vector<WindowSource> sources;
  RuleEvaluation e = evaluate_rule(rule, windowed_facts(rule, input, &storage, &sources), province, with_items);
  for (ItemEvaluation& item : e.items) {
    for (const WindowSource& ws : sources) {
      if (std::find(item.facts.begin(), item.facts.end(), ws.fact) == item.facts.end()) {
        continue;
      }
      item.fact_source = ws.source;
      item.cited_records = ws.cited;
      if (ws.source == "counted") {
        item.text += "; counted by caselink from " + std::to_string(ws.cited.size()) + " penalties it has seen";
      } else if (!ws.cited.empty()) {
        item.text += "; caselink has seen " + std::to_string(ws.cited.size()) + " of them";
      }
    }
  }
  return e;
}

SetEvaluation evaluate_set(const std::vector<const Rule*>& rules, const CaseFacts& input, const std::string& province,
                           bool with_items = true) {
  SetEvaluation out;
  out.rule = rules.front();
  out.eval = evaluate_case(*rules.front(), input, province, with_items);
  if (rules.size() == 1) {
    return out;
  }
  bool agree = true;
  for (size_t i = 1; i < rules.size(); ++i) {
    if (evaluate_case(*rules[i], input, province, false).outcome != out.eval.outcome) {
      agree = false;
    }
  }
  std::string tiers;
  for (const Rule* r : rules) {
    tiers += (tiers.empty() ? "" : ", ") + r->ref() + " (" + r->scope.str() + ")";
  }
  if (agree) {
    out.note = "city unknown; every city tier of the province gives the same outcome: " + tiers;
  } else {
    out.eval.outcome = Outcome::kInsufficientFacts;
    out.eval.missing_facts = {kMissingCity};
    out.eval.basis.clear();
    out.eval.confidence = out.rule->confidence;
    out.note = "city unknown and the city tiers of the province disagree: " + tiers;
  }
  return out;
}

bool same_rules(const std::vector<const Rule*>& a, const std::vector<const Rule*>& b) { return a == b; }

// A higher tier's threshold is an alternative of the entry threshold (facts that reach 情节严重
// reach the crime a fortiori), so the entry evaluation takes the higher tiers in force at the same
// dates into account: one that MEETS makes the entry MEETS on its basis; one that is undecided
// keeps a BELOW entry open (INSUFFICIENT) and adds its missing facts. Without this, a 2016 item
// that moved to 2023's 情节严重 tier would give a false BELOW when only that item is unknown, and
// 2023 would look more lenient at the entry tier in the more-lenient comparison.
void combine_higher_tiers(const RuleSet& set, const std::vector<size_t>& higher, const Jurisdiction& j,
                          const std::string& city_tier, const Dates& dates, const CaseFacts& input,
                          SetEvaluation* entry) {
  if (higher.empty() || entry->eval.outcome == Outcome::kMeetsThreshold) {
    return;
  }
  std::vector<std::string> tiers;
  for (size_t index : higher) {
    if (std::find(tiers.begin(), tiers.end(), set.rules[index].tier) == tiers.end()) {
      tiers.push_back(set.rules[index].tier);
    }
  }
  for (const std::string& t : tiers) {
    std::vector<size_t> entries;
    std::copy_if(higher.begin(), higher.end(), std::back_inserter(entries),
                 [&](size_t i) { return set.rules[i].tier == t; });
    const Selection s = select(set, entries, j, city_tier, dates);
    if (s.rules.empty()) {
      continue;
    }
    SetEvaluation e = evaluate_set(s.rules, input, j.province, false);
    if (e.eval.outcome == Outcome::kInsufficientFacts) {
      entry->eval.outcome = Outcome::kInsufficientFacts;
      entry->eval.missing_facts.insert(entry->eval.missing_facts.end(), e.eval.missing_facts.begin(),
                                       e.eval.missing_facts.end());
      sort_unique(&entry->eval.missing_facts);
      entry->eval.basis.clear();
      continue;
    }
    if (e.eval.outcome != Outcome::kMeetsThreshold) {
      continue;
    }
    entry->eval.outcome = Outcome::kMeetsThreshold;
    entry->eval.missing_facts.clear();
    entry->eval.basis.clear();
    for (const auto& line : e.eval.basis) {
      entry->eval.basis.push_back(line + " (" + t + ", " + e.rule->ref() + ")");
    }
    entry->eval.confidence = std::min(entry->rule->confidence, e.eval.confidence);
    entry->eval.relies_on_recall = entry->rule->recall || e.eval.relies_on_recall;
    entry->note += (entry->note.empty() ? "" : "; ") + std::string("met through the higher tier ") + t + " of " +
                   e.rule->ref() + ", which implies the entry threshold";
    return;
  }
}

Conclusion conclude(const SetEvaluation& chosen, std::string explanation) {
  Conclusion c;
  c.rule_id = chosen.rule->id;
  c.outcome = chosen.eval.outcome;
  c.rule = cite(*chosen.rule);
  c.missing_facts = chosen.eval.missing_facts;
  c.basis = chosen.eval.basis;
  c.items = chosen.eval.items;
  c.confidence = chosen.eval.confidence;
  c.relies_on_recall = chosen.eval.relies_on_recall;
  c.explanation = std::move(explanation);
  if (!chosen.note.empty()) {
    c.explanation += "; " + chosen.note;
  }
  return c;
}

// `higher`: the entries of the lineage's higher tiers when `lineage` is its entry tier (else empty).
Conclusion assess_lineage(const RuleSet& set, const std::string& id, const std::vector<size_t>& lineage,
                          const std::vector<size_t>& higher, const CaseFacts& input, const std::string& tier,
                          Date as_of) {
  const Jurisdiction& j = input.jurisdiction;
  const Dates then_dates{input.act_date, input.filing_date ? input.filing_date : std::optional<Date>(as_of)};
  const Dates now_dates{as_of, as_of};
  const Selection then = select(set, lineage, j, tier, then_dates);
  const Selection now = select(set, lineage, j, tier, now_dates);

  if (then.blocked) {
    Conclusion c;
    c.rule_id = id;
    c.outcome = Outcome::kInsufficientFacts;
    c.missing_facts = {kMissingActDate};
    c.explanation = "the act date decides which version of " + id + " applies and the case has none";
    return c;
  }
  if (then.rules.empty()) {
    Conclusion c;
    c.rule_id = id;
    c.outcome = Outcome::kNoApplicableRule;
    c.anchor_date = input.act_date;
    if (!now.rules.empty()) {
      c.compared_with = cite(*now.rules.front());
    }
    c.explanation = "no version of " + id + " in force for " + (j.province.empty() ? "national" : j.province) +
                    " at the " + to_string(then.anchor_kind) + " " +
                    (input.act_date ? input.act_date->str() : std::string("?")) +
                    " (acts before the first encoded version are not assessed)";
    return c;
  }
  SetEvaluation at_then = evaluate_set(then.rules, input, j.province);
  combine_higher_tiers(set, higher, j, tier, then_dates, input, &at_then);
  std::string why = "in force at the " + std::string(to_string(then.anchor_kind)) + " " + then.anchor.str();
  if (then.anchor_kind == Anchor::kFilingDate && !input.filing_date) {
    why += " (not filed yet: assessment date used)";
  }
  const bool compare_now =
      !now.rules.empty() && !same_rules(now.rules, then.rules) &&
      std::all_of(now.rules.begin(), now.rules.end(), [](const Rule* r) { return r->retroactive_if_more_lenient; });
  auto anchored = [&](Conclusion c) {
    c.anchor_date = then.anchor;
    c.anchor_kind = then.anchor_kind;
    return c;
  };
  if (!compare_now) {
    if (!now.rules.empty() && !same_rules(now.rules, then.rules)) {
      why += "; " + now.rules.front()->ref() + " in force now does not apply to earlier cases";
    }
    return anchored(conclude(at_then, why));
  }
  SetEvaluation at_now = evaluate_set(now.rules, input, j.province);
  combine_higher_tiers(set, higher, j, tier, now_dates, input, &at_now);
  if (static_cast<int>(at_now.eval.outcome) < static_cast<int>(at_then.eval.outcome)) {
    Conclusion c = conclude(at_now, "more lenient than " + at_then.rule->ref() + " (" + why + "), which gives " +
                                        to_string(at_then.eval.outcome) + "; the more lenient version applies");
    c.compared_with = cite(*at_then.rule);
    c.more_lenient_applied = true;
    return anchored(std::move(c));
  }
  Conclusion c = conclude(at_then, why + "; " + at_now.rule->ref() + " in force at " + as_of.str() + " gives " +
                                       to_string(at_now.eval.outcome) + ", not more lenient");
  c.compared_with = cite(*at_now.rule);
  return anchored(std::move(c));
}

}  // namespace

const char* to_string(ItemResult result) {
  switch (result) {
    case ItemResult::kMet:
      return "met";
    case ItemResult::kNotMet:
      return "not met";
    case ItemResult::kUnknown:
      return "unknown";
  }
  return "?";
}

std::vector<FactProblem> check_facts(const Catalogue& catalogue, const Facts& facts) {
  std::vector<FactProblem> problems;
  for (const auto& [name, value] : facts) {
    const FactSpec* spec = catalogue.fact(name);
    if (spec == nullptr) {
      continue;  // facts no rule reads are allowed (other services use them)
    }
    FactKind given = std::holds_alternative<double>(value) ? FactKind::kNumber
                     : std::holds_alternative<bool>(value) ? FactKind::kFlag
                                                           : FactKind::kText;
    if (given != spec->kind) {
      problems.push_back({name, std::string("must be a ") + to_string(spec->kind) + ", got a " + to_string(given)});
    } else if (given == FactKind::kNumber && !std::isfinite(std::get<double>(value))) {
      problems.push_back({name, "must be a finite number"});
    }
  }
  return problems;
}

namespace {

// How close a false numeric leaf came to its figure (value / figure; higher is closer).
double closeness(const Condition& c, const Facts& facts) {
  double value = 0;
  double figure = 0;
  if (c.kind == Condition::Kind::kCompare || c.kind == Condition::Kind::kRange) {
    const double* v = number_fact(facts, c.fact);
    if (v == nullptr) {
      return -1;
    }
    value = *v;
    figure = c.kind == Condition::Kind::kRange ? c.range_low : c.value;
  } else if (c.kind == Condition::Kind::kSum) {
    for (const auto& [name, weight] : c.terms) {
      const double* v = number_fact(facts, name);
      value += v == nullptr ? 0 : weight * *v;
    }
    figure = c.value;
  } else {
    return -1;
  }
  return figure > 0 ? value / figure : -1;
}

void add_missing(const NodeResult& r, const std::string& province, std::vector<std::string>* out) {
  for (const std::string* name : r.missing) {
    out->push_back(*name);
  }
  if (r.missing_province_figure) {
    out->push_back(province.empty() ? std::string(kMissingProvince)
                                    : std::string(kMissingProvincialFigurePrefix) + province);
  }
}

}  // namespace

RuleEvaluation evaluate_rule(const Rule& rule, const Facts& facts, const std::string& province, bool with_items) {
  RuleEvaluation out;
  const NodeResult t = eval(rule.threshold, facts, province);
  NodeResult p;
  p.value = Tri::kTrue;
  if (rule.procedural) {
    p = eval(*rule.procedural, facts, province);
  }
  std::vector<const Condition*> deciding;
  if (t.value == Tri::kFalse) {
    out.outcome = Outcome::kBelowThreshold;
    // Every item is false; name the one that came closest to its figure ("closest to matching").
    const Condition* closest = t.deciding.empty() ? nullptr : t.deciding.front();
    double best = closest == nullptr ? -1 : closeness(*closest, facts);
    for (const Condition* c : t.deciding) {
      const double k = closeness(*c, facts);
      if (k > best) {
        best = k;
        closest = c;
      }
    }
    if (closest != nullptr) {
      deciding.push_back(closest);
    }
  } else if (p.value == Tri::kFalse) {
    out.outcome = Outcome::kBelowThreshold;
    deciding = p.deciding;
  } else if (t.value == Tri::kTrue && p.value == Tri::kTrue) {
    out.outcome = Outcome::kMeetsThreshold;
    deciding = t.deciding;
    deciding.insert(deciding.end(), p.deciding.begin(), p.deciding.end());
  } else {
    out.outcome = Outcome::kInsufficientFacts;
    if (t.value == Tri::kUnknown) {
      add_missing(t, province, &out.missing_facts);
    }
    if (p.value == Tri::kUnknown) {
      add_missing(p, province, &out.missing_facts);
    }
    sort_unique(&out.missing_facts);
  }
  if (with_items) {
    collect_items(rule.threshold, facts, province, false, &out.items);
    if (rule.procedural) {
      collect_items(*rule.procedural, facts, province, true, &out.items);
    }
    mark_open_items(&out);
  }
  out.confidence = rule.confidence;
  out.relies_on_recall = rule.recall;
  for (const Condition* c : deciding) {
    out.basis.push_back(basis_line(*c, facts));
    if (c->confidence && *c->confidence < out.confidence) {
      out.confidence = *c->confidence;
    }
    out.relies_on_recall = out.relies_on_recall || c->recall;
  }
  return out;
}

namespace {

// The entries of one lineage grouped by tier, the entry tier first, then by rank (file order
// within a rank).
std::vector<std::pair<std::string, std::vector<size_t>>> by_tier(const RuleSet& set, const std::vector<size_t>& lineage) {
  std::vector<std::pair<std::string, std::vector<size_t>>> out;
  for (size_t index : lineage) {
    const std::string& tier = set.rules[index].tier;
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == tier; });
    if (it == out.end()) {
      out.push_back({tier, {index}});
    } else {
      it->second.push_back(index);
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return tier_rank(a.first) < tier_rank(b.first); });
  return out;
}

// A discretionary exit (rule.h kExitTier): reported, never part of the outcome. Left out when no
// version is in force at its anchor (an exit introduced later does not speak about older cases).
void assess_exit(const RuleSet& set, const std::string& id, const std::vector<size_t>& lineage,
                 const CaseFacts& input, const std::string& tier, Date as_of, Assessment* a) {
  Conclusion c = assess_lineage(set, id, lineage, {}, input, tier, as_of);
  c.tier = kExitTier;
  if (c.outcome == Outcome::kNoApplicableRule) {
    return;
  }
  if (c.outcome == Outcome::kMeetsThreshold && c.rule) {
    // The entry that decided is in the set (the conclusion names it); its kind is said as written.
    const Rule* rule = set.find(c.rule->id, c.rule->version);
    a->exits.push_back(c.rule->id + " v" + std::to_string(c.rule->version) + " (" + c.rule->document + " " +
                       c.rule->article + "): " + (rule != nullptr ? rule->exit : std::string("discretionary exit")));
  }
  a->conclusions.push_back(std::move(c));
}

}  // namespace

Assessment Engine::assess(const CaseFacts& input, Date as_of) const {
  const RuleSet& set = *rules_;
  Assessment a;
  a.offence = input.offence;
  a.rule_set_version = set.version;
  a.as_of = as_of;
  auto offence = set.offences.find(input.offence);
  if (offence == set.offences.end()) {
    return a;
  }
  std::string tier = input.jurisdiction.city_tier;
  if (tier.empty() && !input.jurisdiction.city.empty()) {
    tier = set.catalogue.tier_of_city(input.jurisdiction.city);
  }
  bool meets = false;
  bool insufficient = false;
  bool below = false;
  for (const std::string& id : offence->second.lineages) {
    const std::vector<size_t>& lineage = set.by_id.find(id)->second;
    if (!set.rules[lineage.front()].exit.empty()) {
      assess_exit(set, id, lineage, input, tier, as_of, &a);
      continue;
    }
    const auto tiers = by_tier(set, lineage);
    std::vector<size_t> higher;
    for (const auto& [penalty_tier, entries] : tiers) {
      if (penalty_tier != kEntryTier) {
        higher.insert(higher.end(), entries.begin(), entries.end());
      }
    }
    for (const auto& [penalty_tier, entries] : tiers) {
      const bool entry = penalty_tier == kEntryTier;
      Conclusion c = assess_lineage(set, id, entries, entry ? higher : std::vector<size_t>{}, input, tier, as_of);
      c.tier = penalty_tier;
      if (!entry && c.outcome == Outcome::kNoApplicableRule) {
        continue;
      }
      if (c.outcome == Outcome::kMeetsThreshold &&
          (a.tier_reached.empty() || tier_rank(penalty_tier) > tier_rank(a.tier_reached))) {
        a.tier_reached = penalty_tier;
      }
      meets = meets || c.outcome == Outcome::kMeetsThreshold;
      insufficient = insufficient || (entry && c.outcome == Outcome::kInsufficientFacts);
      below = below || (entry && c.outcome == Outcome::kBelowThreshold);
      if (entry && c.outcome == Outcome::kInsufficientFacts) {
        a.missing_facts.insert(a.missing_facts.end(), c.missing_facts.begin(), c.missing_facts.end());
      }
      a.conclusions.push_back(std::move(c));
    }
  }
  a.outcome = meets ? Outcome::kMeetsThreshold
              : insufficient ? Outcome::kInsufficientFacts
              : below        ? Outcome::kBelowThreshold
                             : Outcome::kNoApplicableRule;
  if (meets) {
    a.missing_facts.clear();
  }
  sort_unique(&a.missing_facts);
  return a;
}

namespace {

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) {
    out += (out.empty() ? "" : "; ") + l;
  }
  return out;
}

// `want` "id vN": that exit is met; "": no exit is met.
bool exit_matches(const Assessment& a, const std::string& want) {
  if (want.empty()) {
    return a.exits.empty();
  }
  return std::any_of(a.exits.begin(), a.exits.end(),
                     [&](const std::string& e) { return e.compare(0, want.size() + 1, want + " ") == 0; });
}

}  // namespace

std::vector<std::string> run_examples(const RuleSet& rules) {
  std::vector<std::string> failures;
  Engine engine(std::shared_ptr<const RuleSet>(&rules, [](const RuleSet*) {}));
  for (const RuleExample& ex : rules.examples) {
    Date as_of = ex.as_of.value_or(
        std::max(ex.input.act_date.value_or(Date{}), ex.input.filing_date.value_or(Date{})));
    Assessment a = engine.assess(ex.input, as_of);
    std::string where = ex.file + ":" + std::to_string(ex.line) + ": example '" + ex.name + "': ";
    if (a.outcome != ex.expect_outcome) {
      std::string detail;
      for (const auto& c : a.conclusions) {
        detail += " [" + c.rule_id + ": " + to_string(c.outcome) + (c.rule ? " by v" + std::to_string(c.rule->version) : "") +
                  "; " + c.explanation + "]";
      }
      std::string miss;
      for (const auto& m : a.missing_facts) {
        miss += (miss.empty() ? "" : ", ") + m;
      }
      failures.push_back(where + "expected " + to_string(ex.expect_outcome) + ", got " + to_string(a.outcome) +
                         (miss.empty() ? "" : " (missing: " + miss + ")") + detail);
      continue;
    }
    if (!ex.expect_rule.empty()) {
      bool found = false;
      for (const auto& c : a.conclusions) {
        if (c.rule && c.rule->id + " v" + std::to_string(c.rule->version) == ex.expect_rule) {
          found = true;
        }
      }
      if (!found) {
        std::string got;
        for (const auto& c : a.conclusions) {
          got += (got.empty() ? "" : ", ") +
                 (c.rule ? c.rule->id + " v" + std::to_string(c.rule->version) : c.rule_id + " (none)");
        }
        failures.push_back(where + "expected rule " + ex.expect_rule + " to decide, got " + got);
        continue;
      }
    }
    if (ex.expect_tier && *ex.expect_tier != a.tier_reached) {
      failures.push_back(where + "expected tier '" + *ex.expect_tier + "' to be reached, got '" + a.tier_reached + "'");
      continue;
    }
    if (ex.expect_exit && !exit_matches(a, *ex.expect_exit)) {
      failures.push_back(where + "expected exit '" + *ex.expect_exit + "', got [" + join_lines(a.exits) + "]");
      continue;
    }
    if (ex.expect_missing) {
      std::vector<std::string> want = *ex.expect_missing;
      sort_unique(&want);
      if (want != a.missing_facts) {
        std::string got;
        for (const auto& m : a.missing_facts) {
          got += (got.empty() ? "" : ", ") + m;
        }
        failures.push_back(where + "expected missing facts differ; got [" + got + "]");
      }
    }
  }
  return failures;
}

}  // namespace caselink::standards
