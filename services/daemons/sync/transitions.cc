#include "services/daemons/sync/transitions.h"

#include <array>
#include <initializer_list>

#include "services/daemons/sync/deadline_rules.h"

namespace caselink::sync {

namespace {

using v1::CaseState;
using R = v1::RecommendationStatus;

constexpr uint32_t M(std::initializer_list<int> states) {
  uint32_t mask = 0;
  for (int s : states) mask |= (1U << s);
  return mask;
}

constexpr int U = v1::CASE_STATE_UNSPECIFIED;  // the case does not exist yet
constexpr int SUS = v1::CASE_STATE_SUSPECTED;
constexpr int TAP = v1::CASE_STATE_TRANSFER_APPROVED;
constexpr int TRJ = v1::CASE_STATE_TRANSFER_REJECTED;
constexpr int REF = v1::CASE_STATE_REFERRED;
constexpr int ACC = v1::CASE_STATE_ACCEPTED;
constexpr int MSR = v1::CASE_STATE_MATERIALS_SUPPLEMENT_REQUESTED;
constexpr int FWD = v1::CASE_STATE_FORWARDED;
constexpr int FIL = v1::CASE_STATE_FILED;
constexpr int NFI = v1::CASE_STATE_NOT_FILED;
constexpr int RCR = v1::CASE_STATE_RECONSIDERATION_REQUESTED;
constexpr int FSV = v1::CASE_STATE_FILING_SUPERVISION;
constexpr int IHO = v1::CASE_STATE_ITEMS_HANDED_OVER;
constexpr int PRO = v1::CASE_STATE_PROSECUTED;
constexpr int NPR = v1::CASE_STATE_NOT_PROSECUTED;
constexpr int RRV = v1::CASE_STATE_REVERSE_REVIEW;
constexpr int POI = v1::CASE_STATE_PROCURATORIAL_OPINION_ISSUED;
constexpr int APR = v1::CASE_STATE_ADMINISTRATIVE_PENALTY_REPORTED;
constexpr int JUD = v1::CASE_STATE_JUDGED;
constexpr int CLO = v1::CASE_STATE_CLOSED;
constexpr int RVK = v1::CASE_STATE_REVOKED;
constexpr int TDM = v1::CASE_STATE_TRANSFER_DEMANDED;

// Every existing state (not U), open or closed.
constexpr uint32_t kExisting = M({SUS, TAP, TRJ, REF, ACC, MSR, FWD, FIL, NFI, RCR, FSV, IHO, PRO, NPR, RRV, POI,
                                  APR, JUD, CLO, RVK, TDM});
constexpr uint32_t kOpen = kExisting & ~M({CLO});
constexpr uint32_t kAll = kExisting | M({U});

constexpr int RNONE = R::RECOMMENDATION_STATUS_UNSPECIFIED;  // no such recommendation yet
constexpr int RISS = R::RECOMMENDATION_STATUS_ISSUED;
constexpr int ROVD = R::RECOMMENDATION_STATUS_REPLY_OVERDUE;
constexpr int RREP = R::RECOMMENDATION_STATUS_REPLIED;
constexpr int RFUP = R::RECOMMENDATION_STATUS_FOLLOWED_UP;
constexpr int REVA = R::RECOMMENDATION_STATUS_EVALUATED;

constexpr Scope C = Scope::kCase;
constexpr Scope RS = Scope::kRecommendation;

// clang-format off
constexpr std::array kTable = {
  // ---- forward flow, agency side -------------------------------------------------------------
  Transition{C, "SuspectedCrimeReported", M({U}), SUS, "transition.suspected",
             "S1 Art 5 ¶1 (task group report); S2 Art 5", "report"},
  Transition{C, "TransferDecided.APPROVED", M({SUS}), TAP, "transition.transfer_approved",
             "S1 Art 5 ¶2 (head approves within 3 days); S2 Art 5", "transfer_decision"},
  Transition{C, "TransferDecided.REJECTED", M({SUS}), TRJ, "transition.transfer_rejected",
             "S1 Art 5 ¶2 (rejection, reasons recorded)", "transfer_decision"},
  // A referral may open a case directly: not every agency reports its internal approval steps.
  Transition{C, "CaseReferral", M({U, TAP, TDM}), REF, "transition.referred",
             "S1 Art 5–6 (transfer to the same-level police); S2 Art 5–6; S2 Art 14 (on demand)", "referral"},
  // ---- procuratorial supervision of transfers ---------------------------------------------------
  // A demand to transfer (建议移送) may be the first event of a case the agency never reported, or
  // come while the head's decision is pending, after the head rejected the transfer, after an
  // approval not followed by the transfer, or after an order or an earlier demand (each demand
  // opens its own deadline, like orders).
  Transition{C, "ProcuratorialOpinion.DEMAND_TRANSFER", M({U, SUS, TAP, TRJ, TDM}), TDM, "transition.transfer_demanded",
             "S1 Art 14 (procuratorial supervision of transfers); S2 Art 14 (transfer within 3 days of the opinion)",
             nullptr},
  // A demand read after the case was referred: the referral travels on another topic and may be
  // read first, whether it answered the demand or preceded it. The demand is recorded (the
  // procuratorate made it) and owes nothing: no deadline, no change of state.
  Transition{C, "ProcuratorialOpinion.DEMAND_TRANSFER", kExisting & ~M({SUS, TAP, TRJ, TDM}), kStay,
             "transition.transfer_demand_after_referral",
             "S2 Art 14 (the transfer demanded was made: the case is referred)", nullptr, false},
  // An order to transfer within a time limit (责令限期移送) of the government or a superior agency:
  // also after the head approved (the 24 hours passed) and after a demand or an earlier order
  // (each order opens its own deadline).
  Transition{C, "TransferOrdered", M({U, SUS, TAP, TRJ, TDM}), TDM, "transition.transfer_ordered",
             "S1 Art 16 (overdue transfer: 责令限期移送 by the government or the superior agency)", nullptr},
  // The head may approve the demanded transfer first (its own step: a head who rejected the
  // transfer before the demand decides again).
  Transition{C, "TransferDecided.APPROVED", M({TDM}), TAP, "transition.transfer_approved_on_demand",
             "S1 Art 5 ¶2; S2 Art 14", "transfer_decision_on_demand"},
  // ---- police ----------------------------------------------------------------------------------
  Transition{C, "ReferralAccepted", M({REF, FWD}), ACC, "transition.accepted",
             "S1 Art 7 (receipt signed); S2 Art 7; after forwarding: the competent organ accepts", nullptr},
  Transition{C, "MaterialsSupplementRequested", M({ACC}), MSR, "transition.supplement_requested",
             "S2 Art 8 (24 h notice, 3 days to complete); 公通字〔2016〕16号 (unconfirmed)", nullptr},
  Transition{C, "MaterialsSupplemented", M({MSR}), ACC, "transition.supplemented",
             "S2 Art 8", nullptr},
  Transition{C, "CaseForwarded.TO_COMPETENT_ORGAN", M({REF, ACC}), FWD, "transition.forwarded",
             "S1 Art 7 (forward within 24 h); S2 Art 9", nullptr},
  Transition{C, "CaseForwarded.RETURNED_TO_AGENCY", M({REF, ACC}), FWD, "transition.returned",
             "S1 Art 13; S2 Art 9 (not a police matter: returned within 24 h)", "return_to_agency"},
  Transition{C, "FilingReviewExtended", M({ACC, MSR}), kStay, "transition.review_extended",
             "S2 Art 9 (7 / 30 days); 经济犯罪若干规定 (2017) Art 16 (medium); 2015 公安部意见 (medium)", nullptr},
  Transition{C, "FilingDecision.FILED", M({ACC, MSR}), FIL, "transition.filed",
             "S1 Art 8 (decide within 3 days); S2 Art 9", "filing_decision"},
  Transition{C, "FilingDecision.NOT_FILED", M({ACC, MSR}), NFI, "transition.not_filed",
             "S1 Art 8 (refusal with reasons, file returned); S2 Art 9", "filing_decision"},
  Transition{C, "FilingDecision.REVOKED", M({FIL, IHO}), RVK, "transition.revoked",
             "S2 Art 9, 12 (revocation after filing)", "revocation"},
  // ---- reconsideration and filing supervision --------------------------------------------------
  Transition{C, "ReconsiderationRequested", M({NFI}), RCR, "transition.reconsideration_requested",
             "S1 Art 9 ¶1 (within 3 days); S2 Art 11 (3 working days)", "reconsideration_request"},
  Transition{C, "ReconsiderationDecided.UPHELD", M({RCR}), NFI, "transition.reconsideration_upheld",
             "S1 Art 9 ¶2 (decision within 3 days); S2 Art 11", "reconsideration_decision"},
  Transition{C, "ReconsiderationDecided.REVERSED", M({RCR}), FIL, "transition.reconsideration_reversed",
             "S1 Art 9 ¶2; S2 Art 11", "reconsideration_decision"},
  Transition{C, "FilingSupervisionRequested", M({ACC, MSR, NFI, RVK}), FSV, "transition.supervision_requested",
             "S1 Art 9 ¶1–¶2, Art 17 (police overdue); S2 Art 12–13", "filing_supervision_request"},
  Transition{C, "FilingSupervisionAction.EXPLANATION_REQUESTED", M({FSV}), kStay, "transition.supervision_explanation_requested",
             "S1 Art 9 ¶3; 公安机关办理刑事案件程序规定 (medium)", nullptr},
  Transition{C, "FilingSupervisionAction.EXPLANATION_GIVEN", M({FSV}), kStay, "transition.supervision_explanation_given",
             "公安机关办理刑事案件程序规定 (7 days, medium)", nullptr},
  Transition{C, "FilingSupervisionAction.FILING_NOTICE_ISSUED", M({FSV}), kStay, "transition.supervision_filing_notice",
             "S1 Art 9 ¶3 (police must accept supervision)", nullptr},
  Transition{C, "FilingSupervisionAction.FILED_ON_NOTICE", M({FSV}), FIL, "transition.filed_on_notice",
             "公安机关办理刑事案件程序规定 (file within 15 days of notice, medium)", "filing_decision_on_notice"},
  Transition{C, "FilingSupervisionAction.SUPERVISION_CLOSED", M({FSV}), NFI, "transition.supervision_closed",
             "S1 Art 9–10 (agency handles the case itself)", "supervision_closure"},
  Transition{C, "SeizedItemsHandedOver", M({FIL}), IHO, "transition.items_handed_over",
             "S1 Art 12 (within 3 days of the filing notice); S2 Art 10", "items_handover"},
  // ---- prosecution, court ---------------------------------------------------------------------
  Transition{C, "ProsecutionDecision.PROSECUTE", M({FIL, IHO}), PRO, "transition.prosecuted",
             "Criminal Procedure Law (prosecution decision; article not cited in domain.md, unconfirmed)", "prosecution_decision"},
  Transition{C, "ProsecutionDecision.NOT_PROSECUTE", M({FIL, IHO}), NPR, "transition.not_prosecuted",
             "CPL Art 177 ¶3; S2 Art 18 (notified within 3 days)", "prosecution_decision"},
  Transition{C, "CourtJudgment", M({PRO}), JUD, "transition.judged",
             "Criminal Procedure Law (judgment); S1 Art 11 ¶3 (fine offset)", "judgment"},
  // ---- reverse flow (反向衔接) -----------------------------------------------------------------
  Transition{C, "ReverseReviewStatusChanged.HANDED_TO_ADMIN_PROSECUTION", M({NPR}), RRV, "transition.reverse_handover",
             "SPP 行刑反向衔接工作指引 (2024) Art 4 (3 working days)", "reverse_handover"},
  Transition{C, "ReverseReviewStatusChanged.REVIEW_SUSPENDED", M({RRV}), kStay, "transition.reverse_suspended",
             "SPP 行刑反向衔接工作指引 (2024) Art 12–13", nullptr},
  Transition{C, "ReverseReviewStatusChanged.REVIEW_RESUMED", M({RRV}), kStay, "transition.reverse_resumed",
             "SPP 行刑反向衔接工作指引 (2024) Art 12–13", nullptr},
  Transition{C, "ReverseReviewStatusChanged.REVIEW_EXTENDED", M({RRV}), kStay, "transition.reverse_extended",
             "SPP 行刑反向衔接工作指引 (2024) Art 12–13", nullptr},
  Transition{C, "ReverseReviewStatusChanged.REVIEW_CONCLUDED_NO_OPINION", M({RRV}), NPR, "transition.reverse_no_opinion",
             "SPP 行刑反向衔接工作指引 (2024)", "reverse_review_conclusion"},
  Transition{C, "ProcuratorialOpinion.REVERSE_PENALTY", M({NPR, RRV}), POI, "transition.opinion_issued",
             "CPL Art 177 ¶3 (检察意见); S2 Art 18; SPP 指引 (2024)", "reverse_review_conclusion"},
  Transition{C, "AdministrativePenaltyReported.PROCURATORIAL_OPINION_RESULT", M({POI}), APR, "transition.penalty_after_opinion",
             "CPL Art 177 ¶3 (the organ notifies the result)", "penalty_result"},
  Transition{C, "AdministrativePenaltyReported.POLICE_REFUSAL_RESULT", M({NFI, TRJ, FWD}), APR, "transition.penalty_after_refusal",
             "S1 Art 10, 13 (agency handles the case after non-filing or return)", "penalty_result"},
  Transition{C, "AdministrativePenaltyReported.COURT_RESULT", M({JUD}), APR, "transition.penalty_after_court",
             "S2 Art 16 (penalty after acquittal or exemption)", "penalty_result"},
  // ---- closing ----------------------------------------------------------------------------------
  Transition{C, "CaseClosed", M({TRJ, FWD, NFI, RVK, NPR, POI, APR, JUD}), CLO, "transition.closed",
             "S1 Art 10 (agency handles after refusal); CPL Art 177 ¶3; court judgment in force", "closure"},
  // ---- state-preserving events ------------------------------------------------------------------
  Transition{C, "EvidenceReceipt", kOpen, kStay, "transition.evidence_receipt",
             "S1 Art 6; S2 Art 6–8 (materials of the transfer)", nullptr},
  Transition{C, "StateAcknowledged", kExisting, kStay, "transition.state_acknowledged",
             "结果互认 (mutual recognition, issue 3); not a legal step", nullptr},
  // A written consultation (S2 Art 24) on an open case; its answer also after the case closed
  // (the question was asked while it was open). Which consultation and by whom: case_engine.cc.
  Transition{C, "ConsultationRequested", kOpen, kStay, "transition.consultation_requested",
             "S2 Art 24 (双向案件咨询制度; a written consultation is answered within 7 days)", nullptr},
  Transition{C, "ConsultationAnswered", kExisting, kStay, "transition.consultation_answered",
             "S2 Art 24 (written answer)", nullptr},
  Transition{C, "RecommendationIssued", kAll, kStay, "transition.recommendation",
             "人民检察院检察建议工作规定 (2019)", nullptr},
  Transition{C, "RecommendationReplied", kAll, kStay, "transition.recommendation", "人民检察院检察建议工作规定 (2019)", nullptr},
  Transition{C, "RecommendationFollowedUp", kAll, kStay, "transition.recommendation", "local practice (domain.md §5)", nullptr},
  Transition{C, "RecommendationEvaluated", kAll, kStay, "transition.recommendation", "local practice (domain.md §5)", nullptr},
  // ---- recommendation sub-state (检察建议), keyed by recommendation_id ------------------------
  Transition{RS, "RecommendationIssued", M({RNONE}), RISS, "recommendation.issued",
             "人民检察院检察建议工作规定 (2019): reply within 2 months", nullptr},
  Transition{RS, "RecommendationReplied", M({RISS, ROVD}), RREP, "recommendation.replied",
             "人民检察院检察建议工作规定 (2019) (written reply)", nullptr},
  Transition{RS, "RecommendationFollowedUp", M({RREP, ROVD, RFUP}), RFUP, "recommendation.followed_up",
             "local practice (follow-up visit; domain.md §5, not a confirmed national step)", nullptr},
  Transition{RS, "RecommendationEvaluated", M({RREP, RFUP}), REVA, "recommendation.evaluated",
             "local practice (evaluation; domain.md §9 q4, unconfirmed)", nullptr},
};
// clang-format on


std::string with(const char* name, const std::string& value_name, const char* prefix) {
  std::string v = value_name;
  const std::string p = prefix;
  if (v.rfind(p, 0) == 0) v = v.substr(p.size());
  return std::string(name) + "." + v;
}

}  // namespace

std::span<const Transition> transition_table() { return {kTable.data(), kTable.size()}; }

std::string event_key(const v1::Envelope& e) {
  using P = v1::Envelope;
  switch (e.payload_case()) {
    case P::kSuspectedCrimeReported: return "SuspectedCrimeReported";
    case P::kTransferDecided:
      return with("TransferDecided", v1::TransferDecision_Name(e.transfer_decided().decision()), "TRANSFER_DECISION_");
    case P::kCaseReferral: return "CaseReferral";
    case P::kMaterialsSupplemented: return "MaterialsSupplemented";
    case P::kReconsiderationRequested: return "ReconsiderationRequested";
    case P::kFilingSupervisionRequested: return "FilingSupervisionRequested";
    case P::kSeizedItemsHandedOver: return "SeizedItemsHandedOver";
    case P::kAdministrativePenaltyReported:
      return with("AdministrativePenaltyReported",
                       v1::PenaltyReportContext_Name(e.administrative_penalty_reported().report_context()),
                       "PENALTY_REPORT_CONTEXT_");
    case P::kReferralAccepted: return "ReferralAccepted";
    case P::kMaterialsSupplementRequested:  // S2 Art 8 (materials, 3 days) vs Art 19 (补充调查, one month)
      return e.materials_supplement_requested().supplementary_investigation_requested()
                 ? "MaterialsSupplementRequested.SUPPLEMENTARY_INVESTIGATION"
                 : "MaterialsSupplementRequested.MATERIALS";
    case P::kCaseForwarded:
      return with("CaseForwarded", v1::ForwardKind_Name(e.case_forwarded().kind()), "FORWARD_KIND_");
    case P::kFilingReviewExtended:
      return with("FilingReviewExtended", v1::ReviewExtensionBasis_Name(e.filing_review_extended().basis()),
                       "REVIEW_EXTENSION_BASIS_");
    case P::kFilingDecision:
      return with("FilingDecision", v1::FilingOutcome_Name(e.filing_decision().outcome()), "FILING_OUTCOME_");
    case P::kReconsiderationDecided:
      return with("ReconsiderationDecided", v1::ReconsiderationOutcome_Name(e.reconsideration_decided().outcome()),
                       "RECONSIDERATION_OUTCOME_");
    case P::kFilingSupervisionAction:
      return with("FilingSupervisionAction", v1::FilingSupervisionStep_Name(e.filing_supervision_action().step()),
                       "FILING_SUPERVISION_STEP_");
    case P::kProsecutionDecision:
      return with("ProsecutionDecision", v1::ProsecutionOutcome_Name(e.prosecution_decision().outcome()),
                       "PROSECUTION_OUTCOME_");
    case P::kProcuratorialOpinion:
      return with("ProcuratorialOpinion", v1::ProcuratorialOpinionKind_Name(e.procuratorial_opinion().kind()),
                       "PROCURATORIAL_OPINION_KIND_");
    case P::kTransferOrdered: return "TransferOrdered";
    case P::kCourtJudgment: return "CourtJudgment";
    case P::kCaseClosed: return "CaseClosed";
    case P::kReverseReviewStatusChanged:
      return with("ReverseReviewStatusChanged",
                       v1::ReverseReviewStatus_Name(e.reverse_review_status_changed().status()),
                       "REVERSE_REVIEW_STATUS_");
    case P::kEvidenceManifest: return "EvidenceManifest";
    case P::kEvidenceReceipt:
      return with("EvidenceReceipt", v1::ReceiptStatus_Name(e.evidence_receipt().status()), "RECEIPT_STATUS_");
    case P::kCustodyEvent: return "CustodyEvent";
    case P::kStandardsAssessment: return "StandardsAssessment";
    case P::kRecommendationIssued: return "RecommendationIssued";
    case P::kRecommendationReplied: return "RecommendationReplied";
    case P::kRecommendationFollowedUp: return "RecommendationFollowedUp";
    case P::kRecommendationEvaluated: return "RecommendationEvaluated";
    case P::kFeedbackAcknowledged: return "FeedbackAcknowledged";
    case P::kStateAcknowledged: return "StateAcknowledged";
    case P::kConsultationRequested: return "ConsultationRequested";
    case P::kConsultationAnswered: return "ConsultationAnswered";
    case P::kCaseStateSnapshot: return "CaseStateSnapshot";
    case P::kAlert: return "Alert";
    case P::kClassCaseOpened: return "ClassCaseOpened";
    case P::kClassCaseMemberJoined: return "ClassCaseMemberJoined";
    case P::kClassCaseFact: return "ClassCaseFact";
    case P::kClassCaseGroupState: return "ClassCaseGroupState";
    case P::kProbe: return "Probe";
    case P::PAYLOAD_NOT_SET: return "";
  }
  return "";
}

bool is_ignored(const std::string& key) {
  return key == "FeedbackAcknowledged" || key == "StandardsAssessment" ||
         key == "AdministrativePenaltyReported.ROUTINE_SCREENING";
}

const Transition* find_transition(Scope scope, const std::string& key, int from) {
  if (from < 0 || from >= 32) return nullptr;
  for (const auto& t : kTable) {
    if (t.scope == scope && key_matches(t.event_key, key) && (t.from_mask & (1U << from)) != 0) return &t;
  }
  return nullptr;
}

const Transition* any_transition(Scope scope, const std::string& key) {
  for (const auto& t : kTable) {
    if (t.scope == scope && key_matches(t.event_key, key)) return &t;
  }
  return nullptr;
}

}  // namespace caselink::sync
