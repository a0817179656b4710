// The restore plan's wire-level peek and its choice of each case's winner (restore_plan.h).
#include "services/daemons/sync/restore_plan.h"

#include <gtest/gtest.h>

#include "services/daemons/sync/tests/test_support.h"
#include "services/lib/envelope/codec.h"

namespace caselink::sync {
namespace {

std::string snapshot_value(const std::string& case_id, uint64_t version, bool with_time = true) {
  return test::make(case_id, test::at("2026-03-02T02:00:00Z"), [&](v1::Envelope& e) {
           auto* s = e.mutable_case_state_snapshot();
           s->set_case_id(case_id);
           s->set_version(version);
           s->set_state_hash_hex("ab");
           if (with_time) envelope::set_timestamp(s->mutable_last_event_occurred_at(), test::at("2026-03-01T08:30:00.25Z"));
         }).raw;
}

TEST(PeekStateRecord, ReadsCaseIdVersionAndLastEventTimeFromTheWireBytes) {
  const auto peek = peek_state_record(snapshot_value("case-A", 7));
  ASSERT_TRUE(peek.has_value());
  EXPECT_EQ(peek->case_id, "case-A");
  EXPECT_EQ(peek->version, 7U);
  ASSERT_TRUE(peek->last_event_occurred_at.has_value());
  EXPECT_EQ(*peek->last_event_occurred_at, test::at("2026-03-01T08:30:00.25Z"));
  const auto placeholder = peek_state_record(snapshot_value("case-B", 0, false));
  ASSERT_TRUE(placeholder.has_value());
  EXPECT_EQ(placeholder->version, 0U);
  EXPECT_FALSE(placeholder->last_event_occurred_at.has_value());
}

TEST(PeekStateRecord, RefusesWhatTheParserWouldNotReadAsASnapshot) {
  EXPECT_FALSE(peek_state_record("not an envelope").has_value());
  const std::string value = snapshot_value("case-A", 7);
  EXPECT_FALSE(peek_state_record(value.substr(0, value.size() - 3)).has_value()) << "truncated";
  const auto referral = test::make("case-A", test::at("2026-03-02T02:00:00Z"), [](v1::Envelope& e) {
    *e.mutable_case_referral()->mutable_target_police_organ() = test::organ("ga-330100");
  });
  EXPECT_FALSE(peek_state_record(referral.raw).has_value()) << "another payload";
  // A later member of the payload oneof replaces the snapshot, as in the parser.
  v1::Envelope reparsed;
  const std::string tail = [] {
    v1::Envelope e;
    *e.mutable_case_referral()->mutable_target_police_organ() = test::organ("ga-330100");
    return e.SerializeAsString();
  }();
  ASSERT_TRUE(reparsed.ParseFromString(value + tail));
  ASSERT_FALSE(reparsed.has_case_state_snapshot());
  EXPECT_FALSE(peek_state_record(value + tail).has_value());
}

ConsumedRecord rec(int64_t offset, std::optional<std::string> value) {
  return ConsumedRecord{"state", 0, offset, 0, std::string("k"), std::move(value), {}};
}

TEST(RestorePlan, FoldsEachCasesHighestVersionTheLaterOfEqualOnesAndWhatItCouldNotRead) {
  RestorePlan plan;
  const std::vector<ConsumedRecord> records = {
      rec(0, snapshot_value("case-A", 1)), rec(1, snapshot_value("case-B", 1)), rec(2, snapshot_value("case-A", 2)),
      rec(3, "garbage"),                   rec(4, snapshot_value("case-A", 1)), rec(5, snapshot_value("case-B", 1)),
      rec(6, std::nullopt)};
  for (const auto& r : records) plan.see(r);
  plan.finish();
  std::vector<int64_t> folded;
  for (const auto& r : records) {
    if (plan.folds(r)) folded.push_back(r.offset);
  }
  EXPECT_EQ(folded, (std::vector<int64_t>{2, 3, 5, 6}));
  EXPECT_TRUE(plan.winner(records[2]));
  EXPECT_FALSE(plan.winner(records[3])) << "folded to be counted unusable, not a winner";
  EXPECT_TRUE(plan.folds(rec(7, snapshot_value("case-A", 1)))) << "past the first pass: folded in order";
  ConsumedRecord other = rec(0, snapshot_value("case-A", 1));
  other.partition = 1;
  EXPECT_TRUE(plan.folds(other)) << "a partition the first pass did not see";
}

}  // namespace
}  // namespace caselink::sync
