// The one key rule and decode step every consuming handler applies (issue 13 H).
#include "services/common/kafka/decode.h"

#include <gtest/gtest.h>

#include "services/common/envelope/codec.h"

namespace caselink::kafka {
namespace {

ConsumedRecord record_of(std::optional<std::string> key, std::optional<std::string> value) {
  ConsumedRecord r;
  r.topic = "caselink.referral.v1";
  r.partition = 1;
  r.offset = 9;
  r.key = std::move(key);
  r.value = std::move(value);
  return r;
}

std::string probe_of(const std::string& case_id) {
  SystemClock clock;
  v1::Envelope env = envelope::make_envelope(CaseId(case_id), AgencyId("a"), clock.now(), clock.now());
  env.mutable_probe()->set_sequence(1);
  envelope::seal(env);
  return envelope::encode(env);
}

struct Row {
  const char* name;
  ConsumedRecord record;
  const char* error_class;  // nullptr = accepted
};

class DecodeRecord : public ::testing::TestWithParam<Row> {};

TEST_P(DecodeRecord, AppliesOneRule) {
  const Row& row = GetParam();
  auto decoded = decode_record(row.record);
  if (row.error_class == nullptr) {
    ASSERT_TRUE(decoded.ok()) << decoded.error().describe();
    EXPECT_EQ(decoded->case_id(), "case-1");
    return;
  }
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().reason, row.error_class);
  const HandlerResult refused = refuse(decoded.error());
  ASSERT_TRUE(refused.dead_letter.has_value());
  EXPECT_EQ(refused.dead_letter->error_class, row.error_class);
  EXPECT_FALSE(refused.dead_letter->message.empty());
  EXPECT_TRUE(refused.outputs.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Table, DecodeRecord,
    ::testing::Values(Row{"keyed_by_case", record_of("case-1", probe_of("case-1")), nullptr},
                      Row{"tombstone", record_of("case-1", std::nullopt), envelope::kUndecodable},
                      Row{"garbage", record_of("case-1", std::string("\x0a\xff\xff")), envelope::kUndecodable},
                      Row{"null_key", record_of(std::nullopt, probe_of("case-1")), kKeyMissing},
                      Row{"empty_key", record_of("", probe_of("case-1")), kKeyMismatch},
                      Row{"other_case", record_of("case-2", probe_of("case-1")), kKeyMismatch}),
    [](const ::testing::TestParamInfo<Row>& info) { return std::string(info.param.name); });

// KeyRule::kAny (caselink-passthrough's blind copy): the envelope is still checked, the key not.
TEST(DecodeRecordAnyKey, ChecksTheEnvelopeButNotTheKey) {
  EXPECT_TRUE(decode_record(record_of(std::nullopt, probe_of("case-1")), KeyRule::kAny).ok());
  EXPECT_TRUE(decode_record(record_of("case-2", probe_of("case-1")), KeyRule::kAny).ok());
  auto tombstone = decode_record(record_of("case-1", std::nullopt), KeyRule::kAny);
  ASSERT_FALSE(tombstone.ok());
  EXPECT_EQ(tombstone.error().reason, envelope::kUndecodable);
  auto garbage = decode_record(record_of("case-1", std::string("\x0a\xff\xff")), KeyRule::kAny);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().reason, envelope::kUndecodable);
}

}  // namespace
}  // namespace caselink::kafka
