#include "services/daemons/ingress/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace caselink::ingress {

RateLimiter::RateLimiter(double rate_per_second, double burst, const Clock& clock)
    : rate_(rate_per_second), burst_(burst), clock_(clock) {}

RateDecision RateLimiter::try_acquire(const std::string& agency, double cost) {
  const TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  auto [it, inserted] = buckets_.try_emplace(agency, Bucket{burst_, now});
  Bucket& bucket = it->second;
  if (!inserted && now > bucket.updated) {
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed * rate_);
    bucket.updated = now;
  }
  if (bucket.tokens >= cost) {
    bucket.tokens -= cost;
    return {};
  }
  const double missing = std::min(cost, burst_) - bucket.tokens;
  const double wait = cost > burst_ ? burst_ / rate_ : missing / rate_;
  return {false, std::max(1, static_cast<int>(std::ceil(wait)))};
}

}  // namespace caselink::ingress
