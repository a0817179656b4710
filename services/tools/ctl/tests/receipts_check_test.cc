// audit verify's receipts check (receipts_check.h) on histories built in memory: a matching
// digest verifies, an altered event or a forged digest is a mismatch naming both event ids, an
// event gone from the topics is unverifiable, a receipt without digest is counted as such.
// No broker.

#include <gtest/gtest.h>

#include "services/lib/envelope/codec.h"
#include "services/lib/signing/envelope_signature.h"
#include "services/tools/ctl/receipts_check.h"

namespace caselink::ctl {
namespace {

const TimePoint kAt{std::chrono::seconds(1790000000)};
constexpr const char* kCase = "env-330100-2026-0042";

v1::Envelope event(const std::string& producer) {
  v1::Envelope env = envelope::make_envelope(CaseId(kCase), AgencyId(producer), kAt, kAt);
  return env;
}

v1::Envelope referral() {
  v1::Envelope env = event("sthjj-330100");
  env.mutable_case_referral()->set_transfer_letter_number("杭环移〔2026〕42号");
  envelope::seal(env);
  return env;
}

v1::Envelope acceptance_of(const v1::Envelope& ref, const std::string& digest) {
  v1::Envelope env = event("gaj-330100");
  env.mutable_referral_accepted()->set_referral_event_id(ref.event_id());
  env.mutable_referral_accepted()->set_referral_digest_hex(digest);
  envelope::seal(env);
  return env;
}

CaseRecordRef ref_of(const v1::Envelope& env, const std::string& topic, int64_t offset) {
  return CaseRecordRef{topic, 0, offset, -1, env.case_id(), {}, envelope::encode(env), env};
}

TEST(ReceiptsCheck, AMatchingDigestVerifies) {
  const v1::Envelope ref = referral();
  CaseHistory h;
  h.records.push_back(ref_of(ref, "caselink.referral.v1", 0));
  h.records.push_back(ref_of(acceptance_of(ref, signing::event_digest_hex(ref)), "caselink.decision.v1", 0));
  const ReceiptReport r = verify_receipts(h);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.receipts, 1u);
  EXPECT_EQ(r.verified, 1u);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0].status, receipt::kVerified);
  EXPECT_EQ(r.lines[0].receipt_type, "ReferralAccepted");
  EXPECT_EQ(r.lines[0].producer, "gaj-330100");
}

TEST(ReceiptsCheck, AnAlteredEventOrAForgedDigestIsAMismatchNamingBothEvents) {
  const v1::Envelope ref = referral();
  v1::Envelope altered = ref;  // same event id, other content: what the topic would hold after tampering
  altered.mutable_case_referral()->set_transfer_letter_number("杭环移〔2026〕43号");
  const v1::Envelope receipt = acceptance_of(ref, signing::event_digest_hex(ref));
  CaseHistory h;
  h.records.push_back(ref_of(altered, "caselink.referral.v1", 0));
  h.records.push_back(ref_of(receipt, "caselink.decision.v1", 0));
  ReceiptReport r = verify_receipts(h);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.mismatched, 1u);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0].status, receipt::kMismatch);
  EXPECT_NE(r.lines[0].detail.find(receipt.event_id()), std::string::npos) << r.lines[0].detail;
  EXPECT_NE(r.lines[0].detail.find(ref.event_id()), std::string::npos) << r.lines[0].detail;

  CaseHistory forged;
  forged.records.push_back(ref_of(ref, "caselink.referral.v1", 0));
  forged.records.push_back(ref_of(acceptance_of(ref, std::string(64, 'e')), "caselink.decision.v1", 0));
  EXPECT_EQ(verify_receipts(forged).mismatched, 1u);
}

TEST(ReceiptsCheck, AnEventGoneFromTheTopicsIsUnverifiableNotAFailure) {
  const v1::Envelope ref = referral();
  CaseHistory h;  // the referral has left retention
  h.records.push_back(ref_of(acceptance_of(ref, signing::event_digest_hex(ref)), "caselink.decision.v1", 0));
  h.records.push_back(ref_of(acceptance_of(ref, ""), "caselink.decision.v1", 1));
  const ReceiptReport r = verify_receipts(h);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.receipts, 2u);
  EXPECT_EQ(r.unverifiable, 1u);
  EXPECT_EQ(r.without_digest, 1u);
  EXPECT_EQ(r.lines[0].status, receipt::kUnverifiable);
  EXPECT_EQ(r.lines[1].status, receipt::kWithoutDigest);
}

TEST(ReceiptsCheck, FeedbackAcknowledgementsAreCheckedAgainstTheAgencysFeedbackTopic) {
  v1::Envelope feedback = event("caselink-feedback");
  feedback.mutable_filing_decision()->set_police_case_number("A3301002026000042");
  envelope::seal(feedback);
  v1::Envelope ack = event("sthjj-330100");
  ack.mutable_feedback_acknowledged()->set_feedback_event_id(feedback.event_id());
  ack.mutable_feedback_acknowledged()->set_agency_id("sthjj-330100");
  ack.mutable_feedback_acknowledged()->set_feedback_digest_hex(signing::event_digest_hex(feedback));
  envelope::seal(ack);
  CaseHistory h;
  h.records.push_back(ref_of(ack, "caselink.ack.v1", 0));
  ASSERT_EQ(extra_topics_for_receipts(h), std::vector<std::string>{"caselink.feedback.sthjj-330100.v1"});
  const ReceiptReport found = verify_receipts(h, {ref_of(feedback, "caselink.feedback.sthjj-330100.v1", 3)});
  EXPECT_EQ(found.verified, 1u);
  const ReceiptReport unreadable =
      verify_receipts(h, {}, {{"caselink.feedback.sthjj-330100.v1", "Broker: Topic authorization failed"}});
  EXPECT_EQ(unreadable.unverifiable, 1u);
  EXPECT_NE(unreadable.lines[0].detail.find("authorization"), std::string::npos) << unreadable.lines[0].detail;
}

TEST(ReceiptsCheck, EvidenceReceiptsAndRedeliveries) {
  v1::Envelope manifest = event("sthjj-330100");
  manifest.mutable_evidence_manifest()->set_manifest_id("m-42");
  envelope::seal(manifest);
  v1::Envelope receipt = event("caselink-evidence");
  receipt.mutable_evidence_receipt()->set_manifest_event_id(manifest.event_id());
  receipt.mutable_evidence_receipt()->set_manifest_digest_hex(signing::event_digest_hex(manifest));
  envelope::seal(receipt);
  CaseHistory h;
  h.records.push_back(ref_of(manifest, "caselink.evidence.v1", 0));
  h.records.push_back(ref_of(receipt, "caselink.evidence.v1", 1));
  h.records.push_back(ref_of(receipt, "caselink.evidence.v1", 2));  // delivered twice: one receipt
  const ReceiptReport r = verify_receipts(h);
  EXPECT_EQ(r.receipts, 1u);
  EXPECT_EQ(r.verified, 1u);
}

// With the key registry, each receipt's own signature is checked: one signed by the acknowledging
// police organ verifies, one whose content changed after signing fails and fails the report (a
// receipt that does not prove who acknowledged), an unsigned one is counted, not failed; without
// the registry signatures are "not checked".
TEST(ReceiptsCheck, ReceiptSignaturesAreCheckedAgainstTheKeyRegistry) {
  auto key = signing::PrivateKey::generate();
  const signing::PublicKey pub = key->public_key();
  auto registry = signing::KeyRegistry::parse(
      "keys:\n  - {key_id: gaj-330100.k1, party: gaj-330100, public_key: " +
          signing::to_hex(std::string_view(reinterpret_cast<const char*>(pub.data()), pub.size())) + "}\n",
      "test");
  ASSERT_TRUE(registry.ok()) << registry.error().message;
  const v1::Envelope ref = referral();
  const std::string digest = signing::event_digest_hex(ref);
  v1::Envelope good = acceptance_of(ref, digest);
  signing::sign(good, *key, "gaj-330100.k1");
  v1::Envelope tampered = acceptance_of(ref, digest);
  signing::sign(tampered, *key, "gaj-330100.k1");
  tampered.mutable_referral_accepted()->set_police_case_number("A3301000000002026110099");
  const v1::Envelope unsigned_receipt = acceptance_of(ref, digest);

  CaseHistory h;
  h.records.push_back(ref_of(ref, "caselink.referral.v1", 0));
  h.records.push_back(ref_of(good, "caselink.decision.v1", 0));
  h.records.push_back(ref_of(unsigned_receipt, "caselink.decision.v1", 1));
  CaseHistory forged = h;
  forged.records.push_back(ref_of(tampered, "caselink.decision.v1", 2));

  const ReceiptReport r = verify_receipts(h, {}, {}, &*registry);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.signatures_checked);
  EXPECT_EQ(r.signatures_verified, 1u);
  EXPECT_EQ(r.unsigned_receipts, 1u);
  EXPECT_EQ(r.lines[0].signature.status, "verified");
  EXPECT_EQ(r.lines[0].signature.signer, "gaj-330100");

  const ReceiptReport f = verify_receipts(forged, {}, {}, &*registry);
  EXPECT_FALSE(f.ok());
  EXPECT_EQ(f.signatures_failed, 1u);
  EXPECT_EQ(f.mismatched, 0u) << "the digest still matches: only the signature tells the receipt was altered";
  EXPECT_EQ(f.lines.back().signature.status, "invalid");

  const ReceiptReport unchecked = verify_receipts(forged);
  EXPECT_TRUE(unchecked.ok());
  EXPECT_FALSE(unchecked.signatures_checked);
  EXPECT_EQ(unchecked.lines.back().signature.status, "not checked");
}

}  // namespace
}  // namespace caselink::ctl
