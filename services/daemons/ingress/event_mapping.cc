#include "services/daemons/ingress/event_mapping.h"

#include "services/daemons/standards/fact_check.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/type.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver.h>
#include <google/protobuf/util/type_resolver_util.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "services/lib/core/uuid.h"
#include "services/lib/crypto/sha256.h"
#include "services/lib/envelope/codec.h"

namespace caselink::ingress {

namespace pb = google::protobuf;
using nlohmann::json;

namespace {

constexpr const char* kTypeUrlPrefix = "type.googleapis.com";

// The generated pool's types as protobuf's JSON parser asks for them, each built once per thread.
// Why: JsonStringToMessage (protobuf 3.21) builds a google.protobuf.Type from the descriptors for
// the Envelope and every nested message and enum on every call: 30 % of the ingress's CPU at its
// saturated rate (docs/performance.md "Ingress"). One per thread, without a lock: a cache shared
// by the API threads behind a mutex made two threads slower than no cache at all.
class CachingTypeResolver final : public pb::util::TypeResolver {
 public:
  CachingTypeResolver()
      : inner_(pb::util::NewTypeResolverForDescriptorPool(kTypeUrlPrefix, pb::DescriptorPool::generated_pool())) {}

  pb::util::Status ResolveMessageType(const std::string& type_url, pb::Type* type) override {
    return resolve(type_url, type, types_, [this](const std::string& url, pb::Type* t) {
      return inner_->ResolveMessageType(url, t);
    });
  }
  pb::util::Status ResolveEnumType(const std::string& type_url, pb::Enum* enum_type) override {
    return resolve(type_url, enum_type, enums_, [this](const std::string& url, pb::Enum* e) {
      return inner_->ResolveEnumType(url, e);
    });
  }

 private:
  template <class T, class Resolve>
  static pb::util::Status resolve(const std::string& url, T* out, std::map<std::string, T>& cache, Resolve inner) {
    auto it = cache.find(url);
    if (it == cache.end()) {
      T resolved;
      if (auto status = inner(url, &resolved); !status.ok()) return status;  // not cached: asked again
      it = cache.emplace(url, std::move(resolved)).first;
    }
    *out = it->second;
    return pb::util::Status();
  }

  std::unique_ptr<pb::util::TypeResolver> inner_;
  std::map<std::string, pb::Type> types_;
  std::map<std::string, pb::Enum> enums_;
};

// What JsonStringToMessage does (transcode to the binary form, then parse it), with the cached
// types. Measured on the bench's event, two threads parsing at once: 11 µs a parse instead of 14.5.
pb::util::Status json_to_envelope(const std::string& text, caselink::v1::Envelope* envelope,
                                  const pb::util::JsonParseOptions& options) {
  thread_local CachingTypeResolver resolver;
  static const std::string url = std::string(kTypeUrlPrefix) + "/" + caselink::v1::Envelope::descriptor()->full_name();
  std::string binary;
  pb::util::Status status = pb::util::JsonToBinaryString(&resolver, url, text, &binary, options);
  if (status.ok() && !envelope->ParseFromString(binary)) {
    return pb::util::InvalidArgumentError("JSON transcoder produced invalid protobuf output.");
  }
  return status;
}

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

// The JSON type a scalar field takes. Stricter than protobuf's JSON parser on purpose: it
// reads "yes"/"no"/"1" as booleans and "NaN"/"Infinity" as numbers, which no consumer accepts
// and which would only be dead-lettered later. Range and format of numbers stay protobuf's.
std::optional<ApiError> check_scalar(const json& value, const pb::FieldDescriptor* field, const std::string& path) {
  using F = pb::FieldDescriptor;
  switch (field->cpp_type()) {
    case F::CPPTYPE_BOOL:
      if (!value.is_boolean()) {
        return ApiError::bad_request(path, "json.wrong_type", "must be true or false, got " + json_type_name(value));
      }
      return std::nullopt;
    case F::CPPTYPE_STRING:
      if (!value.is_string()) {
        return ApiError::bad_request(path, "json.wrong_type", "must be a string, got " + json_type_name(value));
      }
      return std::nullopt;
    case F::CPPTYPE_ENUM:
      if (!value.is_string() && !value.is_number_integer()) {
        return ApiError::bad_request(path, "json.wrong_type", "must be an enum name, got " + json_type_name(value));
      }
      return std::nullopt;
    default:  // numbers: a JSON number or a numeric string (proto3 JSON for 64-bit integers)
      if (!value.is_number() && !value.is_string()) {
        return ApiError::bad_request(path, "json.wrong_type", "must be a number, got " + json_type_name(value));
      }
      if (value.is_string()) {
        const std::string& text = value.get_ref<const std::string&>();
        if (text == "NaN" || text == "Infinity" || text == "-Infinity") {
          return ApiError::bad_request(path, "json.invalid_value", "must be a finite number, got \"" + text + "\"");
        }
      }
      return std::nullopt;
  }
}

std::optional<ApiError> check_value(const json& value, const pb::FieldDescriptor* field, const std::string& path) {
  if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
    return check_scalar(value, field, path);
  }
  const std::string& type = field->message_type()->full_name();
  if (type == "google.protobuf.Timestamp") {
    TimePoint ignored;
    if (!value.is_string() || !parse_rfc3339(value.get<std::string>(), &ignored)) {
      return ApiError::bad_request(path, "json.timestamp_format",
                                   "must be an RFC 3339 timestamp between 1677-09-21 and 2262-04-11 such as "
                                   "\"2026-03-01T08:30:00Z\", got " +
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

// The catalogue check caselink-standards applies (standards::to_facts), answered before anything
// is published: an unknown fact name or a wrong unit would otherwise be dead-lettered there.
std::optional<ApiError> check_facts(const caselink::v1::Envelope& envelope, const standards::Catalogue* catalogue,
                                    const std::string& prefix) {
  if (catalogue == nullptr) {
    return std::nullopt;
  }
  const bool referral = envelope.has_case_referral();
  if (!referral && !envelope.has_administrative_penalty_reported()) {
    return std::nullopt;
  }
  auto checked = standards::to_facts(referral ? envelope.case_referral().facts()
                                              : envelope.administrative_penalty_reported().facts(),
                                     *catalogue);
  if (checked.ok()) {
    return std::nullopt;
  }
  const std::string payload = referral ? "case_referral." : "administrative_penalty_reported.";
  return ApiError::unprocessable(prefix + payload + checked.error().field, "facts.catalogue", checked.error().message);
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
  const auto status = json_to_envelope(text, &out->envelope, parse_options);
  if (!status.ok()) {
    const std::string message(status.message());
    return ApiError::bad_request(prefix + field_from_protobuf_message(message), "json.invalid_value", message);
  }
  out->fingerprint = crypto::sha256_hex(text);
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
  if (auto error = check_facts(envelope, options.facts, prefix)) {
    return error;
  }
  if (envelope::to_time_point(envelope.occurred_at()) > options.clock->now() + kMaxClockSkew) {
    return ApiError::bad_request(prefix + "occurred_at", "event.occurred_in_future",
                                 "lies more than " + std::to_string(kMaxClockSkew.count()) +
                                     " s after the server's clock (" + format_rfc3339(options.clock->now()) + ")");
  }
  auto topic = options.router->topic_for(envelope);
  if (!topic.ok()) {
    return ApiError::unprocessable(prefix + topic.error().field, topic.error().reason, topic.error().message);
  }
  out->topic = *topic;
  return std::nullopt;
}

// Follows the parser through the document, so that an error in the middle of it can name
// the field being read ("events[2].case_referral.prior_fine_paid_yuan"), and refuses nesting
// deeper than kMaxJsonDepth before anything (dump(), the descriptor walk) recurses over it.
class JsonPathTracker {
 public:
  struct TooDeep {};

  void on_event(json::parse_event_t event, const json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (levels_.size() >= kMaxJsonDepth) {
          throw TooDeep{};
        }
        levels_.push_back({event == json::parse_event_t::array_start, {}, 0});
        break;
      case json::parse_event_t::key:
        levels_.back().key = parsed.get<std::string>();
        break;
      case json::parse_event_t::value:
        element_done();
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        levels_.pop_back();
        element_done();
        break;
    }
  }

  std::string path() const {
    std::string out;
    for (const Level& level : levels_) {
      if (level.array) {
        out += "[" + std::to_string(level.index) + "]";
      } else if (!level.key.empty()) {
        out += (out.empty() ? "" : ".") + level.key;
      }
    }
    return out;
  }

 private:
  struct Level {
    bool array = false;
    std::string key;   // objects: the key whose value is being read
    size_t index = 0;  // arrays: the element being read
  };
  void element_done() {
    if (!levels_.empty() && levels_.back().array) {
      ++levels_.back().index;
    }
  }
  std::vector<Level> levels_;
};

// Parses without throwing: every nlohmann error becomes a 400 (parse_error, a number out of
// range, ...). Error messages may quote the caller's bytes; ApiError::to_json escapes them.
std::optional<ApiError> parse_document(std::string_view body, json* document) {
  JsonPathTracker tracker;
  const json::parser_callback_t follow = [&tracker](int, json::parse_event_t event, json& parsed) {
    tracker.on_event(event, parsed);
    return true;
  };
  try {
    *document = json::parse(body.begin(), body.end(), follow);
  } catch (const JsonPathTracker::TooDeep&) {
    return ApiError::bad_request(tracker.path(), "json.too_deep",
                                 "objects and arrays nest at most " + std::to_string(kMaxJsonDepth) + " levels deep");
  } catch (const json::out_of_range& e) {
    return ApiError::bad_request(tracker.path(), "json.number_range", "number out of range: " + std::string(e.what()));
  } catch (const json::exception& e) {
    return ApiError::bad_request("", "json.syntax", "the body is not valid JSON: " + std::string(e.what()));
  }
  return std::nullopt;
}

}  // namespace

MappingOutcome parse_events(std::string_view body, const std::string& caller_agency, const MappingOptions& options) {
  MappingOutcome outcome;
  json document;
  if (auto error = parse_document(body, &document)) {
    outcome.error = std::move(error);
    return outcome;
  }
  if (!document.is_object()) {
    outcome.error = ApiError::bad_request("", "json.wrong_type",
                                          "the body must be a JSON object (an event or {\"events\":[...]}), got " +
                                              json_type_name(document));
    return outcome;
  }
  ParsedRequest request;
  request.fingerprint = crypto::sha256_hex(document.dump());
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
