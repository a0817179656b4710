#pragma once

// Which events each kind of party may submit through the ingress (issue 20 #8; issue 15 §2).
// Every party of the linkage has tokens (auth.token_sha256) and a kind (auth.party_kinds,
// default agency); the kind decides the payloads it may send, by the role model of
// rules/roles/roles.yaml (services/lib/authz, the same one caselink-sync applies): an agency
// refers and supplements, the police accept, decide and forward, the procuratorate supervises,
// decides on prosecution and recommends, the court judges. Anything else is 403
// `auth.party_kind` naming the type and what the kind may send.

#include <optional>
#include <string>
#include <string_view>

#include "services/lib/authz/authz.h"

namespace caselink::ingress {

using PartyKind = authz::PartyKind;
using authz::to_string;

// "agency" | "police" | "procuratorate" | "court" (a token is never a caselink service's);
// nullopt otherwise.
std::optional<PartyKind> parse_party_kind(std::string_view text);

// Whether `kind` may submit an event of `event_type` ("caselink.v1.FilingDecision").
bool may_send(PartyKind kind, std::string_view event_type);
// The payload types `kind` may submit, comma-separated (for the 403 message and docs).
std::string allowed_types(PartyKind kind);

}  // namespace caselink::ingress
