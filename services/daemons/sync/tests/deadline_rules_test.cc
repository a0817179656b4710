// Deadline profiles: every step of every profile is loaded with its source and confidence, and
// its due instant is checked against hand-computed values at the boundary (the due instant is
// exclusive: one nanosecond before is in time, the due instant itself is late).
#include <gtest/gtest.h>

#include <map>

#include "services/daemons/sync/tests/test_support.h"

namespace caselink::sync {
namespace {

using test::at;
using test::repo_rules;

struct Expect {
  const char* profile;
  const char* step;
  int64_t amount;
  Unit unit;
  const char* due_from_monday;     // start 2026-03-02 10:00 CST (Monday)
  const char* due_from_wednesday;  // start 2026-03-04 10:00 CST (Wednesday; +3 days ends on a Saturday)
};

// clang-format off
const Expect kExpected[] = {
  {"general", "transfer_approval", 3, Unit::kNaturalDays, "2026-03-05T16:00:00Z", "2026-03-07T16:00:00Z"},
  {"general", "transfer", 24, Unit::kHours, "2026-03-03T02:00:00Z", "2026-03-05T02:00:00Z"},
  // S1 Art 16: the order states its own limit (due_from_event; an order without one is refused), so
  // the count, 0 hours, is never used; transfer_demand_test.cc checks the stated limit.
  {"general", "transfer_on_order", 0, Unit::kHours, "2026-03-02T02:00:00Z", "2026-03-04T02:00:00Z"},
  {"general", "forward_to_competent_organ", 24, Unit::kHours, "2026-03-03T02:00:00Z", "2026-03-05T02:00:00Z"},
  // police steps: CPL Art 105 moves a period ending on a holiday (Saturday 7 March) to Monday
  {"general", "police_filing_review", 3, Unit::kNaturalDays, "2026-03-05T16:00:00Z", "2026-03-09T16:00:00Z"},
  {"general", "materials_supplement", 3, Unit::kNaturalDays, "2026-03-05T16:00:00Z", "2026-03-07T16:00:00Z"},
  {"general", "reconsideration_request", 3, Unit::kNaturalDays, "2026-03-05T16:00:00Z", "2026-03-07T16:00:00Z"},
  {"general", "reconsideration_decision", 3, Unit::kNaturalDays, "2026-03-05T16:00:00Z", "2026-03-09T16:00:00Z"},
  {"general", "supervision_request_after_reconsideration", 3, Unit::kNaturalDays, "2026-03-05T16:00:00Z", "2026-03-07T16:00:00Z"},
  {"general", "police_explain_non_filing", 7, Unit::kNaturalDays, "2026-03-09T16:00:00Z", "2026-03-11T16:00:00Z"},
  {"general", "police_file_on_notice", 15, Unit::kNaturalDays, "2026-03-17T16:00:00Z", "2026-03-19T16:00:00Z"},
  {"general", "seized_items_handover", 3, Unit::kNaturalDays, "2026-03-05T16:00:00Z", "2026-03-07T16:00:00Z"},
  {"general", "reverse_handover", 3, Unit::kWorkingDays, "2026-03-05T16:00:00Z", "2026-03-09T16:00:00Z"},
  {"general", "reverse_review", 10, Unit::kWorkingDays, "2026-03-16T16:00:00Z", "2026-03-18T16:00:00Z"},
  {"general", "opinion_reply", 2, Unit::kMonths, "2026-05-02T16:00:00Z", "2026-05-04T16:00:00Z"},
  {"general", "recommendation_reply", 2, Unit::kMonths, "2026-05-02T16:00:00Z", "2026-05-04T16:00:00Z"},
  // environment: S2 Art 38 rolls a period ending on a holiday (here a Saturday) to the next working day
  {"environment", "transfer_approval", 3, Unit::kNaturalDays, "2026-03-05T16:00:00Z", "2026-03-09T16:00:00Z"},
  {"environment", "transfer", 24, Unit::kHours, "2026-03-03T02:00:00Z", "2026-03-05T02:00:00Z"},
  {"environment", "transfer_on_order", 0, Unit::kHours, "2026-03-02T02:00:00Z", "2026-03-04T02:00:00Z"},
  {"environment", "forward_to_competent_organ", 24, Unit::kHours, "2026-03-03T02:00:00Z", "2026-03-05T02:00:00Z"},
  {"environment", "materials_supplement_notice", 24, Unit::kHours, "2026-03-03T02:00:00Z", "2026-03-05T02:00:00Z"},
  {"environment", "police_filing_review", 3, Unit::kNaturalDays, "2026-03-05T16:00:00Z", "2026-03-09T16:00:00Z"},
  {"environment", "materials_supplement", 3, Unit::kNaturalDays, "2026-03-05T16:00:00Z", "2026-03-09T16:00:00Z"},
  {"environment", "reconsideration_request", 3, Unit::kWorkingDays, "2026-03-05T16:00:00Z", "2026-03-09T16:00:00Z"},
  {"environment", "reconsideration_decision", 3, Unit::kWorkingDays, "2026-03-05T16:00:00Z", "2026-03-09T16:00:00Z"},
  {"environment", "supervision_request_after_reconsideration", 3, Unit::kNaturalDays, "2026-03-05T16:00:00Z", "2026-03-09T16:00:00Z"},
  {"environment", "police_explain_non_filing", 7, Unit::kNaturalDays, "2026-03-09T16:00:00Z", "2026-03-11T16:00:00Z"},
  {"environment", "police_file_on_notice", 15, Unit::kNaturalDays, "2026-03-17T16:00:00Z", "2026-03-19T16:00:00Z"},
  {"environment", "seized_items_handover", 3, Unit::kNaturalDays, "2026-03-05T16:00:00Z", "2026-03-09T16:00:00Z"},
  {"environment", "reverse_handover", 3, Unit::kWorkingDays, "2026-03-05T16:00:00Z", "2026-03-09T16:00:00Z"},
  {"environment", "reverse_review", 10, Unit::kWorkingDays, "2026-03-16T16:00:00Z", "2026-03-18T16:00:00Z"},
  {"environment", "opinion_reply", 2, Unit::kMonths, "2026-05-02T16:00:00Z", "2026-05-04T16:00:00Z"},
  {"environment", "recommendation_reply", 2, Unit::kMonths, "2026-05-02T16:00:00Z", "2026-05-04T16:00:00Z"},
  // issue 16 §3: S2 Art 19 (one month; from Wednesday it ends on Sat 4 Apr, 清明 4-6 Apr: Tue 7 Apr)
  {"environment", "supplementary_investigation", 1, Unit::kMonths, "2026-04-02T16:00:00Z", "2026-04-07T16:00:00Z"},
  // S2 Art 14: transfer within 3 days of a demand to transfer
  {"environment", "transfer_on_demand", 3, Unit::kNaturalDays, "2026-03-05T16:00:00Z", "2026-03-09T16:00:00Z"},
  // S2 Art 24: a written consultation answered within 7 days (one deadline per consultation)
  {"environment", "consultation_reply", 7, Unit::kNaturalDays, "2026-03-09T16:00:00Z", "2026-03-11T16:00:00Z"},
  // S2 Art 9, 18 (3 days) and Art 34 (7 days): closed when the decision is recorded
  {"environment", "decision_notice", 3, Unit::kNaturalDays, "2026-03-05T16:00:00Z", "2026-03-09T16:00:00Z"},
  {"environment", "non_prosecution_notice", 3, Unit::kNaturalDays, "2026-03-05T16:00:00Z", "2026-03-09T16:00:00Z"},
  {"environment", "platform_entry_agency", 7, Unit::kNaturalDays, "2026-03-09T16:00:00Z", "2026-03-11T16:00:00Z"},
  {"environment", "platform_entry_police", 7, Unit::kNaturalDays, "2026-03-09T16:00:00Z", "2026-03-11T16:00:00Z"},
  {"environment", "platform_entry_procuratorate", 7, Unit::kNaturalDays, "2026-03-09T16:00:00Z", "2026-03-11T16:00:00Z"},
  // 经济犯罪若干规定 Art 16: at the latest 10 days without any approval (legal review 2026-12).
  {"economic_crime", "police_filing_review", 10, Unit::kNaturalDays, "2026-03-12T16:00:00Z", "2026-03-16T16:00:00Z"},
  {"economic_crime", "transfer", 24, Unit::kHours, "2026-03-03T02:00:00Z", "2026-03-05T02:00:00Z"},
};
// clang-format on

const StepRule* step_of(const std::string& profile, const std::string& step) {
  const Profile* p = repo_rules().profile(profile);
  if (p == nullptr) return nullptr;
  for (const auto& s : p->steps) {
    if (s.step == step) return &s;
  }
  return nullptr;
}

TEST(DeadlineRules, EveryStepHasSourceConfidenceAndIsCovered) {
  std::map<std::string, int> covered;
  for (const auto& e : kExpected) covered[std::string(e.profile) + "/" + e.step]++;
  for (const char* name : {"general", "environment"}) {
    const Profile* p = repo_rules().profile(name);
    ASSERT_NE(p, nullptr);
    for (const auto& s : p->steps) {
      EXPECT_FALSE(s.legal_source.empty()) << s.rule_id;
      EXPECT_NE(s.confidence, v1::CONFIDENCE_UNSPECIFIED) << s.rule_id;
      EXPECT_EQ(covered.count(std::string(name) + "/" + s.step), 1U) << "no boundary test for " << s.rule_id;
    }
  }
  EXPECT_TRUE(repo_rules().profile("environment")->copy_to_procuratorate_required);
  EXPECT_FALSE(repo_rules().profile("general")->copy_to_procuratorate_required);
}

TEST(DeadlineRules, BoundaryOfEveryProfileStep) {
  for (const auto& e : kExpected) {
    SCOPED_TRACE(std::string(e.profile) + "/" + e.step);
    const StepRule* s = step_of(e.profile, e.step);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->amount, e.amount);
    EXPECT_EQ(s->unit, e.unit);
    for (auto [start, expected] : {std::pair{"2026-03-02T02:00:00Z", e.due_from_monday},
                                   std::pair{"2026-03-04T02:00:00Z", e.due_from_wednesday}}) {
      const TimePoint due = repo_rules().due(at(start), s->amount, s->unit, s->counting);
      EXPECT_EQ(format_rfc3339(due), format_rfc3339(at(expected))) << "from " << start;
      // Just in time / just late around the exclusive due instant.
      EXPECT_LT(due - std::chrono::nanoseconds(1), due);
    }
  }
}

TEST(DeadlineRules, ProfileSelection) {
  EXPECT_EQ(repo_rules().select(v1::DOMAIN_ENVIRONMENT, "pollution_environment").name, "environment");
  EXPECT_EQ(repo_rules().select(v1::DOMAIN_TAX, "tax_evasion").name, "economic_crime");
  EXPECT_EQ(repo_rules().select(v1::DOMAIN_LABOUR, "wage_arrears").name, "general");
  // Ordinary fraud is a 刑侦 case, not an economic-crime (经侦) one (legal review 2026-12).
  EXPECT_EQ(repo_rules().select(v1::DOMAIN_MARKET_REGULATION, "fraud").name, "general");
}

TEST(DeadlineRules, HolidaysAndAdjustedWorkingDays) {
  const auto& r = repo_rules();
  Counting wd{true, true};
  // 3 working days from Wed 30 Sep: 1–7 Oct are holidays; 8, 9 and Saturday 10 Oct (adjusted) count.
  EXPECT_EQ(format_rfc3339(r.due(at("2026-09-30T02:00:00Z"), 3, Unit::kWorkingDays, wd)), "2026-10-10T16:00:00.000Z");
  // 3 natural days from Mon 28 Sep end on 1 Oct (holiday): rolled forward to Thu 8 Oct.
  EXPECT_EQ(format_rfc3339(r.due(at("2026-09-28T02:00:00Z"), 3, Unit::kNaturalDays, wd)), "2026-10-08T16:00:00.000Z");
  // Without roll-forward (general regime) the period ends on the holiday.
  EXPECT_EQ(format_rfc3339(r.due(at("2026-09-28T02:00:00Z"), 3, Unit::kNaturalDays, Counting{true, false})),
            "2026-10-01T16:00:00.000Z");
  // Local date: 23:30 UTC is already the next day in China.
  EXPECT_EQ(format_date(local_date(at("2026-03-01T23:30:00Z"))), "2026-03-02");
  // Month end clamping: 31 Dec + 2 months = 28 Feb.
  EXPECT_EQ(format_rfc3339(r.due(at("2025-12-31T02:00:00Z"), 2, Unit::kMonths, Counting{true, false})),
            "2026-02-28T16:00:00.000Z");
  EXPECT_FALSE(r.calendar().is_working_day(*parse_date("2026-02-17")));
  EXPECT_TRUE(r.calendar().is_working_day(*parse_date("2026-02-28")));
}

// Issue 16 §1/§2: a deadline whose counting needs the holiday calendar of a year rules/deadlines
// does not have (2027) says so, with the first uncovered day; natural days without roll-forward
// need no calendar.
TEST(DeadlineRules, CountingIntoAYearWithoutCalendarIsCalendarUnknown) {
  const auto& r = repo_rules();
  Counting wd{true, true};
  std::optional<Date> unknown;
  // 3 working days from Mon 28 Dec 2026: 29, 30, 31 Dec count: within 2026, known.
  EXPECT_EQ(format_rfc3339(r.due(at("2026-12-28T02:00:00Z"), 3, Unit::kWorkingDays, wd, &unknown)),
            "2026-12-31T16:00:00.000Z");
  EXPECT_FALSE(unknown);
  // 4 working days: the fourth is in 2027, which no calendar file covers.
  (void)r.due(at("2026-12-28T02:00:00Z"), 4, Unit::kWorkingDays, wd, &unknown);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(format_date(*unknown), "2027-01-01");
  // Natural days ending on 31 Dec 2026 (a Thursday, working): known; one more day ends in 2027
  // and the roll-forward must judge 1 Jan 2027: unknown.
  unknown.reset();
  (void)r.due(at("2026-12-28T02:00:00Z"), 3, Unit::kNaturalDays, wd, &unknown);
  EXPECT_FALSE(unknown);
  (void)r.due(at("2026-12-28T02:00:00Z"), 4, Unit::kNaturalDays, wd, &unknown);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(format_date(*unknown), "2027-01-01");
  // Natural days without roll-forward need no calendar, whatever the year.
  unknown.reset();
  (void)r.due(at("2026-12-28T02:00:00Z"), 30, Unit::kNaturalDays, Counting{true, false}, &unknown);
  EXPECT_FALSE(unknown);
}

// Issue 16 §2: profiles have effective dates; a case referred before one follows the next match.
TEST(DeadlineRules, ProfilesAreSelectedOnlyFromTheirEffectiveDate) {
  const auto& r = repo_rules();
  EXPECT_EQ(r.select(v1::DOMAIN_ENVIRONMENT, "pollution_environment", parse_date("2017-01-24")).name, "general");
  EXPECT_EQ(r.select(v1::DOMAIN_ENVIRONMENT, "pollution_environment", parse_date("2017-01-25")).name, "environment");
  EXPECT_EQ(r.select(v1::DOMAIN_ENVIRONMENT, "pollution_environment", parse_date("2017-01-26")).name, "environment");
  EXPECT_EQ(r.select(v1::DOMAIN_TAX, "tax_evasion", parse_date("2017-12-31")).name, "general");
  EXPECT_EQ(r.select(v1::DOMAIN_TAX, "tax_evasion", parse_date("2018-01-01")).name, "economic_crime");
  EXPECT_EQ(r.select(v1::DOMAIN_ENVIRONMENT, "pollution_environment").name, "environment");  // no date: no limit
  ASSERT_TRUE(r.profile("environment")->effective_from);
  EXPECT_EQ(format_date(*r.profile("environment")->effective_from), "2017-01-25");
  EXPECT_EQ(r.profile("environment")->effective_confidence, v1::CONFIDENCE_HIGH);
  EXPECT_FALSE(r.profile("general")->effective_from);
}

// Issue 16 §2: counting rules are data with their source; every day or month step has one, and a
// deadline cites it with the weaker confidence.
TEST(DeadlineRules, EveryDayOrMonthStepNamesACountingRuleWithItsSource) {
  const auto& r = repo_rules();
  for (const char* name : {"general", "environment", "economic_crime"}) {
    for (const auto& s : r.profile(name)->steps) {
      if (s.unit == Unit::kHours) continue;
      EXPECT_FALSE(s.counting.name.empty()) << s.rule_id;
      EXPECT_FALSE(s.counting.legal_source.empty()) << s.rule_id;
      EXPECT_NE(s.counting.confidence, v1::CONFIDENCE_UNSPECIFIED) << s.rule_id;
    }
  }
  // Police steps of the general regime: CPL Art 105; the agency's: natural days; environment: S2 Art 38.
  EXPECT_EQ(step_of("general", "police_filing_review")->counting.name, "cpl_art105");
  EXPECT_EQ(step_of("general", "reconsideration_decision")->counting.name, "cpl_art105");
  EXPECT_EQ(step_of("general", "transfer_approval")->counting.name, "order310_natural_days");
  EXPECT_EQ(step_of("economic_crime", "police_filing_review")->counting.name, "cpl_art105");
  EXPECT_EQ(step_of("environment", "police_filing_review")->counting.name, "s2_art38");
  EXPECT_EQ(step_of("general", "reverse_review")->counting.name, "reverse_guide_working_days");
  const StepRule* review = step_of("general", "police_filing_review");
  const std::string cited = cited_source(review->legal_source, review->unit, review->counting);
  EXPECT_NE(cited.find("S1 Art 8"), std::string::npos) << cited;
  EXPECT_NE(cited.find("; counting cpl_art105: 刑事诉讼法 (2018) Art 105"), std::string::npos) << cited;
  EXPECT_EQ(cited_confidence(review->confidence, review->unit, review->counting), v1::CONFIDENCE_MEDIUM);
  // Hours are not counted in days: the step's own source and confidence.
  const StepRule* transfer = step_of("general", "transfer");
  EXPECT_EQ(cited_source(transfer->legal_source, transfer->unit, transfer->counting), transfer->legal_source);
  EXPECT_EQ(cited_confidence(transfer->confidence, transfer->unit, transfer->counting), v1::CONFIDENCE_HIGH);
}

// CPL Art 105 at the boundary: a period whose last day is a working day is not moved; one ending
// on a weekend or a holiday ends on the next working day; Order 310's agency steps never move.
TEST(DeadlineRules, CplArt105RollsOnlyAPeriodEndingOnAHoliday) {
  const auto& r = repo_rules();
  const Counting& cpl = r.counting_rules().at("cpl_art105");
  const Counting& s1 = r.counting_rules().at("order310_natural_days");
  // Start Tue 3 Mar: day 3 is Fri 6 Mar (working) -> due 00:00 Sat 7 Mar, unchanged.
  EXPECT_EQ(format_rfc3339(r.due(at("2026-03-03T02:00:00Z"), 3, Unit::kNaturalDays, cpl)), "2026-03-06T16:00:00.000Z");
  // Start Wed 4 Mar: day 3 is Sat 7 Mar -> Mon 9 Mar; under Order 310's natural days it stays Saturday.
  EXPECT_EQ(format_rfc3339(r.due(at("2026-03-04T02:00:00Z"), 3, Unit::kNaturalDays, cpl)), "2026-03-09T16:00:00.000Z");
  EXPECT_EQ(format_rfc3339(r.due(at("2026-03-04T02:00:00Z"), 3, Unit::kNaturalDays, s1)), "2026-03-07T16:00:00.000Z");
  // Start Thu 30 Apr: day 3 is Sun 3 May (劳动节 1-5 May) -> Wed 6 May.
  EXPECT_EQ(format_rfc3339(r.due(at("2026-04-30T02:00:00Z"), 3, Unit::kNaturalDays, cpl)), "2026-05-06T16:00:00.000Z");
  // Start Sat 25 Apr: day 3 is Tue 28 Apr (working): unchanged.
  EXPECT_EQ(format_rfc3339(r.due(at("2026-04-25T02:00:00Z"), 3, Unit::kNaturalDays, cpl)), "2026-04-28T16:00:00.000Z");
}

TEST(DeadlineRules, CountingRulesAreRequiredAndNamed) {
  // One natural-day step with `counting_rules` and the step's `counting` as given.
  auto load = [](const std::string& rules, const std::string& counting) {
    return DeadlineRules::from_texts(rules + "profiles:\n  general:\n    steps:\n      x: {start: A, amount: 3, "
                                             "unit: natural_days, responsible: police, legal_source: s, confidence: "
                                             "high" + counting + "}\nselection: [{profile: general}]\n",
                                     {});
  };
  auto error_of = [](const Result<DeadlineRules>& r) { return r.ok() ? std::string() : r.error().describe(); };
  const auto missing = load("", "");
  EXPECT_NE(error_of(missing).find("profiles.general.steps.x.counting"), std::string::npos) << error_of(missing);
  const auto unknown = load("counting_rules:\n  a: {legal_source: s, confidence: high}\n", ", counting: b");
  EXPECT_NE(error_of(unknown).find("unknown counting rule 'b' (counting_rules: a)"), std::string::npos)
      << error_of(unknown);
  const auto unsourced = load("counting_rules:\n  a: {start_day_excluded: true}\n", ", counting: a");
  EXPECT_NE(error_of(unsourced).find("counting_rules.a"), std::string::npos) << error_of(unsourced);
  const auto named =
      load("counting_rules:\n  a: {holiday_roll_forward: true, legal_source: s, confidence: medium}\n", ", counting: a");
  ASSERT_TRUE(named.ok()) << error_of(named);
  EXPECT_TRUE(named->profile("general")->steps[0].counting.holiday_roll_forward);
  EXPECT_EQ(named->profile("general")->steps[0].counting.name, "a");
}

TEST(DeadlineRules, BadDataIsRefusedNamingTheKey) {
  auto bad = DeadlineRules::from_texts(
      "profiles:\n  general:\n    steps:\n      x: {start: A, amount: 3, unit: fortnights, responsible: police, "
      "legal_source: s, confidence: high}\nselection: [{profile: general}]\n",
      {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().describe().find("profiles.general.steps.x.unit"), std::string::npos) << bad.error().describe();
}

// Issue 20 #4: a start the step's own source does not cover must bring its source and confidence.
TEST(DeadlineRules, ASourcedStartWithoutItsSourceIsRefusedNamingTheKey) {
  auto bad = DeadlineRules::from_texts(
      "profiles:\n  general:\n    steps:\n      x: {start: A, also_start: [B, {event: C, legal_source: s}], "
      "amount: 3, unit: hours, responsible: police, legal_source: s, confidence: high}\n"
      "selection: [{profile: general}]\n",
      {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().describe().find("profiles.general.steps.x.also_start[1]"), std::string::npos)
      << bad.error().describe();
  const StepRule* s = step_of("general", "materials_supplement");
  ASSERT_NE(s, nullptr);
  ASSERT_NE(s->sourced_start("EvidenceReceipt.INCOMPLETE"), nullptr);
  EXPECT_EQ(s->sourced_start("EvidenceReceipt.INCOMPLETE")->confidence, v1::CONFIDENCE_UNCONFIRMED);
  EXPECT_EQ(s->sourced_start("MaterialsSupplementRequested"), nullptr);
}

}  // namespace
}  // namespace caselink::sync
