#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <spdlog/details/log_msg.h>

#include "services/lib/logging/logging.h"

namespace caselink::logging {
namespace {

std::string render(Format format, const std::string& text) {
  auto formatter = make_formatter(format, "caselink-test");
  spdlog::details::log_msg msg("sync.handler", spdlog::level::info, text);
  spdlog::memory_buf_t buf;
  formatter->format(msg, buf);
  return std::string(buf.data(), buf.size());
}

TEST(Logging, JsonLineCarriesEventContext) {
  ScopedEventContext scope({"case-1", "ev-1", "caselink.v1.CaseReferral", "caselink.referral.v1", 3, 42});
  const std::string line = render(Format::kJson, "applied \"quoted\"\nnext");
  ASSERT_EQ(line.back(), '\n');
  auto json = nlohmann::json::parse(line);
  EXPECT_EQ(json["level"], "info");
  EXPECT_EQ(json["logger"], "sync.handler");
  EXPECT_EQ(json["service"], "caselink-test");
  EXPECT_EQ(json["msg"], "applied \"quoted\"\nnext");
  EXPECT_EQ(json["case_id"], "case-1");
  EXPECT_EQ(json["event_id"], "ev-1");
  EXPECT_EQ(json["event_type"], "caselink.v1.CaseReferral");
  EXPECT_EQ(json["topic"], "caselink.referral.v1");
  EXPECT_EQ(json["partition"], 3);
  EXPECT_EQ(json["offset"], 42);
}

TEST(Logging, JsonLineWithoutContextHasNoEventFields) {
  auto json = nlohmann::json::parse(render(Format::kJson, "started"));
  EXPECT_FALSE(json.contains("case_id"));
  EXPECT_EQ(json["msg"], "started");
}

TEST(Logging, TextLineAppendsFields) {
  ScopedEventContext scope({"case-9", "ev-9", "", "t", 0, 7});
  const std::string line = render(Format::kText, "hello");
  EXPECT_NE(line.find("[sync.handler] hello case_id=case-9 event_id=ev-9 topic=t partition=0 offset=7"),
            std::string::npos)
      << line;
}

TEST(Logging, ContextIsRestoredWhenScopeEnds) {
  {
    ScopedEventContext outer({"outer", "", "", "", -1, -1});
    {
      ScopedEventContext inner({"inner", "", "", "", -1, -1});
      EXPECT_EQ(current_event_context()->case_id, "inner");
    }
    EXPECT_EQ(current_event_context()->case_id, "outer");
  }
  EXPECT_EQ(current_event_context(), nullptr);
}

TEST(Logging, InitRejectsUnknownValuesNamingTheKey) {
  Status bad_format = init({"info", "xml", "svc"});
  ASSERT_FALSE(bad_format.ok());
  EXPECT_EQ(bad_format.error().field, "log.format");
  Status bad_level = init({"loud", "text", "svc"});
  ASSERT_FALSE(bad_level.ok());
  EXPECT_EQ(bad_level.error().field, "log.level");
  EXPECT_TRUE(init({"debug", "json", "svc"}).ok());
}

}  // namespace
}  // namespace caselink::logging
