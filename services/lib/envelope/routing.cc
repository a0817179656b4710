#include "services/lib/envelope/routing.h"

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
      return std::string(topics::kReferral);
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
    case P::kTransferOrdered:
      return std::string(topics::kDecision);
    case P::kEvidenceManifest:
    case P::kCustodyEvent:
      return std::string(topics::kEvidenceManifest);
    case P::kEvidenceReceipt:
      return std::string(topics::kEvidenceReceipt);
    case P::kAdministrativePenaltyReported:
      return std::string(topics::kAdminPenalty);
    case P::kStandardsAssessment:
      return std::string(topics::kStandardsAssessment);
    case P::kRecommendationIssued:
    case P::kRecommendationReplied:
    case P::kRecommendationFollowedUp:
    case P::kRecommendationEvaluated:
      return std::string(topics::kRecommendation);
    case P::kFeedbackAcknowledged:
    case P::kStateAcknowledged:
    case P::kConsultationRequested:  // beside the acknowledgements: every party writes this topic
    case P::kConsultationAnswered:
      return std::string(topics::kAck);
    case P::kCaseStateSnapshot:
      return std::string(topics::kCaseState);
    case P::kAlert:
      return std::string(topics::kAlert);
    case P::kClassCaseOpened:
    case P::kClassCaseMemberJoined:
      return std::string(topics::kClassCase);
    case P::kClassCaseFact:
      return std::string(topics::kClassCaseFacts);
    case P::kClassCaseGroupState:
      return std::string(topics::kClassCaseState);
    case P::kProbe:
    case P::PAYLOAD_NOT_SET:
      break;
  }
  return Error::invalid("event has no topic of its own (payload: " +
                            std::string(envelope.payload_case() == P::PAYLOAD_NOT_SET ? "none" : "Probe") + ")",
                        "payload", "envelope.unroutable_payload");
}

const std::vector<std::string>& event_topics() {
  static const std::vector<std::string> kTopics = {
      topics::kReferral,       topics::kDecision,       topics::kEvidenceManifest, topics::kEvidenceReceipt,
      topics::kAdminPenalty,   topics::kStandardsAssessment, topics::kRecommendation, topics::kAck};
  return kTopics;
}

}  // namespace caselink::envelope
