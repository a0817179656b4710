// The organ registry: parsing, the county → city → province fallback, errors naming the region,
// and the coverage of the shipped rules/organs/organs.yaml (every province of the catalogue,
// every city a rule or city tier names).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>

#include "services/lib/organs/registry.h"

namespace caselink::organs {
namespace {

std::string source_dir() {
  const char* dir = std::getenv("CASELINK_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

const char* kSmall = R"yaml(competence:
  rule: same_level_procuratorate
  description: same level
  legal_source: S1 Art 14
  confidence: MEDIUM
regions:
  "330000": {name: 浙江省, level: province, procuratorate: {id: jcy-330000, name: 浙江省人民检察院}, police: {id: ga-330000, name: 浙江省公安厅}}
  "330100": {name: 杭州市, level: city, procuratorate: {id: jcy-330100, name: 杭州市人民检察院}, police: {id: ga-330100, name: 杭州市公安局}}
)yaml";

TEST(OrganRegistry, AnswersTheSameLevelProcuratorateOfARegion) {
  auto r = Registry::parse(kSmall, "test");
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto c = r->competent_for("330100");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->exact);
  EXPECT_EQ(c->organs->procuratorate.id, "jcy-330100");
  EXPECT_EQ(c->organs->police.name, "杭州市公安局");
  EXPECT_EQ(r->rule().rule, "same_level_procuratorate");
}

TEST(OrganRegistry, AnUnlistedCountyOrCityFallsBackAndSaysSo) {
  auto r = Registry::parse(kSmall, "test");
  ASSERT_TRUE(r.ok());
  auto county = r->competent_for("330106");
  ASSERT_TRUE(county.ok());
  EXPECT_FALSE(county->exact);
  EXPECT_EQ(county->organs->code, "330100");
  EXPECT_NE(county->note.find("330106"), std::string::npos);
  auto city = r->competent_for("330200");
  ASSERT_TRUE(city.ok());
  EXPECT_EQ(city->organs->procuratorate.id, "jcy-330000");
  auto by_agency = r->competent_for_organ("sthjj-330100");
  ASSERT_TRUE(by_agency.ok());
  EXPECT_EQ(by_agency->organs->procuratorate.id, "jcy-330100");
}

TEST(OrganRegistry, AnUnknownRegionIsAnErrorNamingIt) {
  auto r = Registry::parse(kSmall, "test");
  ASSERT_TRUE(r.ok());
  auto c = r->competent_for("440100");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("440100"), std::string::npos);
  auto bad = r->competent_for_organ("police-hangzhou");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("police-hangzhou"), std::string::npos);
  EXPECT_EQ(r->uncovered({"330102", "440100"}), std::vector<std::string>{"440100"});
}

TEST(OrganRegistry, ProblemsNameTheRegionAndKey) {
  auto r = Registry::parse(R"yaml(competence: {rule: x, description: y, legal_source: z, confidence: SURE}
regions:
  "33010": {name: a, level: town, procuratorate: {id: jcy-33010}, police: {id: ga, name: b}}
)yaml",
                           "bad.yaml");
  ASSERT_FALSE(r.ok());
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("competence.confidence"), std::string::npos) << m;
  EXPECT_NE(m.find("regions.33010: not a 6-digit"), std::string::npos) << m;
  EXPECT_NE(m.find("regions.33010.level"), std::string::npos) << m;
  EXPECT_NE(m.find("regions.33010.procuratorate.name"), std::string::npos) << m;
  EXPECT_FALSE(Registry::parse("regions: [", "broken").ok());
}

// Every province of the catalogue and every city a rule or a city tier names has its own entry
// (exact, not a fallback), with the party ids the rest of the linkage uses.
TEST(OrganRegistry, TheShippedRegistryCoversEveryJurisdictionTheRulesName) {
  namespace fs = std::filesystem;
  const fs::path rules = fs::path(source_dir()) / "rules";
  auto r = Registry::load_file((rules / "organs" / "organs.yaml").string());
  ASSERT_TRUE(r.ok()) << r.error().message;
  std::set<std::string> codes;
  const YAML::Node j = YAML::LoadFile((rules / "catalogue" / "jurisdictions.yaml").string());
  for (const auto& p : j["provinces"]) codes.insert(p.first.as<std::string>());
  for (const auto& tier : j["city_tiers"]) {
    for (const auto& c : tier.second["cities"]) codes.insert(c.first.as<std::string>());
  }
  const std::regex quoted_code("\"([0-9]{6})\"");
  for (const auto& entry : fs::directory_iterator(rules)) {
    if (entry.path().extension() != ".yaml") continue;
    const std::string text = YAML::Dump(YAML::LoadFile(entry.path().string()));
    for (std::sregex_iterator it(text.begin(), text.end(), quoted_code), end; it != end; ++it) {
      codes.insert((*it)[1]);
    }
  }
  ASSERT_GT(codes.size(), 31U);
  for (const auto& code : codes) {
    const RegionOrgans* organs = r->find(code);
    ASSERT_NE(organs, nullptr) << "region " << code << " named by the rules is not in rules/organs/organs.yaml";
    EXPECT_EQ(organs->procuratorate.id, "jcy-" + code);
    EXPECT_EQ(organs->police.id, "ga-" + code);
  }
  EXPECT_EQ(r->find("330100")->procuratorate.name, "杭州市人民检察院");
}

}  // namespace
}  // namespace caselink::organs
