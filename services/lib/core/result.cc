#include "services/lib/core/result.h"

namespace caselink {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kInvalid:
      return "invalid";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kUnauthorized:
      return "unauthorized";
    case ErrorCode::kInternal:
      return "internal";
    case ErrorCode::kFatal:
      return "fatal";
  }
  return "unknown";
}

std::string Error::describe() const {
  std::string out = to_string(code);
  out += ": ";
  if (!field.empty()) {
    out += field;
    out += ": ";
  }
  out += message;
  return out;
}

}  // namespace caselink
