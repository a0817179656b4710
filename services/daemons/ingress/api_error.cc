#include "services/daemons/ingress/api_error.h"

#include <nlohmann/json.hpp>

#include "services/lib/envelope/codec.h"

namespace caselink::ingress {

std::string ApiError::to_json() const {
  nlohmann::json error = {{"code", code}, {"field", field}, {"rule", rule}, {"message", message}};
  return dump_json(nlohmann::json{{"error", std::move(error)}});
}

std::string dump_json(const nlohmann::json& value) {
  // Messages quote what the caller sent (a path, a header, a JSON parser's "last read"), which
  // may be invalid UTF-8; the default strict dump() throws on that (type_error.316).
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ApiError ApiError::bad_request(std::string field, std::string rule, std::string message) {
  return {400, "invalid_request", std::move(field), std::move(rule), std::move(message), std::nullopt};
}

ApiError ApiError::unprocessable(std::string field, std::string rule, std::string message) {
  return {422, "invalid_event", std::move(field), std::move(rule), std::move(message), std::nullopt};
}

ApiError ApiError::unauthenticated(std::string message) {
  return {401, "unauthenticated", "Authorization", "auth.bearer_token", std::move(message), std::nullopt};
}

ApiError ApiError::forbidden(std::string field, std::string rule, std::string message) {
  return {403, "forbidden", std::move(field), std::move(rule), std::move(message), std::nullopt};
}

ApiError ApiError::not_found(std::string field, std::string rule, std::string message) {
  return {404, "not_found", std::move(field), std::move(rule), std::move(message), std::nullopt};
}

ApiError ApiError::unavailable(std::string rule, std::string message, int retry_after_seconds) {
  return {503, "unavailable", "", std::move(rule), std::move(message), retry_after_seconds};
}

ApiError from_envelope_error(const Error& error, const std::string& prefix) {
  std::string rule = error.reason.empty() ? envelope::kInvalidField : error.reason;
  if (rule == envelope::kInvalidValue) {
    // A value out of its range or form, like a malformed JSON value: the request is wrong.
    return ApiError::bad_request(prefix + error.field, std::move(rule), error.message);
  }
  return ApiError::unprocessable(prefix + error.field, std::move(rule), error.message);
}

std::string field_prefix(std::optional<size_t> batch_index) {
  if (!batch_index) {
    return {};
  }
  return "events[" + std::to_string(*batch_index) + "].";
}

}  // namespace caselink::ingress
