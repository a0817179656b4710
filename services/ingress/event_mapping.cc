#include "services/ingress/event_mapping.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "services/common/core/uuid.h"
#include "services/common/envelope/codec.h"
#include "services/evidence/sha256.h"

namespace caselink::ingress {

namespace pb = google::protobuf;
using nlohmann::json;

std::string sha256_hex(std::string_view data) { return evidence::sha256(data).hex(); }

namespace {

const pb::FieldDescriptor* find_field(const pb::Descriptor* descriptor, const std::string& key) {
  // The proto3 JSON mapping accepts the lowerCamelCase json_name and the original field name.
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const pb::FieldDescriptor* field = descriptor->field(i);
    if (field->json_name() == key || field->name() == key) {
      return field;
    }
  }
  return nullptr;
}

std::string json_type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::null: return "null";
    default: return "a number";
  }
}

std::optional<ApiError> check_value(const json& value, const pb::FieldDescriptor* field, const std::string& path);

// Walks the JSON against the message descriptor before protobuf's own parser sees it, so that
// an unknown field or a malformed timestamp is reported with its full JSON path.
std::optional<ApiError> check_message(const json& object, const pb::Descriptor* descriptor, const std::string& path) {
  if (!object.is_object()) {
    return ApiError::bad_request(path, "json.wrong_type",
                                 "must be an object (" + descriptor->full_name() + "), got " + json_type_name(object));
  }
  for (const auto& [key, value] : object.items()) {
    const std::string child = path.empty() ? key : path + "." + key;
    const pb::FieldDescriptor* field = find_field(descriptor, key);
    if (field == nullptr) {
      return ApiError::bad_request(child, "json.unknown_field",
                                   "unknown field '" + key + "' in " + descriptor->full_name());
    }
    if (value.is_null()) {
      continue;  // null means "default" in the proto3 JSON mapping
    }
    if (field->is_map()) {
      if (!value.is_object()) {
        return ApiError::bad_request(child, "json.wrong_type", "must be an object (map), got " + json_type_name(value));
      }
      const pb::FieldDescriptor* map_value = field->message_type()->FindFieldByName("value");
      for (const auto& [map_key, element] : value.items()) {
        if (auto error = check_value(element, map_value, child + "." + map_key)) {
          return error;
        }
      }
      continue;
    }
    if (field->is_repeated()) {
      if (!value.is_array()) {
        return ApiError::bad_request(child, "json.wrong_type", "must be an array, got " + json_type_name(value));
      }
      for (size_t i = 0; i < value.size(); ++i) {
        if (auto error = check_value(value[i], field, child + "[" + std::to_string(i) + "]")) {
          return error;
        }
      }
      continue;
    }
    if (auto error = check_value(value, field, child)) {
      return error;
    }
  }
  return std::nullopt;
}

std::optional<ApiError> check_value(const json& value, const pb::FieldDescriptor* field, const std::string& path) {
  if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
    return std::nullopt;  // scalars and enums: protobuf's parser checks them (mapped below)
  }
  const std::string& type = field->message_type()->full_name();
  if (type == "google.protobuf.Timestamp") {
    TimePoint ignored;
    if (!value.is_string() || !parse_rfc3339(value.get<std::string>(), &ignored)) {
      return ApiError::bad_request(path, "json.timestamp_format",
                                   "must be an RFC 3339 timestamp such as \"2026-03-01T08:30:00Z\", got " +
                                       (value.is_string() ? "\"" + value.get<std::string>() + "\"" : json_type_name(value)));
    }
    return std::nullopt;
  }
  if (type.rfind("google.protobuf.", 0) == 0) {
    return std::nullopt;  // other well-known types have their own JSON forms
  }
  return check_message(value, field->message_type(), path);
}

// protobuf reports e.g. "INVALID_ARGUMENT:(case_referral.amount_yuan): invalid value ..."; the
// part in parentheses is the field path.
std::string field_from_protobuf_message(const std::string& message) {
  static const std::regex path(R"(\(([A-Za-z0-9_.\[\]]+)\))");
  std::smatch match;
  if (std::regex_search(message, match, path)) {
    return match[1].str();
  }
  return {};
}

std::optional<ApiError> parse_one(const json& element, std::optional<size_t> index, const std::string& caller_agency,
                                  const MappingOptions& options, ParsedEvent* out) {
  const std::string prefix = field_prefix(index);
  const std::string where = index ? "events[" + std::to_string(*index) + "]" : "";
  if (auto error = check_message(element, caselink::v1::Envelope::descriptor(), where)) {
    return error;
  }
  const std::string text = element.dump();
  pb::util::JsonParseOptions parse_options;
  parse_options.ignore_unknown_fields = false;
  const auto status = pb::util::JsonStringToMessage(text, &out->envelope, parse_options);
  if (!status.ok()) {
    const std::string message(status.message());
    return ApiError::bad_request(prefix + field_from_protobuf_message(message), "json.invalid_value", message);
  }
  out->fingerprint = sha256_hex(text);
  caselink::v1::Envelope& envelope = out->envelope;
  out->event_id_from_caller = !envelope.event_id().empty();
  if (envelope.event_id().empty()) {
    envelope.set_event_id(new_uuid());
  }
  if (!envelope.has_recorded_at()) {
    envelope::set_timestamp(envelope.mutable_recorded_at(), options.clock->now());
  }
  if (envelope.schema_version() == 0) {
    envelope.set_schema_version(envelope::kSchemaVersion);
  }
  if (envelope.producer_agency_id().empty()) {
    envelope.set_producer_agency_id(caller_agency);
  }
  if (envelope.producer_agency_id() != caller_agency) {
    return ApiError::forbidden(prefix + "producer_agency_id", "auth.producer_agency",
                               "producer_agency_id '" + envelope.producer_agency_id() +
                                   "' is not the authenticated agency '" + caller_agency + "'");
  }
  if (envelope.event_type().empty() && envelope::payload_type_name(envelope).empty() &&
      !envelope.case_id().empty()) {
    return ApiError::unprocessable(prefix + "payload", envelope::kMissingField,
                                   "no event payload: set exactly one payload field, e.g. case_referral");
  }
  envelope::seal(envelope);
  if (Status valid = envelope::validate(envelope); !valid.ok()) {
    return from_envelope_error(valid.error(), prefix);
  }
  auto topic = options.router->topic_for(envelope);
  if (!topic.ok()) {
    return ApiError::unprocessable(prefix + topic.error().field, topic.error().reason, topic.error().message);
  }
  out->topic = *topic;
  return std::nullopt;
}

}  // namespace

MappingOutcome parse_events(std::string_view body, const std::string& caller_agency, const MappingOptions& options) {
  MappingOutcome outcome;
  json document;
  try {
    document = json::parse(body.begin(), body.end());
  } catch (const json::parse_error& e) {
    outcome.error = ApiError::bad_request("", "json.syntax", "the body is not valid JSON: " + std::string(e.what()));
    return outcome;
  }
  if (!document.is_object()) {
    outcome.error = ApiError::bad_request("", "json.wrong_type",
                                          "the body must be a JSON object (an event or {\"events\":[...]}), got " +
                                              json_type_name(document));
    return outcome;
  }
  ParsedRequest request;
  request.fingerprint = sha256_hex(document.dump());
  if (document.contains("events")) {
    request.batch = true;
    for (const auto& [key, value] : document.items()) {
      if (key != "events") {
        outcome.error = ApiError::bad_request(key, "json.unknown_field",
                                              "a batch has only the field 'events', found '" + key + "'");
        return outcome;
      }
    }
    const json& events = document["events"];
    if (!events.is_array()) {
      outcome.error = ApiError::bad_request("events", "json.wrong_type", "must be an array of events");
      return outcome;
    }
    if (events.empty()) {
      outcome.error = ApiError::bad_request("events", "batch.empty", "a batch needs at least one event");
      return outcome;
    }
    if (events.size() > options.max_batch_events) {
      outcome.error = ApiError{413, "payload_too_large", "events", "batch.too_many_events",
                               "a batch holds at most " + std::to_string(options.max_batch_events) + " events, got " +
                                   std::to_string(events.size()),
                               std::nullopt};
      return outcome;
    }
    request.events.resize(events.size());
    for (size_t i = 0; i < events.size(); ++i) {
      if (auto error = parse_one(events[i], i, caller_agency, options, &request.events[i])) {
        outcome.error = std::move(error);
        return outcome;
      }
    }
  } else {
    request.events.resize(1);
    if (auto error = parse_one(document, std::nullopt, caller_agency, options, &request.events[0])) {
      outcome.error = std::move(error);
      return outcome;
    }
  }
  outcome.request = std::move(request);
  return outcome;
}

}  // namespace caselink::ingress
