#include "services/ingress/api_error.h"

#include <nlohmann/json.hpp>

namespace caselink::ingress {

std::string ApiError::to_json() const {
  nlohmann::json error = {{"code", code}, {"field", field}, {"rule", rule}, {"message", message}};
  return nlohmann::json{{"error", std::move(error)}}.dump();
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
  std::string rule = error.reason.empty() ? "envelope.invalid_field" : error.reason;
  return ApiError::unprocessable(prefix + error.field, std::move(rule), error.message);
}

std::string field_prefix(std::optional<size_t> batch_index) {
  if (!batch_index) {
    return {};
  }
  return "events[" + std::to_string(*batch_index) + "].";
}

}  // namespace caselink::ingress
