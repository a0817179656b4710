// The shipped rule set (rules/): it loads, its examples pass, every entry is reachable by
// selection, and every threshold of every entry is tested at, just under and just over its
// figure (generated from the rule tree, so a new rule file is covered without new C++).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "services/daemons/standards/engine/engine.h"
#include "services/daemons/standards/engine/loader.h"

namespace caselink::standards {
namespace {

std::shared_ptr<const RuleSet> shipped() {
  static std::shared_ptr<const RuleSet> set = [] {
    auto loaded = load_rule_set(CASELINK_RULES_DIR);
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.error().message;
      return std::shared_ptr<const RuleSet>();
    }
    return std::make_shared<const RuleSet>(std::move(*loaded));
  }();
  return set;
}

TEST(ShippedRules, LoadAndCoverTheRequiredOffences) {
  auto set = shipped();
  ASSERT_TRUE(set);
  for (const char* offence :
       {"pollution_environment", "wage_arrears", "fake_products", "farmland_occupation", "major_liability_accident",
        "fraud", "tax_evasion", "unsafe_food", "toxic_food", "counterfeit_drugs", "substandard_drugs",
        "drug_administration", "dangerous_operation", "labour_safety_accident", "illegal_business", "timber_theft",
        "illegal_logging", "vat_invoice_fraud", "illegal_mining", "counterfeit_trademark"}) {
    EXPECT_EQ(set->offences.count(offence), 1U) << offence;
  }
  for (const Rule& r : set->rules) {
    EXPECT_FALSE(r.source.document.empty()) << r.ref();
    EXPECT_FALSE(r.source.article.empty()) << r.ref();
  }
}

TEST(ShippedRules, EveryExamplePasses) {
  auto set = shipped();
  ASSERT_TRUE(set);
  EXPECT_GE(set->examples.size(), 20U);
  for (const auto& failure : run_examples(*set)) {
    ADD_FAILURE() << failure;
  }
}

// Provincial figures must lie inside the national range they implement.
TEST(ShippedRules, ProvincialFiguresLieInsideTheNationalRange) {
  auto set = shipped();
  ASSERT_TRUE(set);
  for (const auto& [id, lineage] : set->by_id) {
    // (tier, fact) -> national range: each penalty tier has its own range (fraud 数额较大 / 巨大).
    std::map<std::pair<std::string, std::string>, std::pair<double, double>> ranges;
    std::string tier;
    std::function<void(const Condition&)> ranges_of = [&](const Condition& c) {
      if (c.kind == Condition::Kind::kRange) {
        ranges[{tier, c.fact}] = {c.range_low, c.range_high};
      }
      for (const auto& child : c.children) {
        ranges_of(child);
      }
    };
    for (size_t i : lineage) {
      if (set->rules[i].scope.province.empty()) {
        tier = set->rules[i].tier;
        ranges_of(set->rules[i].threshold);
      }
    }
    std::function<void(const Rule&, const Condition&)> check = [&](const Rule& r, const Condition& c) {
      const auto range = ranges.find({r.tier, c.fact});
      if (c.kind == Condition::Kind::kCompare && c.approach_figure == 0 && range != ranges.end()) {
        EXPECT_GE(c.value, range->second.first) << r.ref() << " " << c.fact;
        EXPECT_LE(c.value, range->second.second) << r.ref() << " " << c.fact;
      }
      for (const auto& child : c.children) {
        check(r, child);
      }
    };
    for (size_t i : lineage) {
      if (!set->rules[i].scope.province.empty()) {
        check(set->rules[i], set->rules[i].threshold);
      }
    }
  }
}

// Each entry is what selection picks at its own start date, in its own jurisdiction.
TEST(ShippedRules, EveryEntryIsSelectedInItsJurisdictionAtItsStartDate) {
  auto set = shipped();
  ASSERT_TRUE(set);
  Engine engine(set);
  for (const Rule& r : set->rules) {
    CaseFacts c;
    c.offence = r.offence;
    c.jurisdiction.province = r.scope.province;
    if (!r.scope.city_tier.empty()) {
      c.jurisdiction.city = set->catalogue.tiers.at(r.scope.city_tier).cities.begin()->first;
    }
    c.act_date = r.effective_from;
    c.filing_date = r.effective_from;
    const Assessment a = engine.assess(c, r.effective_from);
    bool found = false;
    for (const auto& con : a.conclusions) {
      // An exit's conclusion carries kExitTier instead of a penalty tier.
      if (con.rule_id == r.id && con.tier == (r.exit.empty() ? r.tier : std::string(kExitTier))) {
        found = true;
        ASSERT_TRUE(con.rule) << r.ref() << ": " << con.explanation;
        EXPECT_EQ(con.rule->version, r.version) << r.ref() << ": " << con.explanation;
      }
    }
    EXPECT_TRUE(found) << r.ref();
  }
}

// --- generated boundary tests ----------------------------------------------------------------

struct Boundary {
  const FactSpec* spec;
  double delta;
};

// "Just under/over": one for counts, one fen (0.01) for amounts and areas, 1% of the figure
// for figures below 1 (ratios).
double delta_for(const FactSpec& spec, double figure) {
  if (spec.integer) {
    return 1.0;
  }
  return figure >= 1 ? 0.01 : figure / 100;
}

// Neutral values for every fact a rule reads: 0 / false / "".
Facts baseline(const RuleSet& set, const Rule& r) {
  std::vector<std::string> names;
  r.threshold.collect_facts(&names);
  if (r.procedural) {
    r.procedural->collect_facts(&names);
  }
  Facts f;
  for (const auto& n : names) {
    const FactSpec* spec = set.catalogue.fact(n);
    if (spec->kind == FactKind::kNumber) {
      f[n] = 0.0;
    } else if (spec->kind == FactKind::kFlag) {
      f[n] = false;
    } else {
      f[n] = std::string();
    }
  }
  return f;
}

// Sets facts so that `c` is true, never touching `avoid` (the fact under test).
void satisfy(const Condition& c, Facts& f, const std::string& avoid) {
  switch (c.kind) {
    case Condition::Kind::kAllOf:
      for (const auto& child : c.children) {
        satisfy(child, f, avoid);
      }
      break;
    case Condition::Kind::kAnyOf:
      satisfy(c.children.front(), f, avoid);
      break;
    case Condition::Kind::kCompare:
      if (c.fact != avoid) {
        double v = c.value + (c.op == Condition::Op::kGt ? 1 : c.op == Condition::Op::kLt ? -1 : 0);
        if (c.op == Condition::Op::kGte || c.op == Condition::Op::kGt) {
          v = std::max(v, std::get<double>(f[c.fact]));
        }
        f[c.fact] = v;
      }
      break;
    case Condition::Kind::kRange:
      if (c.fact != avoid) {
        f[c.fact] = std::max(c.range_high, std::get<double>(f[c.fact]));
      }
      break;
    case Condition::Kind::kFlag:
      if (c.fact != avoid) {
        f[c.fact] = c.flag;
      }
      break;
    case Condition::Kind::kText:
      if (c.fact != avoid) {
        f[c.fact] = c.texts.front();
      }
      break;
    case Condition::Kind::kSum:
      for (const auto& [name, weight] : c.terms) {
        if (name != avoid) {
          f[name] = std::max(c.value / weight, std::get<double>(f[name]));
          break;
        }
      }
      break;
  }
}

// Path from `root` to `target`: the ancestors (inner nodes) in order.
bool path_to(const Condition& root, const Condition* target, std::vector<const Condition*>* path) {
  if (&root == target) {
    return true;
  }
  path->push_back(&root);
  for (const auto& child : root.children) {
    if (path_to(child, target, path)) {
      return true;
    }
  }
  path->pop_back();
  return false;
}

void leaves(const Condition& c, std::vector<const Condition*>* out) {
  if (c.is_leaf()) {
    out->push_back(&c);
  }
  for (const auto& child : c.children) {
    leaves(child, out);
  }
}

// Facts with every condition on the way to `leaf` (in `tree`) arranged so that the rule's
// outcome depends on `leaf` alone: all_of siblings true, any_of siblings left at baseline.
Facts isolate(const RuleSet& set, const Rule& r, const Condition& tree, const Condition* leaf, bool in_requires) {
  Facts f = baseline(set, r);
  const std::string avoid = leaf->kind == Condition::Kind::kSum ? leaf->terms.back().first : leaf->fact;
  std::vector<const Condition*> path;
  path_to(tree, leaf, &path);
  for (size_t i = 0; i < path.size(); ++i) {
    const Condition* node = path[i];
    const Condition* next = i + 1 < path.size() ? path[i + 1] : leaf;
    if (node->kind == Condition::Kind::kAllOf) {
      for (const auto& child : node->children) {
        if (&child != next) {
          satisfy(child, f, avoid);
        }
      }
    }
  }
  // The other tree must be true for the rule's outcome to follow the leaf.
  if (in_requires) {
    satisfy(r.threshold, f, avoid);
  } else if (r.procedural) {
    satisfy(*r.procedural, f, avoid);
  }
  return f;
}

std::string show(const Facts& f) {
  std::string s;
  for (const auto& [k, v] : f) {
    s += k + "=";
    if (const double* d = std::get_if<double>(&v)) {
      s += std::to_string(*d);
    } else if (const bool* b = std::get_if<bool>(&v)) {
      s += *b ? "true" : "false";
    } else {
      s += "'" + std::get<std::string>(v) + "'";
    }
    s += " ";
  }
  return s;
}

// Just under a figure the rule is below, unless another alternative of the same rule (e.g.
// the forest-land 50% combination items, or the non-mine loss item for a mine flag) decides;
// then the leaf under test must not be among the deciding items.
void expect_below_or_decided_elsewhere(const Rule& r, const Facts& f, const Condition& leaf, const std::string& where,
                                       size_t* overlapping) {
  const auto e = evaluate_rule(r, f, r.scope.province);
  if (e.outcome == Outcome::kBelowThreshold) {
    return;
  }
  // Another alternative that is a national range (e.g. 非法采矿's ordinary-area range overlapping
  // the protected-area one) may leave the case undecided for want of the provincial figure (or,
  // for a national entry evaluated without a province, of the province):
  // undecided is not a wrong verdict, but nothing else may be missing.
  if (e.outcome == Outcome::kInsufficientFacts && !e.missing_facts.empty() &&
      std::all_of(e.missing_facts.begin(), e.missing_facts.end(),
                  [](const std::string& m) {
                    return m.rfind(kMissingProvincialFigurePrefix, 0) == 0 || m == kMissingProvince;
                  })) {
    ++*overlapping;
    std::cout << "  overlapping national range: " << where << " undecided for want of "
              << e.missing_facts.front() << "\n";
    return;
  }
  EXPECT_EQ(e.outcome, Outcome::kMeetsThreshold) << where << ": " << show(f);
  for (const auto& line : e.basis) {
    EXPECT_EQ(line.find("rule: " + leaf.describe()), std::string::npos) << where << " decided by the leaf: " << line;
  }
  ++*overlapping;
  std::cout << "  overlapping alternative: " << where << " met through: " << (e.basis.empty() ? "?" : e.basis[0])
            << "\n";
}

TEST(ShippedRules, EveryThresholdAtJustUnderAndJustOver) {
  auto set = shipped();
  ASSERT_TRUE(set);
  size_t checked = 0;
  size_t overlapping = 0;
  for (const Rule& r : set->rules) {
    for (int part = 0; part < 2; ++part) {
      const Condition* tree = part == 0 ? &r.threshold : (r.procedural ? &*r.procedural : nullptr);
      if (tree == nullptr) {
        continue;
      }
      std::vector<const Condition*> targets;
      leaves(*tree, &targets);
      for (const Condition* leaf : targets) {
        const std::string where = r.ref() + " (" + r.scope.str() + ") " + leaf->describe();
        Facts f = isolate(*set, r, *tree, leaf, part == 1);
        auto outcome = [&](const Facts& facts) { return evaluate_rule(r, facts, r.scope.province).outcome; };
        if (leaf->kind == Condition::Kind::kFlag) {
          f[leaf->fact] = leaf->flag;
          EXPECT_EQ(outcome(f), Outcome::kMeetsThreshold) << where << " set: " << show(f);
          f[leaf->fact] = !leaf->flag;
          expect_below_or_decided_elsewhere(r, f, *leaf, where + " not set", &overlapping);
          ++checked;
          continue;
        }
        if (leaf->kind == Condition::Kind::kText) {
          f[leaf->fact] = leaf->texts.front();
          EXPECT_EQ(outcome(f), Outcome::kMeetsThreshold) << where;
          f[leaf->fact] = std::string("\x01none");
          EXPECT_EQ(outcome(f), Outcome::kBelowThreshold) << where;
          ++checked;
          continue;
        }
        const std::string fact = leaf->kind == Condition::Kind::kSum ? leaf->terms.back().first : leaf->fact;
        const FactSpec* spec = set->catalogue.fact(fact);
        double figure = leaf->kind == Condition::Kind::kRange ? leaf->range_high : leaf->value;
        if (leaf->kind == Condition::Kind::kSum) {
          // The last term brings the sum exactly to the figure, given what the others add.
          double others = 0;
          for (const auto& [name, weight] : leaf->terms) {
            if (name != fact) {
              others += weight * std::get<double>(f[name]);
            }
          }
          figure = (leaf->value - others) / leaf->terms.back().second;
        }
        ASSERT_TRUE(leaf->kind == Condition::Kind::kRange || leaf->op == Condition::Op::kGte) << where;
        const double delta = delta_for(*spec, figure);
        f[fact] = figure;
        EXPECT_EQ(outcome(f), Outcome::kMeetsThreshold) << where << " at " << figure << ": " << show(f);
        f[fact] = figure + delta;
        EXPECT_EQ(outcome(f), Outcome::kMeetsThreshold) << where << " just over: " << show(f);
        f[fact] = figure - delta;
        if (leaf->kind == Condition::Kind::kRange) {
          // Inside the national range: undecided without the provincial figure.
          EXPECT_EQ(outcome(f), Outcome::kInsufficientFacts) << where << " just under the top: " << show(f);
          f[fact] = leaf->range_low - delta;
          EXPECT_EQ(outcome(f), Outcome::kBelowThreshold) << where << " just under the bottom: " << show(f);
        } else {
          expect_below_or_decided_elsewhere(r, f, *leaf, where + " just under", &overlapping);
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 100U);
  std::cout << "boundary-checked " << checked << " conditions in " << set->rules.size() << " rule entries; "
            << overlapping << " just-under cases met through an overlapping alternative\n";
}

// A rule with procedural conditions and a met threshold, but no procedural facts at all:
// insufficient facts naming each procedural fact it needs.
TEST(ShippedRules, MissingProceduralConditionsAreNamed) {
  auto set = shipped();
  ASSERT_TRUE(set);
  size_t checked = 0;
  for (const Rule& r : set->rules) {
    if (!r.procedural) {
      continue;
    }
    Facts f = baseline(*set, r);
    satisfy(r.threshold, f, "");
    std::vector<std::string> procedural;
    r.procedural->collect_facts(&procedural);
    for (const auto& p : procedural) {
      f.erase(p);
    }
    const auto e = evaluate_rule(r, f, r.scope.province);
    EXPECT_EQ(e.outcome, Outcome::kInsufficientFacts) << r.ref();
    std::sort(procedural.begin(), procedural.end());
    procedural.erase(std::unique(procedural.begin(), procedural.end()), procedural.end());
    EXPECT_EQ(e.missing_facts, procedural) << r.ref();
    ++checked;
  }
  EXPECT_EQ(checked, 11U);  // 9 wage entries + 2 taxpayer entries
}

}  // namespace
}  // namespace caselink::standards

#include <fstream>
#include <sstream>
#include <set>

#include <yaml-cpp/yaml.h>

#include "services/daemons/standards/engine/facts_doc.h"

namespace caselink::standards {
namespace {

// Issue 20 #10: docs/facts.md documents every fact of the catalogue; it is generated, and this
// test fails while the committed file differs from what the catalogue and the rules render.
TEST(FactsDoc, IsUpToDate) {
  auto set = load_rule_set(CASELINK_RULES_DIR);
  ASSERT_TRUE(set.ok()) << set.error().message;
  const std::string want = facts_markdown(*set);
  std::ifstream in(std::string(CASELINK_RULES_DIR) + "/../docs/facts.md", std::ios::binary);
  std::stringstream have;
  have << in.rdbuf();
  EXPECT_EQ(have.str(), want) << "docs/facts.md is out of date: regenerate it with "
                                 "build/bin/standards-rules-check --facts-md rules > docs/facts.md";
  for (const auto& [name, spec] : set->catalogue.facts) {
    EXPECT_NE(want.find("| `" + name + "` |"), std::string::npos) << name;
  }
}

// Issue 20 #10, where API integrators look: the ingress's OpenAPI document carries the same
// catalogue (schema Fact: the table in its description, every name in its enum); generated, and
// this test fails while the committed document differs.
TEST(FactsDoc, OpenApiFactSchemaIsUpToDate) {
  auto set = load_rule_set(CASELINK_RULES_DIR);
  ASSERT_TRUE(set.ok()) << set.error().message;
  const std::string path = std::string(CASELINK_RULES_DIR) + "/../docs/api/ingress.openapi.yaml";
  std::ifstream in(path, std::ios::binary);
  std::stringstream have;
  have << in.rdbuf();
  auto want = splice_facts_openapi(have.str(), *set);
  ASSERT_TRUE(want) << path << " lacks the generated Fact schema's marker lines";
  EXPECT_EQ(have.str(), *want) << "the Fact schema is out of date: regenerate it with "
                                  "build/bin/standards-rules-check --facts-openapi rules "
                                  "docs/api/ingress.openapi.yaml";
  YAML::Node fact = YAML::LoadFile(path)["components"]["schemas"]["Fact"];
  ASSERT_TRUE(fact) << "no schema Fact";
  std::set<std::string> names;
  for (const auto& n : fact["properties"]["name"]["enum"]) names.insert(n.as<std::string>());
  const std::string description = fact["description"].as<std::string>();
  for (const auto& [name, spec] : set->catalogue.facts) {
    EXPECT_EQ(names.count(name), 1U) << name << " is not in the OpenAPI Fact.name enum";
    EXPECT_NE(description.find("| `" + name + "` |"), std::string::npos) << name;
  }
  EXPECT_EQ(names.size(), set->catalogue.facts.size());
  YAML::Node referral_facts =
      YAML::LoadFile(path)["components"]["schemas"]["Envelope"]["properties"]["case_referral"]["properties"]["facts"];
  ASSERT_TRUE(referral_facts) << "Envelope.case_referral.facts is not documented";
  EXPECT_EQ(referral_facts["items"]["$ref"].as<std::string>(), "#/components/schemas/Fact");
}

}  // namespace
}  // namespace caselink::standards
