// Fuzz target: the signature check every consuming service runs with signing.verify: required
// (services/lib/signing). The first byte picks the input: even — the bytes are a consumed
// envelope, verified against a registry holding the two keys of
// docs/contracts/signing-vectors.json (the seeds are the vectors' envelopes, which verify);
// odd — the bytes are a key registry file. Whatever the bytes, the answer is a value, and an
// envelope that verifies really carries a signature of its producer's key over its input.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "services/lib/signing/envelope_signature.h"

namespace {

const caselink::signing::KeyRegistry& registry() {
  static const caselink::signing::KeyRegistry keys = *caselink::signing::KeyRegistry::parse(
      "keys:\n"
      "  - key_id: sthjj-330100-2026\n    party: sthjj-330100\n"
      "    public_key: b053e97889f51704f2c11e8c1d2284672f5eec5d3a150f53894b83e797461253\n"
      "  - key_id: gaj-330100-2026\n    party: gaj-330100\n"
      "    public_key: e327e67a5034078577f70b026bb54833676d023bf61ea54a1d84165fb5a64f72\n"
      "    revoked_at: 2026-06-01T00:00:00Z\n",
      "fuzz");
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace caselink;
  if (size == 0) {
    return 0;
  }
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) != 0) {
    (void)signing::KeyRegistry::parse(std::string(bytes), "fuzz");
    return 0;
  }
  caselink::v1::Envelope env;
  if (!env.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return 0;
  }
  const std::string input = signing::signing_input(env);
  if (!signing::verify(env, registry())) {
    const signing::KeyEntry* key = registry().find(env.signature_key_id());
    if (key == nullptr || key->party != env.producer_agency_id() ||
        !signing::verify(key->public_key, input, env.signature())) {
      __builtin_trap();  // accepted without a valid signature of the producer's key
    }
  }
  return 0;
}
