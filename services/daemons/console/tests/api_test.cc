#include "services/daemons/console/api.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "services/lib/envelope/codec.h"
#include "services/daemons/console/settings.h"
#include "services/daemons/console/tests/fixtures.h"

namespace caselink::console {
namespace {

using namespace caselink::console::testing;
using nlohmann::json;

TimePoint at(const std::string& rfc3339) { return envelope::to_time_point(ts(rfc3339)); }

TEST(ConsoleApi, QueryStringsAreDecoded) {
  auto q = parse_query("agency=sthjj-330100&offence=a%20b+c&empty=&flag");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->at("agency"), "sthjj-330100");
  EXPECT_EQ(q->at("offence"), "a b c");
  EXPECT_EQ(q->at("empty"), "");
  EXPECT_EQ(q->at("flag"), "");
  EXPECT_FALSE(parse_query("agency=%4").ok());
  EXPECT_FALSE(parse_query("agency=%zz").ok());
}

TEST(ConsoleApi, FiltersRefuseUnknownKeysAndBadValuesNamingThem) {
  auto f = parse_filter("agency=ga-330100&status=FILED&overdue=true");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->agency, "ga-330100");
  EXPECT_EQ(f->status, "FILED");
  EXPECT_EQ(f->overdue, std::optional<bool>(true));
  EXPECT_EQ(parse_filter("overdue=").value().overdue, std::nullopt);
  auto bad = parse_filter("overdue=maybe");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "overdue");
  auto unknown = parse_filter("colour=red");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().field, "colour");
}

TEST(ConsoleApi, DurationsForPeopleInDaysAndHours) {
  EXPECT_EQ(due_text(at("2026-11-05T03:00:00Z"), at("2026-11-03T00:00:00Z")), "due in 2d 3h");
  EXPECT_EQ(due_text(at("2026-11-01T00:00:00Z"), at("2026-11-02T04:00:00Z")), "overdue by 1d 4h");
}

TEST(ConsoleApi, CaseListCountsWhatItLists) {
  auto s = snapshot("case-a", 1, v1::CASE_STATE_FILED);
  add_deadline(&s, "items_handover", v1::DEADLINE_STATUS_OPEN, "2026-11-01T00:00:00Z");
  const TimePoint now = at("2026-11-02T00:00:00Z");
  std::vector<CaseSummary> cases = {summarize_case("case-a", s, 0, now), summarize_case("case-b", std::nullopt, 0, now)};
  const json j = json::parse(cases_json(cases, {}, now));
  EXPECT_EQ(j["count"], 2);
  EXPECT_EQ(j["counts"]["overdue"], 1);
  EXPECT_EQ(j["counts"]["by_state"]["FILED"], 1);
  EXPECT_EQ(j["counts"]["by_state"]["(no snapshot yet)"], 1);
  EXPECT_EQ(j["counts"]["by_agency"]["sthjj-330100"], 1);
  EXPECT_EQ(j["cases"][0]["next_due_text"], "overdue by 1d");
  EXPECT_EQ(j["cases"][0]["overdue"], true);
}

TEST(ConsoleApi, RecommendationsShowTheReplyDeadlineWhileWaiting) {
  RecommendationRow row;
  row.case_id = "case-a";
  row.summary.set_recommendation_id("rec-1");
  row.summary.set_status(v1::RECOMMENDATION_STATUS_ISSUED);
  *row.summary.mutable_reply_due_at() = ts("2027-01-02T00:00:00Z");
  const json j = json::parse(recommendations_json({row}, at("2026-11-02T00:00:00Z")));
  EXPECT_EQ(j["count"], 1);
  EXPECT_EQ(j["by_status"]["RECOMMENDATION_STATUS_ISSUED"], 1);
  EXPECT_EQ(j["recommendations"][0]["reply_due_text"], "due in 61d");
}

TEST(ConsoleSettings, OnlyLoopbackUnlessAllowed) {
  EXPECT_TRUE(is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(is_loopback_address("127.8.9.10"));
  EXPECT_TRUE(is_loopback_address("::1"));
  EXPECT_TRUE(is_loopback_address("::ffff:127.0.0.1"));
  EXPECT_FALSE(is_loopback_address("0.0.0.0"));
  EXPECT_FALSE(is_loopback_address("::"));
  EXPECT_FALSE(is_loopback_address("10.1.2.3"));
  EXPECT_FALSE(is_loopback_address("localhost"));  // a name, not an address
  ConsoleSettings s;
  EXPECT_TRUE(check_bind("127.0.0.1", s).ok());
  auto refused = check_bind("0.0.0.0", s);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().field, "http.bind");
  s.allow_non_loopback = true;
  EXPECT_TRUE(check_bind("0.0.0.0", s).ok());
}

TEST(ConsoleOps, UrlsAreSplit) {
  auto u = parse_http_url("http://127.0.0.1:9301/readyz");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "9301");
  EXPECT_EQ(u->target, "/readyz");
  EXPECT_EQ(parse_http_url("http://[::1]:80").value().host, "::1");
  EXPECT_FALSE(parse_http_url("https://127.0.0.1:1/").ok());
  EXPECT_FALSE(parse_http_url("http://127.0.0.1/").ok());
}

TEST(ConsoleOps, AProbeOfNothingSaysWhy) {
  // Port 1 on loopback: nothing listens there (connection refused at once).
  const ServiceProbe p = probe_readyz("nobody", "http://127.0.0.1:1/readyz", std::chrono::milliseconds(2000));
  EXPECT_FALSE(p.ready);
  EXPECT_EQ(p.status, 0);
  EXPECT_NE(p.detail.find("no answer"), std::string::npos);
}

}  // namespace
}  // namespace caselink::console
