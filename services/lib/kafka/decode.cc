#include "services/lib/kafka/decode.h"

#include "services/lib/envelope/codec.h"
#include "services/lib/signing/runtime.h"

namespace caselink::kafka {

Result<caselink::v1::Envelope> decode_record(const ConsumedRecord& record, KeyRule key_rule) {
  if (!record.value) {
    return Error::invalid("value: tombstone (no value) on an event topic", "value", envelope::kUndecodable);
  }
  auto decoded = envelope::decode(*record.value);
  if (!decoded.ok()) {
    return decoded;
  }
  if (key_rule == KeyRule::kCaseId && !record.key) {
    return Error::invalid("key: missing; it must be the case id '" + decoded->case_id() +
                              "' so the case stays on one partition",
                          "key", kKeyMissing);
  }
  if (key_rule == KeyRule::kCaseId && *record.key != decoded->case_id()) {
    return Error::invalid("key: '" + *record.key + "' differs from Envelope.case_id '" + decoded->case_id() +
                              "'; the key must be the case id so the case stays on one partition",
                          "key", kKeyMismatch);
  }
  // The signature check (signing.verify) sits here so every consumer refuses the same records,
  // whatever its key rule (a blind copy too); a no-op until the service installs its signing
  // runtime.
  Status signature = signing::verify_if_installed(*decoded);
  if (!signature.ok()) {
    return signature.error();
  }
  return decoded;
}

HandlerResult refuse(const Error& error) { return HandlerResult::reject(error.reason, error.describe()); }

}  // namespace caselink::kafka
