#pragma once
// Acknowledgements that name what they acknowledge by content (docs/contracts/signing.md,
// "Receipts"; issue 15 §4): each carries the event digest (caselink.event-digest.v1) of the
// envelope it acknowledges, computed from that envelope exactly as it was read (signer metadata
// included), plus the case numbers the acknowledging party knows. The caller sets the rest
// (receipt number, who signed, its own case number where it has one), puts the message in an
// envelope and publishes it; with a signer the SDK signs it, so the receipt is signed by the
// acknowledging party.

#include <string_view>

#include "caselink/v1/acknowledgement.pb.h"
#include "caselink/v1/case_state.pb.h"
#include "caselink/v1/decision.pb.h"
#include "caselink/v1/envelope.pb.h"

namespace caselink::sdk {

// The police's acceptance of `referral` (an envelope carrying a CaseReferral): referral_event_id,
// referral_digest_hex, and from the referral the agency's transfer_letter_number and
// police_organ (its target_police_organ).
// The caller adds receipt_number, signed_by and, once registered, police_case_number.
v1::ReferralAccepted referral_acceptance(const v1::Envelope& referral);

// `agency_id`'s acknowledgement of the feedback record `feedback` (as read from its feedback
// topic): feedback_event_id, feedback_digest_hex, agency_id, acknowledged_by, and the case
// numbers the record states (the police's case number of a ReferralAccepted or FilingDecision,
// the agency's transfer letter number of a ReferralAccepted). Numbers the record does not state
// stay empty; the caller may set its own agency_case_number.
v1::FeedbackAcknowledged feedback_acknowledgement(const v1::Envelope& feedback, std::string_view agency_id,
                                                  std::string_view acknowledged_by);

// `party_id`'s acknowledgement of the case state `snapshot` (as read from caselink.case.state.v1):
// state_version, state_hash_hex, party_id, acknowledged_by, and the two case numbers the snapshot
// states. A party that keeps its own records should set the numbers from them instead: caselink-
// sync compares them with the case's and reports a difference as a divergence, which is the point
// of acknowledging them (issue 15 §4).
v1::StateAcknowledged state_acknowledgement(const v1::CaseStateSnapshot& snapshot, std::string_view party_id,
                                            std::string_view acknowledged_by);

}  // namespace caselink::sdk
