// Loading and validating the material-list and usability files: the shipped files load; each
// kind of mistake is reported naming the file and the field.

#include <gtest/gtest.h>

#include "services/daemons/evidence/material_rules.h"
#include "services/daemons/evidence/tests/test_support.h"

namespace caselink::evidence {
namespace {

using Files = std::vector<std::pair<std::string, std::string>>;

const char* kGeneral = R"(
id: materials.general
kind: transfer_materials
profile: general
default: true
source: {document: Order 310, article: Art 6, confidence: high}
categories:
  - {category: TRANSFER_LETTER, requirement: required, title: 移送书}
  - {category: INVESTIGATION_REPORT, requirement: required, title: 调查报告}
  - {category: SEIZED_ITEMS_LIST, requirement: conditional, title: 涉案物品清单}
  - {category: OTHER_MATERIALS, requirement: optional, title: 其他}
)";

const char* kEnvironment = R"(
id: materials.environment
kind: transfer_materials
profile: environment
domains: [environment]
source: {document: S2, article: Art 6, confidence: high}
categories:
  - {category: TRANSFER_LETTER, requirement: required, title: 案件移送书}
  - {category: INVESTIGATION_REPORT, requirement: required, title: 案件调查报告}
  - {category: SITE_INSPECTION_RECORD, requirement: required, title: 现场检查笔录}
)";

const char* kUsability = R"(
id: usability
kind: evidence_usability
profiles:
  - name: general
    rules:
      - evidence_types: [PHYSICAL, DOCUMENTARY]
        usability: usable
        source: {document: CPL, article: Art 54, confidence: high}
      - evidence_types: [WITNESS_TESTIMONY, PARTY_STATEMENT]
        usability: requires_recollection
        source: {document: SPC, article: Art 54, confidence: high}
  - name: environment
    extends: general
    rules:
      - evidence_types: [MONITORING_REPORT]
        usability: usable
        source: {document: S2, article: Art 20, confidence: high}
)";

Result<MaterialRules> load(Files files) {
  return MaterialRules::load_texts(files, testing::test_vocabulary());
}

std::string error_of(Files files) {
  auto rules = load(std::move(files));
  EXPECT_FALSE(rules.ok());
  return rules.ok() ? "" : rules.error().message;
}

TEST(MaterialRules, ShippedFilesLoad) {
  auto rules = MaterialRules::load_directory(testing::shipped_rules_dir(), testing::test_vocabulary());
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  EXPECT_EQ(rules->list_for_domain("environment").profile, "environment");
  EXPECT_EQ(rules->list_for_domain("ENVIRONMENT").profile, "environment");
  EXPECT_EQ(rules->list_for_domain("labour").profile, "general");
  EXPECT_EQ(rules->list_for_domain("").profile, "general");
  EXPECT_EQ(rules->version().size(), 16U);
  // Every entry cites a source.
  for (const auto& list : rules->lists()) {
    for (const auto& entry : list.entries) {
      EXPECT_FALSE(entry.source.document.empty()) << list.file << " " << entry.category;
      EXPECT_FALSE(entry.source.article.empty()) << list.file << " " << entry.category;
    }
  }
  const LegalSource* source = nullptr;
  EXPECT_EQ(rules->usability("general", "PHYSICAL", &source), Usability::kUsable);
  ASSERT_NE(source, nullptr);
  EXPECT_NE(source->article.find("第五十四条"), std::string::npos);
  EXPECT_EQ(rules->usability("general", "WITNESS_TESTIMONY"), Usability::kRequiresRecollection);
  EXPECT_EQ(rules->usability("general", "PARTY_STATEMENT"), Usability::kRequiresRecollection);
  EXPECT_EQ(rules->usability("general", "MONITORING_REPORT"), Usability::kNotListed);
  EXPECT_EQ(rules->usability("environment", "MONITORING_REPORT"), Usability::kUsable);
  EXPECT_EQ(rules->usability("environment", "APPRAISAL_OPINION"), Usability::kUsable);
  EXPECT_EQ(rules->usability("general", "APPRAISAL_OPINION"), Usability::kUsableAfterReview);
  // Inherited from general.
  EXPECT_EQ(rules->usability("environment", "WITNESS_TESTIMONY"), Usability::kRequiresRecollection);
  EXPECT_EQ(rules->usability("environment", "ELECTRONIC_DATA"), Usability::kUsable);
}

TEST(MaterialRules, ShippedListsMatchTheStatutes) {
  auto rules = MaterialRules::load_directory(testing::shipped_rules_dir(), testing::test_vocabulary());
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  auto required = [](const MaterialList& list) {
    std::vector<std::string> out;
    for (const auto& e : list.entries) {
      if (e.requirement == Requirement::kRequired) {
        out.push_back(e.category);
      }
    }
    return out;
  };
  const auto& general = rules->list_for_domain("");
  // Order 310 Art 6 lists five materials; issue 16 §3 added six with sources of their own (the
  // documents per offence, and the penalty decision and coercive-measure papers by analogy).
  std::vector<std::string> from_order_310;
  std::vector<std::string> added;
  for (const auto& e : general.entries) {
    (e.source.document.find("国务院令第310号") != std::string::npos ? from_order_310 : added).push_back(e.category);
  }
  EXPECT_EQ(from_order_310, (std::vector<std::string>{"TRANSFER_LETTER", "INVESTIGATION_REPORT", "SEIZED_ITEMS_LIST",
                                                      "INSPECTION_OR_APPRAISAL_REPORT", "OTHER_MATERIALS"}))
      << "Order 310 Art 6 lists five materials";
  EXPECT_EQ(added, (std::vector<std::string>{"ORDER_TO_PAY", "SERVICE_RECORD", "TAX_RECOVERY_NOTICE", "LAND_SURVEY",
                                             "PENALTY_DECISION", "COERCIVE_MEASURE_DOCUMENT"}));
  EXPECT_EQ(required(general), (std::vector<std::string>{"TRANSFER_LETTER", "INVESTIGATION_REPORT"}));
  const auto& env = rules->list_for_domain("environment");
  EXPECT_EQ(required(env),
            (std::vector<std::string>{"TRANSFER_LETTER", "INVESTIGATION_REPORT", "SITE_INSPECTION_RECORD"}));
  EXPECT_EQ(env.source.article, "第六条");
  EXPECT_EQ(general.id, "materials.s1.art6");
  EXPECT_EQ(env.id, "materials.s2.art6");
}

TEST(MaterialRules, SmallSetLoads) {
  auto rules = load({{"general.yaml", kGeneral}, {"env.yaml", kEnvironment}, {"usability.yaml", kUsability}});
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  EXPECT_EQ(rules->lists().size(), 2U);
}

TEST(MaterialRules, VersionChangesWithContent) {
  auto a = load({{"general.yaml", kGeneral}, {"usability.yaml", kUsability}});
  auto b = load({{"general.yaml", std::string(kGeneral) + "\n# comment\n"}, {"usability.yaml", kUsability}});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->version(), b->version());
}

TEST(MaterialRules, UnknownCategoryNamesFileAndField) {
  std::string bad = kGeneral;
  bad.replace(bad.find("SEIZED_ITEMS_LIST"), 17, "SEIZED_STUFF");
  const std::string message = error_of({{"general.yaml", bad}, {"usability.yaml", kUsability}});
  EXPECT_NE(message.find("general.yaml: categories[2].category: unknown material category 'SEIZED_STUFF'"),
            std::string::npos)
      << message;
}

TEST(MaterialRules, BadRequirementNamesField) {
  std::string bad = kGeneral;
  bad.replace(bad.find("conditional"), 11, "maybe");
  const std::string message = error_of({{"general.yaml", bad}, {"usability.yaml", kUsability}});
  EXPECT_NE(message.find("general.yaml: categories[2].requirement: must be one of required, conditional, optional; "
                         "got 'maybe'"),
            std::string::npos)
      << message;
}

TEST(MaterialRules, DuplicateCategory) {
  std::string bad = kGeneral;
  bad.replace(bad.find("SEIZED_ITEMS_LIST"), 17, "TRANSFER_LETTER");
  const std::string message = error_of({{"general.yaml", bad}, {"usability.yaml", kUsability}});
  EXPECT_NE(message.find("general.yaml: categories[2].category: 'TRANSFER_LETTER' is listed twice"), std::string::npos)
      << message;
}

TEST(MaterialRules, MissingSourceFieldsAndBadConfidence) {
  std::string bad = kGeneral;
  bad.replace(bad.find("article: Art 6, confidence: high"), 32, "confidence: sure");
  const std::string message = error_of({{"general.yaml", bad}, {"usability.yaml", kUsability}});
  EXPECT_NE(message.find("general.yaml: source.article: is required"), std::string::npos) << message;
  EXPECT_NE(message.find("general.yaml: source.confidence: must be one of high, medium, low, unconfirmed; got 'sure'"),
            std::string::npos)
      << message;
}

TEST(MaterialRules, UnknownFieldRejected) {
  std::string bad = std::string(kGeneral) + "reviewed_by: nobody\n";
  const std::string message = error_of({{"general.yaml", bad}, {"usability.yaml", kUsability}});
  EXPECT_NE(message.find("general.yaml: reviewed_by: unknown field"), std::string::npos) << message;
}

TEST(MaterialRules, UnknownKind) {
  const std::string message =
      error_of({{"general.yaml", kGeneral}, {"usability.yaml", kUsability}, {"x.yaml", "kind: thresholds\n"}});
  EXPECT_NE(message.find("x.yaml: kind: must be transfer_materials or evidence_usability; got 'thresholds'"),
            std::string::npos)
      << message;
}

TEST(MaterialRules, NotYaml) {
  const std::string message = error_of({{"general.yaml", kGeneral}, {"usability.yaml", kUsability},
                                        {"broken.yaml", "kind: [unclosed"}});
  EXPECT_NE(message.find("broken.yaml: not valid YAML"), std::string::npos) << message;
}

TEST(MaterialRules, ExactlyOneDefaultList) {
  std::string second = kEnvironment;
  second.replace(second.find("domains: [environment]"), 22, "default: true");
  const std::string message =
      error_of({{"general.yaml", kGeneral}, {"env.yaml", second}, {"usability.yaml", kUsability}});
  EXPECT_NE(message.find("exactly one transfer_materials list must be the default, found 2"), std::string::npos)
      << message;
  const std::string none = error_of({{"env.yaml", kEnvironment}, {"usability.yaml", kUsability}});
  EXPECT_NE(none.find("found 0"), std::string::npos) << none;
}

TEST(MaterialRules, NonDefaultListNeedsDomains) {
  std::string bad = kEnvironment;
  bad.replace(bad.find("domains: [environment]"), 22, "");
  const std::string message =
      error_of({{"general.yaml", kGeneral}, {"env.yaml", bad}, {"usability.yaml", kUsability}});
  EXPECT_NE(message.find("env.yaml: domains: a list that is not the default must name"), std::string::npos)
      << message;
}

TEST(MaterialRules, DomainClaimedTwice) {
  std::string other = kEnvironment;
  other.replace(other.find("profile: environment"), 20, "profile: general2");
  other.replace(other.find("id: materials.environment"), 25, "id: materials.environment2");
  std::string usability = std::string(kUsability) +
                          "  - name: general2\n    rules:\n      - evidence_types: [ELECTRONIC_DATA]\n"
                          "        usability: usable\n        source: {document: CPL, article: Art 54, "
                          "confidence: high}\n";
  const std::string message = error_of(
      {{"general.yaml", kGeneral}, {"env.yaml", kEnvironment}, {"env2.yaml", other}, {"usability.yaml", usability}});
  EXPECT_NE(message.find("env2.yaml: domains: 'environment' is already claimed by env.yaml"), std::string::npos)
      << message;
}

TEST(MaterialRules, ListProfileNeedsUsabilityProfile) {
  std::string usability = kUsability;
  usability = usability.substr(0, usability.find("  - name: environment"));
  const std::string message =
      error_of({{"general.yaml", kGeneral}, {"env.yaml", kEnvironment}, {"usability.yaml", usability}});
  EXPECT_NE(message.find("env.yaml: profile: no evidence_usability profile named 'environment'"), std::string::npos)
      << message;
}

TEST(MaterialRules, UsabilityErrors) {
  std::string bad = kUsability;
  bad.replace(bad.find("requires_recollection"), 21, "retake");
  bad.replace(bad.find("MONITORING_REPORT"), 17, "SATELLITE_IMAGE");
  bad.replace(bad.find("extends: general"), 16, "extends: nowhere");
  const std::string message = error_of({{"general.yaml", kGeneral}, {"usability.yaml", bad}});
  EXPECT_NE(message.find("usability.yaml: profiles[0].rules[1].usability: must be one of usable, "
                         "usable_after_review, requires_recollection; got 'retake'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("usability.yaml: profiles[1].rules[0].evidence_types[0]: unknown evidence type "
                         "'SATELLITE_IMAGE'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("usability.yaml: profile 'environment': extends: no profile named 'nowhere'"),
            std::string::npos)
      << message;
}

TEST(MaterialRules, TypeTwiceInOneProfile) {
  std::string bad = kUsability;
  bad.replace(bad.find("[WITNESS_TESTIMONY, PARTY_STATEMENT]"), 36, "[WITNESS_TESTIMONY, PHYSICAL]");
  const std::string message = error_of({{"general.yaml", kGeneral}, {"usability.yaml", bad}});
  EXPECT_NE(message.find("profiles[0].rules[1].evidence_types[1]: 'PHYSICAL' already has a rule in profile "
                         "'general'"),
            std::string::npos)
      << message;
}

TEST(MaterialRules, UnknownDomainAndMissingId) {
  std::string bad = kEnvironment;
  bad.replace(bad.find("domains: [environment]"), 22, "domains: [Environment, ocean]");
  bad.replace(bad.find("id: materials.environment"), 25, "");
  const std::string message =
      error_of({{"general.yaml", kGeneral}, {"env.yaml", bad}, {"usability.yaml", kUsability}});
  EXPECT_NE(message.find("env.yaml: domains[1]: unknown domain 'ocean'"), std::string::npos) << message;
  EXPECT_EQ(message.find("domains[0]"), std::string::npos) << "domains are case-insensitive: " << message;
  EXPECT_NE(message.find("env.yaml: id: is required"), std::string::npos) << message;
}

TEST(MaterialRules, DuplicateListId) {
  std::string bad = kEnvironment;
  bad.replace(bad.find("id: materials.environment"), 25, "id: materials.general");
  const std::string message =
      error_of({{"general.yaml", kGeneral}, {"env.yaml", bad}, {"usability.yaml", kUsability}});
  EXPECT_NE(message.find("env.yaml: id: 'materials.general' is also used by general.yaml"), std::string::npos)
      << message;
}

TEST(MaterialRules, MissingKindsOfFiles) {
  const std::string message = error_of({{"general.yaml", kGeneral}});
  EXPECT_NE(message.find("no evidence_usability file found"), std::string::npos) << message;
  const std::string message2 = error_of({{"usability.yaml", kUsability}});
  EXPECT_NE(message2.find("no transfer_materials file found"), std::string::npos) << message2;
}

TEST(MaterialRules, MissingDirectory) {
  auto rules = MaterialRules::load_directory("/nonexistent/rules", testing::test_vocabulary());
  ASSERT_FALSE(rules.ok());
  EXPECT_EQ(rules.error().field, "evidence.rules_dir");
}

}  // namespace
}  // namespace caselink::evidence
