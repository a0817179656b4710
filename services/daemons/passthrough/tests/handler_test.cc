#include <gtest/gtest.h>

#include "services/lib/envelope/codec.h"
#include "services/daemons/passthrough/handler.h"

namespace caselink::passthrough {
namespace {

ConsumedRecord input(std::optional<std::string> value) {
  ConsumedRecord r;
  r.topic = "in";
  r.partition = 1;
  r.offset = 5;
  r.key = "case-1";
  r.value = std::move(value);
  r.headers = {{"ce_id", "x"}};
  return r;
}

TEST(Passthrough, CopiesBytesKeyAndHeaders) {
  PassthroughHandler handler({"out", false});
  auto result = handler.handle(input(std::string("anything")));
  ASSERT_FALSE(result.dead_letter);
  ASSERT_EQ(result.outputs.size(), 1U);
  EXPECT_EQ(result.outputs[0].topic, "out");
  EXPECT_EQ(result.outputs[0].key, "case-1");
  EXPECT_EQ(result.outputs[0].value, "anything");
  EXPECT_EQ(result.outputs[0].headers, (Headers{{"ce_id", "x"}}));
}

TEST(Passthrough, ValidatingModeDeadLettersGarbage) {
  PassthroughHandler handler({"out", true});
  auto result = handler.handle(input(std::string("garbage")));
  ASSERT_TRUE(result.dead_letter);
  EXPECT_EQ(result.dead_letter->error_class, envelope::kUndecodable);
  EXPECT_TRUE(result.outputs.empty());
  auto tombstone = handler.handle(input(std::nullopt));
  ASSERT_TRUE(tombstone.dead_letter);
  EXPECT_EQ(tombstone.dead_letter->error_class, envelope::kUndecodable);
}

// The blind copy checks the envelope only: a record keyed by something else than its case id
// (which the consuming services dead-letter) is copied, as before the shared opening.
TEST(Passthrough, ValidatingModeDoesNotApplyTheKeyRule) {
  PassthroughHandler handler({"out", true});
  v1::Envelope env = envelope::make_envelope(CaseId("case-9"), AgencyId("a"), TimePoint{}, TimePoint{});
  env.mutable_probe()->set_sequence(1);
  envelope::seal(env);
  auto result = handler.handle(input(envelope::encode(env)));
  EXPECT_FALSE(result.dead_letter);
  EXPECT_EQ(result.outputs.size(), 1U);
}

TEST(Passthrough, ValidatingModePassesValidEnvelopes) {
  PassthroughHandler handler({"out", true});
  v1::Envelope env = envelope::make_envelope(CaseId("case-1"), AgencyId("a"), TimePoint{}, TimePoint{});
  env.mutable_probe()->set_sequence(1);
  envelope::seal(env);
  auto result = handler.handle(input(envelope::encode(env)));
  EXPECT_FALSE(result.dead_letter);
  EXPECT_EQ(result.outputs.size(), 1U);
}

}  // namespace
}  // namespace caselink::passthrough
