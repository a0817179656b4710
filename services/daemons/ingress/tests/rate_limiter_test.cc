#include <gtest/gtest.h>

#include "services/daemons/ingress/rate_limiter.h"

namespace caselink::ingress {
namespace {

TEST(RateLimiter, AllowsTheBurstThenRefillsAtTheRate) {
  ManualClock clock(TimePoint(std::chrono::seconds(1000)));
  RateLimiter limiter(10, 20, clock);
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(limiter.try_acquire("a").allowed) << i;
  }
  RateDecision refused = limiter.try_acquire("a");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 1);
  clock.advance(std::chrono::milliseconds(500));  // 5 tokens back
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(limiter.try_acquire("a").allowed) << i;
  }
  EXPECT_FALSE(limiter.try_acquire("a").allowed);
}

TEST(RateLimiter, BucketsArePerAgencyAndBatchesCostTheirSize) {
  ManualClock clock(TimePoint(std::chrono::seconds(1000)));
  RateLimiter limiter(1, 10, clock);
  EXPECT_TRUE(limiter.try_acquire("a", 10).allowed);
  EXPECT_TRUE(limiter.try_acquire("b", 10).allowed);
  RateDecision refused = limiter.try_acquire("a", 4);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 4);
  clock.advance(std::chrono::seconds(100));  // refill is capped at the burst
  EXPECT_TRUE(limiter.try_acquire("a", 10).allowed);
  EXPECT_FALSE(limiter.try_acquire("a", 1).allowed);
}

}  // namespace
}  // namespace caselink::ingress
