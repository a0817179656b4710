// The contract edge: vocabulary from the descriptors, manifest and custody checks, the
// receipt mapping and derived event ids.

#include <gtest/gtest.h>

#include "services/daemons/evidence/local_blob_store.h"
#include "services/daemons/evidence/merkle.h"
#include "services/daemons/evidence/proto_mapping.h"
#include "services/daemons/evidence/tests/test_support.h"

namespace caselink::evidence {
namespace {

namespace v1 = caselink::v1;

TEST(ProtoMapping, VocabularyComesFromTheContract) {
  const Vocabulary contract = contract_vocabulary();
  const Vocabulary test = testing::test_vocabulary();
  EXPECT_EQ(contract.material_categories, test.material_categories);
  EXPECT_EQ(contract.evidence_types, test.evidence_types);
  EXPECT_EQ(contract.domains, test.domains);
  EXPECT_EQ(contract.material_categories.count("UNSPECIFIED"), 0U);
}

TEST(ProtoMapping, ShippedRulesLoadAgainstTheContract) {
  auto rules = MaterialRules::load_directory(testing::shipped_rules_dir(), contract_vocabulary());
  ASSERT_TRUE(rules.ok()) << rules.error().message;
}

TEST(ProtoMapping, DomainNames) {
  EXPECT_EQ(domain_name(v1::DOMAIN_ENVIRONMENT), "environment");
  EXPECT_EQ(domain_name(v1::DOMAIN_WORK_SAFETY), "work_safety");
  EXPECT_EQ(domain_name(v1::DOMAIN_UNSPECIFIED), "");
  EXPECT_EQ(domain_name(999), "");
}

v1::EvidenceManifest valid_manifest() {
  v1::EvidenceManifest m;
  m.set_manifest_id("m-1");
  m.set_purpose(v1::MANIFEST_PURPOSE_REFERRAL);
  m.set_domain(v1::DOMAIN_ENVIRONMENT);
  return m;
}

TEST(ProtoMapping, ManifestLevelChecksNameTheField) {
  EXPECT_TRUE(validate_manifest(valid_manifest()).ok());
  auto m = valid_manifest();
  m.clear_manifest_id();
  Status st = validate_manifest(m);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().field, "evidence_manifest.manifest_id");
  EXPECT_EQ(st.error().reason, kInvalidManifest);

  m = valid_manifest();
  m.set_purpose(v1::MANIFEST_PURPOSE_UNSPECIFIED);
  st = validate_manifest(m);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().field, "evidence_manifest.purpose");

  m = valid_manifest();
  m.set_domain(static_cast<v1::Domain>(77));
  st = validate_manifest(m);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().field, "evidence_manifest.domain");
  EXPECT_NE(st.error().message.find("77"), std::string::npos) << st.error().message;
}

TEST(ProtoMapping, UnknownEnumNumbersBecomeItemProblemsWithTheNumber) {
  auto m = valid_manifest();
  v1::EvidenceItem* item = m.add_items();
  item->set_item_id("x");
  item->set_material_category(static_cast<v1::MaterialCategory>(42));
  item->set_evidence_type(v1::EVIDENCE_TYPE_UNSPECIFIED);
  const Manifest plain = to_manifest(m);
  ASSERT_EQ(plain.items.size(), 1U);
  EXPECT_EQ(plain.items[0].category, "");
  EXPECT_EQ(plain.items[0].category_raw, "42");
  EXPECT_EQ(plain.items[0].evidence_type, "");
  EXPECT_EQ(plain.items[0].evidence_type_raw, "UNSPECIFIED");
  EXPECT_EQ(plain.case_domain, "environment");
}

TEST(ProtoMapping, CollectingBodyPrefersTheName) {
  auto m = valid_manifest();
  v1::EvidenceItem* item = m.add_items();
  item->set_collecting_body_id("agency-330100-env");
  EXPECT_EQ(to_manifest(m).items[0].collecting_body, "agency-330100-env");
  item->set_collecting_body_name("杭州市生态环境局");
  EXPECT_EQ(to_manifest(m).items[0].collecting_body, "杭州市生态环境局");
}

TEST(ProtoMapping, CompletenessOnlyForReferrals) {
  auto m = valid_manifest();
  EXPECT_TRUE(options_for(m, true).check_completeness);
  m.set_purpose(v1::MANIFEST_PURPOSE_SUPPLEMENT);
  EXPECT_FALSE(options_for(m, true).check_completeness);
  EXPECT_FALSE(options_for(m, false).verify_content);
}

v1::CustodyEvent valid_custody() {
  v1::CustodyEvent e;
  e.set_action(v1::CUSTODY_ACTION_HANDED_OVER);
  e.add_item_ids("i1");
  e.set_manifest_id("m-1");
  e.set_from_party_id("agency");
  e.set_to_party_id("police");
  e.set_actor("officer 1");
  e.mutable_at()->set_seconds(1700000000);
  return e;
}

TEST(ProtoMapping, CustodyEventChecks) {
  EXPECT_TRUE(validate_custody_event(valid_custody()).ok());
  struct Case {
    std::function<void(v1::CustodyEvent&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](v1::CustodyEvent& e) { e.set_action(v1::CUSTODY_ACTION_UNSPECIFIED); }, "custody_event.action"},
      {[](v1::CustodyEvent& e) { e.clear_manifest_id(); }, "custody_event.manifest_id"},
      {[](v1::CustodyEvent& e) { e.clear_item_ids(); }, "custody_event.item_ids"},
      {[](v1::CustodyEvent& e) { e.add_item_ids(""); }, "custody_event.item_ids[1]"},
      {[](v1::CustodyEvent& e) { e.clear_actor(); }, "custody_event.actor"},
      {[](v1::CustodyEvent& e) { e.clear_at(); }, "custody_event.at"},
      {[](v1::CustodyEvent& e) { e.clear_to_party_id(); }, "custody_event.to_party_id"},
      {[](v1::CustodyEvent& e) { e.clear_from_party_id(); }, "custody_event.from_party_id"},
  };
  for (const Case& c : cases) {
    v1::CustodyEvent e = valid_custody();
    c.spoil(e);
    Status st = validate_custody_event(e);
    ASSERT_FALSE(st.ok()) << c.field;
    EXPECT_EQ(st.error().field, c.field);
    EXPECT_EQ(st.error().reason, kInvalidCustodyEvent);
  }
  // An access by the holder needs no "from".
  v1::CustodyEvent access = valid_custody();
  access.set_action(v1::CUSTODY_ACTION_ACCESSED);
  access.clear_from_party_id();
  EXPECT_TRUE(validate_custody_event(access).ok());
}

TEST(ProtoMapping, ReceiptCarriesEverything) {
  testing::TempDir dir;
  auto store = LocalBlobStore::create(dir.path());
  ASSERT_TRUE(store.ok());
  auto rules = MaterialRules::load_directory(testing::shipped_rules_dir(), contract_vocabulary());
  ASSERT_TRUE(rules.ok());

  v1::EvidenceManifest m = valid_manifest();
  auto add = [&](const std::string& id, v1::MaterialCategory category, v1::EvidenceType type,
                 const std::string& content) {
    v1::EvidenceItem* item = m.add_items();
    item->set_item_id(id);
    item->set_material_category(category);
    item->set_evidence_type(type);
    item->set_sha256_hex((*store)->put(content)->hex());
    item->set_size_bytes(static_cast<int64_t>(content.size()));
    item->set_media_type("application/pdf");
    return item;
  };
  add("b", v1::MATERIAL_CATEGORY_TRANSFER_LETTER, v1::EVIDENCE_TYPE_DOCUMENTARY, "letter");
  add("a", v1::MATERIAL_CATEGORY_INTERVIEW_RECORD, v1::EVIDENCE_TYPE_WITNESS_TESTIMONY, "interview");
  add("c", v1::MATERIAL_CATEGORY_OTHER_MATERIALS, v1::EVIDENCE_TYPE_DOCUMENTARY, "other")->set_size_bytes(-1);

  auto verdict = verify_manifest(to_manifest(m), **store, *rules, options_for(m, true));
  ASSERT_TRUE(verdict.ok());
  const v1::EvidenceReceipt receipt = to_receipt(*verdict, m, "ev-1");
  EXPECT_EQ(receipt.manifest_id(), "m-1");
  EXPECT_EQ(receipt.manifest_event_id(), "ev-1");
  EXPECT_EQ(receipt.status(), v1::RECEIPT_STATUS_REJECTED);
  EXPECT_EQ(receipt.merkle_scheme(), kMerkleScheme);
  // Leaves sorted by id: a, b, c.
  EXPECT_EQ(receipt.merkle_root_hex(),
            merkle_root({crypto::sha256("interview"), crypto::sha256("letter"), crypto::sha256("other")}).hex());
  ASSERT_EQ(receipt.item_results_size(), 3);
  EXPECT_EQ(receipt.item_results(0).item_id(), "b");
  EXPECT_TRUE(receipt.item_results(0).verified());
  EXPECT_EQ(receipt.item_results(0).usability(), v1::EVIDENCE_USABILITY_USABLE);
  EXPECT_EQ(receipt.item_results(1).usability(), v1::EVIDENCE_USABILITY_REQUIRES_RECOLLECTION);
  EXPECT_FALSE(receipt.item_results(2).verified());
  EXPECT_EQ(receipt.item_results(2).problem_code(), "SIZE_NEGATIVE");
  EXPECT_NE(receipt.item_results(2).problem_message().find("size_bytes is -1"), std::string::npos);
  // Environment: investigation report and site inspection record are missing.
  ASSERT_EQ(receipt.missing_categories_size(), 2);
  EXPECT_EQ(receipt.missing_categories(0), v1::MATERIAL_CATEGORY_INVESTIGATION_REPORT);
  EXPECT_EQ(receipt.missing_categories(1), v1::MATERIAL_CATEGORY_SITE_INSPECTION_RECORD);
  EXPECT_EQ(receipt.material_list_rule().rule_id(), "materials.s2.art6");
  EXPECT_EQ(receipt.material_list_rule().rule_version(), rules->version());
  EXPECT_NE(receipt.material_list_rule().legal_source().find("第六条"), std::string::npos);
  EXPECT_EQ(receipt.material_list_rule().confidence(), v1::CONFIDENCE_HIGH);
  EXPECT_EQ(receipt.item_count(), 3U);
  EXPECT_EQ(receipt.total_size_bytes(), 6 + 9);
}

TEST(ProtoMapping, ManifestFromJson) {
  auto m = manifest_from_json(R"({"manifestId": "m-9", "purpose": "MANIFEST_PURPOSE_REFERRAL",
      "domain": "DOMAIN_TAX", "items": [{"itemId": "i1", "sizeBytes": "12", "sha256Hex": "ab"}]})");
  ASSERT_TRUE(m.ok()) << m.error().describe();
  EXPECT_EQ(m->manifest_id(), "m-9");
  EXPECT_EQ(m->items(0).size_bytes(), 12);
  EXPECT_FALSE(manifest_from_json("{").ok());
  EXPECT_FALSE(manifest_from_json(R"({"manifestId": "m", "bogus": 1})").ok());
}

}  // namespace
}  // namespace caselink::evidence
