// caselink-evidence on the real broker (CASELINK_KAFKA_BOOTSTRAP): the handler runs inside the shared
// transactional loop, in process, on uniquely named topics. A complete manifest is accepted,
// a manifest whose blob was altered in the store is rejected naming the item, and a record
// that is not a manifest lands on the DLQ — each exactly once. The blobs are sealed at rest and
// every manifest's blob reads are audited on the access topic.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <thread>

#include "services/lib/crypto/derived_uuid.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/dlq.h"
#include "services/lib/kafka/producer.h"
#include "services/lib/kafka/transactional_loop.h"
#include "services/daemons/evidence/handler.h"
#include "services/daemons/evidence/blob_store_factory.h"
#include "services/daemons/evidence/encrypted_blob_store.h"
#include "services/daemons/evidence/proto_mapping.h"
#include "services/daemons/evidence/tests/test_support.h"
#include "tests/support/kafka_test_env.h"

namespace caselink::evidence {
namespace {

namespace v1 = caselink::v1;
namespace fs = std::filesystem;

void add_item(BlobStore& store, v1::EvidenceManifest& m, const std::string& id, v1::MaterialCategory category,
              v1::EvidenceType type, const std::string& content) {
  v1::EvidenceItem* item = m.add_items();
  item->set_item_id(id);
  item->set_material_category(category);
  item->set_evidence_type(type);
  item->set_sha256_hex(store.put(content)->hex());
  item->set_size_bytes(static_cast<int64_t>(content.size()));
  item->set_media_type("application/pdf");
  item->set_collecting_body_name("某市生态环境局");
}

v1::EvidenceManifest environmental_manifest(BlobStore& store, const std::string& id, const std::string& salt) {
  v1::EvidenceManifest m;
  m.set_manifest_id(id);
  m.set_purpose(v1::MANIFEST_PURPOSE_REFERRAL);
  m.set_domain(v1::DOMAIN_ENVIRONMENT);
  add_item(store, m, "letter", v1::MATERIAL_CATEGORY_TRANSFER_LETTER, v1::EVIDENCE_TYPE_DOCUMENTARY,
           "transfer letter " + salt);
  add_item(store, m, "report", v1::MATERIAL_CATEGORY_INVESTIGATION_REPORT, v1::EVIDENCE_TYPE_DOCUMENTARY,
           "investigation report " + salt);
  add_item(store, m, "site", v1::MATERIAL_CATEGORY_SITE_INSPECTION_RECORD, v1::EVIDENCE_TYPE_INSPECTION_RECORD,
           "site inspection record " + salt);
  add_item(store, m, "monitoring", v1::MATERIAL_CATEGORY_MONITORING_TEST_REPORT, v1::EVIDENCE_TYPE_MONITORING_REPORT,
           "monitoring report: Cd 4.2x the discharge standard " + salt);
  add_item(store, m, "interview", v1::MATERIAL_CATEGORY_INTERVIEW_RECORD, v1::EVIDENCE_TYPE_WITNESS_TESTIMONY,
           "interview record " + salt);
  return m;
}

v1::Envelope wrap(const std::string& case_id, const v1::EvidenceManifest& m) {
  SystemClock clock;
  v1::Envelope env = envelope::make_envelope(CaseId(case_id), AgencyId("agency-330100-env"), clock.now(), clock.now());
  *env.mutable_evidence_manifest() = m;
  envelope::seal(env);
  return env;
}

TEST(EvidenceIntegration, AcceptedTamperedAndNotAManifest) {
  auto bootstrap = caselink::testing::kafka_bootstrap();
  if (!bootstrap) {
    GTEST_SKIP() << "CASELINK_KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
  }
  const std::string in = caselink::testing::unique_name("it.evidence.manifest");
  const std::string receipts = caselink::testing::unique_name("it.evidence.receipt");
  const std::string dlq = caselink::testing::unique_name("it.evidence.dlq");
  const std::string access = caselink::testing::unique_name("it.evidence.access");
  ASSERT_TRUE(caselink::testing::create_topics(*bootstrap, {in, receipts, access}, 3).ok());
  ASSERT_TRUE(caselink::testing::create_topics(*bootstrap, {dlq}, 1).ok());

  // The store as deployed: blobs sealed at rest to the service's key (scripts/keys.sh blob);
  // the test writes them as the ingress does, holding only the public key.
  testing::TempDir dir;
  const auto [private_key, public_key] = testing::write_blob_key_pair(dir.path());
  ASSERT_FALSE(private_key.empty()) << "openssl genpkey failed";
  auto created = make_blob_store({.path = (dir.path() / "store").string(), .public_key_file = public_key.string()});
  ASSERT_TRUE(created.ok()) << created.error().describe();
  ASSERT_TRUE(is_sealing(**created));
  BlobStore& store = **created;

  const v1::Envelope good = wrap("env-330100-2026-0001", environmental_manifest(store, "m-good", "A"));
  const v1::EvidenceManifest tampered_manifest = environmental_manifest(store, "m-tampered", "B");
  const v1::Envelope tampered = wrap("env-330100-2026-0002", tampered_manifest);
  // The monitoring report of the second case is altered in the store after upload: one bit of
  // its ciphertext.
  const fs::path altered = dynamic_cast<EncryptedBlobStore&>(store).files().path_of(
      *crypto::Sha256Digest::from_hex(tampered_manifest.items(3).sha256_hex()));
  std::string sealed_bytes;
  {
    std::ifstream f(altered, std::ios::binary);
    sealed_bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  ASSERT_GT(sealed_bytes.size(), sealed::kHeaderSize + 20);
  sealed_bytes[sealed::kHeaderSize + 20] ^= 0x08;
  fs::permissions(altered, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(altered, std::ios::binary | std::ios::trunc) << sealed_bytes;

  // Issue 20 #4: a counterfeit-products referral without any test or appraisal report (Order 310
  // Art 6(4): required where the threshold is proven by a measurement).
  v1::EvidenceManifest no_report;
  no_report.set_manifest_id("m-no-report");
  no_report.set_purpose(v1::MANIFEST_PURPOSE_REFERRAL);
  no_report.set_domain(v1::DOMAIN_MARKET_REGULATION);
  no_report.set_offence_code("fake_products");
  add_item(store, no_report, "letter", v1::MATERIAL_CATEGORY_TRANSFER_LETTER, v1::EVIDENCE_TYPE_DOCUMENTARY,
           "transfer letter C");
  add_item(store, no_report, "report", v1::MATERIAL_CATEGORY_INVESTIGATION_REPORT, v1::EVIDENCE_TYPE_DOCUMENTARY,
           "investigation report C");
  const v1::Envelope measured = wrap("scjg-330100-2026-0004", no_report);

  v1::Envelope probe = wrap("env-330100-2026-0003", {});
  probe.clear_evidence_manifest();
  probe.mutable_probe()->set_note("not a manifest");
  probe.clear_event_type();
  envelope::seal(probe);

  kafka::KafkaSettings kafka = caselink::testing::kafka_settings(*bootstrap);
  {
    auto producer = kafka::make_idempotent_producer(kafka, "it-evidence-seeder");
    ASSERT_TRUE(producer.ok());
    for (const v1::Envelope* env : std::vector<const v1::Envelope*>{&good, &tampered, &measured, &probe}) {
      ASSERT_TRUE((*producer)->send(envelope::to_record(*env, in)).ok());
    }
  }

  Settings settings;
  settings.store_path = (dir.path() / "store").string();
  settings.rules_dir = testing::shipped_rules_dir().string();
  settings.receipt_topic = receipts;
  settings.access_topic = access;
  settings.store_private_key_file = private_key.string();
  metrics::Registry registry;
  SystemClock clock;
  auto handler = make_handler(settings, clock, registry);
  ASSERT_TRUE(handler.ok()) << handler.error().describe();

  kafka::LoopSettings loop;
  loop.group_id = caselink::testing::unique_name("it.evidence.group");
  loop.input_topics = {in};
  loop.dlq_topic = dlq;
  loop.commit_every_records = 10;
  loop.commit_every_ms = 100;
  kafka::TransactionalLoop transactional_loop(kafka, loop, "caselink-evidence", **handler, nullptr, clock);
  std::atomic<bool> stop{false};
  Status result;
  std::thread runner([&] { result = transactional_loop.run(stop); });

  auto out = caselink::testing::read_topic(*bootstrap, receipts, caselink::testing::Isolation::kReadCommitted, 3,
                                           std::chrono::seconds(90));
  auto dead = caselink::testing::read_topic(*bootstrap, dlq, caselink::testing::Isolation::kReadCommitted, 1,
                                            std::chrono::seconds(30));
  auto audited = caselink::testing::read_topic(*bootstrap, access, caselink::testing::Isolation::kReadCommitted, 3,
                                               std::chrono::seconds(30));
  stop.store(true);
  runner.join();
  ASSERT_TRUE(result.ok()) << result.error().describe();

  ASSERT_EQ(out.size(), 3U);
  std::map<std::string, v1::Envelope> by_manifest;
  for (const auto& record : out) {
    auto env = envelope::decode(*record.value);
    ASSERT_TRUE(env.ok()) << env.error().describe();
    ASSERT_TRUE(env->has_evidence_receipt());
    EXPECT_EQ(record.key, env->case_id());
    by_manifest[env->evidence_receipt().manifest_id()] = *env;
  }
  ASSERT_EQ(by_manifest.count("m-good"), 1U);
  ASSERT_EQ(by_manifest.count("m-tampered"), 1U);
  ASSERT_EQ(by_manifest.count("m-no-report"), 1U);
  const v1::EvidenceReceipt& incomplete = by_manifest["m-no-report"].evidence_receipt();
  EXPECT_EQ(incomplete.status(), v1::RECEIPT_STATUS_INCOMPLETE) << incomplete.DebugString();
  ASSERT_EQ(incomplete.missing_categories_size(), 1);
  EXPECT_EQ(incomplete.missing_categories(0), v1::MATERIAL_CATEGORY_INSPECTION_OR_APPRAISAL_REPORT);

  const v1::Envelope& accepted = by_manifest["m-good"];
  EXPECT_EQ(accepted.case_id(), good.case_id());
  EXPECT_EQ(accepted.causation_id(), good.event_id());
  EXPECT_EQ(accepted.event_id(), crypto::derived_uuid(kReceiptIdPurpose, good.event_id()));
  EXPECT_EQ(accepted.evidence_receipt().status(), v1::RECEIPT_STATUS_ACCEPTED);
  EXPECT_EQ(accepted.evidence_receipt().material_list_rule().rule_id(), "materials.s2.art6");
  EXPECT_EQ(accepted.evidence_receipt().item_count(), 5U);
  for (const auto& item : accepted.evidence_receipt().item_results()) {
    EXPECT_TRUE(item.verified()) << item.item_id();
    EXPECT_EQ(item.usability(), item.item_id() == "interview" ? v1::EVIDENCE_USABILITY_REQUIRES_RECOLLECTION
                                                              : v1::EVIDENCE_USABILITY_USABLE)
        << item.item_id();
  }

  const v1::EvidenceReceipt& rejected = by_manifest["m-tampered"].evidence_receipt();
  EXPECT_EQ(rejected.status(), v1::RECEIPT_STATUS_REJECTED);
  int bad = 0;
  for (const auto& item : rejected.item_results()) {
    if (!item.verified()) {
      ++bad;
      EXPECT_EQ(item.item_id(), "monitoring");
      EXPECT_EQ(item.problem_code(), "HASH_MISMATCH");
    }
  }
  EXPECT_EQ(bad, 1);

  // Every manifest's blob reads are on the access topic: who, which case, which items, why.
  ASSERT_EQ(audited.size(), 3U);
  std::map<std::string, v1::Envelope> access_by_manifest;
  for (const auto& record : audited) {
    auto env = envelope::decode(*record.value);
    ASSERT_TRUE(env.ok()) << env.error().describe();
    ASSERT_TRUE(env->has_custody_event());
    EXPECT_EQ(env->custody_event().action(), v1::CUSTODY_ACTION_ACCESSED);
    EXPECT_EQ(env->producer_agency_id(), "caselink-evidence");
    access_by_manifest[env->custody_event().manifest_id()] = *env;
  }
  ASSERT_EQ(access_by_manifest.count("m-good"), 1U);
  EXPECT_EQ(access_by_manifest["m-good"].case_id(), good.case_id());
  EXPECT_EQ(access_by_manifest["m-good"].custody_event().item_ids_size(), 5);
  EXPECT_NE(access_by_manifest["m-good"].custody_event().note().find(good.event_id()), std::string::npos);

  ASSERT_EQ(dead.size(), 1U);
  EXPECT_EQ(find_header(dead[0].headers, kafka::kDlqErrorClass), kUnexpectedType);
  EXPECT_EQ(find_header(dead[0].headers, kafka::kDlqService), "caselink-evidence");
  EXPECT_EQ(dead[0].key, probe.case_id());
}

}  // namespace
}  // namespace caselink::evidence
