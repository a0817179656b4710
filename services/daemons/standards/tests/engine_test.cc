// The engine on a small hand-written rule set: three-valued any_of/all_of, procedural
// conditions, ranges, sums, jurisdiction and effective-date selection, the more-lenient
// comparison, confidence propagation.
#include <gtest/gtest.h>

#include "services/daemons/standards/engine/engine.h"
#include "services/daemons/standards/tests/test_rules.h"

namespace caselink::standards {
namespace {

Date d(const char* text) { return *Date::parse(text); }

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto set = parse_rule_set(testing::demo_files());
    ASSERT_TRUE(set.ok()) << set.error().message;
    rules_ = std::make_shared<RuleSet>(std::move(*set));
    engine_ = std::make_unique<Engine>(rules_);
  }

  CaseFacts amount_case(std::string province, std::string city, double months, double amount,
                        std::optional<bool> order = true) {
    CaseFacts c;
    c.offence = "demo";
    c.jurisdiction.province = std::move(province);
    c.jurisdiction.city = std::move(city);
    c.act_date = d("2020-06-01");
    c.facts["months"] = months;
    c.facts["amount_yuan"] = amount;
    if (order) {
      c.facts["order_ignored"] = *order;
    }
    return c;
  }

  const Conclusion& conclusion(const Assessment& a, const std::string& id) {
    for (const auto& c : a.conclusions) {
      if (c.rule_id == id) {
        return c;
      }
    }
    ADD_FAILURE() << "no conclusion for " << id;
    static Conclusion none;
    return none;
  }

  std::shared_ptr<RuleSet> rules_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, DateParsesOnlyRealDays) {
  EXPECT_EQ(Date::parse("2023-08-15")->str(), "2023-08-15");
  EXPECT_FALSE(Date::parse("2023-02-30"));
  EXPECT_FALSE(Date::parse("2023-13-01"));
  EXPECT_FALSE(Date::parse("2023-8-15"));
  EXPECT_FALSE(Date::parse("20230815xx"));
  EXPECT_LT(*Date::parse("2023-08-14"), *Date::parse("2023-08-15"));
  EXPECT_EQ(Date::from_ymd(1970, 1, 2).days, 1);
}

TEST_F(EngineTest, ProvincialFigureAtJustUnderJustOver) {
  const auto at = engine_->assess(amount_case("330000", "", 3, 10000), d("2020-06-01"));
  EXPECT_EQ(conclusion(at, "demo.amount").outcome, Outcome::kMeetsThreshold);
  EXPECT_EQ(conclusion(at, "demo.amount").rule->version, 2);
  EXPECT_EQ(conclusion(at, "demo.amount").rule->document, "zhejiang doc");
  EXPECT_EQ(conclusion(engine_->assess(amount_case("330000", "", 3, 9999.99), d("2020-06-01")), "demo.amount").outcome,
            Outcome::kBelowThreshold);
  EXPECT_EQ(conclusion(engine_->assess(amount_case("330000", "", 3, 10000.01), d("2020-06-01")), "demo.amount").outcome,
            Outcome::kMeetsThreshold);
  // all_of: the other condition false -> below even though the amount is met
  EXPECT_EQ(conclusion(engine_->assess(amount_case("330000", "", 2, 50000), d("2020-06-01")), "demo.amount").outcome,
            Outcome::kBelowThreshold);
}

TEST_F(EngineTest, ProceduralConditionMissingIsInsufficientNamingIt) {
  const auto a = engine_->assess(amount_case("330000", "", 6, 50000, std::nullopt), d("2020-06-01"));
  const auto& c = conclusion(a, "demo.amount");
  EXPECT_EQ(c.outcome, Outcome::kInsufficientFacts);
  EXPECT_EQ(c.missing_facts, std::vector<std::string>{"order_ignored"});
  // ...and false is a definite "below": the order was complied with.
  EXPECT_EQ(conclusion(engine_->assess(amount_case("330000", "", 6, 50000, false), d("2020-06-01")), "demo.amount")
                .outcome,
            Outcome::kBelowThreshold);
  // A threshold that is already false does not need the procedural fact.
  EXPECT_EQ(conclusion(engine_->assess(amount_case("330000", "", 6, 100, std::nullopt), d("2020-06-01")),
                       "demo.amount")
                .outcome,
            Outcome::kBelowThreshold);
}

TEST_F(EngineTest, AllOfAndAnyOfAreThreeValued) {
  CaseFacts c = amount_case("330000", "", 0, 0);
  c.facts.erase("months");
  // all_of(unknown, true) = unknown
  c.facts["amount_yuan"] = 50000.0;
  auto a = engine_->assess(c, d("2020-06-01"));
  EXPECT_EQ(conclusion(a, "demo.amount").outcome, Outcome::kInsufficientFacts);
  EXPECT_EQ(conclusion(a, "demo.amount").missing_facts, std::vector<std::string>{"months"});
  // all_of(unknown, false) = false
  c.facts["amount_yuan"] = 10.0;
  EXPECT_EQ(conclusion(engine_->assess(c, d("2020-06-01")), "demo.amount").outcome, Outcome::kBelowThreshold);

  // any_of(true, unknown) = true; any_of(false, unknown) = unknown; any_of(false, false) = false
  CaseFacts w;
  w.offence = "demo";
  w.act_date = d("2020-01-01");
  w.facts["tonnes"] = 3.0;
  EXPECT_EQ(conclusion(engine_->assess(w, d("2020-01-01")), "demo.weight").outcome, Outcome::kMeetsThreshold);
  w.facts["tonnes"] = 2.99;
  a = engine_->assess(w, d("2020-01-01"));
  EXPECT_EQ(conclusion(a, "demo.weight").outcome, Outcome::kInsufficientFacts);
  EXPECT_EQ(conclusion(a, "demo.weight").missing_facts, std::vector<std::string>{"in_key_area"});
  w.facts["in_key_area"] = false;
  EXPECT_EQ(conclusion(engine_->assess(w, d("2020-01-01")), "demo.weight").outcome, Outcome::kBelowThreshold);
}

TEST_F(EngineTest, NationalRangeDecidesOnlyOutsideTheRange) {
  // Guangdong before its tiers took effect: the national range 5000..20000 applies.
  auto c = amount_case("440000", "", 3, 20000);
  c.act_date = d("2014-01-01");
  const auto top = engine_->assess(c, d("2014-01-01"));
  EXPECT_EQ(conclusion(top, "demo.amount").outcome, Outcome::kMeetsThreshold);
  EXPECT_EQ(conclusion(top, "demo.amount").rule->version, 1);
  c.facts["amount_yuan"] = 19999.99;
  const auto mid = engine_->assess(c, d("2014-01-01"));
  EXPECT_EQ(conclusion(mid, "demo.amount").outcome, Outcome::kInsufficientFacts);
  EXPECT_EQ(conclusion(mid, "demo.amount").missing_facts, std::vector<std::string>{"provincial_figure:440000"});
  c.facts["amount_yuan"] = 5000.0;
  EXPECT_EQ(conclusion(engine_->assess(c, d("2014-01-01")), "demo.amount").outcome, Outcome::kInsufficientFacts);
  c.facts["amount_yuan"] = 4999.99;
  EXPECT_EQ(conclusion(engine_->assess(c, d("2014-01-01")), "demo.amount").outcome, Outcome::kBelowThreshold);
  c.jurisdiction.province.clear();
  c.facts["amount_yuan"] = 6000.0;
  EXPECT_EQ(conclusion(engine_->assess(c, d("2014-01-01")), "demo.amount").missing_facts,
            std::vector<std::string>{"jurisdiction.province"});
}

TEST_F(EngineTest, CityTierFromCityOrExplicitTier) {
  auto gz = engine_->assess(amount_case("440000", "440100", 3, 15000), d("2020-06-01"));
  EXPECT_EQ(conclusion(gz, "demo.amount").outcome, Outcome::kBelowThreshold);
  EXPECT_EQ(conclusion(gz, "demo.amount").rule->version, 3);
  EXPECT_EQ(conclusion(gz, "demo.amount").rule->jurisdiction, "440000/gd.t1");
  auto st = engine_->assess(amount_case("440000", "440500", 3, 15000), d("2020-06-01"));
  EXPECT_EQ(conclusion(st, "demo.amount").outcome, Outcome::kMeetsThreshold);
  EXPECT_EQ(conclusion(st, "demo.amount").rule->version, 4);
  auto explicit_tier = amount_case("440000", "", 3, 15000);
  explicit_tier.jurisdiction.city_tier = "gd.t2";
  EXPECT_EQ(conclusion(engine_->assess(explicit_tier, d("2020-06-01")), "demo.amount").rule->version, 4);
}

TEST_F(EngineTest, UnknownCityEvaluatesEveryTier) {
  // Tiers agree (25,000 meets both): the outcome stands.
  auto agree = engine_->assess(amount_case("440000", "", 3, 25000), d("2020-06-01"));
  EXPECT_EQ(conclusion(agree, "demo.amount").outcome, Outcome::kMeetsThreshold);
  EXPECT_NE(conclusion(agree, "demo.amount").explanation.find("every city tier"), std::string::npos);
  // Tiers disagree (15,000): the city is what is missing.
  auto disagree = engine_->assess(amount_case("440000", "", 3, 15000), d("2020-06-01"));
  EXPECT_EQ(conclusion(disagree, "demo.amount").outcome, Outcome::kInsufficientFacts);
  EXPECT_EQ(conclusion(disagree, "demo.amount").missing_facts, std::vector<std::string>{"jurisdiction.city"});
}

TEST_F(EngineTest, ReplacedInterpretationBeforeAndAfter) {
  CaseFacts c;
  c.offence = "demo";
  c.facts["tonnes"] = 4.0;
  c.facts["in_key_area"] = false;
  c.facts["category"] = std::string("z");
  c.facts["amount_yuan"] = 0.0;
  c.facts["other_yuan"] = 0.0;
  c.act_date = d("2023-08-14");
  auto before = engine_->assess(c, d("2023-08-14"));
  EXPECT_EQ(conclusion(before, "demo.weight").outcome, Outcome::kMeetsThreshold);
  EXPECT_EQ(conclusion(before, "demo.weight").rule->version, 1);
  c.act_date = d("2023-08-15");
  auto after = engine_->assess(c, d("2023-08-15"));
  EXPECT_EQ(conclusion(after, "demo.weight").outcome, Outcome::kBelowThreshold);
  EXPECT_EQ(conclusion(after, "demo.weight").rule->version, 2);
}

TEST_F(EngineTest, MoreLenientLaterVersionApplies) {
  CaseFacts c;
  c.offence = "demo";
  c.facts = {{"tonnes", 4.0}, {"in_key_area", false}, {"category", std::string("z")},
             {"amount_yuan", 0.0}, {"other_yuan", 0.0}};
  c.act_date = d("2020-01-01");
  // Assessed before the new version: only v1 exists.
  auto old = engine_->assess(c, d("2021-01-01"));
  EXPECT_EQ(conclusion(old, "demo.weight").outcome, Outcome::kMeetsThreshold);
  EXPECT_FALSE(conclusion(old, "demo.weight").compared_with);
  // Assessed after: v2 (5 t) is more lenient than v1 (3 t) and applies.
  auto now = engine_->assess(c, d("2024-01-01"));
  const auto& cn = conclusion(now, "demo.weight");
  EXPECT_EQ(cn.outcome, Outcome::kBelowThreshold);
  EXPECT_EQ(cn.rule->version, 2);
  EXPECT_TRUE(cn.more_lenient_applied);
  EXPECT_EQ(cn.anchor_date, d("2020-01-01"));
  EXPECT_EQ(cn.anchor_kind, Anchor::kActDate);
  ASSERT_TRUE(cn.compared_with);
  EXPECT_EQ(cn.compared_with->version, 1);
  EXPECT_NE(cn.explanation.find("more lenient"), std::string::npos);
  // Not more lenient (6 t meets both): the act-time version stays, the other is named.
  c.facts["tonnes"] = 6.0;
  auto both = engine_->assess(c, d("2024-01-01"));
  EXPECT_EQ(conclusion(both, "demo.weight").outcome, Outcome::kMeetsThreshold);
  EXPECT_EQ(conclusion(both, "demo.weight").rule->version, 1);
  EXPECT_EQ(conclusion(both, "demo.weight").compared_with->version, 2);
}

TEST_F(EngineTest, FilingDateAnchorAndNoRetroactivity) {
  // Yunnan: filed before 2013-08-01 -> the national range, even though Yunnan's figure is in force now.
  auto c = amount_case("530000", "", 3, 7000);
  c.act_date = d("2013-07-01");
  c.filing_date = d("2013-07-31");
  auto before = engine_->assess(c, d("2020-01-01"));
  EXPECT_EQ(conclusion(before, "demo.amount").rule->version, 1);
  EXPECT_EQ(conclusion(before, "demo.amount").outcome, Outcome::kInsufficientFacts);  // inside 5000..20000
  EXPECT_FALSE(conclusion(before, "demo.amount").compared_with);
  c.filing_date = d("2013-08-01");
  auto after = engine_->assess(c, d("2020-01-01"));
  EXPECT_EQ(conclusion(after, "demo.amount").rule->version, 5);
  EXPECT_EQ(conclusion(after, "demo.amount").rule->layer, Layer::kProvincial);
  EXPECT_EQ(conclusion(after, "demo.amount").outcome, Outcome::kBelowThreshold);
  EXPECT_EQ(conclusion(after, "demo.amount").anchor_kind, Anchor::kFilingDate);
  EXPECT_EQ(conclusion(after, "demo.amount").anchor_date, d("2013-08-01"));
  // Not filed yet: it can only be filed from now on, so the assessment date anchors.
  c.filing_date.reset();
  auto unfiled = engine_->assess(c, d("2020-01-01"));
  EXPECT_EQ(conclusion(unfiled, "demo.amount").rule->version, 5);
  EXPECT_NE(conclusion(unfiled, "demo.amount").explanation.find("not filed yet"), std::string::npos);
  // Not filed and assessed before 2013-08-01: the national range.
  auto early = engine_->assess(c, d("2013-07-15"));
  EXPECT_EQ(conclusion(early, "demo.amount").rule->version, 1);
}

TEST_F(EngineTest, MissingActDateAndActsBeforeEveryVersion) {
  CaseFacts c;
  c.offence = "demo";
  c.facts["tonnes"] = 10.0;
  auto no_date = engine_->assess(c, d("2024-01-01"));
  EXPECT_EQ(conclusion(no_date, "demo.weight").outcome, Outcome::kInsufficientFacts);
  EXPECT_EQ(conclusion(no_date, "demo.weight").missing_facts, std::vector<std::string>{"act_date"});
  c.act_date = d("2016-12-31");
  auto early = engine_->assess(c, d("2024-01-01"));
  EXPECT_EQ(conclusion(early, "demo.weight").outcome, Outcome::kNoApplicableRule);
  EXPECT_EQ(conclusion(early, "demo.weight").compared_with->version, 2);
}

TEST_F(EngineTest, OffenceOutcomeCombinesLineages) {
  CaseFacts c = amount_case("330000", "", 6, 50000);  // demo.amount meets, demo.weight unknown
  auto a = engine_->assess(c, d("2020-06-01"));
  EXPECT_EQ(a.outcome, Outcome::kMeetsThreshold);
  EXPECT_TRUE(a.missing_facts.empty());
  c.facts["amount_yuan"] = 100.0;  // amount below, weight unknown
  a = engine_->assess(c, d("2020-06-01"));
  EXPECT_EQ(a.outcome, Outcome::kInsufficientFacts);
  EXPECT_EQ(a.missing_facts, (std::vector<std::string>{"in_key_area", "tonnes"}));
  EXPECT_EQ(a.rule_set_version, rules_->version);
  CaseFacts unknown;
  unknown.offence = "no_such_offence";
  auto none = engine_->assess(unknown, d("2020-06-01"));
  EXPECT_EQ(none.outcome, Outcome::kNoApplicableRule);
  EXPECT_TRUE(none.conclusions.empty());
}

TEST_F(EngineTest, SumTextAndConfidencePropagation) {
  CaseFacts c;
  c.offence = "demo";
  c.act_date = d("2024-01-01");
  c.facts = {{"tonnes", 0.0}, {"in_key_area", false}, {"category", std::string("z")},
             {"amount_yuan", 40000.0}, {"other_yuan", 30000.0}};
  EXPECT_EQ(conclusion(engine_->assess(c, d("2024-01-01")), "demo.weight").outcome, Outcome::kMeetsThreshold);
  c.facts["other_yuan"] = 29999.99;
  EXPECT_EQ(conclusion(engine_->assess(c, d("2024-01-01")), "demo.weight").outcome, Outcome::kBelowThreshold);
  c.facts.erase("other_yuan");
  auto missing = engine_->assess(c, d("2024-01-01"));
  EXPECT_EQ(conclusion(missing, "demo.weight").missing_facts, std::vector<std::string>{"other_yuan"});
  c.facts["other_yuan"] = 0.0;
  c.facts["category"] = std::string("b");
  EXPECT_EQ(conclusion(engine_->assess(c, d("2024-01-01")), "demo.weight").outcome, Outcome::kMeetsThreshold);
  // A conclusion resting on an unconfirmed, recalled item says so.
  c.facts["category"] = std::string("z");
  c.facts["in_key_area"] = true;
  auto weak = engine_->assess(c, d("2024-01-01"));
  const auto& cw = conclusion(weak, "demo.weight");
  EXPECT_EQ(cw.outcome, Outcome::kMeetsThreshold);
  EXPECT_EQ(cw.confidence, Confidence::kUnconfirmed);
  EXPECT_TRUE(cw.relies_on_recall);
  ASSERT_EQ(cw.basis.size(), 1U);
  EXPECT_EQ(cw.basis[0], "in_key_area = true; rule: in_key_area is true [(1)] (recall)");
  // The same rule met through a confirmed item keeps the rule's confidence.
  c.facts["in_key_area"] = false;
  c.facts["tonnes"] = 5.0;
  const auto strong = engine_->assess(c, d("2024-01-01"));
  EXPECT_EQ(conclusion(strong, "demo.weight").confidence, Confidence::kHigh);
  EXPECT_FALSE(conclusion(strong, "demo.weight").relies_on_recall);
}

TEST_F(EngineTest, CheckFactsRefusesWrongKinds) {
  Facts f{{"amount_yuan", true}, {"in_key_area", 1.0}, {"tonnes", 2.0}, {"unrelated", std::string("x")}};
  auto problems = check_facts(rules_->catalogue, f);
  ASSERT_EQ(problems.size(), 2U);
  EXPECT_EQ(problems[0].fact, "amount_yuan");
  EXPECT_EQ(problems[0].message, "must be a number, got a flag");
  EXPECT_EQ(problems[1].fact, "in_key_area");
}



}  // namespace
}  // namespace caselink::standards

// --- penalty tiers (issue 16 §2) -----------------------------------------------------------------

namespace caselink::standards {
namespace {

// One lineage with three tiers. The 2011 entry tier has a tonnes item that moved, in 2021, to the
// amount_large tier (like the 2016 pollution items that moved to 2023's 情节严重).
const char* kTiered = R"yaml(offence: tiered
title: tiered offence
statute: test
rules:
  - id: tiered.amount
    version: 1
    jurisdiction: national
    effective_from: 2011-01-01
    effective_to: 2020-12-31
    legal_source: {document: old, article: art 1}
    confidence: high
    threshold:
      any_of:
        - {fact: amount_yuan, gte: 3000}
        - {fact: tonnes, gte: 30}
  - id: tiered.amount
    version: 2
    jurisdiction: national
    effective_from: 2021-01-01
    legal_source: {document: new, article: art 1}
    confidence: high
    threshold:
      any_of:
        - {fact: amount_yuan, gte: 3000}
  - id: tiered.amount
    version: 3
    tier: amount_large
    jurisdiction: national
    effective_from: 2021-01-01
    legal_source: {document: new, article: art 2}
    confidence: medium
    threshold:
      any_of:
        - {fact: amount_yuan, gte: 30000}
        - {fact: tonnes, gte: 30}
  - id: tiered.amount
    version: 4
    tier: amount_especially_large
    jurisdiction: national
    effective_from: 2011-01-01
    legal_source: {document: old, article: art 3}
    confidence: high
    threshold:
      any_of:
        - {fact: amount_yuan, gte: 500000}
)yaml";

std::vector<RuleFile> tiered_files(const char* offence = kTiered) {
  auto files = testing::demo_files();
  files.push_back({"tiered.yaml", offence});
  return files;
}

class TierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto set = parse_rule_set(tiered_files());
    ASSERT_TRUE(set.ok()) << set.error().message;
    engine_ = std::make_unique<Engine>(std::make_shared<RuleSet>(std::move(*set)));
  }
  Assessment assess(const char* act, const char* as_of, Facts facts) {
    CaseFacts c;
    c.offence = "tiered";
    c.act_date = *Date::parse(act);
    c.facts = std::move(facts);
    return engine_->assess(c, *Date::parse(as_of));
  }
  std::unique_ptr<Engine> engine_;
};

TEST_F(TierTest, TierReachedAtJustUnderAndJustOverEachFigure) {
  struct Case {
    double amount;
    Outcome outcome;
    const char* tier;
  };
  for (const Case& k : {Case{2999.99, Outcome::kBelowThreshold, ""}, Case{3000, Outcome::kMeetsThreshold, "entry"},
                        Case{29999.99, Outcome::kMeetsThreshold, "entry"},
                        Case{30000, Outcome::kMeetsThreshold, "amount_large"},
                        Case{30000.01, Outcome::kMeetsThreshold, "amount_large"},
                        Case{499999.99, Outcome::kMeetsThreshold, "amount_large"},
                        Case{500000, Outcome::kMeetsThreshold, "amount_especially_large"},
                        Case{500000.01, Outcome::kMeetsThreshold, "amount_especially_large"}}) {
    const Assessment a = assess("2022-05-01", "2022-06-01", {{"amount_yuan", k.amount}, {"tonnes", 0.0}});
    EXPECT_EQ(a.outcome, k.outcome) << k.amount;
    EXPECT_EQ(a.tier_reached, k.tier) << k.amount;
  }
}

TEST_F(TierTest, EachTierIsItsOwnConclusionAndOnlyTheEntryTierNamesMissingFacts) {
  const Assessment a = assess("2022-05-01", "2022-06-01", {});
  ASSERT_EQ(a.conclusions.size(), 3U);
  EXPECT_EQ(a.conclusions[0].tier, "entry");
  EXPECT_EQ(a.conclusions[1].tier, "amount_large");
  EXPECT_EQ(a.conclusions[2].tier, "amount_especially_large");
  EXPECT_EQ(a.outcome, Outcome::kInsufficientFacts);
  // The large tier's tonnes item is an alternative of the entry threshold, so it is missing too.
  EXPECT_EQ(a.missing_facts, (std::vector<std::string>{"amount_yuan", "tonnes"}));
  EXPECT_EQ(a.conclusions[2].missing_facts, std::vector<std::string>{"amount_yuan"});
  // Before 2021 the amount_large tier has no version: no conclusion for it.
  EXPECT_EQ(assess("2020-05-01", "2020-06-01", {}).conclusions.size(), 2U);
}

TEST_F(TierTest, AnItemThatMovedToAHigherTierStillMeetsTheOffence) {
  // After the move: tonnes alone reaches amount_large, so the crime, while the entry tier waits.
  Assessment a = assess("2022-05-01", "2022-06-01", {{"tonnes", 30.0}});
  EXPECT_EQ(a.outcome, Outcome::kMeetsThreshold);
  EXPECT_EQ(a.tier_reached, "amount_large");
  a = assess("2022-05-01", "2022-06-01", {{"tonnes", 29.99}, {"amount_yuan", 0.0}});
  EXPECT_EQ(a.outcome, Outcome::kBelowThreshold);
  // Every entry item below, the moved item unknown: not BELOW (it could still reach the tier).
  a = assess("2022-05-01", "2022-06-01", {{"amount_yuan", 0.0}});
  EXPECT_EQ(a.outcome, Outcome::kInsufficientFacts);
  EXPECT_EQ(a.missing_facts, std::vector<std::string>{"tonnes"});
  // Before the move it is an entry item.
  a = assess("2020-12-31", "2020-12-31", {{"tonnes", 30.0}});
  EXPECT_EQ(a.outcome, Outcome::kMeetsThreshold);
  EXPECT_EQ(a.tier_reached, "entry");
  EXPECT_EQ(a.conclusions[0].rule->version, 1);
}

// The more-lenient comparison at the entry tier must count the higher tiers in force "now": the
// new entry tier lost the tonnes item, but the act still reaches the new law's amount_large tier.
TEST_F(TierTest, MoreLenientComparisonCountsHigherTiersInForceNow) {
  const Assessment a = assess("2020-12-31", "2022-01-01", {{"tonnes", 30.0}, {"amount_yuan", 0.0}});
  EXPECT_EQ(a.outcome, Outcome::kMeetsThreshold);
  ASSERT_TRUE(a.conclusions[0].rule);
  EXPECT_EQ(a.conclusions[0].rule->version, 1);  // the old law, not set aside as "more lenient"
  EXPECT_FALSE(a.conclusions[0].more_lenient_applied);
  // Under the figure the new law is more lenient only if nothing reaches any tier.
  const Assessment b = assess("2020-12-31", "2022-01-01", {{"tonnes", 29.99}, {"amount_yuan", 0.0}});
  EXPECT_EQ(b.outcome, Outcome::kBelowThreshold);
}

TEST(TierLoader, TiersHaveTheirOwnValidityChainsAndNamesAreChecked) {
  // v2 (entry) and v3 (amount_large) both start 2021-01-01 nationally: no overlap across tiers.
  EXPECT_TRUE(parse_rule_set(tiered_files()).ok());
  std::string bad = std::string(kTiered) + R"yaml(  - id: tiered.amount
    version: 5
    tier: amount_large
    jurisdiction: national
    effective_from: 2022-01-01
    legal_source: {document: x, article: y}
    confidence: high
    threshold: {fact: amount_yuan, gte: 40000}
  - id: tiered.amount
    version: 6
    tier: huge
    jurisdiction: national
    effective_from: 2011-01-01
    legal_source: {document: x, article: y}
    confidence: high
    threshold: {fact: amount_yuan, gte: 40000}
  - id: tiered.amount
    version: 7
    tier: circumstances_serious
    jurisdiction: national
    effective_from: 2011-01-01
    legal_source: {document: x, article: y}
    confidence: high
    threshold: {fact: amount_yuan, approaching: {figure: 30000, share: 1.5}}
  - id: tiered.other
    version: 1
    tier: circumstances_serious
    jurisdiction: national
    effective_from: 2011-01-01
    legal_source: {document: x, article: y}
    confidence: high
    threshold: {fact: amount_yuan, gte: 40000}
)yaml";
  auto set = parse_rule_set(tiered_files(bad.c_str()));
  ASSERT_FALSE(set.ok());
  const std::string& m = set.error().message;
  EXPECT_NE(m.find("rule tiered.amount v5: effective_from: validity 2022-01-01..open overlaps tiered.amount v3"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("tier: 'huge' is not a tier (entry | amount_large"), std::string::npos) << m;
  EXPECT_NE(m.find("tiered.other has no entry-tier version"), std::string::npos) << m;
  EXPECT_NE(m.find("threshold.approaching: figure must be above 0 and share between 0 and 1"), std::string::npos)
      << m;
}

// "接近" (issue 16 §3): met from share x figure, described with both, and not below it.
TEST(Approaching, MetFromTheShareOfTheFigureAndDescribedAsSuch) {
  std::string text = std::string(kTiered) + R"yaml(  - id: tiered.amount
    version: 5
    tier: circumstances_serious
    jurisdiction: national
    effective_from: 2011-01-01
    legal_source: {document: x, article: y}
    confidence: medium
    threshold:
      all_of:
        - {fact: amount_yuan, approaching: {figure: 30000, share: 0.8}, confidence: unconfirmed}
        - {fact: in_key_area, is: true}
)yaml";
  auto set = parse_rule_set(tiered_files(text.c_str()));
  ASSERT_TRUE(set.ok()) << set.error().message;
  const Rule* r = set->find("tiered.amount", 5);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->threshold.children[0].describe(), "amount_yuan approaching 30000 (>= 0.8 of it: 24000)");
  Engine engine(std::make_shared<RuleSet>(std::move(*set)));
  auto tier_for = [&](double amount, bool circumstance) {
    CaseFacts c;
    c.offence = "tiered";
    c.act_date = *Date::parse("2022-01-01");
    c.facts = {{"amount_yuan", amount}, {"in_key_area", circumstance}, {"tonnes", 0.0}};
    const Assessment a = engine.assess(c, *c.act_date);
    return a.tier_reached;
  };
  EXPECT_EQ(tier_for(24000, true), "circumstances_serious");
  EXPECT_EQ(tier_for(24000.01, true), "circumstances_serious");
  EXPECT_EQ(tier_for(23999.99, true), "entry");
  EXPECT_EQ(tier_for(24000, false), "entry");
}


}  // namespace
}  // namespace caselink::standards

// --- typed, windowed facts (issue 16 §2) ----------------------------------------------------------

namespace caselink::standards {
namespace {

const char* kWindowed = R"yaml(offence: windowed
title: windowed offence
statute: test
rules:
  - id: windowed.repeat
    version: 1
    jurisdiction: national
    effective_from: 2011-01-01
    legal_source: {document: doc, article: art}
    confidence: high
    threshold:
      any_of:
        - {fact: amount_yuan, gte: 3000}
        - {fact: window_penalties, gte: 2, window: {years: 2}, item: 二年内二次以上}
)yaml";

class WindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = testing::demo_engine_with("windowed.yaml", kWindowed);
    ASSERT_NE(engine_, nullptr);
  }
  // Act on 2024-03-01: the two-year window is [2022-03-01, 2024-03-01).
  Assessment assess(std::vector<std::pair<const char*, const char*>> seen, std::optional<double> declared,
                    const char* offence = "windowed") {
    CaseFacts c;
    c.offence = "windowed";
    c.act_date = *Date::parse("2024-03-01");
    c.facts["amount_yuan"] = 0.0;
    if (declared) {
      c.facts["window_penalties"] = *declared;
    }
    for (const auto& [number, date] : seen) {
      c.seen_penalties.push_back({number, offence, *Date::parse(date)});
    }
    return engine_->assess(c, *c.act_date);
  }
  static const ItemEvaluation& item(const Assessment& a) { return a.conclusions.at(0).items.at(1); }
  std::unique_ptr<Engine> engine_;
};

TEST_F(WindowTest, CaselinkCountsThePenaltiesItHasSeenInTheWindowAndCitesThem) {
  const Assessment a = assess({{"罚1号", "2022-03-01"}, {"罚2号", "2024-02-29"}}, std::nullopt);
  EXPECT_EQ(a.outcome, Outcome::kMeetsThreshold);
  EXPECT_EQ(item(a).condition, "window_penalties >= 2 within 2 years");
  EXPECT_EQ(item(a).fact_source, "counted");
  EXPECT_EQ(item(a).cited_records, (std::vector<std::string>{"罚1号 (2022-03-01)", "罚2号 (2024-02-29)"}));
}

TEST_F(WindowTest, WindowEdgesAndOtherOffences) {
  // Just outside the window (the day before it opens), on the act date itself, another offence.
  for (const char* outside : {"2022-02-28", "2024-03-01"}) {
    const Assessment a = assess({{"罚1号", outside}, {"罚2号", "2023-01-01"}}, std::nullopt);
    EXPECT_EQ(a.outcome, Outcome::kInsufficientFacts) << outside;  // 1 seen: a lower bound, not a "no"
    EXPECT_EQ(a.missing_facts, std::vector<std::string>{"window_penalties"}) << outside;
    EXPECT_EQ(item(a).cited_records.size(), 1U) << outside;
    EXPECT_EQ(item(a).fact_source, "") << outside;
  }
  EXPECT_EQ(assess({{"a", "2023-01-01"}, {"b", "2023-02-01"}}, std::nullopt, "demo").outcome,
            Outcome::kInsufficientFacts);
}

TEST_F(WindowTest, DeclaredNumberAndCountTheLargerWins) {
  Assessment a = assess({{"罚1号", "2023-01-01"}, {"罚2号", "2023-02-01"}}, 1.0);
  EXPECT_EQ(a.outcome, Outcome::kMeetsThreshold);
  EXPECT_EQ(item(a).fact_source, "counted");
  a = assess({{"罚1号", "2023-01-01"}}, 2.0);
  EXPECT_EQ(a.outcome, Outcome::kMeetsThreshold);
  EXPECT_EQ(item(a).fact_source, "declared");
  EXPECT_EQ(item(a).cited_records.size(), 1U);
  a = assess({}, 1.0);
  EXPECT_EQ(a.outcome, Outcome::kBelowThreshold);
  EXPECT_EQ(item(a).fact_source, "declared");
}

TEST(WindowLoader, WindowIsRequiredOnWindowedFactsAndRefusedElsewhere) {
  auto files = testing::demo_files();
  files.push_back({"windowed.yaml", R"yaml(offence: windowed
title: t
statute: s
rules:
  - id: windowed.repeat
    version: 1
    jurisdiction: national
    effective_from: 2011-01-01
    legal_source: {document: doc, article: art}
    confidence: high
    threshold:
      any_of:
        - {fact: window_penalties, gte: 2}
        - {fact: amount_yuan, gte: 3000, window: {years: 2}}
        - {fact: window_penalties, gte: 2, window: {days: 2}}
        - {fact: window_penalties, lt: 2, window: {years: 2}}
)yaml"});
  auto set = parse_rule_set(files);
  ASSERT_FALSE(set.ok());
  const std::string& m = set.error().message;
  EXPECT_NE(m.find("any_of[0].window: fact 'window_penalties' is windowed"), std::string::npos) << m;
  EXPECT_NE(m.find("any_of[1].window: fact 'amount_yuan' is not windowed"), std::string::npos) << m;
  EXPECT_NE(m.find("any_of[2].window.days: unknown key"), std::string::npos) << m;
  EXPECT_NE(m.find("any_of[3].window: a window is 1 or more years/months on a 'gte' comparison"), std::string::npos)
      << m;
}


// --- discretionary exits (issue 16 §1: the 2017 补充规定 第七条 shape) ---------------------------

const char* kExit = R"yaml(offence: exiting
title: t
statute: s
rules:
  - id: exiting.amount
    version: 1
    jurisdiction: national
    effective_from: 2013-01-23
    legal_source: {document: interpretation, article: art 3}
    confidence: high
    threshold:
      any_of:
        - {fact: amount_yuan, gte: 10000}
  - id: exiting.paid
    version: 1
    exit: may_not_file
    jurisdiction: national
    effective_from: 2017-04-27
    anchor: filing_date
    legal_source: {document: supplement, article: art 7}
    confidence: medium
    threshold:
      all_of:
        - {fact: in_key_area, is: true}
)yaml";

class ExitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = testing::demo_engine_with("exiting.yaml", kExit);
    ASSERT_NE(engine_, nullptr);
  }
  Assessment assess(double amount, std::optional<bool> paid, const char* filed, const char* as_of = "2020-06-01") {
    CaseFacts c;
    c.offence = "exiting";
    c.act_date = *Date::parse("2016-01-10");
    if (filed != nullptr) c.filing_date = *Date::parse(filed);
    c.facts = {{"amount_yuan", amount}};
    if (paid) c.facts["in_key_area"] = *paid;
    return engine_->assess(c, *Date::parse(as_of));
  }
  std::unique_ptr<Engine> engine_;
};

TEST_F(ExitTest, AMetExitIsNamedAndLeavesTheOutcomeAlone) {
  // At, just under and just over the figure: the outcome follows the threshold, the exit is named.
  for (double amount : {9999.99, 10000.0, 10000.01}) {
    const Assessment a = assess(amount, true, "2018-01-01");
    EXPECT_EQ(a.outcome, amount < 10000 ? Outcome::kBelowThreshold : Outcome::kMeetsThreshold) << amount;
    ASSERT_EQ(a.exits.size(), 1U) << amount;
    EXPECT_EQ(a.exits[0], "exiting.paid v1 (supplement art 7): may_not_file");
    EXPECT_EQ(a.tier_reached, amount < 10000 ? "" : "entry");
    ASSERT_EQ(a.conclusions.size(), 2U);
    EXPECT_EQ(a.conclusions[1].tier, kExitTier);
  }
  // Not met or unknown: no exit, and an unknown exit fact is never "missing" for the outcome.
  EXPECT_TRUE(assess(10000, false, "2018-01-01").exits.empty());
  const Assessment unknown = assess(10000, std::nullopt, "2018-01-01");
  EXPECT_TRUE(unknown.exits.empty());
  EXPECT_EQ(unknown.outcome, Outcome::kMeetsThreshold);
  EXPECT_TRUE(unknown.missing_facts.empty());
  EXPECT_EQ(assess(9999.99, std::nullopt, "2018-01-01").outcome, Outcome::kBelowThreshold);
}

TEST_F(ExitTest, TheFilingDateDecidesWhetherTheExitExists) {
  EXPECT_EQ(assess(20000, true, "2017-04-27").exits.size(), 1U);
  const Assessment before = assess(20000, true, "2017-04-26");
  EXPECT_TRUE(before.exits.empty());
  EXPECT_EQ(before.conclusions.size(), 1U);  // no version in force: no exit conclusion at all
  // Not filed yet: the assessment date stands for the filing date.
  EXPECT_EQ(assess(20000, true, nullptr, "2017-04-27").exits.size(), 1U);
  EXPECT_TRUE(assess(20000, true, nullptr, "2017-04-26").exits.empty());
}

TEST(ExitLoader, ExitKindsTiersAndMixedLineagesAreRefused) {
  auto with = [](const std::string& extra) {
    auto files = testing::demo_files();
    files.push_back({"exiting.yaml", std::string(kExit) + extra});
    auto set = parse_rule_set(files);
    return set.ok() ? std::string() : set.error().message;
  };
  EXPECT_EQ(with(""), "");
  // One entry: its own lines (`head`), then the shared validity, source and threshold.
  auto entry = [](const std::string& head) {
    return "  - " + head +
           "\n    effective_from: 2017-04-27\n    legal_source: {document: d, article: a}\n    confidence: high\n"
           "    threshold: {fact: in_key_area, is: true}\n";
  };
  const std::string bad =
      with(entry("id: exiting.other\n    version: 1\n    exit: may_not_prosecute\n    jurisdiction: national") +
           entry("id: exiting.tiered\n    version: 1\n    exit: may_not_file\n    tier: amount_large\n"
                 "    jurisdiction: national") +
           entry("id: exiting.paid\n    version: 2\n    jurisdiction: {province: \"330000\"}"));
  EXPECT_NE(bad.find("exit: 'may_not_prosecute' is not an exit (may_not_file | not_a_crime)"), std::string::npos) << bad;
  EXPECT_NE(bad.find("tier: an exit has no penalty tier"), std::string::npos) << bad;
  EXPECT_NE(bad.find("lineage exiting.paid mixes exit and threshold entries"), std::string::npos) << bad;
  // The court's reading (不认为是犯罪) is the other kind.
  EXPECT_EQ(with(entry("id: exiting.court\n    version: 1\n    exit: not_a_crime\n    jurisdiction: national")), "");
}

}  // namespace
}  // namespace caselink::standards
