// The SDK's receipt helpers (services/lib/sdk/receipts.h): the digest is the acknowledged envelope's
// event digest as read, the case numbers come from what the record states, and the shared
// validation accepts the result but refuses a malformed digest. No broker.

#include <gtest/gtest.h>

#include "services/lib/crypto/sha256.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/signing/envelope_signature.h"
#include "services/lib/sdk/receipts.h"

namespace caselink::sdk {
namespace {

const TimePoint kAt{std::chrono::seconds(1790000000)};

v1::Envelope referral() {
  v1::Envelope env = envelope::make_envelope(CaseId("env-330100-2026-0001"), AgencyId("sthjj-330100"), kAt, kAt);
  v1::CaseReferral* r = env.mutable_case_referral();
  r->set_transfer_letter_number("杭环移〔2026〕1号");
  r->mutable_target_police_organ()->set_organ_id("gaj-330100");
  envelope::seal(env);
  return env;
}

TEST(Receipts, ReferralAcceptanceNamesTheReferralByDigestAndBothNumbers) {
  const v1::Envelope ref = referral();
  const v1::ReferralAccepted accepted = referral_acceptance(ref);
  EXPECT_EQ(accepted.referral_event_id(), ref.event_id());
  EXPECT_EQ(accepted.referral_digest_hex(), crypto::sha256_hex(signing::signing_input(ref)));
  EXPECT_EQ(accepted.transfer_letter_number(), "杭环移〔2026〕1号");
  EXPECT_EQ(accepted.police_organ().organ_id(), "gaj-330100");
  v1::Envelope altered = ref;
  altered.mutable_case_referral()->set_transfer_letter_number("杭环移〔2026〕2号");
  EXPECT_NE(referral_acceptance(altered).referral_digest_hex(), accepted.referral_digest_hex());

  v1::Envelope ack = envelope::make_envelope(CaseId(ref.case_id()), AgencyId("gaj-330100"), kAt, kAt);
  *ack.mutable_referral_accepted() = accepted;
  envelope::seal(ack);
  EXPECT_TRUE(envelope::validate(ack).ok());
  ack.mutable_referral_accepted()->set_referral_digest_hex(std::string(64, 'A'));
  const Status refused = envelope::validate(ack);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("64 lowercase hex"), std::string::npos) << refused.error().message;
  EXPECT_EQ(refused.error().field, "referral_accepted.referral_digest_hex");
}

TEST(Receipts, FeedbackAcknowledgementTakesTheNumbersTheRecordStates) {
  v1::Envelope feedback = envelope::make_envelope(CaseId("env-330100-2026-0001"), AgencyId("gaj-330100"), kAt, kAt);
  feedback.mutable_filing_decision()->set_police_case_number("A3301002026000123");
  envelope::seal(feedback);
  const v1::FeedbackAcknowledged ack = feedback_acknowledgement(feedback, "sthjj-330100", "officer-7");
  EXPECT_EQ(ack.feedback_event_id(), feedback.event_id());
  EXPECT_EQ(ack.feedback_digest_hex(), signing::event_digest_hex(feedback));
  EXPECT_EQ(ack.agency_id(), "sthjj-330100");
  EXPECT_EQ(ack.acknowledged_by(), "officer-7");
  EXPECT_EQ(ack.police_case_number(), "A3301002026000123");
  EXPECT_EQ(ack.agency_case_number(), "") << "a filing decision does not state the agency's number";

  v1::Envelope accepted = feedback;
  accepted.mutable_referral_accepted()->set_transfer_letter_number("杭环移〔2026〕1号");
  accepted.mutable_referral_accepted()->set_police_case_number("J3301002026000045");
  const v1::FeedbackAcknowledged of_accepted = feedback_acknowledgement(accepted, "sthjj-330100", "officer-7");
  EXPECT_EQ(of_accepted.agency_case_number(), "杭环移〔2026〕1号");
  EXPECT_EQ(of_accepted.police_case_number(), "J3301002026000045");
}

TEST(Receipts, StateAcknowledgementNamesTheVersionByHashAndBothCaseNumbers) {
  v1::CaseStateSnapshot snapshot;
  snapshot.set_case_id("env-330100-2026-0001");
  snapshot.set_version(7);
  snapshot.set_state_hash_hex(std::string(64, 'd'));
  snapshot.set_agency_case_number("杭环移〔2026〕17号");
  snapshot.set_police_case_number("A3301002026000917");
  const v1::StateAcknowledged ack = state_acknowledgement(snapshot, "gaj-330100", "officer-9");
  EXPECT_EQ(ack.party_id(), "gaj-330100");
  EXPECT_EQ(ack.state_version(), 7U);
  EXPECT_EQ(ack.state_hash_hex(), std::string(64, 'd'));
  EXPECT_EQ(ack.acknowledged_by(), "officer-9");
  EXPECT_EQ(ack.agency_case_number(), "杭环移〔2026〕17号");
  EXPECT_EQ(ack.police_case_number(), "A3301002026000917");
  snapshot.clear_police_case_number();
  EXPECT_EQ(state_acknowledgement(snapshot, "gaj-330100", "officer-9").police_case_number(), "")
      << "a number the case does not state is not invented";
}

}  // namespace
}  // namespace caselink::sdk
