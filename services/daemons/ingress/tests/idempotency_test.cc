#include <gtest/gtest.h>

#include "services/daemons/ingress/idempotency.h"

namespace caselink::ingress {
namespace {

TEST(IdempotencyCache, ReplaysTheFirstAnswerForTheSameBody) {
  ManualClock clock(TimePoint(std::chrono::seconds(1000)));
  IdempotencyCache cache(10, std::chrono::seconds(60), clock);
  EXPECT_EQ(cache.claim("k", "body-a").kind, ClaimKind::kNew);
  EXPECT_EQ(cache.claim("k", "body-a").kind, ClaimKind::kInProgress);
  cache.complete("k", {202, "first"});
  Claim again = cache.claim("k", "body-a");
  ASSERT_EQ(again.kind, ClaimKind::kReplay);
  EXPECT_EQ(again.answer->status, 202u);
  EXPECT_EQ(again.answer->body, "first");
  EXPECT_EQ(cache.claim("k", "body-b").kind, ClaimKind::kMismatch);
}

TEST(IdempotencyCache, ReleasedKeysCanBeRetried) {
  ManualClock clock(TimePoint(std::chrono::seconds(1000)));
  IdempotencyCache cache(10, std::chrono::seconds(60), clock);
  EXPECT_EQ(cache.claim("k", "a").kind, ClaimKind::kNew);
  cache.release("k");
  EXPECT_EQ(cache.claim("k", "a").kind, ClaimKind::kNew);
  // release() never forgets a completed answer.
  cache.complete("k", {202, "x"});
  cache.release("k");
  EXPECT_EQ(cache.claim("k", "a").kind, ClaimKind::kReplay);
}

TEST(IdempotencyCache, ForgetsAfterTheTtl) {
  ManualClock clock(TimePoint(std::chrono::seconds(1000)));
  IdempotencyCache cache(10, std::chrono::seconds(60), clock);
  (void)cache.claim("k", "a");
  cache.complete("k", {202, "x"});
  clock.advance(std::chrono::seconds(59));
  EXPECT_EQ(cache.claim("k", "a").kind, ClaimKind::kReplay);
  clock.advance(std::chrono::seconds(2));
  EXPECT_EQ(cache.claim("k", "a").kind, ClaimKind::kNew);
}

TEST(IdempotencyCache, EvictsTheLeastRecentlyUsedBeyondTheBound) {
  ManualClock clock(TimePoint(std::chrono::seconds(1000)));
  IdempotencyCache cache(2, std::chrono::seconds(60), clock);
  for (const char* key : {"a", "b"}) {
    (void)cache.claim(key, "f");
    cache.complete(key, {202, key});
  }
  EXPECT_EQ(cache.claim("a", "f").kind, ClaimKind::kReplay);  // a is now most recent
  (void)cache.claim("c", "f");                                // evicts b
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.claim("a", "f").kind, ClaimKind::kReplay);
  EXPECT_EQ(cache.claim("b", "f").kind, ClaimKind::kNew);
}

// Issue 13 #8: evicting a key in flight let its retry publish a second time.
TEST(IdempotencyCache, NeverEvictsAKeyStillInFlight) {
  ManualClock clock(TimePoint(std::chrono::seconds(1000)));
  IdempotencyCache cache(2, std::chrono::seconds(60), clock);
  for (const char* key : {"a", "b", "c"}) {
    EXPECT_EQ(cache.claim(key, "f").kind, ClaimKind::kNew);
  }
  EXPECT_EQ(cache.size(), 3u);  // over the bound while all three are in flight
  EXPECT_EQ(cache.claim("a", "f").kind, ClaimKind::kInProgress) << "a retry of the oldest must not publish again";
  for (const char* key : {"a", "b", "c"}) {
    cache.complete(key, {202, key});
  }
  (void)cache.claim("d", "f");  // now answered keys make room, least recently used first
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.claim("d", "f").kind, ClaimKind::kInProgress);
  EXPECT_EQ(cache.claim("a", "f").kind, ClaimKind::kReplay);  // a was touched last before d
}

}  // namespace
}  // namespace caselink::ingress
