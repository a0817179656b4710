#include <gtest/gtest.h>

#include <cmath>

#include "services/lib/core/uuid.h"
#include "services/lib/envelope/codec.h"

namespace caselink::envelope {
namespace {

using caselink::v1::Envelope;

TimePoint at(int64_t seconds) { return TimePoint(std::chrono::seconds(seconds)); }

Envelope valid_probe() {
  Envelope env = make_envelope(CaseId("case-1"), AgencyId("sthjj-330100"), at(1'780'000'000), at(1'780'000'005));
  env.mutable_probe()->set_note("hello");
  seal(env);
  return env;
}

TEST(Envelope, SealFillsTypeAndCorrelation) {
  Envelope env = valid_probe();
  EXPECT_EQ(env.event_type(), "caselink.v1.Probe");
  EXPECT_EQ(env.correlation_id(), env.event_id());
  EXPECT_TRUE(is_canonical_uuid(env.event_id()));
  EXPECT_EQ(env.schema_version(), kSchemaVersion);
  EXPECT_TRUE(validate(env).ok());
}

TEST(Envelope, RoundTripsThroughBytes) {
  Envelope env = valid_probe();
  auto decoded = decode(encode(env));
  ASSERT_TRUE(decoded.ok()) << decoded.error().describe();
  EXPECT_EQ(decoded->event_id(), env.event_id());
  EXPECT_EQ(decoded->probe().note(), "hello");
  EXPECT_EQ(encode(*decoded), encode(env));
}

TEST(Envelope, KnowsEveryPayloadOfTheOneof) {
  EXPECT_TRUE(is_known_event_type("caselink.v1.CaseReferral"));
  EXPECT_TRUE(is_known_event_type("caselink.v1.Alert"));
  EXPECT_FALSE(is_known_event_type("caselink.v1.Envelope"));
  EXPECT_FALSE(is_known_event_type("caselink.v2.CaseReferral"));
}

TEST(Envelope, GarbageIsUndecodable) {
  auto decoded = decode(std::string("\xff\xff\xff\xff not protobuf", 18));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().reason, kUndecodable);
  EXPECT_EQ(decoded.error().field, "value");
}

struct Case {
  const char* name;
  void (*mutate)(Envelope&);
  const char* field;
  const char* reason;
};

class EnvelopeValidation : public ::testing::TestWithParam<Case> {};

TEST_P(EnvelopeValidation, RejectsWithFieldAndReason) {
  Envelope env = valid_probe();
  GetParam().mutate(env);
  auto decoded = decode(encode(env));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().field, GetParam().field) << decoded.error().describe();
  EXPECT_EQ(decoded.error().reason, GetParam().reason) << decoded.error().describe();
  EXPECT_EQ(decoded.error().code, ErrorCode::kInvalid);
}

INSTANTIATE_TEST_SUITE_P(
    AllRules, EnvelopeValidation,
    ::testing::Values(
        Case{"missing_event_id", [](Envelope& e) { e.clear_event_id(); }, "event_id", kMissingField},
        Case{"bad_event_id", [](Envelope& e) { e.set_event_id("1234"); }, "event_id", kInvalidField},
        Case{"missing_case_id", [](Envelope& e) { e.clear_case_id(); }, "case_id", kMissingField},
        Case{"case_id_with_space", [](Envelope& e) { e.set_case_id("a b"); }, "case_id", kInvalidField},
        Case{"case_id_too_long", [](Envelope& e) { e.set_case_id(std::string(129, 'x')); }, "case_id", kInvalidField},
        Case{"missing_agency", [](Envelope& e) { e.clear_producer_agency_id(); }, "producer_agency_id", kMissingField},
        Case{"missing_type", [](Envelope& e) { e.clear_event_type(); }, "event_type", kMissingField},
        Case{"unknown_type", [](Envelope& e) { e.set_event_type("caselink.v1.NoSuchEvent"); }, "event_type",
             kUnknownType},
        Case{"type_mismatch", [](Envelope& e) { e.set_event_type("caselink.v1.CaseReferral"); }, "event_type",
             kTypeMismatch},
        Case{"missing_payload", [](Envelope& e) { e.clear_probe(); }, "payload", kMissingField},
        Case{"missing_occurred_at", [](Envelope& e) { e.clear_occurred_at(); }, "occurred_at", kMissingField},
        Case{"bad_occurred_at", [](Envelope& e) { e.mutable_occurred_at()->set_nanos(-1); }, "occurred_at",
             kInvalidField},
        // Issue 13 E: the proto3 Timestamp range reaches 9999, a TimePoint only 2262.
        Case{"occurred_at_9999", [](Envelope& e) { e.mutable_occurred_at()->set_seconds(253402300799LL); },
             "occurred_at", kInvalidField},
        Case{"occurred_at_0001", [](Envelope& e) { e.mutable_occurred_at()->set_seconds(-62135596800LL); },
             "occurred_at", kInvalidField},
        Case{"recorded_at_2263", [](Envelope& e) { e.mutable_recorded_at()->set_seconds(kMaxTimeSeconds + 1); },
             "recorded_at", kInvalidField},
        // Issue 13 D: the value conventions, at any depth of any payload.
        Case{"referral_due_9999",
             [](Envelope& e) {
               e.mutable_materials_supplement_requested()->mutable_stated_due_at()->set_seconds(253402300799LL);
               e.set_event_type("caselink.v1.MaterialsSupplementRequested");
             },
             "materials_supplement_requested.stated_due_at", kInvalidValue},
        Case{"act_date_not_a_date",
             [](Envelope& e) {
               e.mutable_case_referral()->set_act_date("not-a-date");
               e.set_event_type("caselink.v1.CaseReferral");
             },
             "case_referral.act_date", kInvalidValue},
        Case{"act_date_9999",
             [](Envelope& e) {
               e.mutable_case_referral()->set_act_date("9999-12-31");
               e.set_event_type("caselink.v1.CaseReferral");
             },
             "case_referral.act_date", kInvalidValue},
        Case{"negative_money",
             [](Envelope& e) {
               e.mutable_case_referral()->set_prior_fine_paid_yuan(-0.01);
               e.set_event_type("caselink.v1.CaseReferral");
             },
             "case_referral.prior_fine_paid_yuan", kInvalidValue},
        Case{"nan_money",
             [](Envelope& e) {
               e.mutable_case_referral()->set_prior_fine_paid_yuan(std::nan(""));
               e.set_event_type("caselink.v1.CaseReferral");
             },
             "case_referral.prior_fine_paid_yuan", kInvalidValue},
        Case{"infinite_fact",
             [](Envelope& e) {
               auto* fact = e.mutable_case_referral()->add_facts();
               fact->set_name("area_mu");
               fact->set_number(HUGE_VAL);
               e.set_event_type("caselink.v1.CaseReferral");
             },
             "case_referral.facts[0].number", kInvalidValue},
        Case{"negative_money_fact",
             [](Envelope& e) {
               auto* fact = e.mutable_case_referral()->add_facts();
               fact->set_name("x");
               fact->set_unit("yuan");
               fact->set_number(-3);
               e.set_event_type("caselink.v1.CaseReferral");
             },
             "case_referral.facts[0].number", kInvalidValue},
        Case{"missing_recorded_at", [](Envelope& e) { e.clear_recorded_at(); }, "recorded_at", kMissingField},
        Case{"missing_schema_version", [](Envelope& e) { e.set_schema_version(0); }, "schema_version", kMissingField},
        Case{"future_schema_version", [](Envelope& e) { e.set_schema_version(kSchemaVersion + 1); },
             "schema_version", kFutureSchemaVersion}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(Envelope, CloudEventHeaders) {
  Envelope env = valid_probe();
  Headers headers = cloud_event_headers(env);
  EXPECT_EQ(find_header(headers, "ce_specversion"), "1.0");
  EXPECT_EQ(find_header(headers, "ce_id"), env.event_id());
  EXPECT_EQ(find_header(headers, "ce_source"), "sthjj-330100");
  EXPECT_EQ(find_header(headers, "ce_type"), "caselink.v1.Probe");
  EXPECT_EQ(find_header(headers, "ce_subject"), "case-1");
  EXPECT_EQ(find_header(headers, "ce_time"), format_rfc3339(at(1'780'000'000)));
  EXPECT_EQ(find_header(headers, "content-type"), "application/x-protobuf");
}

TEST(Envelope, RecordIsKeyedByCaseId) {
  Envelope env = valid_probe();
  OutgoingRecord record = to_record(env, "caselink.bench.in.v1");
  EXPECT_EQ(record.topic, "caselink.bench.in.v1");
  EXPECT_EQ(record.key, "case-1");
  ASSERT_TRUE(record.value.has_value());
  EXPECT_EQ(*record.value, encode(env));
}

TEST(Envelope, TimestampConversionKeepsNanos) {
  google::protobuf::Timestamp ts;
  const TimePoint t = at(1'780'000'000) + std::chrono::microseconds(123456);
  set_timestamp(&ts, t);
  EXPECT_EQ(ts.seconds(), 1'780'000'000);
  EXPECT_EQ(ts.nanos(), 123456000);
  EXPECT_EQ(to_time_point(ts), t);
}

}  // namespace
}  // namespace caselink::envelope
