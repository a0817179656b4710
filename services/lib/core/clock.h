#pragma once

// Time is injected: domain logic asks a Clock, so tests move time without sleeping.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace caselink {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_ns_(to_ns(start)) {}
  TimePoint now() const override { return TimePoint(std::chrono::nanoseconds(now_ns_.load())); }
  void set(TimePoint t) { now_ns_.store(to_ns(t)); }
  void advance(std::chrono::nanoseconds d) { now_ns_.fetch_add(d.count()); }

 private:
  static int64_t to_ns(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  }
  std::atomic<int64_t> now_ns_;
};

// RFC 3339 in UTC with millisecond precision, e.g. "2026-11-28T03:24:45.123Z".
std::string format_rfc3339(TimePoint t);

// The instants a TimePoint can hold: signed 64-bit nanoseconds since 1970, about
// 1677-09-21 .. 2262-04-11 (whole seconds, both ends inclusive). Anything outside would wrap
// silently on conversion (a date in 9999 became one in the past), so every boundary that
// turns outside text or a protobuf Timestamp into a TimePoint refuses it instead.
inline constexpr int64_t kMinTimeSeconds = -9223372036LL;  // 1677-09-21T00:12:44Z
inline constexpr int64_t kMaxTimeSeconds = 9223372035LL;   // 2262-04-11T23:47:15Z
// True when `seconds` since 1970 (plus any nanoseconds in [0, 1e9)) fits a TimePoint.
bool time_in_range(int64_t seconds);

// Parses RFC 3339 ("2026-11-28T03:24:45Z", fractional seconds and +hh:mm offsets allowed).
// Returns false when the text is not a valid timestamp or lies outside time_in_range.
bool parse_rfc3339(const std::string& text, TimePoint* out);

// A calendar date "YYYY-MM-DD" (the contracts' `_date` fields): exactly that form, a real day
// (no Feb 30), and its midnight UTC within time_in_range. The one rule shared by the
// ingress (refuses with 400) and envelope::validate (consumers dead-letter).
bool valid_calendar_date(std::string_view text);

}  // namespace caselink
