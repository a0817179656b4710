#pragma once

// Signing and verifying one Envelope (docs/contracts/signing.md), independent of where the
// keys come from: the signing input, sign(), and verify() against a KeyRegistry.

#include <optional>
#include <string>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/signing/ed25519.h"
#include "services/lib/signing/key_registry.h"

namespace caselink::signing {

// The byte-exact input the Ed25519 signature covers (docs/contracts/signing.md, "Signing
// input"): the domain tag "caselink.envelope.v1\0", then each identifying field length-prefixed
// (u32 big-endian) or fixed-width big-endian, then the payload message's deterministic
// serialization. `signature` itself is never part of it.
std::string signing_input(const caselink::v1::Envelope& envelope);

// Name of the event digest scheme (docs/contracts/signing.md, "Receipts").
inline constexpr const char* kEventDigestScheme = "caselink.event-digest.v1";

// The event digest an acknowledgement carries of the event it acknowledges: SHA-256 over
// signing_input(envelope), 64 lowercase hex. It covers the content and the signer metadata
// (key id, mode, custodian) but not the signature bytes, so it is the same whether computed
// from the signed record or before signing, and it changes when any signed field changes.
std::string event_digest_hex(const caselink::v1::Envelope& envelope);

// True for 64 lowercase hex digits: the only form a `_digest_hex` field takes.
bool is_digest_hex(std::string_view text);

// Sets signature_key_id, signature_mode (custodial when `custodian` is not empty) and
// signature_custodian, then the signature over the resulting signing input.
void sign(caselink::v1::Envelope& envelope, const PrivateKey& key, const std::string& key_id,
          const std::string& custodian = {});

// Why a signature was refused: the `reason` label of caselink_signature_failures_total and the
// first word of the DLQ message. A fixed set.
inline constexpr const char* kMissing = "missing";          // no signature or no key id
inline constexpr const char* kUnknownKey = "unknown_key";   // key id not in the registry
inline constexpr const char* kWrongParty = "wrong_party";   // key belongs to another party
inline constexpr const char* kNotValid = "not_valid";       // signed outside the validity period
inline constexpr const char* kRevoked = "revoked";          // signed at/after the revocation time
inline constexpr const char* kBadCustodian = "bad_custodian";  // custodial mode without custodian
inline constexpr const char* kInvalid = "invalid";          // the signature does not verify

struct Failure {
  const char* reason;
  std::string detail;  // names the key, party and times involved
};

// nullopt when `envelope` carries a valid signature of its producer, made with a key of the
// registry that was valid and not revoked at the signing time (recorded_at).
std::optional<Failure> verify(const caselink::v1::Envelope& envelope, const KeyRegistry& registry);

}  // namespace caselink::signing
