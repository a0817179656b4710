#pragma once

// Errors as values at module boundaries.
//
// g++ 12 has no std::expected in C++20, so caselink uses this small Result<T>. The error
// code tells the caller what to do next (see docs/error-handling.md):
//   kUnavailable  -> retry with backoff (broker down, timeout)
//   kInvalid      -> the input is wrong: dead-letter it / answer 4xx; never retry
//   kNotFound     -> the thing asked for does not exist
//   kConflict     -> the input contradicts existing state (e.g. a second, different decision)
//   kUnauthorized -> the caller may not do this
//   kInternal     -> a bug or broken invariant: alert
//   kFatal        -> the component cannot continue and must be recreated

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace caselink {

enum class ErrorCode {
  kUnavailable,
  kInvalid,
  kNotFound,
  kConflict,
  kUnauthorized,
  kInternal,
  kFatal,
};

const char* to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // Optional: the field or key the error is about (config key, envelope field, JSON path).
  std::string field;
  // Optional: a stable machine-readable class, e.g. "envelope.unknown_type"; it becomes the
  // dlq.error.class header and a metric label, so it must come from a small fixed set.
  std::string reason;

  static Error unavailable(std::string msg) { return {ErrorCode::kUnavailable, std::move(msg), {}, {}}; }
  static Error invalid(std::string msg, std::string field = {}, std::string reason = {}) {
    return {ErrorCode::kInvalid, std::move(msg), std::move(field), std::move(reason)};
  }
  static Error not_found(std::string msg) { return {ErrorCode::kNotFound, std::move(msg), {}, {}}; }
  static Error conflict(std::string msg) { return {ErrorCode::kConflict, std::move(msg), {}, {}}; }
  static Error unauthorized(std::string msg) { return {ErrorCode::kUnauthorized, std::move(msg), {}, {}}; }
  static Error internal(std::string msg) { return {ErrorCode::kInternal, std::move(msg), {}, {}}; }
  static Error fatal(std::string msg) { return {ErrorCode::kFatal, std::move(msg), {}, {}}; }

  // "invalid: case_id: must not be empty"
  std::string describe() const;
};

// E is the error type: Error everywhere, except where a caller wants every problem at once
// (caselink-topics' spec parser returns all the spec's problems, not the first).
template <typename T, typename E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(E error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  const E& error() const {
    assert(!ok());
    return std::get<1>(state_);
  }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, E> state_;
};

// Result of an operation that yields nothing but may fail.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  static Status success() { return {}; }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace caselink
