#pragma once

// Which events each kind of party may submit through the ingress (issue 20 #8). Every party of
// the linkage has tokens (auth.token_sha256) and a kind (auth.party_kinds, default agency); the
// kind decides the payloads it may send: an agency refers and supplements, the police accept,
// decide and forward, the procuratorate supervises, decides on prosecution and recommends, the
// court judges. Anything else is 403 `auth.party_kind` naming the type and what the kind may
// send. Acknowledgements, custody events and evidence manifests are open to every kind (each
// party acknowledges what it received, hands items over and may transmit packages).

#include <optional>
#include <string>
#include <string_view>

namespace caselink::ingress {

enum class PartyKind { kAgency, kPolice, kProcuratorate, kCourt };

const char* to_string(PartyKind kind);
// "agency" | "police" | "procuratorate" | "court"; nullopt otherwise.
std::optional<PartyKind> parse_party_kind(std::string_view text);

// Whether `kind` may submit an event of `event_type` ("caselink.v1.FilingDecision").
bool may_send(PartyKind kind, std::string_view event_type);
// The payload types `kind` may submit, comma-separated (for the 403 message and docs).
std::string allowed_types(PartyKind kind);

}  // namespace caselink::ingress
