// Unit tests of the example programs' logic: the pollution referral they build is valid, routed
// as documented and backed by the blobs it uploaded; the summary line; the command lines.

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <set>
#include <sstream>

#include "services/lib/envelope/codec.h"
#include "services/daemons/evidence/local_blob_store.h"
#include "services/lib/sdk/examples/examples.h"

namespace caselink::sdk::examples {
namespace {

namespace fs = std::filesystem;

TEST(PollutionReferralTest, ManifestThenReferralBackedByTheUploadedBlobs) {
  const fs::path dir = fs::temp_directory_path() / ("caselink-sdk-example-" + std::to_string(std::random_device{}()));
  ClientOptions o;
  o.bootstrap = "127.0.0.1:1";
  o.agency_id = "sthjj-330100";
  o.blob_dir = dir.string();
  auto client = AgencyClient::create(o);
  ASSERT_TRUE(client.ok()) << client.error().describe();

  std::ostringstream log;
  auto events = build_pollution_referral(**client, "sthjj-330100-2026-0042", log);
  ASSERT_TRUE(events.ok()) << events.error().describe();
  ASSERT_EQ(events->size(), 2u);
  v1::Envelope manifest = (*events)[0];
  v1::Envelope referral = (*events)[1];
  ASSERT_TRUE(manifest.has_evidence_manifest());
  ASSERT_TRUE(referral.has_case_referral());

  // Both valid for the codec and routed to their documented topics.
  auto manifest_record = prepare_record(manifest, o.agency_id);
  ASSERT_TRUE(manifest_record.ok()) << manifest_record.error().describe();
  EXPECT_EQ(manifest_record->topic, "caselink.evidence.manifest.v1");
  auto referral_record = prepare_record(referral, o.agency_id);
  ASSERT_TRUE(referral_record.ok()) << referral_record.error().describe();
  EXPECT_EQ(referral_record->topic, "caselink.referral.v1");

  const v1::EvidenceManifest& m = manifest.evidence_manifest();
  const v1::CaseReferral& r = referral.case_referral();
  EXPECT_EQ(r.materials_manifest_id(), m.manifest_id());
  EXPECT_EQ(referral.causation_id(), manifest.event_id());
  EXPECT_EQ(r.referring_agency().organ_id(), o.agency_id);
  EXPECT_EQ(m.domain(), v1::DOMAIN_ENVIRONMENT);
  EXPECT_EQ(r.domain(), v1::DOMAIN_ENVIRONMENT);
  EXPECT_TRUE(r.copy_to_procuratorate());  // S2 Art 6

  // The categories rules/materials/transfer_materials.environment.yaml requires.
  std::set<int> categories;
  for (const auto& item : m.items()) {
    categories.insert(item.material_category());
  }
  for (int required : {v1::MATERIAL_CATEGORY_TRANSFER_LETTER, v1::MATERIAL_CATEGORY_INVESTIGATION_REPORT,
                       v1::MATERIAL_CATEGORY_SITE_INSPECTION_RECORD}) {
    EXPECT_TRUE(categories.contains(required)) << v1::MaterialCategory_Name(required);
  }

  // Every item names a blob that is in the store, intact, with the declared size.
  auto store = evidence::LocalBlobStore::open_existing(dir);
  ASSERT_TRUE(store.ok());
  for (const auto& item : m.items()) {
    auto digest = crypto::Sha256Digest::from_hex(item.sha256_hex());
    ASSERT_TRUE(digest.ok()) << item.item_id();
    auto content = evidence::rehash(**store, *digest);
    ASSERT_TRUE(content.ok()) << item.item_id();
    EXPECT_EQ(content->content_digest, *digest) << item.item_id();
    EXPECT_EQ(content->size_bytes, item.size_bytes()) << item.item_id();
    EXPECT_NE(log.str().find("blob " + item.item_id() + " sha256=" + item.sha256_hex()), std::string::npos);
  }
  // Every fact cites an item of the manifest.
  for (const auto& fact : r.facts()) {
    for (const auto& id : fact.evidence_item_ids()) {
      EXPECT_TRUE(std::any_of(m.items().begin(), m.items().end(), [&](const auto& i) { return i.item_id() == id; }))
          << id;
    }
  }
  fs::remove_all(dir);
}

TEST(SummarizeTest, NamesTheDecisionAndItsDocument) {
  v1::Envelope env;
  v1::FilingDecision* d = env.mutable_filing_decision();
  d->set_outcome(v1::FILING_OUTCOME_FILED);
  d->set_decision_document_number("杭公环立字〔2026〕17号");
  d->set_reasons("not part of the summary");
  EXPECT_EQ(summarize(env), "outcome=FILING_OUTCOME_FILED decision_document_number=杭公环立字〔2026〕17号");

  v1::Envelope receipt;
  receipt.mutable_evidence_receipt()->set_status(v1::RECEIPT_STATUS_INCOMPLETE);
  receipt.mutable_evidence_receipt()->add_missing_categories(v1::MATERIAL_CATEGORY_SITE_INSPECTION_RECORD);
  receipt.mutable_evidence_receipt()->add_missing_categories(v1::MATERIAL_CATEGORY_SAMPLING_RECORD);
  EXPECT_EQ(summarize(receipt),
            "status=RECEIPT_STATUS_INCOMPLETE "
            "missing_categories=MATERIAL_CATEGORY_SITE_INSPECTION_RECORD,MATERIAL_CATEGORY_SAMPLING_RECORD");

  EXPECT_EQ(summarize(v1::Envelope()), "(no payload)");
}

TEST(ExampleCommandLineTest, HelpAndBadArguments) {
  for (auto* main : {&submit_referral_main, &read_feedback_main}) {
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_EQ(main({"--help"}, out, err), 0);
    EXPECT_NE(out.str().find("--bootstrap"), std::string::npos);
    EXPECT_NE(out.str().find("--agency"), std::string::npos);

    std::ostringstream out2;
    std::ostringstream err2;
    EXPECT_EQ(main({"--agency", "sthjj-330100"}, out2, err2), 2);  // --bootstrap missing
    EXPECT_NE(err2.str().find("--bootstrap"), std::string::npos) << err2.str();
  }
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(submit_referral_main({"--bootstrap", "127.0.0.1:1", "--blob-dir", "/tmp/x", "--agency", "Bad_Agency"},
                                 out, err),
            2);
  EXPECT_NE(err.str().find("agency_id"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace caselink::sdk::examples
