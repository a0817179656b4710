// JSON -> envelope: what the server fills, and every error naming its field and rule.
#include <gtest/gtest.h>

#include "services/common/core/uuid.h"
#include "services/common/envelope/codec.h"
#include "services/ingress/event_mapping.h"

namespace caselink::ingress {
namespace {

class EventMappingTest : public ::testing::Test {
 protected:
  MappingOutcome parse(const std::string& body, const std::string& agency = "sthjj-330100") {
    MappingOptions options{&router_, &clock_, 3};
    return parse_events(body, agency, options);
  }
  void expect_error(const std::string& body, unsigned status, const std::string& field, const std::string& rule) {
    MappingOutcome outcome = parse(body);
    ASSERT_FALSE(outcome.ok()) << body;
    EXPECT_EQ(outcome.error->status, status) << outcome.error->to_json();
    EXPECT_EQ(outcome.error->field, field) << outcome.error->to_json();
    EXPECT_EQ(outcome.error->rule, rule) << outcome.error->to_json();
    EXPECT_FALSE(outcome.error->message.empty());
  }

  TopicRouter router_;
  ManualClock clock_{TimePoint(std::chrono::seconds(1'800'000'000))};
};

const char* kMinimal =
    R"({"case_id":"env-330100-2026-0001","occurred_at":"2026-03-01T08:30:00Z",
        "suspected_crime_reported":{}})";

TEST_F(EventMappingTest, FillsWhatTheCallerMayOmit) {
  MappingOutcome outcome = parse(kMinimal);
  ASSERT_TRUE(outcome.ok()) << outcome.error->to_json();
  ASSERT_EQ(outcome.request->events.size(), 1u);
  const ParsedEvent& e = outcome.request->events[0];
  EXPECT_FALSE(outcome.request->batch);
  EXPECT_TRUE(is_canonical_uuid(e.envelope.event_id()));
  EXPECT_FALSE(e.event_id_from_caller);
  EXPECT_EQ(e.envelope.schema_version(), envelope::kSchemaVersion);
  EXPECT_EQ(e.envelope.producer_agency_id(), "sthjj-330100");
  EXPECT_EQ(e.envelope.event_type(), "caselink.v1.SuspectedCrimeReported");
  EXPECT_EQ(e.envelope.correlation_id(), e.envelope.event_id());
  EXPECT_EQ(envelope::to_time_point(e.envelope.recorded_at()), clock_.now());
  EXPECT_EQ(e.topic, "caselink.referral.v1");
  EXPECT_TRUE(envelope::validate(e.envelope).ok());
  EXPECT_EQ(e.fingerprint.size(), 64u);
}

TEST_F(EventMappingTest, KeepsCallerValuesAndAcceptsCamelCase) {
  MappingOutcome outcome = parse(
      R"({"eventId":"0b6f7e1c-5d2a-4f7e-9a51-3c1d2e4f5a6b","caseId":"c-1","occurredAt":"2026-03-01T08:30:00+08:00",
          "producerAgencyId":"sthjj-330100","filingDecision":{}})");
  ASSERT_TRUE(outcome.ok()) << outcome.error->to_json();
  const ParsedEvent& e = outcome.request->events[0];
  EXPECT_EQ(e.envelope.event_id(), "0b6f7e1c-5d2a-4f7e-9a51-3c1d2e4f5a6b");
  EXPECT_TRUE(e.event_id_from_caller);
  EXPECT_EQ(e.topic, "caselink.decision.v1");
}

TEST_F(EventMappingTest, SameEventSameFingerprintWhateverTheWhitespace) {
  auto a = parse(kMinimal);
  auto b = parse(R"({ "case_id" : "env-330100-2026-0001" , "occurred_at":"2026-03-01T08:30:00Z","suspected_crime_reported":{} })");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.request->fingerprint, b.request->fingerprint);
  auto c = parse(R"({"case_id":"env-330100-2026-0002","occurred_at":"2026-03-01T08:30:00Z","suspected_crime_reported":{}})");
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a.request->fingerprint, c.request->fingerprint);
}

TEST_F(EventMappingTest, ErrorsNameTheFieldAndTheRule) {
  expect_error("{not json", 400, "", "json.syntax");
  expect_error("[1,2]", 400, "", "json.wrong_type");
  expect_error(R"({"case_id":"c","occurred_at":"2026-03-01T08:30:00Z","suspected_crime_reported":{},"colour":"red"})",
               400, "colour", "json.unknown_field");
  expect_error(R"({"case_id":"c","occurred_at":"2026-03-01T08:30:00Z","case_referral":{"nope":1}})", 400,
               "case_referral.nope", "json.unknown_field");
  expect_error(R"({"case_id":"c","occurred_at":"01/03/2026","suspected_crime_reported":{}})", 400, "occurred_at",
               "json.timestamp_format");
  expect_error(R"({"case_id":"c","occurred_at":"2026-03-01T08:30:00Z","schema_version":"x","suspected_crime_reported":{}})",
               400, "schema_version", "json.invalid_value");
  expect_error(R"({"occurred_at":"2026-03-01T08:30:00Z","suspected_crime_reported":{}})", 422, "case_id",
               "envelope.missing_field");
  expect_error(R"({"case_id":"has space","occurred_at":"2026-03-01T08:30:00Z","suspected_crime_reported":{}})", 422,
               "case_id", "envelope.invalid_field");
  expect_error(R"({"case_id":"c","occurred_at":"2026-03-01T08:30:00Z"})", 422, "payload", "envelope.missing_field");
  expect_error(R"({"case_id":"c","event_type":"caselink.v1.NoSuchThing","occurred_at":"2026-03-01T08:30:00Z",
                   "suspected_crime_reported":{}})",
               422, "event_type", "envelope.unknown_type");
  expect_error(R"({"case_id":"c","event_type":"caselink.v1.FilingDecision","occurred_at":"2026-03-01T08:30:00Z",
                   "suspected_crime_reported":{}})",
               422, "event_type", "envelope.type_mismatch");
  expect_error(R"({"case_id":"c","schema_version":2,"occurred_at":"2026-03-01T08:30:00Z","suspected_crime_reported":{}})",
               422, "schema_version", "envelope.future_schema_version");
  expect_error(R"({"case_id":"c","event_id":"not-a-uuid","occurred_at":"2026-03-01T08:30:00Z","suspected_crime_reported":{}})",
               422, "event_id", "envelope.invalid_field");
  expect_error(R"({"case_id":"c","occurred_at":"2026-03-01T08:30:00Z","alert":{}})", 422, "event_type",
               "ingress.service_only_type");
  expect_error(R"({"case_id":"c","occurred_at":"2026-03-01T08:30:00Z","producer_agency_id":"swj-330100",
                   "suspected_crime_reported":{}})",
               403, "producer_agency_id", "auth.producer_agency");
}

TEST_F(EventMappingTest, BatchIsValidatedAsAWholeAndErrorsCarryTheIndex) {
  const std::string ok_event = kMinimal;
  auto ok = parse(R"({"events":[)" + ok_event + "," + ok_event + "]}");
  ASSERT_TRUE(ok.ok()) << ok.error->to_json();
  EXPECT_TRUE(ok.request->batch);
  EXPECT_EQ(ok.request->events.size(), 2u);
  EXPECT_NE(ok.request->events[0].envelope.event_id(), ok.request->events[1].envelope.event_id());

  expect_error(R"({"events":[)" + ok_event + R"(,{"occurred_at":"2026-03-01T08:30:00Z","suspected_crime_reported":{}}]})",
               422, "events[1].case_id", "envelope.missing_field");
  expect_error(R"({"events":[)" + ok_event + R"(,{"case_id":"c","occurred_at":"2026-03-01T08:30:00Z","x":1}]})", 400,
               "events[1].x", "json.unknown_field");
  expect_error(R"({"events":[]})", 400, "events", "batch.empty");
  expect_error(R"({"events":{}})", 400, "events", "json.wrong_type");
  expect_error(R"({"events":[)" + ok_event + R"(],"extra":1})", 400, "extra", "json.unknown_field");
  expect_error(R"({"events":[)" + ok_event + "," + ok_event + "," + ok_event + "," + ok_event + "]}", 413, "events",
               "batch.too_many_events");
}

TEST_F(EventMappingTest, ErrorJsonHasTheDocumentedShape) {
  auto outcome = parse(R"({"occurred_at":"2026-03-01T08:30:00Z","suspected_crime_reported":{}})");
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error->to_json(),
            R"({"error":{"code":"invalid_event","field":"case_id","message":"must be set","rule":"envelope.missing_field"}})");
}

}  // namespace
}  // namespace caselink::ingress
