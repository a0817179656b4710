#include "services/common/envelope/routing.h"

namespace caselink::envelope {

Result<std::string> topic_for(const caselink::v1::Envelope& envelope) {
  using P = caselink::v1::Envelope;
  switch (envelope.payload_case()) {
    // The agency side of the forward flow (S1 Art 5-12, S2 Art 5-13).
    case P::kSuspectedCrimeReported:
    case P::kTransferDecided:
    case P::kCaseReferral:
    case P::kMaterialsSupplemented:
    case P::kReconsiderationRequested:
    case P::kFilingSupervisionRequested:
    case P::kSeizedItemsHandedOver:
      return std::string("caselink.referral.v1");
    // Decisions of the police, procuratorate and courts.
    case P::kReferralAccepted:
    case P::kMaterialsSupplementRequested:
    case P::kCaseForwarded:
    case P::kFilingReviewExtended:
    case P::kFilingDecision:
    case P::kReconsiderationDecided:
    case P::kFilingSupervisionAction:
    case P::kProsecutionDecision:
    case P::kProcuratorialOpinion:
    case P::kCourtJudgment:
    case P::kCaseClosed:
    case P::kReverseReviewStatusChanged:
      return std::string("caselink.decision.v1");
    case P::kEvidenceManifest:
    case P::kCustodyEvent:
      return std::string("caselink.evidence.manifest.v1");
    case P::kEvidenceReceipt:
      return std::string("caselink.evidence.receipt.v1");
    case P::kAdministrativePenaltyReported:
      return std::string("caselink.admin-penalty.v1");
    case P::kStandardsAssessment:
      return std::string("caselink.standards.assessment.v1");
    case P::kRecommendationIssued:
    case P::kRecommendationReplied:
    case P::kRecommendationFollowedUp:
    case P::kRecommendationEvaluated:
      return std::string("caselink.recommendation.v1");
    case P::kFeedbackAcknowledged:
    case P::kStateAcknowledged:
      return std::string("caselink.ack.v1");
    case P::kCaseStateSnapshot:
      return std::string("caselink.case.state.v1");
    case P::kAlert:
      return std::string("caselink.alert.v1");
    case P::kProbe:
    case P::PAYLOAD_NOT_SET:
      break;
  }
  return Error::invalid("event has no topic of its own (payload: " +
                            std::string(envelope.payload_case() == P::PAYLOAD_NOT_SET ? "none" : "Probe") + ")",
                        "payload", "envelope.unroutable_payload");
}

std::string feedback_topic_for(std::string_view agency_id) {
  return "caselink.feedback." + std::string(agency_id) + ".v1";
}

}  // namespace caselink::envelope
