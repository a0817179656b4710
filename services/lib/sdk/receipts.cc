#include "services/lib/sdk/receipts.h"

#include <string>

#include "services/lib/signing/envelope_signature.h"

namespace caselink::sdk {

v1::ReferralAccepted referral_acceptance(const v1::Envelope& referral) {
  v1::ReferralAccepted accepted;
  accepted.set_referral_event_id(referral.event_id());
  accepted.set_referral_digest_hex(signing::event_digest_hex(referral));
  accepted.set_transfer_letter_number(referral.case_referral().transfer_letter_number());
  if (referral.case_referral().has_target_police_organ()) {
    *accepted.mutable_police_organ() = referral.case_referral().target_police_organ();
  }
  return accepted;
}

v1::FeedbackAcknowledged feedback_acknowledgement(const v1::Envelope& feedback, std::string_view agency_id,
                                                  std::string_view acknowledged_by) {
  v1::FeedbackAcknowledged ack;
  ack.set_feedback_event_id(feedback.event_id());
  ack.set_feedback_digest_hex(signing::event_digest_hex(feedback));
  ack.set_agency_id(std::string(agency_id));
  ack.set_acknowledged_by(std::string(acknowledged_by));
  if (feedback.has_referral_accepted()) {
    ack.set_police_case_number(feedback.referral_accepted().police_case_number());
    ack.set_agency_case_number(feedback.referral_accepted().transfer_letter_number());
  } else if (feedback.has_filing_decision()) {
    ack.set_police_case_number(feedback.filing_decision().police_case_number());
  }
  return ack;
}

v1::StateAcknowledged state_acknowledgement(const v1::CaseStateSnapshot& snapshot, std::string_view party_id,
                                            std::string_view acknowledged_by) {
  v1::StateAcknowledged ack;
  ack.set_party_id(std::string(party_id));
  ack.set_state_version(snapshot.version());
  ack.set_state_hash_hex(snapshot.state_hash_hex());
  ack.set_acknowledged_by(std::string(acknowledged_by));
  ack.set_agency_case_number(snapshot.agency_case_number());
  ack.set_police_case_number(snapshot.police_case_number());
  return ack;
}

}  // namespace caselink::sdk
