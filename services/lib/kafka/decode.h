#pragma once

// The opening every consuming handler repeated (tombstone → decode → validate → key rule →
// reject), written once so every service refuses a bad record the same way:
//
//   auto env = kafka::decode_record(record);
//   if (!env.ok()) return kafka::refuse(env.error());   // DLQ with the reason as dlq.error.class
//
// The key rule (kafka.md §5): every caselink event is keyed by its case id, so one case's
// events stay in order on one partition and co-partitioned topics meet in one instance. A
// record without a key or with a key other than Envelope.case_id is refused — processing it
// could put the case's state on the wrong instance.
//
// Last, the signature (docs/contracts/signing.md): with `signing.verify: required` an envelope
// whose signature is missing, made with an unknown key or another party's key, revoked at its
// signing time or wrong is refused with reason `envelope.signature` (signing::kSignatureReason)
// and a message starting with the failure reason.

#include "caselink/v1/envelope.pb.h"
#include "services/lib/core/record.h"
#include "services/lib/core/result.h"
#include "services/lib/kafka/record_handler.h"

namespace caselink::kafka {

// Error classes (Error::reason, dlq.error.class) of the key rule. Decoding and validation
// failures keep the envelope codec's classes (envelope.undecodable for a tombstone too).
inline constexpr const char* kKeyMissing = "record.key_missing";
inline constexpr const char* kKeyMismatch = "record.key_mismatch";

// Whether the key rule applies. Only a consumer that copies records without caring which
// instance holds a case (caselink-passthrough) checks the envelope alone.
enum class KeyRule { kCaseId, kAny };

// The envelope of `record`, or an error whose reason is the class to dead-letter it with and
// whose message names the field. Never throws.
Result<caselink::v1::Envelope> decode_record(const ConsumedRecord& record, KeyRule key_rule = KeyRule::kCaseId);

// Dead-letters the record refused by decode_record() (or any other invalid input).
HandlerResult refuse(const Error& error);

}  // namespace caselink::kafka
