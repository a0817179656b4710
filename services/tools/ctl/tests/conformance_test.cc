// The conformance kit's checks without a broker: a good adapter's events pass every check, and
// each kind of defect fails the check that names it (and only the checks it should).

#include <gtest/gtest.h>

#include "services/lib/core/uuid.h"
#include "services/lib/crypto/hex.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/signing/envelope_signature.h"
#include "services/lib/signing/key_registry.h"
#include "services/tools/ctl/conformance.h"
#include "services/tools/ctl/conformance_run.h"
#include "services/daemons/standards/engine/loader.h"

namespace caselink::ctl::conformance {
namespace {

namespace v1 = caselink::v1;
constexpr const char* kAgency = "sthjj-330100";
constexpr const char* kCase = "sthjj-330100-conformance-0001";
constexpr int64_t kSent = 1'000'000;

v1::Envelope referral() {
  const auto now = std::chrono::system_clock::now();
  v1::Envelope e = envelope::make_envelope(CaseId(kCase), AgencyId(kAgency), now, now);
  auto* r = e.mutable_case_referral();
  r->mutable_referring_agency()->set_organ_id(kAgency);
  r->mutable_referring_agency()->set_kind(v1::ORGAN_KIND_ADMINISTRATIVE_AGENCY);
  r->mutable_target_police_organ()->set_organ_id("ga-330100");
  r->mutable_target_police_organ()->set_kind(v1::ORGAN_KIND_POLICE);
  r->set_offence_code("pollution_environment");
  v1::Fact* fact = r->add_facts();
  fact->set_name("heavy_metal_multiple");
  fact->set_number(4.2);
  fact->set_unit("multiple");
  envelope::seal(e);
  return e;
}

v1::Envelope ack_of(const std::string& feedback_event_id) {
  const auto now = std::chrono::system_clock::now();
  v1::Envelope e = envelope::make_envelope(CaseId(kCase), AgencyId(kAgency), now, now);
  auto* a = e.mutable_feedback_acknowledged();
  a->set_feedback_event_id(feedback_event_id);
  a->set_agency_id(kAgency);
  a->set_acknowledged_by("officer-7");
  envelope::seal(e);
  return e;
}

Observed observed(const v1::Envelope& e, const std::string& topic, int64_t seen_ms = kSent + 1000) {
  OutgoingRecord r = envelope::to_record(e, topic);
  return Observed{r.topic, 0, 0, r.key, r.headers, r.value.value_or(""), seen_ms};
}

class Conformance : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto set = standards::load_rule_set(CASELINK_RULES_DIR);
    ASSERT_TRUE(set.ok()) << set.error().describe();
    rules_ = new standards::RuleSet(std::move(*set));
  }
  Profile profile() const {
    Profile p;
    p.agency_id = kAgency;
    p.case_id = kCase;
    p.catalogue = &rules_->catalogue;
    p.ack_deadline = std::chrono::seconds(30);
    p.expected_types = {"CaseReferral"};
    return p;
  }
  // A good adapter: the referral, and one acknowledgement of the feedback within the deadline.
  std::vector<Observed> good() const {
    return {observed(referral(), "caselink.referral.v1"), observed(ack_of(feedback_id_), "caselink.ack.v1")};
  }
  std::vector<SentFeedback> sent() const { return {{feedback_id_, "caselink.v1.FilingDecision", kSent}}; }

  static std::vector<std::string> failed(const Report& report) {
    std::vector<std::string> names;
    for (const CheckResult& r : report.results) {
      if (r.verdict == Verdict::kFail) names.push_back(r.name);
    }
    return names;
  }
  static const CheckResult& result(const Report& report, const std::string& name) {
    for (const CheckResult& r : report.results) {
      if (r.name == name) return r;
    }
    throw std::runtime_error("no check " + name);
  }

  static inline standards::RuleSet* rules_ = nullptr;
  std::string feedback_id_ = new_uuid();
};

using Names = std::vector<std::string>;

TEST_F(Conformance, AGoodAdapterPassesEveryCheck) {
  const Report report = evaluate(profile(), good(), sent());
  EXPECT_TRUE(report.passed());
  EXPECT_EQ(failed(report), Names{});
  for (const char* name : {"envelope.decode", "envelope.fields", "record.key", "record.topic", "cloudevents.headers",
                           "role.payload", "facts.catalogue", "retry.idempotent", "feedback.acknowledged",
                           "script.expected_events"}) {
    EXPECT_EQ(result(report, name).verdict, Verdict::kPass) << name;
  }
  // Without a key registry the signature check says it did not run; it does not pass.
  EXPECT_EQ(result(report, "signature").verdict, Verdict::kNotRun);
}

TEST_F(Conformance, AnUndecodableRecordFailsEnvelopeDecode) {
  auto seen = good();
  seen[0].value = "not a protobuf envelope";
  const Report report = evaluate(profile(), seen, sent());
  EXPECT_EQ(failed(report), (Names{"envelope.decode", "script.expected_events"}));
}

TEST_F(Conformance, AnotherProducerOrAMalformedIdFailsEnvelopeFields) {
  // (A missing schema version or correlation id is already refused by the decoder.)
  v1::Envelope e = referral();
  e.set_producer_agency_id("rsj-330100");
  auto seen = good();
  seen[0] = observed(e, "caselink.referral.v1");
  Report report = evaluate(profile(), seen, sent());
  EXPECT_EQ(failed(report), Names{"envelope.fields"});
  EXPECT_NE(result(report, "envelope.fields").reasons.at(0).find("producer_agency_id 'rsj-330100'"), std::string::npos);
  e = referral();
  e.mutable_occurred_at()->set_seconds(e.recorded_at().seconds() + 3600);  // an hour in the future
  seen[0] = observed(e, "caselink.referral.v1");
  report = evaluate(profile(), seen, sent());
  EXPECT_EQ(failed(report), Names{"envelope.fields"});
  EXPECT_NE(result(report, "envelope.fields").reasons.at(0).find("occurred_at is 1h after recorded_at"),
            std::string::npos);
}

TEST_F(Conformance, AWrongOrMissingKeyFailsRecordKey) {
  auto seen = good();
  seen[0].key = "another-case";
  EXPECT_EQ(failed(evaluate(profile(), seen, sent())), Names{"record.key"});
  seen[0].key.reset();
  EXPECT_EQ(failed(evaluate(profile(), seen, sent())), Names{"record.key"});
}

TEST_F(Conformance, AnEventOnAnotherTopicFailsRecordTopic) {
  auto seen = good();
  seen[0].topic = "caselink.decision.v1";
  EXPECT_EQ(failed(evaluate(profile(), seen, sent())), Names{"record.topic"});
  // With a sandbox prefix, the production name is the wrong one.
  Profile sandbox = profile();
  sandbox.topic_prefix = "sandbox.";
  EXPECT_EQ(failed(evaluate(sandbox, good(), sent())), Names{"record.topic"});
}

TEST_F(Conformance, AMissingOrWrongCloudEventsHeaderFailsCloudeventsHeaders) {
  auto seen = good();
  std::erase_if(seen[0].headers, [](const Header& h) { return h.first == envelope::kCeType; });
  Report report = evaluate(profile(), seen, sent());
  EXPECT_EQ(failed(report), Names{"cloudevents.headers"});
  EXPECT_NE(result(report, "cloudevents.headers").reasons.at(0).find("ce_type is missing"), std::string::npos);
  seen = good();
  for (Header& h : seen[1].headers) {
    if (h.first == envelope::kCeSubject) h.second = "another-case";
  }
  EXPECT_EQ(failed(evaluate(profile(), seen, sent())), Names{"cloudevents.headers"});
  // ce_time is compared as an instant: another RFC 3339 form of occurred_at passes, another time not.
  v1::Envelope e = referral();
  e.mutable_occurred_at()->set_seconds(1764806400);  // 2025-12-04T00:00:00Z
  e.mutable_occurred_at()->set_nanos(0);
  seen = good();
  seen[0] = observed(e, "caselink.referral.v1");
  for (Header& h : seen[0].headers) {
    if (h.first == envelope::kCeTime) h.second = "2025-12-04T08:00:00+08:00";
  }
  EXPECT_EQ(failed(evaluate(profile(), seen, sent())), Names{});
  for (Header& h : seen[0].headers) {
    if (h.first == envelope::kCeTime) h.second = "2025-12-04T08:00:01+08:00";
  }
  EXPECT_EQ(failed(evaluate(profile(), seen, sent())), Names{"cloudevents.headers"});
}

TEST_F(Conformance, APayloadItsRoleMayNotSendFailsRolePayload) {
  const auto now = std::chrono::system_clock::now();
  v1::Envelope decision = envelope::make_envelope(CaseId(kCase), AgencyId(kAgency), now, now);
  decision.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED);
  decision.mutable_filing_decision()->mutable_police_organ()->set_organ_id(kAgency);
  envelope::seal(decision);
  auto seen = good();
  seen.push_back(observed(decision, "caselink.decision.v1"));
  Report report = evaluate(profile(), seen, sent());
  EXPECT_EQ(failed(report), Names{"role.payload"});
  EXPECT_NE(result(report, "role.payload").reasons.at(0).find("authz.party_kind"), std::string::npos);
  // A referral in another agency's name: the kind may send it, not in that name.
  v1::Envelope other = referral();
  other.mutable_case_referral()->mutable_referring_agency()->set_organ_id("rsj-330100");
  seen = good();
  seen[0] = observed(other, "caselink.referral.v1");
  EXPECT_EQ(failed(evaluate(profile(), seen, sent())), Names{"role.payload"});
  // The same referral from an adapter of the police kind: only agencies refer.
  Profile police = profile();
  police.kind = authz::PartyKind::kPolice;
  EXPECT_EQ(failed(evaluate(police, good(), sent())), Names{"role.payload"});
}

TEST_F(Conformance, AMisspeltFactOrWrongUnitFailsFactsCatalogue) {
  v1::Envelope e = referral();
  e.mutable_case_referral()->mutable_facts(0)->set_name("heavy_metal_multipel");
  auto seen = good();
  seen[0] = observed(e, "caselink.referral.v1");
  Report report = evaluate(profile(), seen, sent());
  EXPECT_EQ(failed(report), Names{"facts.catalogue"});
  EXPECT_NE(result(report, "facts.catalogue").reasons.at(0).find("case_referral.facts[0]"), std::string::npos);
  e = referral();
  e.mutable_case_referral()->mutable_facts(0)->set_unit("tonnes");
  seen[0] = observed(e, "caselink.referral.v1");
  EXPECT_EQ(failed(evaluate(profile(), seen, sent())), Names{"facts.catalogue"});
}

TEST_F(Conformance, SignaturesAreCheckedAgainstTheRegistry) {
  auto key = signing::PrivateKey::generate();
  ASSERT_TRUE(key.ok());
  const auto pub = key->public_key();
  auto registry = signing::KeyRegistry::parse(
      std::string("keys:\n  - key_id: sthjj-1\n    party: ") + kAgency + "\n    public_key: " +
          crypto::to_hex(std::span<const uint8_t>(pub.data(), pub.size())) + "\n",
      "test");
  ASSERT_TRUE(registry.ok()) << registry.error().describe();
  Profile p = profile();
  p.keys = &*registry;
  v1::Envelope r = referral();
  v1::Envelope a = ack_of(feedback_id_);
  signing::sign(r, *key, "sthjj-1");
  signing::sign(a, *key, "sthjj-1");
  std::vector<Observed> seen = {observed(r, "caselink.referral.v1"), observed(a, "caselink.ack.v1")};
  Report report = evaluate(p, seen, sent());
  EXPECT_EQ(failed(report), Names{});
  EXPECT_EQ(result(report, "signature").verdict, Verdict::kPass);
  // An unsigned event fails.
  seen[1] = observed(ack_of(feedback_id_), "caselink.ack.v1");
  report = evaluate(p, seen, sent());
  EXPECT_EQ(failed(report), Names{"signature"});
  EXPECT_NE(result(report, "signature").reasons.at(0).find("missing"), std::string::npos);
}

TEST_F(Conformance, ARetryWithANewEventIdFailsRetryIdempotent) {
  auto seen = good();
  v1::Envelope again = referral();  // the same referral under a new event id
  seen.push_back(observed(again, "caselink.referral.v1"));
  Report report = evaluate(profile(), seen, sent());
  EXPECT_EQ(failed(report), Names{"retry.idempotent"});
  EXPECT_NE(result(report, "retry.idempotent").reasons.at(0).find("a retry must keep its event id"), std::string::npos);
  // The same event re-sent (same id) is a retry, not a second event.
  seen = good();
  seen.push_back(seen[0]);
  EXPECT_EQ(failed(evaluate(profile(), seen, sent())), Names{});
  // One event id for two different payloads.
  seen = good();
  v1::Envelope reused = ack_of(new_uuid());
  reused.set_event_id(envelope::decode(seen[1].value)->event_id());
  seen.push_back(observed(reused, "caselink.ack.v1"));
  EXPECT_EQ(failed(evaluate(profile(), seen, sent())), Names{"retry.idempotent"});
}

TEST_F(Conformance, FeedbackNotAcknowledgedOrLateFailsFeedbackAcknowledged) {
  auto seen = good();
  seen.pop_back();
  Report report = evaluate(profile(), seen, sent());
  EXPECT_EQ(failed(report), Names{"feedback.acknowledged"});
  EXPECT_NE(result(report, "feedback.acknowledged").reasons.at(0).find("not acknowledged within 30s"),
            std::string::npos);
  seen = good();
  seen[1].seen_ms = kSent + 31000;
  report = evaluate(profile(), seen, sent());
  EXPECT_EQ(failed(report), Names{"feedback.acknowledged"});
  EXPECT_NE(result(report, "feedback.acknowledged").reasons.at(0).find("after 31s"), std::string::npos);
}

TEST_F(Conformance, NothingSentFailsTheScriptAndLeavesTheRestNotRun) {
  const Report report = evaluate(profile(), {}, {});
  EXPECT_EQ(failed(report), Names{"script.expected_events"});
  EXPECT_EQ(result(report, "feedback.acknowledged").verdict, Verdict::kNotRun);
  EXPECT_EQ(result(report, "record.key").verdict, Verdict::kNotRun);
}

TEST_F(Conformance, RecordsOfTheCaseAreFoundByKeyOrEnvelope) {
  Observed r = observed(referral(), "caselink.referral.v1");
  EXPECT_TRUE(belongs_to_case(r, kCase));
  r.key = "wrong";
  EXPECT_TRUE(belongs_to_case(r, kCase));
  EXPECT_FALSE(belongs_to_case(r, "another-case"));
  r.value = "junk";
  EXPECT_FALSE(belongs_to_case(r, kCase));
  r.key = kCase;
  EXPECT_TRUE(belongs_to_case(r, kCase));
}

TEST(ConformanceReport, TextAndJsonNameEveryCheck) {
  Report report;
  report.agency_id = kAgency;
  report.case_id = kCase;
  report.results = {{"record.key", Verdict::kFail, 1, {"event x: key 'y' is not the case id"}},
                    {"signature", Verdict::kNotRun, 0, {"no key registry given"}}};
  std::ostringstream text;
  print_text(report, text);
  EXPECT_NE(text.str().find("FAIL     record.key"), std::string::npos);
  EXPECT_NE(text.str().find("RESULT: FAIL (1 check(s) failed)"), std::string::npos);
  std::ostringstream json;
  print_json(report, json);
  EXPECT_NE(json.str().find("\"passed\": false"), std::string::npos);
  EXPECT_NE(json.str().find("\"verdict\": \"NOT RUN\""), std::string::npos);
}

TEST(ConformanceDuration, ReadsDurationsForPeople) {
  EXPECT_EQ(parse_duration("90s").value(), std::chrono::seconds(90));
  EXPECT_EQ(parse_duration("2m").value(), std::chrono::minutes(2));
  EXPECT_EQ(parse_duration("1h 30m").value(), std::chrono::minutes(90));
  EXPECT_EQ(parse_duration("45").value(), std::chrono::seconds(45));
  EXPECT_EQ(parse_duration("500ms").value(), std::chrono::milliseconds(500));
  EXPECT_FALSE(parse_duration("soon").ok());
  EXPECT_FALSE(parse_duration("5 weeks").ok());
  EXPECT_FALSE(parse_duration("").ok());
  EXPECT_FALSE(parse_duration("0s").ok());
}

TEST(ConformancePlaceholders, AreFilledIn) {
  Profile p;
  p.agency_id = kAgency;
  p.case_id = kCase;
  p.topic_prefix = "sandbox.";
  EXPECT_EQ(fill_placeholders("a --b {bootstrap} --agency {agency} --case {case_id} {topic_prefix}x {case_id}", p,
                              "127.0.0.1:1"),
            std::string("a --b 127.0.0.1:1 --agency ") + kAgency + " --case " + kCase + " sandbox.x " + kCase);
}

}  // namespace
}  // namespace caselink::ctl::conformance
