#pragma once

// Time is injected: domain logic asks a Clock, so tests move time without sleeping.

#include <atomic>
#include <chrono>
#include <string>

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

// Parses RFC 3339 ("2026-11-28T03:24:45Z", fractional seconds and +hh:mm offsets allowed).
// Returns false when the text is not a valid timestamp.
bool parse_rfc3339(const std::string& text, TimePoint* out);

}  // namespace caselink
