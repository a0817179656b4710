#include "services/daemons/console/read_model.h"

#include <gtest/gtest.h>

#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/topics.h"
#include "services/daemons/console/tests/fixtures.h"

namespace caselink::console {
namespace {

using namespace caselink::console::testing;

TimePoint at(const std::string& rfc3339) { return envelope::to_time_point(ts(rfc3339)); }

class ReadModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto filed = snapshot("case-a", 1, v1::CASE_STATE_REFERRED);
    add_deadline(&filed, "police_receipt", v1::DEADLINE_STATUS_OPEN, "2026-11-05T00:00:00Z");
    model_.apply(state_record(filed, 0));
    auto later = snapshot("case-a", 2, v1::CASE_STATE_FILED);
    add_deadline(&later, "items_handover", v1::DEADLINE_STATUS_OPEN, "2026-11-10T12:00:00Z");
    model_.apply(state_record(later, 1));
    auto overdue = snapshot("case-b", 1, v1::CASE_STATE_ACCEPTED);
    overdue.set_offence_code("wage-arrears");
    overdue.mutable_parties(0)->set_party_id("rsj-330100");
    add_deadline(&overdue, "police_filing_review", v1::DEADLINE_STATUS_OVERDUE, "2026-11-01T00:00:00Z");
    model_.apply(state_record(overdue, 2));
    model_.apply(alert_record("case-b", 0));
  }
  ReadModel model_;
};

TEST_F(ReadModelTest, TheLatestSnapshotMakesTheSummary) {
  const auto cases = model_.cases({}, at("2026-11-03T00:00:00Z"));
  ASSERT_EQ(cases.size(), 2U);
  EXPECT_EQ(cases[0].case_id, "case-a");
  EXPECT_EQ(cases[0].state, "FILED");
  EXPECT_EQ(cases[0].version, 2U);
  EXPECT_EQ(cases[0].domain, "ENVIRONMENT");
  EXPECT_EQ(cases[0].region, "330100");
  EXPECT_EQ(cases[0].referring_agency, "sthjj-330100");
  EXPECT_EQ(cases[0].open_deadlines, 1U);
  EXPECT_EQ(cases[0].next_due_step, "items_handover");
  EXPECT_FALSE(cases[0].overdue());
  EXPECT_EQ(cases[1].alerts, 1U);
  EXPECT_EQ(cases[1].missed_deadlines, 1U);
  EXPECT_EQ(cases[0].missed_deadlines, 0U);
  EXPECT_TRUE(cases[1].overdue());
  EXPECT_EQ(model_.history("case-a")->records.size(), 2U);
  EXPECT_FALSE(model_.history("case-z").has_value());
}

TEST_F(ReadModelTest, AnOpenDeadlinePastItsDueTimeIsOverdue) {
  const auto cases = model_.cases({.overdue = true}, at("2026-11-11T00:00:00Z"));
  ASSERT_EQ(cases.size(), 2U);
  EXPECT_EQ(cases[0].overdue_deadlines, 1U);
}

TEST_F(ReadModelTest, Filters) {
  const TimePoint now = at("2026-11-03T00:00:00Z");
  EXPECT_EQ(model_.cases({.agency = "rsj-330100"}, now).size(), 1U);
  EXPECT_EQ(model_.cases({.agency = "ga-330100"}, now).size(), 2U);  // any party
  EXPECT_EQ(model_.cases({.offence = "wage-arrears"}, now).at(0).case_id, "case-b");
  EXPECT_EQ(model_.cases({.status = "FILED"}, now).at(0).case_id, "case-a");
  EXPECT_EQ(model_.cases({.status = "CASE_STATE_FILED"}, now).size(), 1U);
  EXPECT_EQ(model_.cases({.status = "CLOSED"}, now).size(), 0U);
  EXPECT_EQ(model_.cases({.overdue = false}, now).at(0).case_id, "case-a");
  EXPECT_EQ(model_.cases({.agency = "rsj-330100", .overdue = false}, now).size(), 0U);
}

TEST_F(ReadModelTest, DeadLettersAreCountedByReasonAndTopic) {
  model_.apply(dlq_record("envelope.signature", "caselink.referral.v1", 0));
  model_.apply(dlq_record("envelope.signature", "caselink.decision.v1", 1));
  ctl::CaseRecordRef bare = dlq_record("x", "y", 2);
  bare.headers.clear();
  model_.apply(bare);
  const DlqCounts dlq = model_.dlq();
  EXPECT_EQ(dlq.total, 3U);
  EXPECT_EQ(dlq.by_reason.at("envelope.signature"), 2U);
  EXPECT_EQ(dlq.by_reason.at("(no reason header)"), 1U);
  EXPECT_EQ(dlq.by_topic.at("caselink.referral.v1"), 1U);
  EXPECT_EQ(model_.case_count(), 2U);  // dead letters are no cases
}

TEST_F(ReadModelTest, RecommendationsComeFromTheLatestSnapshots) {
  auto s = snapshot("case-c", 1, v1::CASE_STATE_CLOSED);
  auto* r = s.add_recommendations();
  r->set_recommendation_id("rec-1");
  r->set_status(v1::RECOMMENDATION_STATUS_ISSUED);
  model_.apply(state_record(s, 3));
  const auto rows = model_.recommendations();
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].case_id, "case-c");
  EXPECT_EQ(rows[0].summary.recommendation_id(), "rec-1");
}

ctl::CaseRecordRef class_case_record(const v1::Envelope& env, int64_t offset) {
  ctl::CaseRecordRef r;
  r.topic = envelope::topics::kClassCase;
  r.offset = offset;
  r.key = env.case_id();
  r.envelope = env;
  return r;
}

// A class case lists the members it opened with and those that joined later, even when a
// member's record is read first; the recommendation it opened names it.
TEST_F(ReadModelTest, ClassCasesCollectTheirMembersAndNameTheirRecommendation) {
  v1::Envelope joined;
  joined.set_case_id("cc-1");
  joined.mutable_class_case_member_joined()->set_class_case_id("cc-1");
  joined.mutable_class_case_member_joined()->mutable_member()->set_case_id("case-4");
  model_.apply(class_case_record(joined, 0));
  EXPECT_TRUE(model_.class_cases().empty()) << "a member alone is not a class case";
  v1::Envelope opened;
  opened.set_case_id("cc-1");
  *opened.mutable_occurred_at() = ts("2026-11-02T00:00:00Z");
  auto* o = opened.mutable_class_case_opened();
  o->set_class_case_id("cc-1");
  o->set_recommendation_id("rec-cc-1");
  o->mutable_model()->set_model_id("penalty_instead_of_transfer_quarter");
  for (const char* m : {"case-1", "case-2", "case-3"}) o->add_members()->set_case_id(m);
  model_.apply(class_case_record(opened, 1));
  const auto rows = model_.class_cases();
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].member_count(), 4U);
  EXPECT_EQ(model_.case_count(), 2U) << "a class case is not a case of the case list";

  ctl::CaseRecordRef issued = alert_record("cc-1", 5);
  issued.topic = envelope::topics::kRecommendation;
  issued.envelope.mutable_recommendation_issued()->set_recommendation_id("rec-cc-1");
  issued.envelope.mutable_recommendation_issued()->set_class_case_id("cc-1");
  model_.apply(issued);
  auto s = snapshot("cc-1", 1, v1::CASE_STATE_REFERRED);
  s.add_recommendations()->set_recommendation_id("rec-cc-1");
  model_.apply(state_record(s, 6));
  const auto recs = model_.recommendations();
  ASSERT_EQ(recs.size(), 1U);
  EXPECT_EQ(recs[0].class_case_id, "cc-1");
}

TEST_F(ReadModelTest, RecordsOfOtherTopicsAreIgnored) {
  ctl::CaseRecordRef other = alert_record("case-q", 9);
  other.topic = "caselink.bench.in.v1";
  model_.apply(other);
  EXPECT_EQ(model_.case_count(), 2U);
}

}  // namespace
}  // namespace caselink::console
