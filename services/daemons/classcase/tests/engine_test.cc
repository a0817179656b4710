// The engine per model, at and around its threshold: N-1, N, N+1, duplicate input, window
// boundary, a later member joining, a withdrawn alert, and the recommendation it opens.
#include <gtest/gtest.h>

#include "services/daemons/classcase/tests/support.h"

namespace caselink::classcase {
namespace {

using P = v1::Envelope;
using test::clue;
using test::count;

TEST(Window, QuarterMonthYearInChinaTime) {
  // 2026-03-31T16:30Z is 2026-04-01 00:30 in China: the second quarter.
  EXPECT_EQ(window_of(Window::kQuarter, test::at("2026-03-31T16:30:00Z")).start, "2026-04-01");
  EXPECT_EQ(window_of(Window::kQuarter, test::at("2026-03-31T15:30:00Z")).end, "2026-03-31");
  EXPECT_EQ(window_of(Window::kMonth, test::at("2028-02-10T00:00:00Z")).end, "2028-02-29");
  EXPECT_EQ(window_of(Window::kYear, test::at("2026-12-31T15:59:59Z")).start, "2026-01-01");
  EXPECT_EQ(window_of(Window::kYear, test::at("2026-12-31T16:00:00Z")).start, "2027-01-01");
}

TEST(PenaltyInsteadOfTransfer, OpensExactlyOnceAtThresholdThenJoins) {
  test::Pipeline p;
  // N-1 = 2 clues: nothing opens.
  EXPECT_TRUE(p.feed(clue("c1", "sthjj-330100", "pollution_environment", "2026-04-02T02:00:00Z")).empty());
  EXPECT_TRUE(p.feed(clue("c2", "sthjj-330100", "pollution_environment", "2026-05-02T02:00:00Z")).empty());
  // N = 3: one ClassCaseOpened with the three members and the recommendation it opens.
  const auto third = clue("c3", "sthjj-330100", "pollution_environment", "2026-06-02T02:00:00Z");
  auto events = p.feed(third);
  ASSERT_EQ(events.size(), 2U);
  ASSERT_TRUE(events[0].has_class_case_opened());
  const v1::ClassCaseOpened opened = events[0].class_case_opened();
  EXPECT_EQ(opened.members_size(), 3);
  EXPECT_EQ(opened.members(0).case_id(), "c1");
  EXPECT_EQ(opened.members(2).event_id(), third.event_id());
  EXPECT_EQ(events[1].recommendation_issued().source_event_id(), third.event_id());
  EXPECT_EQ(opened.group().organ_id(), "sthjj-330100");
  EXPECT_EQ(opened.group().window_start_date(), "2026-04-01");
  EXPECT_EQ(opened.group().window_end_date(), "2026-06-30");
  EXPECT_EQ(opened.model().model_id(), "classcase.penalty_instead_of_transfer");
  EXPECT_EQ(opened.class_case_id(), group_id(opened.group().group_key()));
  EXPECT_EQ(events[0].case_id(), opened.class_case_id());
  // The 检察建议: on the class case, in the competent procuratorate's name, naming its members.
  ASSERT_TRUE(events[1].has_recommendation_issued());
  const auto& rec = events[1].recommendation_issued();
  EXPECT_EQ(events[1].case_id(), opened.class_case_id());
  EXPECT_EQ(rec.recommendation_id(), opened.recommendation_id());
  EXPECT_EQ(events[1].event_id(), rec.recommendation_id());
  EXPECT_EQ(rec.class_case_id(), opened.class_case_id());
  EXPECT_EQ(rec.type(), v1::RECOMMENDATION_TYPE_CORRECTION_OF_VIOLATION);
  EXPECT_EQ(rec.recipient().organ_id(), "sthjj-330100");
  EXPECT_EQ(rec.procuratorate().organ_id(), "jcy-330100");
  EXPECT_EQ(events[1].producer_agency_id(), "jcy-330100");
  EXPECT_EQ(std::vector<std::string>(rec.member_case_ids().begin(), rec.member_case_ids().end()),
            (std::vector<std::string>{"c1", "c2", "c3"}));
  EXPECT_TRUE(envelope::validate(events[0]).ok());
  EXPECT_TRUE(envelope::validate(events[1]).ok());
  // N+1: joins, no second opening.
  events = p.feed(clue("c4", "sthjj-330100", "pollution_environment", "2026-06-03T02:00:00Z"));
  ASSERT_EQ(events.size(), 1U);
  ASSERT_TRUE(events[0].has_class_case_member_joined());
  EXPECT_EQ(events[0].class_case_member_joined().class_case_id(), opened.class_case_id());
  EXPECT_EQ(events[0].class_case_member_joined().member_count(), 4U);
}

TEST(PenaltyInsteadOfTransfer, DuplicatesAndSecondCluesOfAMemberCountOnce) {
  test::Pipeline p;
  const auto first = clue("c1", "sthjj-330100", "pollution_environment", "2026-04-02T02:00:00Z");
  EXPECT_TRUE(p.feed(first).empty());
  EXPECT_TRUE(p.feed(first).empty());  // redelivered
  EXPECT_TRUE(p.feed(clue("c1", "sthjj-330100", "pollution_environment", "2026-04-09T02:00:00Z")).empty());
  EXPECT_TRUE(p.feed(clue("c2", "sthjj-330100", "pollution_environment", "2026-04-10T02:00:00Z")).empty());
  EXPECT_EQ(p.groups.begin()->second.members_size(), 2);
  EXPECT_EQ(count(p.feed(clue("c3", "sthjj-330100", "pollution_environment", "2026-04-11T02:00:00Z")),
                  P::kClassCaseOpened),
            1);
  // The opening fact again: no second opening.
  EXPECT_TRUE(p.feed(clue("c3", "sthjj-330100", "pollution_environment", "2026-04-11T02:00:00Z")).empty());
}

TEST(PenaltyInsteadOfTransfer, WindowBoundaryAndGroupsSeparate) {
  test::Pipeline p;
  // 2026-03-31 23:30 China time is Q1; the next two are Q2: no group reaches 3.
  EXPECT_TRUE(p.feed(clue("c1", "sthjj-330100", "pollution_environment", "2026-03-31T15:30:00Z")).empty());
  EXPECT_TRUE(p.feed(clue("c2", "sthjj-330100", "pollution_environment", "2026-03-31T16:30:00Z")).empty());
  EXPECT_TRUE(p.feed(clue("c3", "sthjj-330100", "pollution_environment", "2026-04-01T02:00:00Z")).empty());
  // Another offence and another agency are other groups.
  EXPECT_TRUE(p.feed(clue("c4", "sthjj-330100", "illegal_mining", "2026-04-01T03:00:00Z")).empty());
  EXPECT_TRUE(p.feed(clue("c5", "zrzy-330100", "pollution_environment", "2026-04-01T04:00:00Z")).empty());
  EXPECT_EQ(p.groups.size(), 4U);
  // A clue without its agency cannot be grouped: not counted anywhere.
  auto anonymous = clue("c6", "", "pollution_environment", "2026-04-01T05:00:00Z");
  EXPECT_EQ(p.extractor.extract(anonymous, p.now).ungroupable, 1U);
  EXPECT_EQ(count(p.feed(clue("c7", "sthjj-330100", "pollution_environment", "2026-04-02T02:00:00Z")),
                  P::kClassCaseOpened),
            1);
}

TEST(PoliceFilingOverdue, OpensAtThresholdAndAWithdrawnAlertLeaves) {
  test::Pipeline p;
  EXPECT_TRUE(p.feed(test::overdue("f1", "ga-330100", "2026-07-02T02:00:00Z")).empty());
  EXPECT_TRUE(p.feed(test::overdue("f2", "ga-330100", "2026-07-03T02:00:00Z")).empty());
  // f2 was on time after all (RESOLVED): it leaves the group before the class case opens.
  EXPECT_TRUE(p.feed(test::overdue("f2", "ga-330100", "2026-07-03T03:00:00Z", v1::ALERT_STATUS_RESOLVED)).empty());
  EXPECT_TRUE(p.feed(test::overdue("f3", "ga-330100", "2026-07-04T02:00:00Z")).empty());
  // Another step's overdue alert does not count.
  auto other = test::overdue("f9", "ga-330100", "2026-07-04T02:00:00Z");
  other.mutable_alert()->mutable_deadline()->set_step("agency_transfer_decision");
  EXPECT_TRUE(p.feed(other).empty());
  auto events = p.feed(test::overdue("f4", "ga-330100", "2026-07-05T02:00:00Z"));
  ASSERT_EQ(count(events, P::kClassCaseOpened), 1);
  const auto& opened = events[0].class_case_opened();
  EXPECT_EQ(opened.members_size(), 3);
  EXPECT_EQ(opened.group().region_code(), "330100");
  EXPECT_EQ(count(events, P::kRecommendationIssued), 1);
}

TEST(RepeatPenalisedCompany, OpensWithoutRecommendation) {
  test::Pipeline p;
  EXPECT_TRUE(p.feed(test::penalty("p1", "某化工有限公司", "2026-02-01T02:00:00Z")).empty());
  EXPECT_TRUE(p.feed(test::penalty("p2", "某化工有限公司", "2026-05-01T02:00:00Z")).empty());
  EXPECT_TRUE(p.feed(test::penalty("p0", "另一公司", "2026-05-01T02:00:00Z")).empty());
  auto events = p.feed(test::penalty("p3", "某化工有限公司", "2026-09-01T02:00:00Z"));
  ASSERT_EQ(events.size(), 1U);
  ASSERT_TRUE(events[0].has_class_case_opened());
  EXPECT_TRUE(events[0].class_case_opened().recommendation_id().empty());
  EXPECT_EQ(events[0].class_case_opened().group().window_start_date(), "2026-01-01");
}

TEST(Fold, SameInputsSameIds) {
  test::Pipeline a;
  test::Pipeline b;
  std::vector<v1::Envelope> ea;
  std::vector<v1::Envelope> eb;
  for (const char* c : {"c1", "c2", "c3"}) {
    ea = a.feed(clue(c, "sthjj-330100", "pollution_environment", "2026-04-02T02:00:00Z"));
    eb = b.feed(clue(c, "sthjj-330100", "pollution_environment", "2026-04-02T02:00:00Z"));
  }
  ASSERT_EQ(ea.size(), eb.size());
  for (size_t i = 0; i < ea.size(); ++i) EXPECT_EQ(ea[i].event_id(), eb[i].event_id());
}

}  // namespace
}  // namespace caselink::classcase
