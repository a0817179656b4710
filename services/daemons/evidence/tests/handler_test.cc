// The Kafka handler on plain records (no broker): receipts, DLQ, retry, idempotent ids,
// custody events and metrics.

#include <gtest/gtest.h>

#include <fstream>

#include "services/lib/crypto/derived_uuid.h"
#include "services/lib/crypto/sha256.h"
#include "services/lib/signing/envelope_signature.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/decode.h"
#include "services/daemons/evidence/handler.h"
#include "services/daemons/evidence/encrypted_blob_store.h"
#include "services/daemons/evidence/local_blob_store.h"
#include "services/daemons/evidence/proto_mapping.h"
#include "services/daemons/evidence/tests/test_support.h"

namespace caselink::evidence {
namespace {

namespace v1 = caselink::v1;
namespace fs = std::filesystem;

class HandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = LocalBlobStore::create(dir_.path());
    ASSERT_TRUE(store.ok());
    store_ = std::shared_ptr<LocalBlobStore>(std::move(*store));
    auto rules = MaterialRules::load_directory(testing::shipped_rules_dir(), contract_vocabulary());
    ASSERT_TRUE(rules.ok()) << rules.error().message;
    rules_ = std::make_shared<const MaterialRules>(std::move(*rules));
    settings_.store_path = dir_.path().string();
    settings_.receipt_topic = "receipts";
    handler_ = std::make_unique<EvidenceHandler>(settings_, store_, rules_, clock_,
                                                 std::make_unique<EvidenceMetrics>(registry_));
  }

  void add_item(v1::EvidenceManifest& m, const std::string& id, v1::MaterialCategory category,
                v1::EvidenceType type, const std::string& content) {
    v1::EvidenceItem* item = m.add_items();
    item->set_item_id(id);
    item->set_material_category(category);
    item->set_evidence_type(type);
    item->set_sha256_hex((*store_->put(content)).hex());
    item->set_size_bytes(static_cast<int64_t>(content.size()));
    item->set_media_type("application/pdf");
    item->set_collecting_body_name("某区市场监督管理局");
  }

  v1::EvidenceManifest complete_manifest() {
    v1::EvidenceManifest m;
    m.set_manifest_id("m-1");
    m.set_purpose(v1::MANIFEST_PURPOSE_REFERRAL);
    m.set_domain(v1::DOMAIN_MARKET_REGULATION);
    add_item(m, "i1", v1::MATERIAL_CATEGORY_TRANSFER_LETTER, v1::EVIDENCE_TYPE_DOCUMENTARY, "letter");
    add_item(m, "i2", v1::MATERIAL_CATEGORY_INVESTIGATION_REPORT, v1::EVIDENCE_TYPE_DOCUMENTARY, "report");
    add_item(m, "i3", v1::MATERIAL_CATEGORY_OTHER_MATERIALS, v1::EVIDENCE_TYPE_PARTY_STATEMENT, "statement");
    return m;
  }

  ConsumedRecord record_of(const v1::Envelope& env) {
    ConsumedRecord r;
    r.topic = "caselink.evidence.manifest.v1";
    r.partition = 0;
    r.offset = 7;
    r.key = env.case_id();
    r.value = envelope::encode(env);
    r.headers = envelope::cloud_event_headers(env);
    return r;
  }

  v1::Envelope manifest_envelope(const v1::EvidenceManifest& m) {
    v1::Envelope env = envelope::make_envelope(CaseId("mkt-330100-2026-0007"), AgencyId("agency-330100-mkt"),
                                               clock_.now(), clock_.now());
    *env.mutable_evidence_manifest() = m;
    envelope::seal(env);
    return env;
  }

  v1::Envelope receipt_of(const kafka::HandlerResult& result) {
    EXPECT_FALSE(result.dead_letter) << result.dead_letter->message;
    EXPECT_FALSE(result.retry_later);
    // The receipt, then the audit record of the blobs read (when any were).
    EXPECT_GE(result.outputs.size(), 1U);
    EXPECT_LE(result.outputs.size(), 2U);
    if (result.outputs.empty()) {
      return {};
    }
    EXPECT_EQ(result.outputs[0].topic, "receipts");
    auto env = envelope::decode(*result.outputs[0].value);
    EXPECT_TRUE(env.ok());
    return env.ok() ? *env : v1::Envelope{};
  }

  testing::TempDir dir_;
  ManualClock clock_{TimePoint(std::chrono::seconds(1790000000))};
  metrics::Registry registry_;
  Settings settings_;
  std::shared_ptr<LocalBlobStore> store_;
  std::shared_ptr<const MaterialRules> rules_;
  std::unique_ptr<EvidenceHandler> handler_;
};

TEST_F(HandlerTest, CompleteManifestIsAcceptedWithAReceiptEnvelope) {
  const v1::Envelope in = manifest_envelope(complete_manifest());
  const auto result = handler_->handle(record_of(in));
  const v1::Envelope out = receipt_of(result);
  EXPECT_EQ(result.outputs[0].key, "mkt-330100-2026-0007");
  EXPECT_EQ(out.case_id(), in.case_id());
  EXPECT_EQ(out.event_type(), "caselink.v1.EvidenceReceipt");
  EXPECT_EQ(out.producer_agency_id(), "caselink-evidence");
  EXPECT_EQ(out.causation_id(), in.event_id());
  EXPECT_EQ(out.correlation_id(), in.correlation_id());
  EXPECT_EQ(out.event_id(), crypto::derived_uuid(kReceiptIdPurpose, in.event_id()));
  EXPECT_EQ(envelope::to_time_point(out.occurred_at()), clock_.now());
  const v1::EvidenceReceipt& receipt = out.evidence_receipt();
  EXPECT_EQ(receipt.status(), v1::RECEIPT_STATUS_ACCEPTED);
  EXPECT_EQ(receipt.manifest_event_id(), in.event_id());
  EXPECT_EQ(receipt.manifest_digest_hex(), crypto::sha256_hex(signing::signing_input(in)))
      << "the event digest of the manifest envelope as consumed";
  EXPECT_EQ(receipt.item_results(2).usability(), v1::EVIDENCE_USABILITY_REQUIRES_RECOLLECTION);
  EXPECT_EQ(receipt.merkle_root_hex().size(), 64U);
  EXPECT_EQ(receipt.material_list_rule().rule_id(), "materials.s1.art6");

  const std::string metrics = registry_.render();
  EXPECT_NE(metrics.find("caselink_evidence_receipts_total{status=\"ACCEPTED\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("caselink_evidence_items_total{usability=\"requires_recollection\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("caselink_evidence_missing_categories_total{category=\"SEIZED_ITEMS_LIST\","
                         "requirement=\"conditional\"} 1"),
            std::string::npos)
      << metrics;
}

TEST_F(HandlerTest, EveryBlobReadIsAuditedWithTheReceipt) {
  const v1::EvidenceManifest manifest = complete_manifest();
  const v1::Envelope in = manifest_envelope(manifest);
  const auto result = handler_->handle(record_of(in));
  receipt_of(result);
  ASSERT_EQ(result.outputs.size(), 2U) << "receipt and access record, in one transaction";
  EXPECT_EQ(result.outputs[1].topic, "caselink.evidence.access.v1");
  EXPECT_EQ(result.outputs[1].key, in.case_id());
  auto audit = envelope::decode(*result.outputs[1].value);
  ASSERT_TRUE(audit.ok()) << audit.error().describe();
  EXPECT_EQ(audit->case_id(), in.case_id()) << "which case";
  EXPECT_EQ(audit->producer_agency_id(), "caselink-evidence") << "who read";
  EXPECT_EQ(audit->causation_id(), in.event_id());
  EXPECT_EQ(audit->event_id(), crypto::derived_uuid(kAccessIdPurpose, in.event_id())) << "idempotent on redelivery";
  ASSERT_TRUE(audit->has_custody_event());
  const v1::CustodyEvent& access = audit->custody_event();
  EXPECT_EQ(access.action(), v1::CUSTODY_ACTION_ACCESSED);
  EXPECT_EQ(access.manifest_id(), "m-1");
  EXPECT_EQ(access.to_party_id(), "caselink-evidence");
  EXPECT_EQ(access.actor(), "caselink-evidence");
  EXPECT_EQ(access.from_party_id(), "agency-330100-mkt");
  EXPECT_EQ(std::vector<std::string>(access.item_ids().begin(), access.item_ids().end()),
            (std::vector<std::string>{"i1", "i2", "i3"}))
      << "which blobs";
  EXPECT_NE(access.note().find("purpose=manifest_verification manifest_event_id=" + in.event_id()), std::string::npos)
      << "why: " << access.note();
  for (const auto& item : manifest.items()) {
    EXPECT_NE(access.note().find(item.sha256_hex()), std::string::npos) << access.note();
  }
  EXPECT_EQ(envelope::to_time_point(access.at()), clock_.now());
  EXPECT_NE(registry_.render().find("caselink_evidence_blob_reads_total 3"), std::string::npos) << registry_.render();
}

TEST_F(HandlerTest, NoContentReadNoAccessRecord) {
  settings_.verify_content = false;
  EvidenceHandler handler(settings_, store_, rules_, clock_, nullptr);
  const auto result = handler.handle(record_of(manifest_envelope(complete_manifest())));
  receipt_of(result);
  EXPECT_EQ(result.outputs.size(), 1U) << "presence and size only: no blob content was read";
}

TEST_F(HandlerTest, SealedBlobsAreVerifiedAndAnAlteredOneIsRejectedNotRetried) {
  auto key = sealed::generate_private_key();
  ASSERT_TRUE(key.ok());
  auto shared_key = std::make_shared<const sealed::PrivateKey>(std::move(*key));
  testing::TempDir sealed_dir;
  auto files = LocalBlobStore::create(sealed_dir.path());
  ASSERT_TRUE(files.ok());
  auto sealed_store = std::make_shared<EncryptedBlobStore>(std::move(*files), shared_key->public_key(), shared_key);
  v1::EvidenceManifest m = complete_manifest();  // content-addressed: the same names in either store
  for (const std::string content : {"letter", "report", "statement"}) {
    ASSERT_TRUE(sealed_store->put(content).ok());
  }
  EvidenceHandler handler(settings_, sealed_store, rules_, clock_, nullptr);
  const v1::Envelope good = receipt_of(handler.handle(record_of(manifest_envelope(m))));
  EXPECT_EQ(good.evidence_receipt().status(), v1::RECEIPT_STATUS_ACCEPTED);

  const fs::path path = sealed_store->files().path_of(*crypto::Sha256Digest::from_hex(m.items(1).sha256_hex()));
  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  bytes[bytes.size() - 20] ^= 0x04;
  fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  m.set_manifest_id("m-2");
  const v1::Envelope bad = receipt_of(handler.handle(record_of(manifest_envelope(m))));
  EXPECT_EQ(bad.evidence_receipt().status(), v1::RECEIPT_STATUS_REJECTED);
  EXPECT_EQ(bad.evidence_receipt().item_results(1).problem_code(), "HASH_MISMATCH");
  EXPECT_FALSE(bad.evidence_receipt().item_results(1).verified());
}

TEST_F(HandlerTest, RedeliveryYieldsTheSameReceiptId) {
  const ConsumedRecord record = record_of(manifest_envelope(complete_manifest()));
  const v1::Envelope first = receipt_of(handler_->handle(record));
  clock_.advance(std::chrono::minutes(5));
  const v1::Envelope second = receipt_of(handler_->handle(record));
  EXPECT_EQ(first.event_id(), second.event_id());
  EXPECT_EQ(first.evidence_receipt().SerializeAsString(), second.evidence_receipt().SerializeAsString());
}

TEST_F(HandlerTest, EnvironmentalReferralMissingSiteRecordIsIncomplete) {
  v1::EvidenceManifest m = complete_manifest();
  m.set_domain(v1::DOMAIN_ENVIRONMENT);
  const v1::Envelope out = receipt_of(handler_->handle(record_of(manifest_envelope(m))));
  EXPECT_EQ(out.evidence_receipt().status(), v1::RECEIPT_STATUS_INCOMPLETE);
  ASSERT_EQ(out.evidence_receipt().missing_categories_size(), 1);
  EXPECT_EQ(out.evidence_receipt().missing_categories(0), v1::MATERIAL_CATEGORY_SITE_INSPECTION_RECORD);
  EXPECT_EQ(out.evidence_receipt().material_list_rule().rule_id(), "materials.s2.art6");
}

TEST_F(HandlerTest, SupplementIsNotJudgedForCompleteness) {
  v1::EvidenceManifest m;
  m.set_manifest_id("m-2");
  m.set_purpose(v1::MANIFEST_PURPOSE_SUPPLEMENT);
  m.set_domain(v1::DOMAIN_ENVIRONMENT);
  m.set_base_manifest_id("m-1");
  add_item(m, "s1", v1::MATERIAL_CATEGORY_SITE_INSPECTION_RECORD, v1::EVIDENCE_TYPE_INSPECTION_RECORD, "record");
  const v1::Envelope out = receipt_of(handler_->handle(record_of(manifest_envelope(m))));
  EXPECT_EQ(out.evidence_receipt().status(), v1::RECEIPT_STATUS_ACCEPTED);
  EXPECT_EQ(out.evidence_receipt().missing_categories_size(), 0);
}

TEST_F(HandlerTest, TamperedBlobIsRejectedNamingTheItem) {
  const v1::EvidenceManifest m = complete_manifest();
  const fs::path path = store_->path_of(*crypto::Sha256Digest::from_hex(m.items(1).sha256_hex()));
  fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "rep0rt";
  const v1::Envelope out = receipt_of(handler_->handle(record_of(manifest_envelope(m))));
  const v1::EvidenceReceipt& receipt = out.evidence_receipt();
  EXPECT_EQ(receipt.status(), v1::RECEIPT_STATUS_REJECTED);
  EXPECT_TRUE(receipt.item_results(0).verified());
  EXPECT_FALSE(receipt.item_results(1).verified());
  EXPECT_EQ(receipt.item_results(1).item_id(), "i2");
  EXPECT_EQ(receipt.item_results(1).problem_code(), "HASH_MISMATCH");
  EXPECT_NE(receipt.item_results(1).problem_message().find("the blob was altered"), std::string::npos);
  EXPECT_NE(registry_.render().find("caselink_evidence_item_problems_total{problem=\"HASH_MISMATCH\"} 1"),
            std::string::npos);
}

TEST_F(HandlerTest, MissingBlobWrongHashNegativeSizeUnknownCategory) {
  v1::EvidenceManifest m = complete_manifest();
  m.mutable_items(0)->set_sha256_hex(crypto::sha256("never uploaded").hex());
  m.mutable_items(1)->set_size_bytes(-3);
  m.mutable_items(2)->set_material_category(static_cast<v1::MaterialCategory>(99));
  v1::EvidenceItem* bad_hash = m.add_items();
  *bad_hash = m.items(1);
  bad_hash->set_item_id("i4");
  bad_hash->set_size_bytes(6);
  bad_hash->set_sha256_hex("zz");
  const v1::EvidenceReceipt receipt = receipt_of(handler_->handle(record_of(manifest_envelope(m)))).evidence_receipt();
  EXPECT_EQ(receipt.status(), v1::RECEIPT_STATUS_REJECTED);
  EXPECT_EQ(receipt.item_results(0).problem_code(), "BLOB_MISSING");
  EXPECT_EQ(receipt.item_results(1).problem_code(), "SIZE_NEGATIVE");
  EXPECT_EQ(receipt.item_results(2).problem_code(), "CATEGORY_UNKNOWN");
  EXPECT_NE(receipt.item_results(2).problem_message().find("'99'"), std::string::npos);
  EXPECT_EQ(receipt.item_results(3).problem_code(), "SHA256_MALFORMED");
  EXPECT_TRUE(receipt.merkle_root_hex().empty());
}

TEST_F(HandlerTest, NotAManifestGoesToTheDlq) {
  v1::Envelope probe = envelope::make_envelope(CaseId("c-1"), AgencyId("a"), clock_.now(), clock_.now());
  probe.mutable_probe()->set_note("hello");
  envelope::seal(probe);
  auto result = handler_->handle(record_of(probe));
  ASSERT_TRUE(result.dead_letter);
  EXPECT_EQ(result.dead_letter->error_class, kUnexpectedType);
  EXPECT_NE(result.dead_letter->message.find("caselink.v1.Probe"), std::string::npos);
  EXPECT_TRUE(result.outputs.empty());

  ConsumedRecord garbage;
  garbage.value = std::string("\x0a\xff garbage");
  result = handler_->handle(garbage);
  ASSERT_TRUE(result.dead_letter);
  EXPECT_EQ(result.dead_letter->error_class, envelope::kUndecodable);

  ConsumedRecord tombstone;
  result = handler_->handle(tombstone);
  ASSERT_TRUE(result.dead_letter);
}

// Issue 13 H: one key rule for every consuming service, applied by the shared decode step.
TEST_F(HandlerTest, KeyThatIsNotTheCaseIdIsDeadLettered) {
  ConsumedRecord r = record_of(manifest_envelope(complete_manifest()));
  r.key = "another-case";
  auto result = handler_->handle(r);
  ASSERT_TRUE(result.dead_letter);
  EXPECT_EQ(result.dead_letter->error_class, kafka::kKeyMismatch);
  r.key.reset();
  result = handler_->handle(r);
  ASSERT_TRUE(result.dead_letter);
  EXPECT_EQ(result.dead_letter->error_class, kafka::kKeyMissing);
  EXPECT_TRUE(result.outputs.empty());
}

TEST_F(HandlerTest, ManifestWithoutDomainGoesToTheDlq) {
  v1::EvidenceManifest m = complete_manifest();
  m.set_domain(v1::DOMAIN_UNSPECIFIED);
  auto result = handler_->handle(record_of(manifest_envelope(m)));
  ASSERT_TRUE(result.dead_letter);
  EXPECT_EQ(result.dead_letter->error_class, kInvalidManifest);
  EXPECT_NE(result.dead_letter->message.find("evidence_manifest.domain"), std::string::npos);
  EXPECT_TRUE(result.outputs.empty());
}

TEST_F(HandlerTest, CustodyEventsAreAcknowledgedOrDeadLettered) {
  v1::Envelope env = envelope::make_envelope(CaseId("c-1"), AgencyId("agency"), clock_.now(), clock_.now());
  v1::CustodyEvent* e = env.mutable_custody_event();
  e->set_action(v1::CUSTODY_ACTION_HANDED_OVER);
  e->add_item_ids("i1");
  e->set_manifest_id("m-1");
  e->set_from_party_id("agency");
  e->set_to_party_id("police");
  e->set_actor("officer 1");
  e->mutable_at()->set_seconds(1790000000);
  envelope::seal(env);
  auto result = handler_->handle(record_of(env));
  EXPECT_FALSE(result.dead_letter);
  EXPECT_FALSE(result.retry_later);
  EXPECT_TRUE(result.outputs.empty());
  EXPECT_NE(registry_.render().find("caselink_evidence_custody_events_total{action=\"CUSTODY_ACTION_HANDED_OVER\"} 1"),
            std::string::npos);

  env.mutable_custody_event()->clear_actor();
  result = handler_->handle(record_of(env));
  ASSERT_TRUE(result.dead_letter);
  EXPECT_EQ(result.dead_letter->error_class, kInvalidCustodyEvent);
  EXPECT_NE(result.dead_letter->message.find("custody_event.actor"), std::string::npos);
}

class DownStore final : public BlobStore {
 public:
  Result<crypto::Sha256Digest> put(std::string_view, std::optional<crypto::Sha256Digest>) override {
    return Error::unavailable("down");
  }
  Result<std::unique_ptr<BlobReader>> open(const crypto::Sha256Digest&) const override {
    return Error::unavailable("down");
  }
  Result<BlobStat> stat(const crypto::Sha256Digest&) const override { return Error::unavailable("disk gone"); }
  Result<bool> exists(const crypto::Sha256Digest&) const override { return Error::unavailable("down"); }
  std::string describe(const crypto::Sha256Digest&) const override { return "down"; }
};

TEST_F(HandlerTest, UnreadableStoreRetriesInsteadOfAnswering) {
  EvidenceHandler handler(settings_, std::make_shared<DownStore>(), rules_, clock_,
                          std::make_unique<EvidenceMetrics>(registry_));
  auto result = handler.handle(record_of(manifest_envelope(complete_manifest())));
  EXPECT_TRUE(result.retry_later);
  EXPECT_NE(result.retry_reason.find("disk gone"), std::string::npos);
  EXPECT_TRUE(result.outputs.empty());
  EXPECT_FALSE(result.dead_letter);
  EXPECT_NE(registry_.render().find("caselink_evidence_store_unavailable_total 1"), std::string::npos);
}

TEST(EvidenceSettings, StorePathIsRequiredAndUnknownKeysRejected) {
  Settings s;
  auto binder = config::ConfigBinder::parse("evidence:\n  rules_dirs: x\n", "test.yaml", "CASELINK_",
                                            [](const std::string&) { return std::nullopt; });
  ASSERT_TRUE(binder.ok());
  bind(*binder, &s);
  Status st = binder->finish();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("evidence.store.path: required"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("evidence.rules_dirs: unknown setting"), std::string::npos) << st.error().message;
}

TEST(EvidenceSettings, MakeHandlerNamesTheBadRuleFile) {
  testing::TempDir dir;
  fs::create_directories(dir.path() / "rules");
  std::ofstream(dir.path() / "rules" / "bad.yaml") << "kind: transfer_materials\n";
  Settings s;
  s.store_path = (dir.path() / "store").string();
  s.rules_dir = (dir.path() / "rules").string();
  metrics::Registry registry;
  SystemClock clock;
  auto handler = make_handler(s, clock, registry);
  ASSERT_FALSE(handler.ok());
  EXPECT_NE(handler.error().message.find("bad.yaml: id: is required"), std::string::npos) << handler.error().message;
}

}  // namespace
}  // namespace caselink::evidence
