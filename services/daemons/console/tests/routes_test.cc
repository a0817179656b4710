#include "services/daemons/console/routes.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "services/lib/envelope/codec.h"
#include "services/daemons/console/tests/fixtures.h"

namespace caselink::console {
namespace {

using namespace caselink::console::testing;
using nlohmann::json;

class RoutesTest : public ::testing::Test {
 protected:
  RoutesTest() : clock_(envelope::to_time_point(ts("2026-11-03T00:00:00Z"))) {
    auto s = snapshot("case a/1", 1, v1::CASE_STATE_REFERRED);
    add_deadline(&s, "police_receipt", v1::DEADLINE_STATUS_OPEN, "2026-11-04T06:00:00Z");
    model_.apply(state_record(s, 0));
    assets_.files = embedded_assets();
  }
  ReadModel model_;
  ManualClock clock_;
  Assets assets_;
  RouteContext context_{model_, nullptr, clock_, assets_, nullptr};
};

TEST_F(RoutesTest, EveryPageIsCompiledIn) {
  for (const char* name : {"index.html", "case.html", "recommendations.html", "ops.html", "console.js", "console.css"}) {
    ASSERT_EQ(assets_.files.count(name), 1U) << name;
    EXPECT_FALSE(assets_.files.at(name).empty()) << name;
  }
  // No inline script anywhere: the Content-Security-Policy allows only /assets/*.js.
  for (const auto& [name, body] : assets_.files) {
    if (name.ends_with(".html")) {
      EXPECT_EQ(body.find("<script>"), std::string::npos) << name;
    }
  }
}

TEST_F(RoutesTest, ACaseByItsEscapedId) {
  const http::Response r = case_response(context_, {"/api/cases/case%20a%2F1", ""});
  ASSERT_EQ(r.status, 200U) << r.body;
  const json j = json::parse(r.body);
  EXPECT_EQ(j["case_id"], "case a/1");
  EXPECT_EQ(j["deadlines"][0]["due_text"], "due in 1d 6h");
  EXPECT_TRUE(j.contains("hash_chain"));
  bool csp = false;
  for (const auto& [name, value] : r.headers) csp = csp || name == "Content-Security-Policy";
  EXPECT_TRUE(csp);
}

TEST_F(RoutesTest, AnUnknownCaseIs404AndABadFilter400NamingTheField) {
  EXPECT_EQ(case_response(context_, {"/api/cases/nope", ""}).status, 404U);
  const http::Response bad = cases_response(context_, {"/api/cases", "overdue=perhaps"});
  EXPECT_EQ(bad.status, 400U);
  EXPECT_EQ(json::parse(bad.body)["field"], "overdue");
  const http::Response ok = cases_response(context_, {"/api/cases", "status=REFERRED"});
  EXPECT_EQ(json::parse(ok.body)["count"], 1);
}

TEST_F(RoutesTest, MissingEchartsIsAnErrorNamingTheKey) {
  auto loaded = load_assets("", "/nonexistent/echarts.min.js");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().field, "web.echarts_js");
}

}  // namespace
}  // namespace caselink::console
