// The report fold on hand-made events: each number, repeats, period and jurisdiction edges,
// "no data" rates, order independence, and the rendered JSON/HTML.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include <unistd.h>

#include "services/lib/report/pdf.h"
#include "services/lib/report/render.h"
#include "services/lib/report/report.h"

namespace caselink::report {
namespace {

// 2026-03-01 00:00 China Standard Time.
constexpr Seconds kMar1 = 1772294400;
constexpr Seconds kDay = 86400;

int next_id = 0;

v1::Envelope env(const std::string& case_id, Seconds t, const std::string& producer = "caselink-sync") {
  v1::Envelope e;
  e.set_event_id("ev-" + std::to_string(++next_id));
  e.set_case_id(case_id);
  e.set_producer_agency_id(producer);
  e.mutable_occurred_at()->set_seconds(t);
  return e;
}

v1::Envelope referral(const std::string& case_id, Seconds t, const std::string& agency, const std::string& offence) {
  auto e = env(case_id, t, agency);
  auto* r = e.mutable_case_referral();
  r->mutable_referring_agency()->set_organ_id(agency);
  r->mutable_referring_agency()->set_name("name of " + agency);
  r->set_offence_code(offence);
  return e;
}

v1::Envelope filing(const std::string& case_id, Seconds t, v1::FilingOutcome outcome) {
  auto e = env(case_id, t, "ga-330100");
  e.mutable_filing_decision()->set_outcome(outcome);
  return e;
}

v1::Envelope alert(const std::string& case_id, Seconds t, v1::AlertKind kind, const std::string& alert_id,
                   v1::AlertStatus status = v1::ALERT_STATUS_RAISED) {
  auto e = env(case_id, t);
  auto* a = e.mutable_alert();
  a->set_alert_id(alert_id);
  a->set_kind(kind);
  a->set_status(status);
  if (kind == v1::ALERT_KIND_SUPERVISION_CLUE) {
    a->mutable_supervision_clue()->set_reason(v1::SUPERVISION_CLUE_REASON_PENALTY_INSTEAD_OF_TRANSFER);
  } else {
    a->mutable_deadline()->set_step("police_filing_review");
  }
  return e;
}

// A snapshot whose last event `closing` closed deadline `id` (started `start`, due `due`).
v1::Envelope closing_snapshot(const std::string& case_id, uint64_t version, const std::string& id, Seconds start,
                              Seconds due, const v1::Envelope& closing) {
  auto e = env(case_id, closing.occurred_at().seconds());
  auto* s = e.mutable_case_state_snapshot();
  s->set_case_id(case_id);
  s->set_version(version);
  s->set_last_event_id(closing.event_id());
  *s->mutable_last_event_occurred_at() = closing.occurred_at();
  auto* d = s->add_deadlines();
  d->set_deadline_id(id);
  d->set_step("police_filing_review");
  d->mutable_started_at()->set_seconds(start);
  d->mutable_due_at()->set_seconds(due);
  d->set_status(closing.occurred_at().seconds() < due ? v1::DEADLINE_STATUS_MET : v1::DEADLINE_STATUS_OVERDUE);
  d->set_closed_by_event_id(closing.event_id());
  d->mutable_rule()->set_rule_id("general.police_filing_review");
  d->mutable_rule()->set_rule_version("2026.2");
  d->mutable_rule()->set_legal_source("S1 Art 8");
  d->mutable_rule()->set_confidence(v1::CONFIDENCE_HIGH);
  return e;
}

Period march() { return *make_period("2026-03-01", "2026-04-01"); }

Report fold_all(const std::vector<v1::Envelope>& events, const Jurisdiction& j = all_jurisdictions()) {
  Fold f;
  for (const auto& e : events) f.add(e);
  return f.build(march(), j);
}

TEST(ReportPeriod, DatesAreChinaStandardTimeMidnightsAndInvalidOnesAreNamed) {
  const auto p = march();
  EXPECT_EQ(p.from, kMar1);
  EXPECT_TRUE(p.contains(kMar1));
  EXPECT_FALSE(p.contains(kMar1 - 1));
  EXPECT_FALSE(p.contains(p.to));
  EXPECT_EQ(make_period("2026-02-30", "2026-04-01").error().field, "from");
  EXPECT_EQ(make_period("2026-03-01", "2026-3-1").error().field, "to");
  EXPECT_FALSE(make_period("2026-04-01", "2026-04-01").ok());
}

TEST(ReportReferrals, CountsByAgencyAndOffenceInsideThePeriodOnly) {
  const auto r = fold_all({referral("c1", kMar1, "sthjj-330100", "pollution_environment"),
                           referral("c2", kMar1 + kDay, "sthjj-330100", "pollution_environment"),
                           referral("c3", kMar1 + 2 * kDay, "rsj-330100", "wage_arrears"),
                           referral("c4", kMar1 - 1, "rsj-330100", "wage_arrears"),
                           referral("c5", march().to, "rsj-330100", "wage_arrears")});
  EXPECT_EQ(r.referrals.total, 3);
  ASSERT_EQ(r.referrals.by_agency.size(), 2u);
  EXPECT_EQ(r.referrals.by_agency[0].key, "sthjj-330100");
  EXPECT_EQ(r.referrals.by_agency[0].count, 2);
  EXPECT_EQ(r.referrals.by_agency[0].name, "name of sthjj-330100");
  EXPECT_EQ(r.referrals.by_offence[1].key, "wage_arrears");
  EXPECT_EQ(r.referrals.by_offence[1].count, 1);
}

TEST(ReportReferrals, ARepeatedRecordIsCountedOnce) {
  const auto e = referral("c1", kMar1, "sthjj-330100", "pollution_environment");
  Fold f;
  EXPECT_TRUE(f.add(e));
  EXPECT_FALSE(f.add(e));
  const auto r = f.build(march(), all_jurisdictions());
  EXPECT_EQ(r.referrals.total, 1);
  EXPECT_EQ(r.duplicates, 1);
  EXPECT_EQ(r.events, 1);
}

TEST(ReportJurisdiction, ARegionCoversItsOwnOrgansAndThoseBelowIt) {
  const Jurisdiction hangzhou{"330100", "杭州市", "city"};
  EXPECT_TRUE(hangzhou.covers_organ("sthjj-330100"));
  EXPECT_TRUE(hangzhou.covers_organ("ga-330106"));
  EXPECT_FALSE(hangzhou.covers_organ("ga-330200"));
  EXPECT_FALSE(hangzhou.covers_organ("caselink-sync"));
  const Jurisdiction zhejiang{"330000", "浙江省", "province"};
  EXPECT_TRUE(zhejiang.covers_organ("ga-330200"));
  EXPECT_FALSE(zhejiang.covers_organ("ga-320100"));
  const Jurisdiction county{"330106", "西湖区", "county"};
  EXPECT_FALSE(county.covers_organ("ga-330100"));
}

TEST(ReportJurisdiction, EventsOfACaseFollowTheCaseReferringAgency) {
  const std::vector<v1::Envelope> events = {referral("hz", kMar1, "sthjj-330106", "pollution_environment"),
                                            filing("hz", kMar1 + kDay, v1::FILING_OUTCOME_FILED),
                                            referral("nb", kMar1, "sthjj-330200", "pollution_environment"),
                                            filing("nb", kMar1 + kDay, v1::FILING_OUTCOME_NOT_FILED)};
  const auto r = fold_all(events, Jurisdiction{"330100", "杭州市", "city"});
  EXPECT_EQ(r.referrals.total, 1);
  EXPECT_EQ(r.filing.filed, 1);
  EXPECT_EQ(r.filing.not_filed, 0);
  const auto all = fold_all(events);
  EXPECT_EQ(all.filing.rate.numerator, 1);
  EXPECT_EQ(all.filing.rate.denominator, 2);
}

TEST(ReportFiling, RateIsFiledOverFilingDecisionsAndNoDataWhenThereAreNone) {
  const auto none = fold_all({});
  EXPECT_FALSE(none.filing.rate.value().has_value());
  EXPECT_EQ(none.filing.rate.text(), "no data");
  const auto r = fold_all({filing("a", kMar1, v1::FILING_OUTCOME_FILED), filing("b", kMar1, v1::FILING_OUTCOME_FILED),
                           filing("c", kMar1, v1::FILING_OUTCOME_NOT_FILED),
                           filing("a", kMar1 + kDay, v1::FILING_OUTCOME_REVOKED)});
  EXPECT_EQ(r.filing.revoked, 1);
  EXPECT_EQ(r.filing.rate.text(), "66.7% (2/3)");
}

TEST(ReportSteps, TimePerStepAgainstTheLimitTheDeadlineCarried) {
  std::vector<v1::Envelope> events;
  // Three police filing reviews of 1, 2 and 4 days against a 3-day limit: one exceeded.
  for (int i = 0; i < 3; ++i) {
    const std::string c = "c" + std::to_string(i);
    const Seconds days = i == 2 ? 4 : i + 1;
    const auto decision = filing(c, kMar1 + days * kDay, v1::FILING_OUTCOME_FILED);
    events.push_back(decision);
    events.push_back(closing_snapshot(c, 3, "police_filing_review#1", kMar1, kMar1 + 3 * kDay, decision));
  }
  const auto r = fold_all(events);
  ASSERT_EQ(r.steps.size(), 1u);
  const auto& s = r.steps[0];
  EXPECT_EQ(s.step, "police_filing_review");
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(s.median, 2 * kDay);
  EXPECT_EQ(s.max, 4 * kDay);
  EXPECT_EQ(s.limit_min, 3 * kDay);
  EXPECT_EQ(s.exceeded, 1);
  EXPECT_EQ(s.rule.legal_source, "S1 Art 8");
  EXPECT_EQ(s.rule.confidence, "HIGH");
  EXPECT_EQ(human_duration(s.median), "2 d 0 h");
}

TEST(ReportSteps, TheLowerMedianOfAnEvenCountAndAStepClosedOutsideThePeriodIsLeftOut) {
  std::vector<v1::Envelope> events;
  for (Seconds h : {10, 20}) {
    const std::string c = "h" + std::to_string(h);
    const auto decision = filing(c, kMar1 + h * 3600, v1::FILING_OUTCOME_FILED);
    events.push_back(decision);
    events.push_back(closing_snapshot(c, 2, "d#1", kMar1, kMar1 + kDay, decision));
  }
  const auto late = filing("x", march().to, v1::FILING_OUTCOME_FILED);
  events.push_back(late);
  events.push_back(closing_snapshot("x", 2, "d#1", kMar1, kMar1 + kDay, late));
  const auto r = fold_all(events);
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(r.steps[0].count, 2);
  EXPECT_EQ(r.steps[0].median, 10 * 3600);
}

TEST(ReportOverdue, RaisedOnceByAlertIdAndWithdrawnWhenResolved) {
  const auto r = fold_all({alert("a", kMar1, v1::ALERT_KIND_DEADLINE_OVERDUE, "o1"),
                           alert("a", kMar1 + 60, v1::ALERT_KIND_DEADLINE_OVERDUE, "o1"),  // repeated condition
                           alert("b", kMar1, v1::ALERT_KIND_DEADLINE_OVERDUE, "o1"),       // another case
                           alert("b", kMar1 + kDay, v1::ALERT_KIND_DEADLINE_OVERDUE, "o1", v1::ALERT_STATUS_RESOLVED),
                           alert("c", kMar1 - kDay, v1::ALERT_KIND_DEADLINE_OVERDUE, "o1")});
  EXPECT_EQ(r.overdue.raised, 2);
  EXPECT_EQ(r.overdue.withdrawn, 1);
  EXPECT_EQ(r.overdue.standing(), 1);
  ASSERT_EQ(r.overdue.by_step.size(), 1u);
  EXPECT_EQ(r.overdue.by_step[0].step, "police_filing_review");
}

TEST(ReportClues, EachClueGetsTheStrongestThingThatFollowedIt) {
  const auto r = fold_all({
      alert("filed", kMar1, v1::ALERT_KIND_SUPERVISION_CLUE, "k"),
      referral("filed", kMar1 + kDay, "sthjj-330100", "x"),
      filing("filed", kMar1 + 2 * kDay, v1::FILING_OUTCOME_FILED),
      alert("referred", kMar1, v1::ALERT_KIND_SUPERVISION_CLUE, "k"),
      referral("referred", kMar1 + kDay, "sthjj-330100", "x"),
      alert("before", kMar1 + kDay, v1::ALERT_KIND_SUPERVISION_CLUE, "k"),
      filing("before", kMar1, v1::FILING_OUTCOME_FILED),  // before the clue: not its outcome
      alert("gone", kMar1, v1::ALERT_KIND_SUPERVISION_CLUE, "k"),
      alert("gone", kMar1 + 5, v1::ALERT_KIND_SUPERVISION_CLUE, "k", v1::ALERT_STATUS_RESOLVED),
  });
  EXPECT_EQ(r.clues.raised, 4);
  EXPECT_EQ(r.clues.outcomes.filed, 1);
  EXPECT_EQ(r.clues.outcomes.referred, 1);
  EXPECT_EQ(r.clues.outcomes.no_follow_up, 1);
  EXPECT_EQ(r.clues.outcomes.withdrawn, 1);
  EXPECT_EQ(r.clues.followed_up_rate.text(), "66.7% (2/3)");
  ASSERT_EQ(r.clues.by_reason.size(), 1u);
  EXPECT_EQ(r.clues.by_reason[0].key, "SUPERVISION_CLUE_REASON_PENALTY_INSTEAD_OF_TRANSFER");
}

v1::Envelope issued(const std::string& rec, Seconds t) {
  auto e = env("case-" + rec, t, "jcy-330100");
  e.mutable_recommendation_issued()->set_recommendation_id(rec);
  return e;
}
v1::Envelope replied(const std::string& rec, Seconds t, v1::ReplyOutcome o) {
  auto e = env("case-" + rec, t, "sthjj-330100");
  e.mutable_recommendation_replied()->set_recommendation_id(rec);
  e.mutable_recommendation_replied()->set_outcome(o);
  return e;
}
v1::Envelope followed(const std::string& rec, Seconds t, v1::RectificationStatus s) {
  auto e = env("case-" + rec, t, "jcy-330100");
  e.mutable_recommendation_followed_up()->set_recommendation_id(rec);
  e.mutable_recommendation_followed_up()->set_rectification(s);
  return e;
}

TEST(ReportRecommendations, AdoptionAndLatestRectificationOfThoseIssuedInThePeriod) {
  const auto r = fold_all({issued("r1", kMar1), replied("r1", kMar1 + kDay, v1::REPLY_OUTCOME_ADOPTED),
                           followed("r1", kMar1 + 2 * kDay, v1::RECTIFICATION_STATUS_IN_PROGRESS),
                           followed("r1", kMar1 + 9 * kDay, v1::RECTIFICATION_STATUS_RECTIFIED),
                           issued("r2", kMar1), replied("r2", kMar1 + kDay, v1::REPLY_OUTCOME_PARTLY_ADOPTED),
                           followed("r2", kMar1 + 2 * kDay, v1::RECTIFICATION_STATUS_NOT_RECTIFIED),
                           issued("r3", kMar1),  // no reply yet
                           issued("r4", kMar1 - kDay), replied("r4", kMar1 + kDay, v1::REPLY_OUTCOME_NOT_ADOPTED)});
  const auto& m = r.recommendations;
  EXPECT_EQ(m.issued, 3);
  EXPECT_EQ(m.adopted, 1);
  EXPECT_EQ(m.partly_adopted, 1);
  EXPECT_EQ(m.not_adopted, 0);
  EXPECT_EQ(m.no_reply, 1);
  EXPECT_EQ(m.adoption_rate.text(), "50.0% (1/2)");
  EXPECT_EQ(m.adopted_or_partly_rate.text(), "100.0% (2/2)");
  EXPECT_EQ(m.rectified, 1);
  EXPECT_EQ(m.not_rectified, 1);
  EXPECT_EQ(m.no_follow_up, 1);
  EXPECT_EQ(m.rectification_rate.text(), "50.0% (1/2)");
}

TEST(ReportRecommendations, NothingIssuedGivesNoDataRates) {
  const auto r = fold_all({replied("r9", kMar1, v1::REPLY_OUTCOME_ADOPTED)});
  EXPECT_EQ(r.recommendations.issued, 0);
  EXPECT_EQ(r.recommendations.adoption_rate.text(), "no data");
  EXPECT_EQ(r.recommendations.rectification_rate.text(), "no data");
}

TEST(ReportClassCases, NoDataUntilTheHookIsFedThenCountedByModel) {
  EXPECT_FALSE(fold_all({}).class_cases.available);
  Fold f;
  f.add_class_case({"e1", "cc-1", "cc-1", "penalty_instead_of_transfer_quarter", kMar1, {"m1"}});
  EXPECT_FALSE(f.add_class_case({"e1", "cc-1", "cc-1", "penalty_instead_of_transfer_quarter", kMar1, {"m1"}}));
  f.add(referral("m1", kMar1, "sthjj-330100", "x"));
  const auto r = f.build(march(), Jurisdiction{"330100", "杭州市", "city"});
  EXPECT_TRUE(r.class_cases.available);
  EXPECT_EQ(r.class_cases.opened, 1);
  EXPECT_EQ(f.build(march(), Jurisdiction{"330200", "宁波市", "city"}).class_cases.opened, 0);
}

// The ClassCaseOpened payload itself (caselink.classcase.v1): placed by its members, counted
// once however often it is read, by model; a period without one is 0 once the topic was read.
TEST(ReportClassCases, ClassCaseOpenedEventsAreCountedByModel) {
  v1::Envelope opened = env("cc-7", kMar1, "caselink-classcase");
  opened.set_event_id("cc-open-7");
  auto* payload = opened.mutable_class_case_opened();
  payload->set_class_case_id("cc-7");
  payload->mutable_model()->set_model_id("penalty_instead_of_transfer_quarter");
  payload->add_members()->set_case_id("m1");
  payload->add_members()->set_case_id("m2");
  Fold f;
  f.class_cases_read();
  EXPECT_EQ(f.build(march(), Jurisdiction{}).class_cases.opened, 0);
  EXPECT_TRUE(f.build(march(), Jurisdiction{}).class_cases.available);
  f.add(referral("m2", kMar1, "sthjj-330100", "x"));
  EXPECT_TRUE(f.add(opened));
  EXPECT_FALSE(f.add(opened));
  const auto r = f.build(march(), Jurisdiction{"330100", "杭州市", "city"});
  EXPECT_EQ(r.class_cases.opened, 1);
  ASSERT_EQ(r.class_cases.by_model.size(), 1U);
  EXPECT_EQ(r.class_cases.by_model[0].key, "penalty_instead_of_transfer_quarter");
  EXPECT_EQ(f.build(march(), Jurisdiction{"330200", "宁波市", "city"}).class_cases.opened, 0);
}

std::vector<v1::Envelope> mixed_events() {
  std::vector<v1::Envelope> events = {referral("c1", kMar1, "sthjj-330100", "pollution_environment"),
                                      referral("c2", kMar1 + 5, "rsj-330100", "wage_arrears"),
                                      alert("c1", kMar1 + 50, v1::ALERT_KIND_SUPERVISION_CLUE, "k"),
                                      alert("c2", kMar1, v1::ALERT_KIND_DEADLINE_OVERDUE, "o"),
                                      issued("r1", kMar1), replied("r1", kMar1 + kDay, v1::REPLY_OUTCOME_ADOPTED)};
  for (int i = 0; i < 4; ++i) {
    const auto d = filing("s" + std::to_string(i), kMar1 + (i + 1) * 7000, v1::FILING_OUTCOME_FILED);
    events.push_back(d);
    events.push_back(closing_snapshot("s" + std::to_string(i), 4, "d#1", kMar1, kMar1 + 14000, d));
  }
  return events;
}

TEST(ReportOrder, AnyOrderOfTheSameEventsGivesTheSameJson) {
  auto events = mixed_events();
  const std::string first = render_json(fold_all(events));
  std::mt19937 rng(18);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(events.begin(), events.end(), rng);
    EXPECT_EQ(render_json(fold_all(events)), first);
  }
}

TEST(ReportRender, JsonSaysNoDataAsNullAndHtmlInlinesTheChartLibrary) {
  const auto r = fold_all(mixed_events());
  const std::string json = render_json(r);
  EXPECT_NE(json.find("\"filing\""), std::string::npos);
  EXPECT_NE(json.find("\"value\": null"), std::string::npos);  // the rectification rate
  const std::string html = render_html(r, "var echarts = {}; /* </script> */");
  EXPECT_NE(html.find("<script>var echarts = {}; /* <\\/script> */</script>"), std::string::npos);
  EXPECT_NE(html.find("animation = false"), std::string::npos);
  EXPECT_NE(html.find("<td>police_filing_review</td>"), std::string::npos);
  EXPECT_EQ(render_html(r, "").find("echarts.init(") , std::string::npos);
}

TEST(ReportPdf, AMissingChromiumIsNamedAndAPrinterThatWritesNoPdfFails) {
  const auto missing = print_pdf("<html></html>", "/tmp/never.pdf", {"/nonexistent/chromium"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("chromium"), std::string::npos);
  // A "Chromium" that prints something and writes no file: unavailable, quoting its output.
  const auto dir = std::filesystem::temp_directory_path() / ("report-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto fake = dir / "chromium";
  std::ofstream(fake) << "#!/bin/sh\necho printer out of paper\nexit 0\n";
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  const auto none = print_pdf("<html></html>", (dir / "out.pdf").string(), {fake.string()});
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(none.error().message.find("printer out of paper"), std::string::npos);
}

}  // namespace
}  // namespace caselink::report
