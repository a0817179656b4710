// Malformed rule files: every problem is reported with file, line, rule and field.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "services/daemons/standards/engine/loader.h"
#include "services/daemons/standards/tests/test_rules.h"

namespace caselink::standards {
namespace {

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "test setup: '" << from << "' not in the text";
  if (at != std::string::npos) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// Parses the demo set with demo.yaml replaced by `demo` and returns the error message ("" if valid).
std::string errors_of(const std::string& demo, const std::string& path = "demo.yaml") {
  auto files = testing::demo_files();
  files.back() = {path, demo};
  auto set = parse_rule_set(files);
  return set.ok() ? std::string() : set.error().message;
}

#define EXPECT_ERROR(message, expected) \
  EXPECT_NE((message).find(expected), std::string::npos) << "expected: " << (expected) << "\ngot:\n" << (message)

TEST(Loader, DemoSetIsValidAndVersionedByContent) {
  auto set = parse_rule_set(testing::demo_files());
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->rules.size(), 7U);
  EXPECT_EQ(set->offences.at("demo").lineages, (std::vector<std::string>{"demo.amount", "demo.weight"}));
  EXPECT_EQ(set->version.rfind("sha256:", 0), 0U);
  EXPECT_EQ(set->version.size(), 7U + 16U);
  // Same files in another order: same version. One byte changed: another version.
  auto files = testing::demo_files();
  std::reverse(files.begin(), files.end());
  EXPECT_EQ(parse_rule_set(files)->version, set->version);
  files.front().text += "\n# a comment\n";
  EXPECT_NE(parse_rule_set(files)->version, set->version);
  EXPECT_NE(set->find("demo.amount", 3), nullptr);
  EXPECT_EQ(set->find("demo.amount", 3)->scope.str(), "440000/gd.t1");
}

TEST(Loader, UnknownKeysAreNamedWithTheRule) {
  const auto msg = errors_of(replace(testing::kDemo, "    confidence: medium\n", "    confidence: medium\n    colour: red\n"));
  EXPECT_ERROR(msg, "demo.yaml:23: rule demo.amount v2: colour: unknown key 'colour' (allowed: id, version,");
  const auto top = errors_of(std::string(testing::kDemo) + "extra: 1\n");
  EXPECT_ERROR(top, "demo.yaml:90: extra: unknown key 'extra' (allowed: offence, title, statute, note, rules, examples)");
  const auto leaf = errors_of(replace(testing::kDemo, "{fact: tonnes, gte: 3, item: \"(2)\"}",
                                      "{fact: tonnes, gte: 3, itme: \"(2)\"}"));
  EXPECT_ERROR(leaf, "rule demo.weight v1: threshold.any_of[0].itme: unknown key 'itme'");
}

TEST(Loader, WrongTypesAndBadDates) {
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "version: 2\n", "version: two\n")),
               "demo.yaml:18: rule demo.amount vtwo: version: expected a whole number, got 'two'");
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "effective_from: 2014-01-01", "effective_from: 2014-02-30")),
               "demo.yaml:20: rule demo.amount v2: effective_from: '2014-02-30' is not a date (YYYY-MM-DD)");
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "effective_to: 2023-08-14", "effective_to: 2016-08-14")),
               "rule demo.weight v1: effective_to: 2016-08-14 is before effective_from 2017-01-01");
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "{fact: months, gte: 3}", "{fact: months, gte: three}")),
               "rule demo.amount v1: threshold.all_of[0].gte: expected a number, got 'three'");
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "confidence: medium", "confidence: probable")),
               "rule demo.amount v2: confidence: 'probable' is not a confidence (high | medium | low | unconfirmed)");
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "anchor: filing_date", "anchor: arrest_date")),
               "rule demo.amount v5: anchor: 'arrest_date' is not an anchor (act_date | filing_date)");
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "retroactive_if_more_lenient: false", "retroactive_if_more_lenient: maybe")),
               "rule demo.amount v5: retroactive_if_more_lenient: expected true or false, got 'maybe'");
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "    confidence: medium\n", "    confidence: medium\n    layer: county\n")),
               "rule demo.amount v2: layer: 'county' is not a layer (statute | judicial_interpretation | filing_standard");
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "    legal_source: {document: zhejiang doc, article: a}\n", "")),
               "rule demo.amount v2: legal_source: is required ({document, article})");
}

TEST(Loader, OverlappingValidityOfOneRuleIdInOneJurisdiction) {
  const auto msg = errors_of(replace(testing::kDemo, "effective_from: 2023-08-15", "effective_from: 2023-08-01"));
  EXPECT_ERROR(msg,
               "demo.yaml:75: rule demo.weight v2: effective_from: validity 2023-08-01..open overlaps demo.weight v1 "
               "(national, 2017-01-01..2023-08-14, demo.yaml:64)");
  // Open-ended earlier entry overlapping a later one.
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "    effective_to: 2023-08-14\n", "")),
               "rule demo.weight v2: effective_from: validity 2023-08-15..open overlaps demo.weight v1");
  // Same dates in different jurisdictions are fine (the Guangdong tiers): the demo set is valid.
  EXPECT_EQ(errors_of(testing::kDemo), "");
}

TEST(Loader, DuplicateVersion) {
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "version: 4\n", "version: 3\n")),
               "rule demo.amount v3: version: duplicate: demo.amount v3 is already defined at demo.yaml:");
}

TEST(Loader, UnknownFactsJurisdictionsAndKindMismatch) {
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "{fact: tonnes, gte: 3, item: \"(2)\"}", "{fact: tons, gte: 3}")),
               "rule demo.weight v1: threshold.any_of[0].fact: unknown fact 'tons' (declare it in catalogue/facts.yaml)");
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "{fact: tonnes, gte: 3, item: \"(2)\"}", "{fact: in_key_area, gte: 3}")),
               "rule demo.weight v1: threshold.any_of[0].gte: 'gte' compares a number but fact 'in_key_area' is a flag");
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "{province: \"330000\"}", "{province: \"990000\"}")),
               "rule demo.amount v2: jurisdiction.province: unknown province '990000'");
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "city_tier: gd.t1}", "city_tier: gd.t9}")),
               "rule demo.amount v3: jurisdiction.city_tier: unknown city tier 'gd.t9'");
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "{province: \"330000\"}", "{province: \"330000\", city_tier: gd.t1}")),
               "rule demo.amount v2: jurisdiction.city_tier: tier 'gd.t1' belongs to province 440000, not 330000");
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "requires:\n      - {fact: order_ignored, is: true}",
                                 "requires:\n      - {fact: months, gte: 1}")),
               "rule demo.amount v1: requires[0].fact: 'months' is not a procedural fact");
}

TEST(Loader, MalformedConditions) {
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "gte_range: [5000, 20000]", "gte_range: [20000, 5000]")),
               "rule demo.amount v1: threshold.all_of[1].gte_range: low must not exceed high");
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "{fact: months, gte: 3}", "{fact: months, gte: 3, lt: 9}")),
               "rule demo.amount v1: threshold.all_of[0]: a fact condition has exactly one comparison, found gte, lt");
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "      any_of:\n        - {fact: tonnes, gte: 3",
                                 "      any_of: []\n      all_of:\n        - {fact: tonnes, gte: 3")),
               "rule demo.weight v1: threshold: a condition has exactly one of any_of, all_of, fact, sum");
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "        - {fact: category, in: [a, b]}\n", "        - {fact: category, in: []}\n")),
               "rule demo.weight v2: threshold.any_of[2].in: expected a non-empty list of text values, got a list");
  EXPECT_ERROR(errors_of(replace(testing::kDemo, "            - {fact: other_yuan}\n", "            - {fact: tonnes}\n")),
               "rule demo.weight v2: threshold.any_of[3].sum[1].fact: unit 'tonnes' differs from the first term's unit 'yuan'");
}

TEST(Loader, FileLevelProblems) {
  EXPECT_ERROR(errors_of(testing::kDemo, "other.yaml"), "other.yaml:1: offence: 'demo' must equal the file name 'other'");
  EXPECT_ERROR(errors_of("offence: demo\nrules: [\n"), "demo.yaml:3: YAML syntax error:");
  EXPECT_ERROR(errors_of("offence: demo\ntitle: t\nstatute: s\nrules: []\n"),
               "demo.yaml:4: rules: expected a non-empty list of rules, got a list");
  auto files = testing::demo_files();
  files.erase(files.begin());
  auto set = parse_rule_set(files);
  ASSERT_FALSE(set.ok());
  EXPECT_ERROR(set.error().message, "catalogue/facts.yaml: catalogue file is missing");
  files = testing::demo_files();
  files[0].text = replace(files[0].text, "kind: flag, description: a flag", "kind: boolean, description: a flag");
  EXPECT_ERROR(parse_rule_set(files).error().message,
               "catalogue/facts.yaml:6: fact in_key_area: kind: 'boolean' is not a kind (number | flag | text)");
}

TEST(Loader, EveryProblemIsReportedNotJustTheFirst) {
  std::string demo = replace(testing::kDemo, "version: 2\n", "version: 0\n");
  demo = replace(demo, "effective_from: 2015-03-03", "effective_from: yesterday");
  demo = replace(demo, "{fact: tonnes, gte: 5, item: \"(2)\"}", "{fact: tonne, gte: 5}");
  const auto msg = errors_of(demo);
  EXPECT_ERROR(msg, "rule demo.amount v0: version: must be 1 or more");
  EXPECT_ERROR(msg, "rule demo.amount v3: effective_from: 'yesterday' is not a date");
  EXPECT_ERROR(msg, "rule demo.weight v2: threshold.any_of[0].fact: unknown fact 'tonne'");
  EXPECT_EQ(std::count(msg.begin(), msg.end(), '\n'), 2) << msg;
}

TEST(Loader, ExamplesAreValidatedToo) {
  const std::string with_example = std::string(testing::kDemo) +
                                   "examples:\n"
                                   "  - name: bad\n"
                                   "    act_date: 2020-01-01\n"
                                   "    facts: {tonnage: 3, in_key_area: perhaps}\n"
                                   "    expect: MEETS\n";
  const auto msg = errors_of(with_example);
  EXPECT_ERROR(msg, "example 'bad': facts.tonnage: unknown fact 'tonnage'");
  EXPECT_ERROR(msg, "example 'bad': facts.in_key_area: expected true or false, got 'perhaps'");
  EXPECT_ERROR(msg, "example 'bad': expect: 'MEETS' is not an outcome");
}

TEST(Loader, LoadsADirectory) {
  const auto dir = std::filesystem::temp_directory_path() / ("standards-loader-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "catalogue");
  for (const auto& f : testing::demo_files()) {
    std::ofstream(dir / f.path) << f.text;
  }
  std::ofstream(dir / "README.txt") << "not a rule file";
  auto set = load_rule_set(dir.string());
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->files, (std::vector<std::string>{"catalogue/facts.yaml", "catalogue/jurisdictions.yaml", "demo.yaml"}));
  EXPECT_EQ(set->version, parse_rule_set(testing::demo_files())->version);
  std::filesystem::remove_all(dir);
  auto missing = load_rule_set(dir.string());
  ASSERT_FALSE(missing.ok());
  EXPECT_ERROR(missing.error().message, "does not exist or is not a directory");
}

}  // namespace
}  // namespace caselink::standards

namespace caselink::standards {
namespace {

// Issue 14 §3: the service loads its rule set within standards.max_rules / max_rule_bytes.
TEST(LoaderLimits, ARuleSetOverMaxRulesIsRefusedNamingTheKey) {
  auto shipped = load_rule_set(CASELINK_RULES_DIR);
  ASSERT_TRUE(shipped.ok()) << shipped.error().describe();
  const size_t n = shipped->rules.size();
  EXPECT_TRUE(load_rule_set(CASELINK_RULES_DIR, RuleSetLimits{0, n}).ok()) << "exactly at the limit is allowed";
  auto refused = load_rule_set(CASELINK_RULES_DIR, RuleSetLimits{0, n - 1});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().field, "standards.max_rules");
  EXPECT_EQ(refused.error().reason, "standards.rules_too_large");
  EXPECT_NE(refused.error().message.find(std::to_string(n) + " rules"), std::string::npos) << refused.error().message;
}

TEST(LoaderLimits, ARuleDirectoryOverMaxBytesIsRefusedBeforeParsing) {
  const auto dir = std::filesystem::temp_directory_path() / ("loader-limits-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  // Not YAML at all: refused by size before the parser could report it.
  std::ofstream(dir / "huge.yaml") << std::string(4096, '[');
  auto refused = load_rule_set(dir.string(), RuleSetLimits{1024, 0});
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().field, "standards.max_rule_bytes");
  EXPECT_NE(refused.error().message.find("4096 bytes"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("not parsed"), std::string::npos);
}

}  // namespace
}  // namespace caselink::standards
