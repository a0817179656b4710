#include "services/ingress/party_policy.h"

#include <array>

namespace caselink::ingress {

namespace {

struct Permission {
  std::string_view type;  // payload message name, without "caselink.v1."
  bool agency, police, procuratorate, court;
};

// Who sends what (domain.md §2 and the flows of docs/architecture.md): S1 Art 5–9, 12–14; S2
// Art 5–18; CPL Art 113, 177; the 检察建议 rules for recommendations.
constexpr std::array<Permission, 29> kPermissions{{
    {"SuspectedCrimeReported", true, false, false, false},
    {"TransferDecided", true, false, false, false},
    {"CaseReferral", true, false, false, false},
    {"MaterialsSupplemented", true, false, false, false},
    {"ReconsiderationRequested", true, false, false, false},
    {"FilingSupervisionRequested", true, false, false, false},
    {"SeizedItemsHandedOver", true, false, false, false},
    {"AdministrativePenaltyReported", true, false, false, false},
    {"ReverseReviewStatusChanged", true, false, false, false},
    {"ReferralAccepted", false, true, false, false},
    {"MaterialsSupplementRequested", false, true, false, false},
    {"CaseForwarded", false, true, false, false},
    {"FilingReviewExtended", false, true, false, false},
    {"FilingDecision", false, true, false, false},
    {"ReconsiderationDecided", false, true, false, false},
    {"FilingSupervisionAction", false, false, true, false},
    {"ProsecutionDecision", false, false, true, false},
    {"ProcuratorialOpinion", false, false, true, false},
    {"RecommendationIssued", false, false, true, false},
    {"RecommendationFollowedUp", false, false, true, false},
    {"RecommendationEvaluated", false, false, true, false},
    {"RecommendationReplied", true, true, false, false},
    {"CourtJudgment", false, false, false, true},
    {"CaseClosed", true, true, true, true},
    {"EvidenceManifest", true, true, true, true},
    {"CustodyEvent", true, true, true, true},
    {"FeedbackAcknowledged", true, true, true, true},
    {"StateAcknowledged", true, true, true, true},
    {"Probe", true, true, true, true},
}};

bool allowed(const Permission& p, PartyKind kind) {
  switch (kind) {
    case PartyKind::kAgency:
      return p.agency;
    case PartyKind::kPolice:
      return p.police;
    case PartyKind::kProcuratorate:
      return p.procuratorate;
    case PartyKind::kCourt:
      return p.court;
  }
  return false;
}

constexpr std::string_view kPrefix = "caselink.v1.";

}  // namespace

const char* to_string(PartyKind kind) {
  switch (kind) {
    case PartyKind::kAgency:
      return "agency";
    case PartyKind::kPolice:
      return "police";
    case PartyKind::kProcuratorate:
      return "procuratorate";
    case PartyKind::kCourt:
      return "court";
  }
  return "?";
}

std::optional<PartyKind> parse_party_kind(std::string_view text) {
  for (PartyKind k : {PartyKind::kAgency, PartyKind::kPolice, PartyKind::kProcuratorate, PartyKind::kCourt}) {
    if (text == to_string(k)) {
      return k;
    }
  }
  return std::nullopt;
}

bool may_send(PartyKind kind, std::string_view event_type) {
  if (event_type.substr(0, kPrefix.size()) != kPrefix) {
    return false;
  }
  const std::string_view name = event_type.substr(kPrefix.size());
  for (const Permission& p : kPermissions) {
    if (p.type == name) {
      return allowed(p, kind);
    }
  }
  return false;  // service-only types (receipts, assessments, snapshots, alerts) and unknown ones
}

std::string allowed_types(PartyKind kind) {
  std::string out;
  for (const Permission& p : kPermissions) {
    if (allowed(p, kind)) {
      out += (out.empty() ? "" : ", ") + std::string(p.type);
    }
  }
  return out;
}

}  // namespace caselink::ingress
