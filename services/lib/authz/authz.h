#pragma once

// Who may say what (issue 15 §2): the role model of rules/roles/roles.yaml and the one check
// both enforcement points run — caselink-ingress before it publishes (403 naming the rule) and
// caselink-sync before it folds an event into the case it owns (DLQ `authz.<rule>` + alert).
// Pure: no Kafka, no clock; the caller passes the case as it stands.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "caselink/v1/case_state.pb.h"
#include "caselink/v1/envelope.pb.h"
#include "services/lib/core/result.h"
#include "services/lib/organs/registry.h"

namespace caselink::authz {

enum class PartyKind { kAgency, kPolice, kProcuratorate, kCourt, kService };

const char* to_string(PartyKind kind);
// "agency" | "police" | "procuratorate" | "court" | "service"; nullopt otherwise.
std::optional<PartyKind> parse_party_kind(std::string_view text);

// A named case rule of roles.yaml (its logic is in case_rules.cc, keyed by the name).
struct CaseRule {
  std::string name;
  std::string description;
  std::string legal_source;
};

// What a payload type needs: the kinds that may send it and the case rule it is checked by.
struct PayloadRule {
  std::string type;  // payload message name without "caselink.v1.", e.g. "FilingDecision"
  std::vector<PartyKind> kinds;
  std::string rule;
};

// A refused event: the rule's name (answered as "authz.<rule>") and why, naming the parties.
struct Refusal {
  std::string rule;
  std::string message;
  std::string code() const { return "authz." + rule; }
};

class RoleModel {
 public:
  // Parses roles.yaml; every problem (unknown kind, unknown rule, unknown key) is named.
  static Result<RoleModel> parse(const std::string& yaml_text, const std::string& origin);
  // The model compiled in from rules/roles/roles.yaml (parsed once; a broken file is a build
  // defect caught by authz_test, and crashes at first use with the parser's message).
  static const RoleModel& builtin();

  // Whether `kind` may send an event of `event_type` ("caselink.v1.FilingDecision"). Unknown
  // types may be sent by nobody (deny by default).
  bool may_send(PartyKind kind, std::string_view event_type) const;
  // The payload types `kind` may send, comma-separated (for messages and docs).
  std::string allowed_types(PartyKind kind) const;
  // Kind of a party id by its prefix (id_prefixes; agency when none matches), for consumers
  // that have no authenticated token kind (caselink-sync).
  PartyKind kind_of(std::string_view party_id) const;

  const PayloadRule* payload(std::string_view event_type) const;
  const CaseRule* rule(std::string_view name) const;
  const std::vector<PayloadRule>& payloads() const { return payloads_; }

 private:
  std::vector<PayloadRule> payloads_;
  std::map<std::string, CaseRule, std::less<>> rules_;
  std::map<std::string, PartyKind, std::less<>> prefixes_;
};

// The party the payload says is acting — the organ that must be the sender ("in its own name"):
// CaseReferral.referring_agency, FilingDecision.police_organ, StateAcknowledged.party_id, ...;
// empty when the payload names none.
std::string acting_party(const v1::Envelope& event);

// Whether case_rules.cc implements a case rule of this name (roles.yaml may name only these).
bool implemented(std::string_view rule);

// The kind of `sender` for a consumer without a token kind (caselink-sync): its role in the case
// when it has one (the referral named it: its police organ is police whatever its id), else by
// its id (RoleModel::kind_of).
PartyKind sender_kind(const RoleModel& model, const v1::CaseStateSnapshot& snapshot, std::string_view sender);

// The kind check: refusal "party_kind" when `kind` may not send `event_type`.
std::optional<Refusal> check_kind(const RoleModel& model, std::string_view event_type, PartyKind kind,
                                  std::string_view sender);

// The case check: may `sender` take the step `event` carries in the case `snapshot`?
// `snapshot` == nullptr means the case is not known to the caller (the ingress has not read it
// yet): only what the event itself shows is checked ("in its own name"), the rest is left to
// caselink-sync, which always passes the case (a version-0 one for a case never seen).
// `organs` answers which procuratorate is competent for a case that names none; null (the
// ingress has no registry) leaves that question to caselink-sync.
std::optional<Refusal> check_case(const RoleModel& model, const v1::Envelope& event, std::string_view sender,
                                  const v1::CaseStateSnapshot* snapshot, const organs::Registry* organs);

}  // namespace caselink::authz
