#include "services/common/envelope/codec.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cctype>

#include "services/common/core/uuid.h"

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

bool valid_timestamp(const pb::Timestamp& ts) {
  // The proto3 Timestamp range: 0001-01-01 .. 9999-12-31, nanos in [0, 1e9).
  return ts.seconds() >= -62135596800LL && ts.seconds() <= 253402300799LL && ts.nanos() >= 0 &&
         ts.nanos() < 1000000000;
}

Error invalid(std::string field, std::string message, const char* reason) {
  return Error::invalid(std::move(message), std::move(field), reason);
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
    return invalid("occurred_at", "is not a valid timestamp", kInvalidField);
  }
  if (!envelope.has_recorded_at()) {
    return invalid("recorded_at", "must be set", kMissingField);
  }
  if (!valid_timestamp(envelope.recorded_at())) {
    return invalid("recorded_at", "is not a valid timestamp", kInvalidField);
  }
  return Status::success();
}

Result<Envelope> decode(std::string_view bytes) {
  Envelope envelope;
  if (!envelope.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Error::invalid("value is not a caselink.v1.Envelope (protobuf parse failed, " +
                              std::to_string(bytes.size()) + " bytes)",
                          "value", kUndecodable);
  }
  Status status = validate(envelope);
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
  return OutgoingRecord{std::move(topic), envelope.case_id(), encode(envelope), cloud_event_headers(envelope)};
}

}  // namespace caselink::envelope
