#pragma once

// The one error shape every 4xx/5xx answer of the ingress API has:
//   {"error":{"code":"invalid_request","field":"case_id","rule":"envelope.missing_field","message":"must be set"}}
// `code` is the coarse class (what the caller does next), `rule` the stable machine-readable
// rule that was broken (also the `reason` label of caselink_ingress_rejected_total), `field`
// the JSON path or header the rule is about (empty when the whole request is meant).

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "services/lib/core/result.h"

namespace caselink::ingress {

struct ApiError {
  unsigned status = 400;
  std::string code;     // invalid_request, unauthenticated, forbidden, not_found, ...
  std::string field;    // e.g. "events[2].case_id", "Authorization", "sha256"
  std::string rule;     // e.g. "json.unknown_field", "envelope.missing_field"
  std::string message;  // one human-readable line
  std::optional<int> retry_after_seconds;  // sent as Retry-After on 429 / 503

  // {"error":{...}} as JSON text.
  std::string to_json() const;

  static ApiError bad_request(std::string field, std::string rule, std::string message);
  static ApiError unprocessable(std::string field, std::string rule, std::string message);
  static ApiError unauthenticated(std::string message);
  static ApiError forbidden(std::string field, std::string rule, std::string message);
  static ApiError not_found(std::string field, std::string rule, std::string message);
  static ApiError unavailable(std::string rule, std::string message, int retry_after_seconds);
};

// JSON text of `value`; bytes that are not UTF-8 (quoted from a request) become U+FFFD
// instead of throwing. Every answer body is written through it.
std::string dump_json(const nlohmann::json& value);

// Maps an envelope codec error (Error::reason = envelope.*) to a 422 naming the field (400 for
// envelope.invalid_value: a value out of its range or form), with
// `prefix` ("events[3].") put in front of the field.
ApiError from_envelope_error(const Error& error, const std::string& prefix);

// The JSON path of `field` inside the request body: "" for a single event, "events[i]." in a batch.
std::string field_prefix(std::optional<size_t> batch_index);

}  // namespace caselink::ingress
