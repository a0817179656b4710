#include <gtest/gtest.h>

#include <set>

#include "services/lib/core/clock.h"
#include "services/lib/core/confidence.h"
#include "services/lib/core/ids.h"
#include "services/lib/core/result.h"
#include "services/lib/core/uuid.h"

namespace caselink {
namespace {

TEST(Result, CarriesValueOrError) {
  Result<int> good = 42;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  Result<int> bad = Error::invalid("must not be empty", "case_id");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(bad.error().describe(), "invalid: case_id: must not be empty");
}

TEST(Confidence, WordsOfTheRuleFilesRoundTripAndOrder) {
  for (Confidence c : {Confidence::kUnconfirmed, Confidence::kLow, Confidence::kMedium, Confidence::kHigh}) {
    EXPECT_EQ(parse_confidence(to_string(c)), c);
  }
  EXPECT_EQ(parse_confidence("high"), Confidence::kHigh);
  EXPECT_EQ(parse_confidence("HIGH"), std::nullopt) << "callers lower-case first where files may not";
  EXPECT_EQ(parse_confidence("sure"), std::nullopt);
  EXPECT_LT(Confidence::kLow, Confidence::kHigh) << "ordered weakest to strongest";
}

TEST(Status, DefaultIsSuccess) {
  Status s;
  EXPECT_TRUE(s.ok());
  Status f = Error::unavailable("broker down");
  EXPECT_FALSE(f.ok());
  EXPECT_EQ(f.error().describe(), "unavailable: broker down");
}

TEST(StrongId, ComparesByValue) {
  EXPECT_EQ(CaseId("a"), CaseId("a"));
  EXPECT_NE(CaseId("a"), CaseId("b"));
  EXPECT_LT(CaseId("a"), CaseId("b"));
}

TEST(Uuid, IsCanonicalVersion4AndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = new_uuid();
    ASSERT_TRUE(is_canonical_uuid(id)) << id;
    EXPECT_EQ(id[14], '4') << id;
    const char variant = id[19];
    EXPECT_TRUE(variant == '8' || variant == '9' || variant == 'a' || variant == 'b') << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000U);
}

TEST(Uuid, RejectsNonCanonicalText) {
  EXPECT_FALSE(is_canonical_uuid(""));
  EXPECT_FALSE(is_canonical_uuid("not-a-uuid"));
  EXPECT_FALSE(is_canonical_uuid("123e4567e89b12d3a456426614174000"));
  EXPECT_FALSE(is_canonical_uuid("123e4567-e89b-12d3-a456-42661417400g"));
  EXPECT_TRUE(is_canonical_uuid("123e4567-e89b-12d3-a456-426614174000"));
}

TEST(Rfc3339, RoundTripsMilliseconds) {
  TimePoint t;
  ASSERT_TRUE(parse_rfc3339("2026-11-28T03:24:45.123Z", &t));
  EXPECT_EQ(format_rfc3339(t), "2026-11-28T03:24:45.123Z");
}

TEST(Rfc3339, AppliesOffsets) {
  TimePoint utc, beijing;
  ASSERT_TRUE(parse_rfc3339("2026-01-01T00:00:00Z", &utc));
  ASSERT_TRUE(parse_rfc3339("2026-01-01T08:00:00+08:00", &beijing));
  EXPECT_EQ(utc, beijing);
}

TEST(Rfc3339, RejectsMalformedText) {
  TimePoint t;
  for (const char* bad : {"", "2026-11-28", "2026-11-28 03:24:45Z", "2026-13-01T00:00:00Z",
                          "2026-02-30T00:00:00Z", "2026-11-28T03:24:45", "2026-11-28T03:24:45.Z",
                          "2026-11-28T03:24:45Zjunk", "yesterday"}) {
    EXPECT_FALSE(parse_rfc3339(bad, &t)) << bad;
  }
}

// Issue 13 E: a TimePoint holds 1677..2262; beyond, the conversion used to wrap silently
// (9999-12-31 became a date in the past).
TEST(Rfc3339, RefusesTimesATimePointCannotHold) {
  TimePoint t;
  for (const char* bad : {"0001-01-01T00:00:00Z", "1677-09-21T00:12:43Z", "2262-04-11T23:47:16Z",
                          "9999-12-31T23:59:59Z", "2262-04-12T00:00:00+00:00"}) {
    EXPECT_FALSE(parse_rfc3339(bad, &t)) << bad;
  }
  ASSERT_TRUE(parse_rfc3339("2262-04-11T23:47:15Z", &t));
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count(), kMaxTimeSeconds);
  ASSERT_TRUE(parse_rfc3339("1677-09-21T00:12:44Z", &t));
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count(), kMinTimeSeconds);
}

TEST(CalendarDate, IsARealDayInTheTimePointRange) {
  for (const char* good : {"2026-03-01", "2024-02-29", "1678-01-01", "2262-04-11"}) {
    EXPECT_TRUE(valid_calendar_date(good)) << good;
  }
  for (const char* bad : {"", "not-a-date", "2026-02-30", "2025-02-29", "2026-13-01", "2026-1-01", "2026-03-01T00",
                          "9999-12-31", "0001-01-01", "2262-04-12", "1677-09-20", "2026-03-0x"}) {
    EXPECT_FALSE(valid_calendar_date(bad)) << bad;
  }
}

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock(TimePoint(std::chrono::seconds(1000)));
  EXPECT_EQ(clock.now(), TimePoint(std::chrono::seconds(1000)));
  clock.advance(std::chrono::hours(24));
  EXPECT_EQ(clock.now(), TimePoint(std::chrono::seconds(1000 + 86400)));
}

}  // namespace
}  // namespace caselink
