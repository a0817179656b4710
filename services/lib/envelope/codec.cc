#include "services/lib/envelope/codec.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cctype>
#include <cmath>
#include <vector>

#include "services/lib/core/uuid.h"
#include "services/lib/signing/runtime.h"
#include "services/lib/signing/envelope_signature.h"

namespace caselink::envelope {

namespace pb = google::protobuf;
using caselink::v1::Envelope;

namespace {

const pb::OneofDescriptor& payload_oneof() {
  static const pb::OneofDescriptor* oneof = Envelope::descriptor()->FindOneofByName("payload");
  return *oneof;
}

bool valid_case_id(const std::string& id) {
  if (id.empty() || id.size() > 128) {
    return false;
  }
  for (unsigned char c : id) {
    if (c <= 0x20 || c == 0x7F) {
      return false;
    }
  }
  return true;
}

// Narrower than the proto3 Timestamp range (0001..9999): only what a TimePoint can hold, so
// no consumer's time arithmetic wraps (a referral dated 9999-12-31 looked overdue at once).
bool valid_timestamp(int64_t seconds, int64_t nanos) {
  return time_in_range(seconds) && nanos >= 0 && nanos < 1000000000;
}

bool valid_timestamp(const pb::Timestamp& ts) { return valid_timestamp(ts.seconds(), ts.nanos()); }

constexpr const char* kTimeRange = "must be a time between 1677-09-21 and 2262-04-11 (64-bit nanoseconds)";

Error invalid(std::string field, std::string message, const char* reason) {
  return Error::invalid(std::move(message), std::move(field), reason);
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// A Fact whose name or unit says yuan is money, like a typed `_yuan` field.
bool is_money_fact(const pb::Message& message) {
  if (message.GetDescriptor() != caselink::v1::Fact::descriptor()) {
    return false;
  }
  const auto& fact = static_cast<const caselink::v1::Fact&>(message);
  return ends_with(fact.name(), "_yuan") || fact.unit() == "yuan";
}

Status check_scalar(const pb::Message& message, const pb::FieldDescriptor* field, int index, const std::string& path) {
  const pb::Reflection* r = message.GetReflection();
  using F = pb::FieldDescriptor;
  if (field->cpp_type() == F::CPPTYPE_DOUBLE || field->cpp_type() == F::CPPTYPE_FLOAT) {
    double v = 0;
    if (field->cpp_type() == F::CPPTYPE_DOUBLE) {
      v = index < 0 ? r->GetDouble(message, field) : r->GetRepeatedDouble(message, field, index);
    } else {
      v = index < 0 ? r->GetFloat(message, field) : r->GetRepeatedFloat(message, field, index);
    }
    if (!std::isfinite(v)) {
      return invalid(path, "must be a finite number", kInvalidValue);
    }
    if (v < 0 && (ends_with(field->name(), "_yuan") || is_money_fact(message))) {
      return invalid(path, "is an amount of money and must not be negative", kInvalidValue);
    }
  } else if (field->cpp_type() == F::CPPTYPE_STRING && ends_with(field->name(), "_date")) {
    const std::string v = index < 0 ? r->GetString(message, field) : r->GetRepeatedString(message, field, index);
    if (!v.empty() && !valid_calendar_date(v)) {
      return invalid(path, "must be a date YYYY-MM-DD between 1678 and 2261 (or empty), got '" + v + "'",
                     kInvalidValue);
    }
  } else if (field->cpp_type() == F::CPPTYPE_STRING && ends_with(field->name(), "_digest_hex")) {
    // An event digest (docs/contracts/signing.md, "Receipts"): a receipt whose digest could
    // never match anything is refused at the edge rather than failing audit verify later.
    const std::string v = index < 0 ? r->GetString(message, field) : r->GetRepeatedString(message, field, index);
    if (!v.empty() && !signing::is_digest_hex(v)) {
      return invalid(path, "must be an event digest, 64 lowercase hex digits (or empty), got '" + v + "'",
                     kInvalidValue);
    }
  }
  return Status::success();
}

Status check_values(const pb::Message& message, const std::string& path);

Status check_element(const pb::Message& message, const pb::FieldDescriptor* field, int index,
                     const std::string& path) {
  if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
    return check_scalar(message, field, index, path);
  }
  const pb::Reflection* r = message.GetReflection();
  const pb::Message& child = index < 0 ? r->GetMessage(message, field) : r->GetRepeatedMessage(message, field, index);
  if (child.GetDescriptor() == pb::Timestamp::descriptor()) {
    const auto& ts = static_cast<const pb::Timestamp&>(child);
    if (!valid_timestamp(ts)) {
      return invalid(path, kTimeRange, kInvalidValue);
    }
    return Status::success();
  }
  return check_values(child, path);
}

// The value rules of the contracts' conventions (referral.proto header), for every field that
// is set, at any depth: numbers finite, money (`_yuan`, money facts) not negative, `_date`
// strings real dates, Timestamps within the TimePoint range. The schema is not recursive, so
// the depth is bounded by it.
Status check_values(const pb::Message& message, const std::string& path) {
  std::vector<const pb::FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  for (const pb::FieldDescriptor* field : fields) {
    const std::string here = path.empty() ? field->name() : path + "." + field->name();
    if (!field->is_repeated()) {
      if (Status st = check_element(message, field, -1, here); !st.ok()) {
        return st;
      }
      continue;
    }
    const int size = message.GetReflection()->FieldSize(message, field);
    for (int i = 0; i < size; ++i) {
      if (Status st = check_element(message, field, i, here + "[" + std::to_string(i) + "]"); !st.ok()) {
        return st;
      }
    }
  }
  return Status::success();
}

}  // namespace

std::string payload_type_name(const Envelope& envelope) {
  const pb::FieldDescriptor* field = envelope.GetReflection()->GetOneofFieldDescriptor(envelope, &payload_oneof());
  if (field == nullptr) {
    return {};
  }
  return field->message_type()->full_name();
}

bool is_known_event_type(std::string_view type_name) {
  const pb::OneofDescriptor& oneof = payload_oneof();
  for (int i = 0; i < oneof.field_count(); ++i) {
    if (oneof.field(i)->message_type()->full_name() == type_name) {
      return true;
    }
  }
  return false;
}

void set_timestamp(pb::Timestamp* ts, TimePoint t) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  int64_t seconds = ns / 1000000000;
  int64_t nanos = ns % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    seconds -= 1;
  }
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>(nanos));
}

TimePoint to_time_point(const pb::Timestamp& ts) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::seconds(ts.seconds()) +
                                                                   std::chrono::nanoseconds(ts.nanos())));
}

Envelope make_envelope(const CaseId& case_id, const AgencyId& producer, TimePoint occurred_at, TimePoint recorded_at) {
  Envelope envelope;
  envelope.set_event_id(new_uuid());
  envelope.set_case_id(case_id.str());
  envelope.set_producer_agency_id(producer.str());
  set_timestamp(envelope.mutable_occurred_at(), occurred_at);
  set_timestamp(envelope.mutable_recorded_at(), recorded_at);
  envelope.set_schema_version(kSchemaVersion);
  return envelope;
}

void seal(Envelope& envelope) {
  if (envelope.event_type().empty()) {
    envelope.set_event_type(payload_type_name(envelope));
  }
  if (envelope.correlation_id().empty()) {
    envelope.set_correlation_id(envelope.event_id());
  }
}

Status validate(const Envelope& envelope) {
  if (envelope.schema_version() == 0) {
    return invalid("schema_version", "must be set (this build writes version 1)", kMissingField);
  }
  if (envelope.schema_version() > kSchemaVersion) {
    return invalid("schema_version",
                   "version " + std::to_string(envelope.schema_version()) + " is newer than this build understands (" +
                       std::to_string(kSchemaVersion) + ")",
                   kFutureSchemaVersion);
  }
  if (envelope.event_id().empty()) {
    return invalid("event_id", "must be set", kMissingField);
  }
  if (!is_canonical_uuid(envelope.event_id())) {
    return invalid("event_id", "must be a UUID in canonical 8-4-4-4-12 form, got '" + envelope.event_id() + "'",
                   kInvalidField);
  }
  if (envelope.case_id().empty()) {
    return invalid("case_id", "must be set", kMissingField);
  }
  if (!valid_case_id(envelope.case_id())) {
    return invalid("case_id", "must be 1..128 printable characters without whitespace", kInvalidField);
  }
  if (envelope.producer_agency_id().empty()) {
    return invalid("producer_agency_id", "must be set", kMissingField);
  }
  if (envelope.event_type().empty()) {
    return invalid("event_type", "must be set", kMissingField);
  }
  if (!is_known_event_type(envelope.event_type())) {
    return invalid("event_type", "unknown event type '" + envelope.event_type() + "'", kUnknownType);
  }
  const std::string actual = payload_type_name(envelope);
  if (actual.empty()) {
    return invalid("payload", "no payload set for event_type '" + envelope.event_type() + "'", kMissingField);
  }
  if (actual != envelope.event_type()) {
    return invalid("event_type", "says '" + envelope.event_type() + "' but the payload is '" + actual + "'",
                   kTypeMismatch);
  }
  if (!envelope.has_occurred_at()) {
    return invalid("occurred_at", "must be set", kMissingField);
  }
  if (!valid_timestamp(envelope.occurred_at())) {
    return invalid("occurred_at", kTimeRange, kInvalidField);
  }
  if (!envelope.has_recorded_at()) {
    return invalid("recorded_at", "must be set", kMissingField);
  }
  if (!valid_timestamp(envelope.recorded_at())) {
    return invalid("recorded_at", kTimeRange, kInvalidField);
  }
  return check_values(envelope, "");
}

Result<Envelope> parse(std::string_view bytes) {
  Envelope envelope;
  if (!envelope.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Error::invalid("value is not a caselink.v1.Envelope (protobuf parse failed, " +
                              std::to_string(bytes.size()) + " bytes)",
                          "value", kUndecodable);
  }
  return envelope;
}

Result<Envelope> decode(std::string_view bytes) {
  auto envelope = parse(bytes);
  if (!envelope.ok()) return envelope;
  Status status = validate(*envelope);
  if (!status.ok()) {
    return status.error();
  }
  return envelope;
}

std::string encode(const Envelope& envelope) {
  // Sized once up front: a growing string re-allocates and copies several times per record.
  std::string out(envelope.ByteSizeLong(), '\0');
  {
    pb::io::ArrayOutputStream stream(out.data(), static_cast<int>(out.size()));
    pb::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    envelope.SerializeWithCachedSizes(&coded);
  }
  return out;
}

Headers cloud_event_headers(const Envelope& envelope) {
  return {
      {kCeSpecVersion, "1.0"},
      {kCeId, envelope.event_id()},
      {kCeSource, envelope.producer_agency_id()},
      {kCeType, envelope.event_type()},
      {kCeTime, format_rfc3339(to_time_point(envelope.occurred_at()))},
      {kCeSubject, envelope.case_id()},
      {kContentType, kProtobufContentType},
  };
}

OutgoingRecord to_record(const Envelope& envelope, std::string topic) {
  // Every emitted event passes here, so this is where the process signs (runtime.h): an
  // unsigned envelope of a producer whose key this process holds leaves signed.
  if (envelope.signature().empty() && signing::installed() != nullptr) {
    Envelope signed_envelope = envelope;
    signing::sign_if_installed(signed_envelope);
    return OutgoingRecord{std::move(topic), signed_envelope.case_id(), encode(signed_envelope),
                          cloud_event_headers(signed_envelope)};
  }
  return OutgoingRecord{std::move(topic), envelope.case_id(), encode(envelope), cloud_event_headers(envelope)};
}

}  // namespace caselink::envelope
