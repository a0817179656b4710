#pragma once

// Errors as values for the admin module: no exception leaves caselink_admin.
// (A module-local Result; switch to services/common's when that lands.)

#include <string>
#include <utility>
#include <variant>

namespace caselink::admin {

// What the caller should do next.
enum class ErrorCode {
  kInvalidSpec,  // the spec or the command line is wrong: fix it, don't retry
  kUnavailable,  // broker unreachable or timed out: retry later
  kRejected,     // the broker refused a request (bad config, policy, ...): fix the spec
  kInternal,     // unexpected library state: report a bug
};

inline const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidSpec:
      return "invalid_spec";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kRejected:
      return "rejected";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

struct Error {
  ErrorCode code;
  std::string message;
};

template <typename T, typename E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit on purpose

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const E& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

}  // namespace caselink::admin
