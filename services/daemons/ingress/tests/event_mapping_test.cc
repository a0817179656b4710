// JSON -> envelope: what the server fills, and every error naming its field and rule.
#include <gtest/gtest.h>

#include "services/lib/core/uuid.h"
#include "services/lib/envelope/codec.h"
#include "services/daemons/ingress/event_mapping.h"

#include <nlohmann/json.hpp>

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

// Issue 13 B–F: inputs that crashed the ingress or were accepted with 202 and dead-lettered
// later. Each is refused with 400 naming the field (the raw crashing requests are also in
// tests/corpus/ and go through the whole server in server_test.cc).
std::string referral(const std::string& fields, const std::string& occurred_at = "2026-03-01T08:30:00Z") {
  return R"({"case_id":"c-1","occurred_at":")" + occurred_at + R"(","case_referral":{)" + fields + "}}";
}

TEST_F(EventMappingTest, OutOfRangeAndMalformedValuesAreRefusedNamingTheField) {
  struct Row {
    std::string name, body, field, rule;
  };
  const std::vector<Row> rows = {
      {"1e400", referral(R"("prior_fine_paid_yuan":1e400)"), "case_referral.prior_fine_paid_yuan",
       "json.number_range"},
      {"-1e400 in a batch", R"({"events":[)" + referral(R"("facts":[{"name":"a","number":-1e400}])") + "]}",
       "events[0].case_referral.facts[0].number", "json.number_range"},
      {"negative money", referral(R"("prior_fine_paid_yuan":-5)"), "case_referral.prior_fine_paid_yuan",
       "envelope.invalid_value"},
      {"negative money fact", referral(R"("facts":[{"name":"amount_yuan","number":-1}])"),
       "case_referral.facts[0].number", "envelope.invalid_value"},
      {"NaN", referral(R"("prior_fine_paid_yuan":"NaN")"), "case_referral.prior_fine_paid_yuan", "json.invalid_value"},
      {"Infinity", referral(R"("facts":[{"name":"a","number":"Infinity"}])"), "case_referral.facts[0].number",
       "json.invalid_value"},
      {"-Infinity", referral(R"("prior_fine_paid_yuan":"-Infinity")"), "case_referral.prior_fine_paid_yuan",
       "json.invalid_value"},
      {"act_date not a date", referral(R"("act_date":"not-a-date")"), "case_referral.act_date",
       "envelope.invalid_value"},
      {"act_date Feb 30", referral(R"("act_date":"2026-02-30")"), "case_referral.act_date", "envelope.invalid_value"},
      {"act_date 9999", referral(R"("act_date":"9999-12-31")"), "case_referral.act_date", "envelope.invalid_value"},
      {"yes as boolean", referral(R"("penalty_already_imposed":"yes")"), "case_referral.penalty_already_imposed",
       "json.wrong_type"},
      {"no as boolean", referral(R"("copy_to_procuratorate":"no")"), "case_referral.copy_to_procuratorate",
       "json.wrong_type"},
      {"1 as boolean", referral(R"("copy_to_procuratorate":1)"), "case_referral.copy_to_procuratorate",
       "json.wrong_type"},
      {"case_id object", R"({"case_id":{"a":1},"occurred_at":"2026-03-01T08:30:00Z","case_referral":{}})", "case_id",
       "json.wrong_type"},
      {"occurred_at 0001", referral("", "0001-01-01T00:00:00Z"), "occurred_at", "json.timestamp_format"},
      {"occurred_at 9999", referral("", "9999-12-31T23:59:59Z"), "occurred_at", "json.timestamp_format"},
      {"occurred_at 2263", referral("", "2263-01-01T00:00:00Z"), "occurred_at", "json.timestamp_format"},
      // The clock is at 2027-01-15T08:00:00Z; the skew allowed is kMaxClockSkew (300 s).
      {"occurred_at next year", referral("", "2028-01-01T00:00:00Z"), "occurred_at", "event.occurred_in_future"},
      {"occurred_at 301 s ahead", referral("", "2027-01-15T08:05:01Z"), "occurred_at", "event.occurred_in_future"},
      {"stated_due_at 9999",
       R"({"case_id":"c-1","occurred_at":"2026-03-01T08:30:00Z","materials_supplement_requested":{"stated_due_at":"9999-01-01T00:00:00Z"}})",
       "materials_supplement_requested.stated_due_at", "json.timestamp_format"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    expect_error(row.body, 400, row.field, row.rule);
  }
}

TEST_F(EventMappingTest, ValuesAtTheEdgesOfTheRulesAreAccepted) {
  for (const std::string& body :
       {referral(R"("prior_fine_paid_yuan":0,"act_date":"2024-02-29","penalty_already_imposed":true)"),
        referral(R"("facts":[{"name":"temperature_delta","number":-3}])"),  // not money: may be negative
        referral(R"("prior_fine_paid_yuan":"12.5")"),                       // proto3 JSON: numbers as strings
        referral("", "2027-01-15T08:05:00Z")}) {                              // exactly the allowed skew
    auto outcome = parse(body);
    EXPECT_TRUE(outcome.ok()) << body << " -> " << (outcome.ok() ? "" : outcome.error->to_json());
  }
}

// Issue 15 §4: receipts carry the event digest of what they acknowledge and both parties' case
// numbers; a digest that is not 64 lowercase hex is refused naming the field.
TEST_F(EventMappingTest, ReceiptDigestsAndCaseNumbersAreAcceptedAndTheDigestFormatChecked) {
  const std::string digest(64, 'c');
  const std::string ack = R"({"case_id":"c-1","occurred_at":"2026-03-01T08:30:00Z","feedback_acknowledged":{)"
                          R"("feedback_event_id":"e-1","agency_id":"sthjj-330100","feedbackDigestHex":")" +
                          digest + R"(","agency_case_number":"杭环移〔2026〕1号","police_case_number":"A1"}})";
  auto ok = parse(ack);
  ASSERT_TRUE(ok.ok()) << ok.error->to_json();
  const auto& body = ok.request->events[0].envelope.feedback_acknowledged();
  EXPECT_EQ(body.feedback_digest_hex(), digest);
  EXPECT_EQ(body.agency_case_number(), "杭环移〔2026〕1号");
  EXPECT_EQ(body.police_case_number(), "A1");

  const std::string accepted = R"({"case_id":"c-1","occurred_at":"2026-03-01T08:30:00Z","referral_accepted":{)"
                               R"("referral_event_id":"e-0","transfer_letter_number":"杭环移〔2026〕1号",)"
                               R"("referral_digest_hex":")";
  EXPECT_TRUE(parse(accepted + digest + R"("}})", "gaj-330100").ok());
  struct Row {
    std::string name, body, agency, field;
  };
  const std::vector<Row> rows = {
      {"upper case", accepted + std::string(64, 'C') + R"("}})", "gaj-330100", "referral_accepted.referral_digest_hex"},
      {"63 digits", accepted + std::string(63, 'c') + R"("}})", "gaj-330100", "referral_accepted.referral_digest_hex"},
      {"not hex", R"({"case_id":"c-1","occurred_at":"2026-03-01T08:30:00Z","feedback_acknowledged":{)"
                  R"("feedback_event_id":"e-1","agency_id":"sthjj-330100","feedback_digest_hex":"sha256:)" +
                      digest + R"("}})",
       "sthjj-330100", "feedback_acknowledged.feedback_digest_hex"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    auto outcome = parse(row.body, row.agency);
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error->status, 400);
    EXPECT_EQ(outcome.error->field, row.field);
    EXPECT_EQ(outcome.error->rule, "envelope.invalid_value");
  }
}

// A state acknowledgement names the case by both parties' numbers (issue 15 §4; OpenAPI
// state_acknowledged).
TEST_F(EventMappingTest, StateAcknowledgementCarriesBothCaseNumbers) {
  const std::string body = R"({"case_id":"c-1","occurred_at":"2026-03-01T08:30:00Z","state_acknowledged":{)"
                           R"("party_id":"sthjj-330100","state_version":"3","state_hash_hex":")" +
                           std::string(64, 'd') +
                           R"(","agency_case_number":"杭环移〔2026〕17号","policeCaseNumber":"A3301002026000917"}})";
  auto ok = parse(body);
  ASSERT_TRUE(ok.ok()) << ok.error->to_json();
  const auto& ack = ok.request->events[0].envelope.state_acknowledged();
  EXPECT_EQ(ack.state_version(), 3U);
  EXPECT_EQ(ack.agency_case_number(), "杭环移〔2026〕17号");
  EXPECT_EQ(ack.police_case_number(), "A3301002026000917");
}

TEST_F(EventMappingTest, NestingIsBoundedWhileParsing) {
  // 100,000 levels used to overflow the stack in dump(); now refused at kMaxJsonDepth + 1.
  const std::string deep = R"({"case_id":"c","x":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  std::string path = "x";
  for (size_t i = 0; i + 1 < kMaxJsonDepth; ++i) {
    path += "[0]";
  }
  expect_error(deep, 400, path, "json.too_deep");
  std::string deep_object;
  for (size_t i = 0; i <= kMaxJsonDepth; ++i) {
    deep_object += R"({"a":)";
  }
  deep_object += "1" + std::string(kMaxJsonDepth + 1, '}');
  auto outcome = parse(deep_object);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error->rule, "json.too_deep");
  EXPECT_NE(outcome.error->message.find(std::to_string(kMaxJsonDepth)), std::string::npos);
  // kMaxJsonDepth levels are fine for the parser (the descriptor walk then refuses the field).
  std::string at_limit = R"({"case_id":"c","x":)" + std::string(kMaxJsonDepth - 1, '[') +
                         std::string(kMaxJsonDepth - 1, ']') + "}";
  auto limit = parse(at_limit);
  ASSERT_FALSE(limit.ok());
  EXPECT_EQ(limit.error->rule, "json.unknown_field");
}

TEST_F(EventMappingTest, InvalidUtf8IsASyntaxErrorAndItsAnswerIsValidJson) {
  const std::string body = "{\"case_id\":\"\xff\xfe\",\"occurred_at\":\"2026-03-01T08:30:00Z\"}";
  auto outcome = parse(body);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error->rule, "json.syntax");
  const std::string answer = outcome.error->to_json();  // threw type_error.316 before
  EXPECT_FALSE(nlohmann::json::parse(answer, nullptr, false).is_discarded()) << answer;
}

TEST_F(EventMappingTest, ErrorJsonHasTheDocumentedShape) {
  auto outcome = parse(R"({"occurred_at":"2026-03-01T08:30:00Z","suspected_crime_reported":{}})");
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error->to_json(),
            R"({"error":{"code":"invalid_event","field":"case_id","message":"must be set","rule":"envelope.missing_field"}})");
}

}  // namespace
}  // namespace caselink::ingress

#include "services/daemons/standards/engine/loader.h"

namespace caselink::ingress {
namespace {

// Issue 20 #10: the ingress applies the fact-catalogue check caselink-standards applies, so an
// unknown fact name or a wrong unit is a 422 naming the field and the fact, not a record that
// is published and then dead-lettered.
class FactCatalogueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* src = std::getenv("CASELINK_SOURCE_DIR");
    auto set = standards::load_rule_set(std::string(src != nullptr ? src : ".") + "/rules");
    ASSERT_TRUE(set.ok()) << set.error().message;
    rules_ = std::make_unique<standards::RuleSet>(std::move(*set));
  }
  MappingOutcome parse(const std::string& facts) {
    MappingOptions options{&router_, &clock_, 3, &rules_->catalogue};
    return parse_events(R"({"case_id":"env-330100-2026-0001","occurred_at":"2026-03-01T08:30:00Z",
        "case_referral":{"offence_code":"pollution_environment","facts":[)" + facts + "]}}",
                        "sthjj-330100", options);
  }
  TopicRouter router_;
  ManualClock clock_{TimePoint(std::chrono::seconds(1'800'000'000))};
  std::unique_ptr<standards::RuleSet> rules_;
};

TEST_F(FactCatalogueTest, UnknownFactNameIs422NamingIt) {
  MappingOutcome outcome = parse(R"({"name":"hazardous_waste_tons","number":2.5,"unit":"t"})");
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error->status, 422U);
  EXPECT_EQ(outcome.error->field, "case_referral.facts[0].name");
  EXPECT_EQ(outcome.error->rule, "facts.catalogue");
  EXPECT_NE(outcome.error->message.find("unknown fact 'hazardous_waste_tons'"), std::string::npos)
      << outcome.error->message;
}

TEST_F(FactCatalogueTest, WrongUnitOrKindIs422NamingTheFact) {
  MappingOutcome unit = parse(R"({"name":"hazardous_waste_tonnes","number":2500,"unit":"kg"})");
  ASSERT_FALSE(unit.ok());
  EXPECT_EQ(unit.error->field, "case_referral.facts[0].unit");
  EXPECT_NE(unit.error->message.find("'hazardous_waste_tonnes' is in t, got unit 'kg'"), std::string::npos);
  MappingOutcome kind = parse(R"({"name":"hazardous_waste_tonnes","flag":true})");
  ASSERT_FALSE(kind.ok());
  EXPECT_EQ(kind.error->field, "case_referral.facts[0]");
}

TEST_F(FactCatalogueTest, CataloguedFactsPass) {
  MappingOutcome outcome = parse(R"({"name":"hazardous_waste_tonnes","number":2.5,"unit":"t"})");
  EXPECT_TRUE(outcome.ok()) << outcome.error->to_json();
}

}  // namespace
}  // namespace caselink::ingress
