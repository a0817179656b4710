// The case rules of rules/roles/roles.yaml: may this sender take this step in this case?
#include <algorithm>
#include <functional>
#include <utility>

#include "services/lib/authz/authz.h"

namespace caselink::authz {

namespace {

using Snapshot = const v1::CaseStateSnapshot*;

struct Check {
  const v1::Envelope& event;
  std::string sender;
  Snapshot snapshot;  // nullptr: the case is not known to the caller
  const organs::Registry* organs;
  std::string rule;

  std::optional<Refusal> refuse(std::string message) const {
    return Refusal{rule, event.event_type() + " by " + sender + " in case " + event.case_id() + ": " +
                             std::move(message)};
  }
};

// The organ the payload says is acting (the sender "in its own name"), and the field naming it.
std::pair<std::string, const char*> acting_organ(const v1::Envelope& e) {
  using P = v1::Envelope;
  switch (e.payload_case()) {
    case P::kSuspectedCrimeReported: return {e.suspected_crime_reported().reporting_agency().organ_id(), "reporting_agency"};
    case P::kCaseReferral: return {e.case_referral().referring_agency().organ_id(), "referring_agency"};
    case P::kAdministrativePenaltyReported:
      return {e.administrative_penalty_reported().deciding_agency().organ_id(), "deciding_agency"};
    case P::kReferralAccepted: return {e.referral_accepted().police_organ().organ_id(), "police_organ"};
    case P::kMaterialsSupplementRequested:
      return {e.materials_supplement_requested().police_organ().organ_id(), "police_organ"};
    case P::kCaseForwarded: return {e.case_forwarded().from_organ().organ_id(), "from_organ"};
    case P::kFilingDecision: return {e.filing_decision().police_organ().organ_id(), "police_organ"};
    case P::kReconsiderationDecided: return {e.reconsideration_decided().police_organ().organ_id(), "police_organ"};
    case P::kFilingSupervisionAction: return {e.filing_supervision_action().acting_organ().organ_id(), "acting_organ"};
    case P::kProsecutionDecision: return {e.prosecution_decision().procuratorate().organ_id(), "procuratorate"};
    case P::kProcuratorialOpinion: return {e.procuratorial_opinion().procuratorate().organ_id(), "procuratorate"};
    case P::kTransferOrdered: return {e.transfer_ordered().ordering_organ().organ_id(), "ordering_organ"};
    case P::kRecommendationIssued: return {e.recommendation_issued().procuratorate().organ_id(), "procuratorate"};
    case P::kRecommendationReplied: return {e.recommendation_replied().replying_organ().organ_id(), "replying_organ"};
    case P::kCourtJudgment: return {e.court_judgment().court().organ_id(), "court"};
    case P::kCaseClosed: return {e.case_closed().closing_organ().organ_id(), "closing_organ"};
    case P::kReverseReviewStatusChanged:
      return {e.reverse_review_status_changed().acting_organ().organ_id(), "acting_organ"};
    case P::kStateAcknowledged: return {e.state_acknowledged().party_id(), "party_id"};
    case P::kFeedbackAcknowledged: return {e.feedback_acknowledged().agency_id(), "agency_id"};
    case P::kConsultationRequested:
      return {e.consultation_requested().consulting_organ().organ_id(), "consulting_organ"};
    case P::kConsultationAnswered: return {e.consultation_answered().answering_organ().organ_id(), "answering_organ"};
    default: return {{}, nullptr};
  }
}

// A payload naming an acting organ other than the sender speaks in someone else's name.
// `required`: the field must name the sender (acknowledgements: there is no other identity).
std::optional<Refusal> own_name(const Check& c, bool required = false) {
  const auto [named, field] = acting_organ(c.event);
  if (field == nullptr || named == c.sender || (named.empty() && !required)) {
    return std::nullopt;
  }
  return c.refuse(std::string(field) + " '" + named + "' is not the sender (a party acts only as itself)");
}

std::vector<std::string> with_role(Snapshot s, v1::PartyRole role) {
  std::vector<std::string> ids;
  for (const auto& p : s->parties()) {
    if (p.role() == role) {
      ids.push_back(p.party_id());
    }
  }
  return ids;
}

bool is_party(Snapshot s, const std::string& id) {
  return std::any_of(s->parties().begin(), s->parties().end(), [&](const auto& p) { return p.party_id() == id; });
}

std::string listed(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) {
    out += (out.empty() ? "" : ", ") + id;
  }
  return out.empty() ? "none" : out;
}

std::optional<Refusal> referring_agency_as_itself(const Check& c) {
  if (auto refused = own_name(c)) {
    return refused;
  }
  if (c.snapshot == nullptr) {
    return std::nullopt;
  }
  const auto referring = with_role(c.snapshot, v1::PARTY_ROLE_REFERRING_AGENCY);
  if (referring.empty() || std::find(referring.begin(), referring.end(), c.sender) != referring.end()) {
    return std::nullopt;
  }
  return c.refuse("the case was referred by " + listed(referring) + "; only it refers this case");
}

std::optional<Refusal> referring_agency(const Check& c) {
  if (c.snapshot == nullptr) {
    return std::nullopt;
  }
  const auto referring = with_role(c.snapshot, v1::PARTY_ROLE_REFERRING_AGENCY);
  if (std::find(referring.begin(), referring.end(), c.sender) != referring.end()) {
    return std::nullopt;
  }
  return c.refuse("only the case's referring agency (" + listed(referring) + ") takes this step");
}

std::optional<Refusal> addressed_police(const Check& c) {
  if (auto refused = own_name(c)) {
    return refused;
  }
  if (c.snapshot == nullptr) {
    return std::nullopt;
  }
  const auto police = with_role(c.snapshot, v1::PARTY_ROLE_POLICE);  // one: earlier ones became observers
  if (std::find(police.begin(), police.end(), c.sender) != police.end()) {
    return std::nullopt;
  }
  return c.refuse("the case is addressed to police organ " + listed(police) + ", not to the sender");
}

// The procuratorate competent for a case that names none: the registry's same-level
// procuratorate of the case's region (most specific code given), else of its police organ, else
// (a case with neither: a class case of caselink-classcase, whose first event is the
// recommendation, or a case opened by a demand to transfer) of the organ a recommendation or
// procuratorial opinion is addressed to.
std::string registry_procuratorate(const Check& c) {
  if (c.organs == nullptr) {
    return {};
  }
  const auto& j = c.snapshot->jurisdiction();
  for (const std::string& code : {j.county_code(), j.city_code(), j.province_code()}) {
    if (!code.empty()) {
      auto found = c.organs->competent_for(code);
      return found.ok() ? found.value().organs->procuratorate.id : std::string();
    }
  }
  for (const auto& police : with_role(c.snapshot, v1::PARTY_ROLE_POLICE)) {
    auto found = c.organs->competent_for_organ(police);
    if (found.ok()) {
      return found.value().organs->procuratorate.id;
    }
  }
  std::string addressed;
  if (c.event.has_recommendation_issued()) {
    addressed = c.event.recommendation_issued().recipient().organ_id();
  } else if (c.event.procuratorial_opinion().kind() == v1::PROCURATORIAL_OPINION_KIND_DEMAND_TRANSFER) {
    addressed = c.event.procuratorial_opinion().recipient().organ_id();
  }
  if (!addressed.empty() && with_role(c.snapshot, v1::PARTY_ROLE_POLICE).empty()) {
    auto found = c.organs->competent_for_organ(addressed);
    return found.ok() ? found.value().organs->procuratorate.id : std::string();
  }
  return {};
}

std::optional<Refusal> competent_procuratorate(const Check& c) {
  if (auto refused = own_name(c)) {
    return refused;
  }
  if (c.snapshot == nullptr) {
    return std::nullopt;
  }
  const auto named = with_role(c.snapshot, v1::PARTY_ROLE_PROCURATORATE);
  if (!named.empty()) {
    if (std::find(named.begin(), named.end(), c.sender) != named.end()) {
      return std::nullopt;
    }
    return c.refuse("the procuratorate of the case is " + listed(named) + ", not the sender");
  }
  if (c.organs == nullptr) {
    return std::nullopt;  // no registry here (the ingress): caselink-sync, which has it, decides
  }
  const std::string competent = registry_procuratorate(c);
  if (!competent.empty() && competent == c.sender) {
    return std::nullopt;
  }
  return c.refuse("the case names no procuratorate and the one competent for its region is " +
                  (competent.empty() ? std::string("unknown") : competent));
}

std::optional<Refusal> recommendation_recipient(const Check& c) {
  if (auto refused = own_name(c)) {
    return refused;
  }
  if (c.snapshot == nullptr) {
    return std::nullopt;
  }
  const std::string& id = c.event.recommendation_replied().recommendation_id();
  for (const auto& r : c.snapshot->recommendations()) {
    if (r.recommendation_id() == id && r.recipient_party_id() != c.sender) {
      return c.refuse("recommendation " + id + " was addressed to " + r.recipient_party_id());
    }
  }
  return std::nullopt;  // an unknown recommendation is the transition table's to refuse
}

// `strict`: the case must have the sender as a party even when it has no parties at all.
std::optional<Refusal> member(const Check& c, bool strict) {
  if (c.snapshot == nullptr || (!strict && c.snapshot->parties().empty()) || is_party(c.snapshot, c.sender)) {
    return std::nullopt;
  }
  return c.refuse("the sender is not a party of the case");
}

std::optional<Refusal> penalty_deciding_agency(const Check& c) {
  if (auto refused = own_name(c)) {
    return refused;
  }
  return member(c, /*strict=*/false);  // a penalty may open a case (routine screening)
}

std::optional<Refusal> case_party(const Check& c) {
  if (auto refused = own_name(c)) {
    return refused;
  }
  return member(c, /*strict=*/true);
}

std::optional<Refusal> acknowledge_as_itself(const Check& c) {
  if (auto refused = own_name(c, /*required=*/true)) {
    return refused;
  }
  return member(c, /*strict=*/false);
}

// Which side of the linkage a party of the case is on for S2 Art 24: the agency side (referring or
// receiving agency), the criminal-justice side (its police organ or procuratorate), or neither
// (observers, courts, commissions: not among Art 24's parties).
enum class Side { kNone, kAgency, kJustice };

Side side_in_case(Snapshot s, const std::string& id) {
  for (const auto& p : s->parties()) {
    if (p.party_id() != id) continue;
    if (p.role() == v1::PARTY_ROLE_REFERRING_AGENCY || p.role() == v1::PARTY_ROLE_RECEIVING_AGENCY) return Side::kAgency;
    if (p.role() == v1::PARTY_ROLE_POLICE || p.role() == v1::PARTY_ROLE_PROCURATORATE) return Side::kJustice;
  }
  return Side::kNone;
}

// A consultation's sender (S2 Art 24) acts in its own name and, in a case the caller holds, is a
// party of it. Sets *known when the case-dependent checks may follow.
std::optional<Refusal> consulting_party_as_itself(const Check& c, bool* known) {
  *known = false;
  if (auto refused = own_name(c, /*required=*/true)) {
    return refused;
  }
  if (c.snapshot == nullptr) {
    return std::nullopt;
  }
  *known = true;
  return member(c, /*strict=*/true);
}

// S2 Art 24: the agency consults the police or the procuratorate, and they consult the agency —
// parties of this case on the two sides, each in its own name. Being asked gives no role.
std::optional<Refusal> consult_across_the_linkage(const Check& c) {
  bool known = false;
  if (auto refused = consulting_party_as_itself(c, &known); refused || !known) {
    return refused;
  }
  const std::string& consulted = c.event.consultation_requested().consulted_party_id();
  const Side asking = side_in_case(c.snapshot, c.sender);
  const Side asked = side_in_case(c.snapshot, consulted);
  if (asking == Side::kNone || asked == Side::kNone || asking == asked) {
    return c.refuse("consulted_party_id '" + consulted +
                    "' is not a party of the case on the other side: an agency of the case consults its police "
                    "organ or procuratorate, and they consult its agency (S2 Art 24)");
  }
  return std::nullopt;
}

// Only the party a consultation named answers it, once, in its own name.
std::optional<Refusal> consulted_party(const Check& c) {
  bool known = false;
  if (auto refused = consulting_party_as_itself(c, &known); refused || !known) {
    return refused;
  }
  const std::string& id = c.event.consultation_answered().consultation_id();
  for (const auto& q : c.snapshot->consultations()) {
    if (q.consultation_id() == id && q.consulted_party_id() != c.sender) {
      return c.refuse("consultation " + id + " was addressed to " + q.consulted_party_id());
    }
  }
  return std::nullopt;  // an unknown consultation waits in caselink-sync for its question
}

// A party id's line (its prefix: "zf" for a people's government, "sthjj" for ecology and
// environment bureaus) and region code, when it follows the registry's "<prefix>-<6 digits>".
std::pair<std::string, std::string> line_and_region(const std::string& id) {
  const size_t dash = id.rfind('-');
  if (dash == std::string::npos || dash == 0 || id.size() - dash - 1 != 6 ||
      !std::all_of(id.begin() + static_cast<std::ptrdiff_t>(dash) + 1, id.end(),
                   [](char ch) { return ch >= '0' && ch <= '9'; })) {
    return {};
  }
  return {id.substr(0, dash), id.substr(dash + 1)};
}

// Whether region `outer` is `inner` or contains it (GB/T 2260: a county's city shares its first four
// digits, its province its first two).
bool same_or_containing(const std::string& outer, const std::string& inner) {
  return outer == inner || outer == inner.substr(0, 4) + "00" || outer == inner.substr(0, 2) + "0000";
}

// S1 Art 16: 本级或者上级人民政府，或者实行垂直管理的上级行政执法机关 orders the transfer.
std::optional<Refusal> superior_of_the_agency(const Check& c) {
  if (auto refused = own_name(c, /*required=*/true)) {
    return refused;
  }
  const std::string& agency = c.event.transfer_ordered().agency().organ_id();
  const auto [line, region] = line_and_region(c.sender);
  const auto [agency_line, agency_region] = line_and_region(agency);
  if (line.empty() || agency_line.empty()) {
    return c.refuse("the ordering organ and the agency must be named <prefix>-<6-digit region code> "
                    "(rules/organs/organs.yaml), so that who is above whom can be told");
  }
  const bool superior = (line == "zf" && same_or_containing(region, agency_region)) ||
                        (line == agency_line && region != agency_region && same_or_containing(region, agency_region));
  if (!superior) {
    return c.refuse("only the people's government (zf-) of " + agency + "'s region or one containing it, or an " +
                    agency_line + "- agency of a region containing it, orders it to transfer (S1 Art 16)");
  }
  // Superior to the agency named, which must be the case's: an order cannot hand a case to
  // another agency (nor tell its sender whose case it is).
  const auto referring = c.snapshot == nullptr ? std::vector<std::string>{}
                                               : with_role(c.snapshot, v1::PARTY_ROLE_REFERRING_AGENCY);
  if (referring.empty() || std::find(referring.begin(), referring.end(), agency) != referring.end()) {
    return std::nullopt;
  }
  return c.refuse("the order names " + agency + ", which is not the agency of this case");
}

std::optional<Refusal> own_name_only(const Check& c) { return own_name(c); }
std::optional<Refusal> no_condition(const Check&) { return std::nullopt; }

const std::map<std::string, std::function<std::optional<Refusal>(const Check&)>, std::less<>>& implementations() {
  static const std::map<std::string, std::function<std::optional<Refusal>(const Check&)>, std::less<>> rules{
      {"none", no_condition},
      {"referring_agency_as_itself", referring_agency_as_itself},
      {"referring_agency", referring_agency},
      {"addressed_police", addressed_police},
      {"competent_procuratorate", competent_procuratorate},
      {"recommendation_recipient", recommendation_recipient},
      {"penalty_deciding_agency", penalty_deciding_agency},
      {"court_as_itself", own_name_only},
      {"case_party", case_party},
      {"acknowledge_as_itself", acknowledge_as_itself},
      {"superior_of_the_agency", superior_of_the_agency},
      {"consult_across_the_linkage", consult_across_the_linkage},
      {"consulted_party", consulted_party},
  };
  return rules;
}

}  // namespace

std::string acting_party(const v1::Envelope& event) { return acting_organ(event).first; }

bool implemented(std::string_view rule) { return implementations().count(rule) != 0; }

std::optional<Refusal> check_case(const RoleModel& model, const v1::Envelope& event, std::string_view sender,
                                  const v1::CaseStateSnapshot* snapshot, const organs::Registry* organs) {
  const PayloadRule* payload = model.payload(event.event_type());
  if (payload == nullptr) {
    return Refusal{"party_kind", "no party may send " + event.event_type()};  // deny by default
  }
  auto impl = implementations().find(payload->rule);
  if (impl == implementations().end()) {
    return Refusal{payload->rule, "rule " + payload->rule + " is not implemented"};  // refused at load
  }
  return impl->second(Check{event, std::string(sender), snapshot, organs, payload->rule});
}

}  // namespace caselink::authz
