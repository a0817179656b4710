#pragma once

// The envelope every caselink record carries: build, encode, decode and validate it, and
// write the CloudEvents binary-mode headers that go with it (docs/topics.md).
//
// Decoding never throws: a record that is not a valid v1 envelope yields an Error whose
// `reason` is one of the classes below (it becomes the dlq.error.class header) and whose
// `field` names the offending envelope field.

#include <cstdint>
#include <string>
#include <string_view>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/core/clock.h"
#include "services/lib/core/ids.h"
#include "services/lib/core/record.h"
#include "services/lib/core/result.h"

namespace caselink::envelope {

// The contract version this build writes and understands.
inline constexpr uint32_t kSchemaVersion = 1;

// Error classes (Error::reason) produced by decode() and validate().
inline constexpr const char* kUndecodable = "envelope.undecodable";
inline constexpr const char* kMissingField = "envelope.missing_field";
inline constexpr const char* kInvalidField = "envelope.invalid_field";
// A payload value breaks the contracts' value conventions (see validate()).
inline constexpr const char* kInvalidValue = "envelope.invalid_value";
inline constexpr const char* kUnknownType = "envelope.unknown_type";
inline constexpr const char* kTypeMismatch = "envelope.type_mismatch";
inline constexpr const char* kFutureSchemaVersion = "envelope.future_schema_version";

// CloudEvents header names (Kafka protocol binding, binary mode).
inline constexpr const char* kCeSpecVersion = "ce_specversion";
inline constexpr const char* kCeId = "ce_id";
inline constexpr const char* kCeSource = "ce_source";
inline constexpr const char* kCeType = "ce_type";
inline constexpr const char* kCeTime = "ce_time";
inline constexpr const char* kCeSubject = "ce_subject";
inline constexpr const char* kContentType = "content-type";
inline constexpr const char* kProtobufContentType = "application/x-protobuf";

// Full proto name of the payload set in the envelope ("caselink.v1.CaseReferral"), or ""
// when no payload is set.
std::string payload_type_name(const caselink::v1::Envelope& envelope);

// True when `type_name` names a payload of the v1 envelope.
bool is_known_event_type(std::string_view type_name);

// Starts an envelope with a fresh event id, schema version, times and ids. Set the payload
// (e.g. `env.mutable_case_referral()`), then call seal() to fill event_type.
caselink::v1::Envelope make_envelope(const CaseId& case_id, const AgencyId& producer, TimePoint occurred_at,
                                     TimePoint recorded_at);

// Fills event_type from the payload and correlation_id from event_id when empty.
void seal(caselink::v1::Envelope& envelope);

// Checks every rule of the v1 envelope (see envelope.proto), and the value conventions of
// every payload field that is set (referral.proto header), with `field` naming its path
// ("case_referral.facts[0].number") and reason kInvalidValue:
//   - every Timestamp (occurred_at, recorded_at, *_at) within the TimePoint range
//     (kMinTimeSeconds..kMaxTimeSeconds, 1677..2262);
//   - every double finite; money (`*_yuan` fields, facts named `*_yuan` or in unit "yuan") >= 0;
//   - every `*_date` string empty or a real day YYYY-MM-DD in that range (valid_calendar_date).
// decode() applies it, so every consumer and the ingress refuse the same records.
Status validate(const caselink::v1::Envelope& envelope);

// Parses and validates. Never throws.
Result<caselink::v1::Envelope> decode(std::string_view bytes);

// Parses only, without validate(): for records a caselink service wrote itself to a topic only it
// may write (broker ACLs, deploy/acls.yaml), whose values were validated on the way in, e.g.
// caselink-sync's restore of its own state topic, where validate() was a quarter of the restore's
// CPU. Never for records another party wrote. Never throws.
Result<caselink::v1::Envelope> parse(std::string_view bytes);

// The decode step of a consumed record (tombstone, decode, validate, key = case id) is
// kafka::decode_record (services/lib/kafka/decode.h), the one every consumer calls.

// Serializes (deterministic field order, so hashes over it are stable).
std::string encode(const caselink::v1::Envelope& envelope);

// The CloudEvents headers for this envelope.
Headers cloud_event_headers(const caselink::v1::Envelope& envelope);

// The record to publish: key = case id, value = encoded envelope, CloudEvents headers. When a
// signing runtime is installed (services/lib/signing/runtime.h) and holds a key of the
// producer, an unsigned envelope is signed first.
OutgoingRecord to_record(const caselink::v1::Envelope& envelope, std::string topic);

// google.protobuf.Timestamp <-> TimePoint.
TimePoint to_time_point(const google::protobuf::Timestamp& ts);
void set_timestamp(google::protobuf::Timestamp* ts, TimePoint t);

}  // namespace caselink::envelope
