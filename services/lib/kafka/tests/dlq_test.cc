#include <gtest/gtest.h>

#include "services/lib/kafka/dlq.h"

namespace caselink::kafka {
namespace {

TEST(Dlq, CopiesOriginalAndAddsProvenanceHeaders) {
  ConsumedRecord original;
  original.topic = "caselink.referral.v1";
  original.partition = 4;
  original.offset = 1234;
  original.timestamp_ms = 1780000000123;
  original.key = "case-7";
  original.value = std::string("\x01\x02garbage", 9);
  original.headers = {{"ce_id", "abc"}, {"ce_type", "caselink.v1.CaseReferral"}};

  const TimePoint failed_at = TimePoint(std::chrono::seconds(1780000001));
  OutgoingRecord dlq = make_dlq_record(original, {"caselink.dlq.v1", "caselink-sync", "caselink-sync"},
                                       {"envelope.unknown_type", "event_type: unknown\nsecond line", 1}, failed_at);

  EXPECT_EQ(dlq.topic, "caselink.dlq.v1");
  EXPECT_EQ(dlq.key, "case-7");
  EXPECT_EQ(dlq.value, original.value);
  // Original headers first and untouched.
  ASSERT_GE(dlq.headers.size(), 2U);
  EXPECT_EQ(dlq.headers[0], (Header{"ce_id", "abc"}));
  EXPECT_EQ(dlq.headers[1], (Header{"ce_type", "caselink.v1.CaseReferral"}));
  EXPECT_EQ(find_header(dlq.headers, kDlqOriginalTopic), "caselink.referral.v1");
  EXPECT_EQ(find_header(dlq.headers, kDlqOriginalPartition), "4");
  EXPECT_EQ(find_header(dlq.headers, kDlqOriginalOffset), "1234");
  EXPECT_EQ(find_header(dlq.headers, kDlqOriginalTimestamp), "1780000000123");
  EXPECT_EQ(find_header(dlq.headers, kDlqConsumerGroup), "caselink-sync");
  EXPECT_EQ(find_header(dlq.headers, kDlqService), "caselink-sync");
  EXPECT_EQ(find_header(dlq.headers, kDlqErrorClass), "envelope.unknown_type");
  EXPECT_EQ(find_header(dlq.headers, kDlqErrorMessage), "event_type: unknown second line");
  EXPECT_EQ(find_header(dlq.headers, kDlqAttempts), "1");
  EXPECT_EQ(find_header(dlq.headers, kDlqFailedAt), "2026-05-28T20:26:41.000Z");
}

TEST(Dlq, KeylessAndTombstoneOriginals) {
  ConsumedRecord original;
  original.topic = "t";
  original.partition = 0;
  original.offset = 0;
  OutgoingRecord dlq = make_dlq_record(original, {"dlq", "svc", "grp"}, {"envelope.undecodable", "empty", 1},
                                       TimePoint(std::chrono::seconds(0)));
  EXPECT_EQ(dlq.key, "");
  EXPECT_FALSE(dlq.value.has_value());
}

TEST(Dlq, LongMessagesAreBounded) {
  ConsumedRecord original;
  OutgoingRecord dlq = make_dlq_record(original, {"dlq", "svc", "grp"}, {"x", std::string(5000, 'a'), 3},
                                       TimePoint(std::chrono::seconds(0)));
  EXPECT_EQ(find_header(dlq.headers, kDlqErrorMessage)->size(), 1003U);
  EXPECT_EQ(find_header(dlq.headers, kDlqAttempts), "3");
}

// A value the DLQ topic could not hold is left out, with its size and hash, so the input can
// still be dead-lettered instead of stalling its partition; one at the limit is copied.
TEST(Dlq, ValueTooLargeForTheDlqIsLeftOutWithItsSizeAndHash) {
  ConsumedRecord original;
  original.value = std::string(11, 'v');
  DlqContext context{"dlq", "svc", "grp", 10};
  OutgoingRecord dlq = make_dlq_record(original, context, {"x", "m", 1}, TimePoint(std::chrono::seconds(0)));
  EXPECT_FALSE(dlq.value.has_value());
  EXPECT_EQ(find_header(dlq.headers, kDlqValueOmitted), "11");
  EXPECT_EQ(find_header(dlq.headers, kDlqValueSha256),
            "8908da11bfc909c90f3aac34715c591a1c1fefa2b5d84f3153fe6ad6458391cc");
  original.value = std::string(10, 'v');
  dlq = make_dlq_record(original, context, {"x", "m", 1}, TimePoint(std::chrono::seconds(0)));
  EXPECT_EQ(dlq.value, original.value);
  EXPECT_FALSE(find_header(dlq.headers, kDlqValueOmitted).has_value());
  EXPECT_GT(DlqContext{}.max_copied_value_bytes, 900U * 1024);
}

}  // namespace
}  // namespace caselink::kafka
