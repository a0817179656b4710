#pragma once

// Per-agency token buckets: each agency may submit `rate_per_second` events on average, with
// bursts up to `burst`. A batch costs one token per event. Time comes from the injected clock,
// so tests move it instead of sleeping. Thread-safe.

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "services/lib/core/clock.h"

namespace caselink::ingress {

struct RateDecision {
  bool allowed = true;
  // When refused: whole seconds until `cost` tokens will be available (>= 1), for Retry-After.
  int retry_after_seconds = 0;
};

class RateLimiter {
 public:
  RateLimiter(double rate_per_second, double burst, const Clock& clock);

  // Takes `cost` tokens from the agency's bucket if it has them. A cost above the burst can
  // never be met: it is refused with the time a full bucket needs.
  RateDecision try_acquire(const std::string& agency, double cost = 1.0);

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint updated;
  };
  double rate_;
  double burst_;
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace caselink::ingress
