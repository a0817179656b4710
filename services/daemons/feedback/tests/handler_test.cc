// Unit tests of caselink-feedback's pure logic: routing, unknown and unauthorized agencies,
// acknowledgements, timers on an injected clock, idempotence, rollback and restore.

#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "services/lib/crypto/derived_uuid.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/decode.h"
#include "services/daemons/feedback/handler.h"

namespace caselink::feedback {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAgency = "sthjj-330100";
constexpr const char* kOtherAgency = "scjg-330100";
const TimePoint kT0 = TimePoint(std::chrono::seconds(1'800'000'000));

// The changelog as a list of records per partition; tests append what the handler published.
class FakeChangelog final : public kafka::ChangelogReader {
 public:
  Status read(const std::string& topic, const std::vector<int32_t>& partitions, const Visitor& visit) override {
    ++reads;
    for (int32_t p : partitions) {
      for (const auto& r : by_partition[{topic, p}]) {
        visit(r);
      }
    }
    return Status::success();
  }
  // Appends the changelog records among `outputs` (as a commit would make them visible).
  void append(const std::vector<OutgoingRecord>& outputs, int32_t partition) {
    for (const auto& o : outputs) {
      if (o.topic == "caselink.feedback-loop.state.v1") {
        ConsumedRecord r;
        r.topic = o.topic;
        r.partition = partition;
        r.key = o.key;
        r.value = o.value;
        by_partition[{o.topic, partition}].push_back(std::move(r));
      }
    }
  }
  std::map<std::pair<std::string, int32_t>, std::vector<ConsumedRecord>> by_partition;
  int reads = 0;
};

Settings test_settings() {
  Settings s;
  s.agencies = {kAgency, kOtherAgency};
  s.ack_timeout_ms = 3600000;               // 1 h
  return s;
}

class FeedbackTest : public ::testing::Test {
 protected:
  FeedbackTest() : clock(kT0) { handler = make(); }

  std::unique_ptr<FeedbackHandler> make() {
    auto h = std::make_unique<FeedbackHandler>(test_settings(), clock, changelog, registry);
    h->on_partitions_assigned({{"caselink.referral.v1", 2}, {"caselink.decision.v1", 2}, {"caselink.ack.v1", 2}});
    return h;
  }

  static v1::Envelope base(const std::string& case_id, TimePoint at, const std::string& producer = "police-330100") {
    return envelope::make_envelope(CaseId(case_id), AgencyId(producer), at, at);
  }

  static ConsumedRecord record(v1::Envelope env, const std::string& topic) {
    envelope::seal(env);
    ConsumedRecord r;
    r.topic = topic;
    r.partition = 2;
    r.offset = 7;
    r.key = env.case_id();
    r.value = envelope::encode(env);
    return r;
  }

  static v1::Envelope referral(const std::string& case_id, const std::string& agency, TimePoint at) {
    v1::Envelope env = base(case_id, at, agency);
    auto* r = env.mutable_case_referral();
    r->mutable_referring_agency()->set_organ_id(agency);
    r->mutable_target_police_organ()->set_organ_id("gaj-330100");
    r->mutable_procuratorate()->set_organ_id("jcy-330100");
    return env;
  }

  static v1::Envelope filing_decision(const std::string& case_id, TimePoint at) {
    v1::Envelope env = base(case_id, at);
    env.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED);
    return env;
  }

  static v1::Envelope ack(const std::string& case_id, const std::string& feedback_id, const std::string& agency) {
    v1::Envelope env = base(case_id, kT0, agency);
    env.mutable_feedback_acknowledged()->set_feedback_event_id(feedback_id);
    env.mutable_feedback_acknowledged()->set_agency_id(agency);
    return env;
  }

  // Handles and commits; returns the outputs.
  kafka::HandlerResult commit(const ConsumedRecord& r) {
    auto result = handler->handle(r);
    handler->on_transaction_committed();
    changelog.append(result.outputs, 2);
    return result;
  }
  std::vector<OutgoingRecord> tick_commit(TimePoint now) {
    auto out = handler->on_tick(now);
    handler->on_transaction_committed();
    changelog.append(out, 2);
    return out;
  }

  static std::vector<v1::Envelope> on_topic(const std::vector<OutgoingRecord>& outputs, const std::string& topic) {
    std::vector<v1::Envelope> out;
    for (const auto& o : outputs) {
      if (o.topic == topic) {
        auto env = envelope::decode(*o.value);
        EXPECT_TRUE(env.ok()) << (env.ok() ? "" : env.error().describe());
        if (env.ok()) {
          out.push_back(*env);
        }
      }
    }
    return out;
  }
  static std::vector<v1::Envelope> alerts(const std::vector<OutgoingRecord>& outputs) {
    return on_topic(outputs, "caselink.alert.v1");
  }

  ManualClock clock;
  FakeChangelog changelog;
  metrics::Registry registry;
  std::unique_ptr<FeedbackHandler> handler;
};

// Every payload of decision.proto, plus an evidence receipt and a referral assessment.
std::vector<std::pair<std::string, std::function<void(v1::Envelope&)>>> result_payloads() {
  return {
      {"ReferralAccepted", [](v1::Envelope& e) { e.mutable_referral_accepted()->set_receipt_number("R1"); }},
      {"MaterialsSupplementRequested",
       [](v1::Envelope& e) { e.mutable_materials_supplement_requested()->set_notice_number("N1"); }},
      {"CaseForwarded",
       [](v1::Envelope& e) { e.mutable_case_forwarded()->set_kind(v1::FORWARD_KIND_TO_COMPETENT_ORGAN); }},
      {"FilingReviewExtended", [](v1::Envelope& e) { e.mutable_filing_review_extended()->set_claimed_limit_days(7); }},
      {"FilingDecision", [](v1::Envelope& e) { e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED); }},
      {"ReconsiderationDecided",
       [](v1::Envelope& e) { e.mutable_reconsideration_decided()->set_outcome(v1::RECONSIDERATION_OUTCOME_UPHELD); }},
      {"FilingSupervisionAction",
       [](v1::Envelope& e) {
         e.mutable_filing_supervision_action()->set_step(v1::FILING_SUPERVISION_STEP_EXPLANATION_REQUESTED);
       }},
      {"ProsecutionDecision",
       [](v1::Envelope& e) { e.mutable_prosecution_decision()->set_outcome(v1::PROSECUTION_OUTCOME_PROSECUTE); }},
      {"ProcuratorialOpinion",
       [](v1::Envelope& e) {
         e.mutable_procuratorial_opinion()->set_kind(v1::PROCURATORIAL_OPINION_KIND_REVERSE_PENALTY);
       }},
      {"CourtJudgment", [](v1::Envelope& e) { e.mutable_court_judgment()->set_verdict(v1::VERDICT_CONVICTED); }},
      {"CaseClosed", [](v1::Envelope& e) { e.mutable_case_closed()->set_reason(v1::CASE_CLOSED_REASON_OTHER); }},
      {"ReverseReviewStatusChanged",
       [](v1::Envelope& e) {
         e.mutable_reverse_review_status_changed()->set_status(v1::REVERSE_REVIEW_STATUS_REVIEW_EXTENDED);
       }},
      {"EvidenceReceipt", [](v1::Envelope& e) { e.mutable_evidence_receipt()->set_status(v1::RECEIPT_STATUS_ACCEPTED); }},
      {"StandardsAssessment",
       [](v1::Envelope& e) {
         e.mutable_standards_assessment()->set_subject_kind(v1::ASSESSMENT_SUBJECT_KIND_REFERRAL);
       }},
  };
}

TEST_F(FeedbackTest, RoutesEveryDecisionTypeToTheReferringAgencysTopic) {
  ASSERT_FALSE(commit(record(referral("case-1", kAgency, kT0), "caselink.referral.v1")).dead_letter);
  const std::string topic = "caselink.feedback.sthjj-330100.v1";
  for (const auto& [name, fill] : result_payloads()) {
    SCOPED_TRACE(name);
    v1::Envelope in = base("case-1", kT0 + 1h);
    fill(in);
    in.set_correlation_id("corr-1");
    auto result = commit(record(in, "caselink.decision.v1"));
    ASSERT_FALSE(result.dead_letter) << result.dead_letter->message;
    auto routed = on_topic(result.outputs, topic);
    ASSERT_EQ(routed.size(), 1U);
    const v1::Envelope& out = routed[0];
    EXPECT_EQ(out.event_type(), "caselink.v1." + name);
    EXPECT_EQ(out.case_id(), "case-1");
    EXPECT_EQ(out.causation_id(), in.event_id());
    EXPECT_EQ(out.correlation_id(), "corr-1");
    EXPECT_EQ(out.event_id(), crypto::derived_uuid("feedback", in.event_id()));
    EXPECT_NE(out.event_id(), in.event_id());
    EXPECT_EQ(out.producer_agency_id(), "caselink-feedback");
    EXPECT_EQ(out.occurred_at().seconds(), in.occurred_at().seconds());
    EXPECT_TRUE(envelope::validate(out).ok());
    bool changelog = false;
    for (const auto& o : result.outputs) {
      changelog |= o.topic == "caselink.feedback-loop.state.v1" && o.key == "case-1";
    }
    EXPECT_TRUE(changelog);
  }
  EXPECT_EQ(handler->cases().at("case-1").feedback.size(), result_payloads().size());
}

TEST_F(FeedbackTest, ProcuratorialOpinionGoesToItsRecipient) {
  ASSERT_FALSE(commit(record(referral("case-1", kAgency, kT0), "caselink.referral.v1")).dead_letter);
  v1::Envelope in = base("case-1", kT0);
  in.mutable_procuratorial_opinion()->mutable_recipient()->set_organ_id(kOtherAgency);
  auto result = commit(record(in, "caselink.decision.v1"));
  EXPECT_EQ(on_topic(result.outputs, "caselink.feedback.scjg-330100.v1").size(), 1U);
}

// An order to transfer (or a demand) reaches the agency it names, before any referral, but does
// not make it the case's agency: the referral of the agency the case is really with is routed,
// not refused as a conflict (an addressed event's sender could otherwise steer a case's results).
TEST_F(FeedbackTest, AnOrderGoesToTheAgencyItNamesWithoutTakingTheCase) {
  v1::Envelope order = base("case-o", kT0);
  order.mutable_transfer_ordered()->mutable_agency()->set_organ_id(kOtherAgency);
  auto routed = commit(record(order, "caselink.decision.v1"));
  ASSERT_FALSE(routed.dead_letter);
  EXPECT_EQ(on_topic(routed.outputs, "caselink.feedback.scjg-330100.v1").size(), 1U);
  auto referred = commit(record(referral("case-o", kAgency, kT0), "caselink.referral.v1"));
  ASSERT_FALSE(referred.dead_letter) << referred.dead_letter->error_class;
  auto decided = commit(record(filing_decision("case-o", kT0), "caselink.decision.v1"));
  EXPECT_EQ(on_topic(decided.outputs, "caselink.feedback.sthjj-330100.v1").size(), 1U);
}

// S2 Art 24, read raw (before caselink-sync judged it), so trusted only from the parties the
// referral named: the referral's police organ's or procuratorate's question to the referring agency
// is routed to it, and so is the consulted party's answer to a question the agency asked; the
// agency's own question is remembered, not routed; nothing else reaches the agency's topic.
TEST_F(FeedbackTest, AConsultationReachesTheAgencyOnlyFromTheReferralsPartiesAndOnlyAboutItself) {
  const std::string topic = "caselink.feedback.sthjj-330100.v1";
  const auto send = [&](const std::string& producer, const std::function<void(v1::Envelope&)>& fill) {
    v1::Envelope e = base("case-q", kT0, producer);
    fill(e);
    auto routed = commit(record(e, "caselink.ack.v1"));
    EXPECT_FALSE(routed.dead_letter);
    return on_topic(routed.outputs, topic).size();
  };
  const auto ask = [&](const std::string& by, const std::string& id, const std::string& to) {
    return send(by, [&](v1::Envelope& e) {
      e.mutable_consultation_requested()->set_consultation_id(id);
      e.mutable_consultation_requested()->set_consulted_party_id(to);
    });
  };
  const auto answer = [&](const std::string& by, const std::string& id) {
    return send(by, [&](v1::Envelope& e) { e.mutable_consultation_answered()->set_consultation_id(id); });
  };
  EXPECT_EQ(ask("gaj-330100", "q0", kAgency), 0U) << "held: no referral read yet";
  auto referred = commit(record(referral("case-q", kAgency, kT0), "caselink.referral.v1"));
  EXPECT_EQ(on_topic(referred.outputs, topic).size(), 1U) << "the held question, routed with the referral";

  EXPECT_EQ(ask("gaj-330100", "q1", kAgency), 1U) << "the referral's police organ";
  EXPECT_EQ(ask("jcy-330100", "q2", kAgency), 1U) << "the referral's procuratorate";
  EXPECT_EQ(ask("ga-440300", "q3", kAgency), 0U) << "a police organ the referral did not name";
  EXPECT_EQ(ask("gaj-330100", "q4", kOtherAgency), 0U) << "another agency than the case's";
  EXPECT_EQ(ask(kAgency, "q5", "gaj-330100"), 0U) << "the agency's own question";
  EXPECT_EQ(answer("jcy-330100", "q5"), 0U) << "not the party the agency asked";
  EXPECT_EQ(answer("gaj-330100", "q9"), 0U) << "no question of the agency";
  EXPECT_EQ(answer(kAgency, "q1"), 0U) << "the agency's own answer";
  EXPECT_EQ(answer("gaj-330100", "q5"), 1U) << "the consulted party's answer to the agency's question";
}

TEST_F(FeedbackTest, AResultBeforeItsReferralIsHeldThenRoutedWhenTheReferralArrives) {
  const v1::Envelope early = filing_decision("case-x", kT0);
  auto held = commit(record(early, "caselink.decision.v1"));
  ASSERT_FALSE(held.dead_letter);
  EXPECT_TRUE(on_topic(held.outputs, "caselink.feedback.sthjj-330100.v1").empty()) << "no agency known yet";
  ASSERT_TRUE(handler->cases().contains("case-x"));
  EXPECT_EQ(handler->cases().at("case-x").held.size(), 1U);
  // Held state survives a restart: it is in the changelog document.
  auto restored = deserialize(serialize(handler->cases().at("case-x")));
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->held, handler->cases().at("case-x").held);

  auto referred = commit(record(referral("case-x", kAgency, kT0), "caselink.referral.v1"));
  ASSERT_FALSE(referred.dead_letter);
  auto routed = on_topic(referred.outputs, "caselink.feedback.sthjj-330100.v1");
  ASSERT_EQ(routed.size(), 1U);
  EXPECT_EQ(routed[0].causation_id(), early.event_id());
  EXPECT_TRUE(handler->cases().at("case-x").held.empty());
  EXPECT_FALSE(handler->cases().at("case-x").filing_expected) << "the held decision answered the referral";
}

TEST_F(FeedbackTest, TooManyResultsWithoutAReferralAreDeadLettered) {
  for (size_t i = 0; i < kMaxHeldPerCase; ++i) {
    ASSERT_FALSE(commit(record(filing_decision("case-y", kT0), "caselink.decision.v1")).dead_letter);
  }
  auto result = commit(record(filing_decision("case-y", kT0), "caselink.decision.v1"));
  ASSERT_TRUE(result.dead_letter);
  EXPECT_EQ(result.dead_letter->error_class, kUnknownAgency);
  EXPECT_NE(result.dead_letter->message.find("case-y"), std::string::npos);
}

TEST_F(FeedbackTest, CaseReturnedToAgencyIsRoutedByPayloadWhenNoReferralWasSeen) {
  v1::Envelope in = base("case-r", kT0);
  in.mutable_case_forwarded()->set_kind(v1::FORWARD_KIND_RETURNED_TO_AGENCY);
  in.mutable_case_forwarded()->mutable_to_organ()->set_organ_id(kAgency);
  auto result = commit(record(in, "caselink.decision.v1"));
  ASSERT_FALSE(result.dead_letter);
  EXPECT_EQ(on_topic(result.outputs, "caselink.feedback.sthjj-330100.v1").size(), 1U);
}

TEST_F(FeedbackTest, UnlistedAgencyIsDeadLetteredAsUnauthorized) {
  auto result = commit(record(referral("case-u", "xyz-110000", kT0), "caselink.referral.v1"));
  ASSERT_TRUE(result.dead_letter);
  EXPECT_EQ(result.dead_letter->error_class, kUnauthorizedAgency);
  EXPECT_FALSE(handler->cases().contains("case-u"));

  ASSERT_FALSE(commit(record(referral("case-1", kAgency, kT0), "caselink.referral.v1")).dead_letter);
  v1::Envelope in = base("case-1", kT0);
  in.mutable_procuratorial_opinion()->mutable_recipient()->set_organ_id("xyz-110000");
  auto opinion = commit(record(in, "caselink.decision.v1"));
  ASSERT_TRUE(opinion.dead_letter);
  EXPECT_EQ(opinion.dead_letter->error_class, kUnauthorizedAgency);
  EXPECT_TRUE(opinion.outputs.empty());
}

TEST_F(FeedbackTest, ReferralFromASecondAgencyIsAConflict) {
  ASSERT_FALSE(commit(record(referral("case-1", kAgency, kT0), "caselink.referral.v1")).dead_letter);
  auto result = commit(record(referral("case-1", kOtherAgency, kT0), "caselink.referral.v1"));
  ASSERT_TRUE(result.dead_letter);
  EXPECT_EQ(result.dead_letter->error_class, kAgencyConflict);
}

TEST_F(FeedbackTest, PenaltyScreeningAssessmentsAndOtherEventsAreIgnored) {
  v1::Envelope in = base("case-p", kT0);
  in.mutable_standards_assessment()->set_subject_kind(v1::ASSESSMENT_SUBJECT_KIND_ADMINISTRATIVE_PENALTY);
  auto result = commit(record(in, "caselink.standards.assessment.v1"));
  EXPECT_FALSE(result.dead_letter);
  EXPECT_TRUE(result.outputs.empty());
  v1::Envelope state_ack = base("case-p", kT0);
  state_ack.mutable_state_acknowledged()->set_party_id(kAgency);
  result = commit(record(state_ack, "caselink.ack.v1"));
  EXPECT_FALSE(result.dead_letter);
  EXPECT_TRUE(result.outputs.empty());
}

TEST_F(FeedbackTest, GarbageAndKeyMismatchAreDeadLettered) {
  ConsumedRecord garbage;
  garbage.topic = "caselink.decision.v1";
  garbage.key = "k";
  garbage.value = std::string("\x0a\xff\xff");
  auto result = handler->handle(garbage);
  ASSERT_TRUE(result.dead_letter);
  EXPECT_EQ(result.dead_letter->error_class, envelope::kUndecodable);
  ConsumedRecord r = record(filing_decision("case-1", kT0), "caselink.decision.v1");
  r.key = "another-case";
  result = handler->handle(r);
  ASSERT_TRUE(result.dead_letter);
  EXPECT_EQ(result.dead_letter->error_class, kafka::kKeyMismatch);
}

// Issue 13 H: a record without a key was processed by caselink-feedback; the shared decode
// step refuses it like every other consuming service does.
TEST_F(FeedbackTest, NullKeyIsDeadLettered) {
  ConsumedRecord r = record(filing_decision("case-1", kT0), "caselink.decision.v1");
  r.key.reset();
  auto result = handler->handle(r);
  ASSERT_TRUE(result.dead_letter);
  EXPECT_EQ(result.dead_letter->error_class, kafka::kKeyMissing);
  EXPECT_TRUE(result.outputs.empty());
}

TEST_F(FeedbackTest, AcknowledgementClearsThePendingFeedback) {
  ASSERT_FALSE(commit(record(referral("case-1", kAgency, kT0), "caselink.referral.v1")).dead_letter);
  auto routed = on_topic(commit(record(filing_decision("case-1", kT0), "caselink.decision.v1")).outputs,
                         "caselink.feedback.sthjj-330100.v1");
  ASSERT_EQ(routed.size(), 1U);
  const std::string feedback_id = routed[0].event_id();

  auto wrong_agency = commit(record(ack("case-1", feedback_id, kOtherAgency), "caselink.ack.v1"));
  ASSERT_TRUE(wrong_agency.dead_letter);
  EXPECT_EQ(wrong_agency.dead_letter->error_class, kAckAgencyMismatch);
  auto unknown = commit(record(ack("case-1", "00000000-0000-4000-8000-000000000000", kAgency), "caselink.ack.v1"));
  ASSERT_TRUE(unknown.dead_letter);
  EXPECT_EQ(unknown.dead_letter->error_class, kUnknownFeedback);

  auto ok = commit(record(ack("case-1", feedback_id, kAgency), "caselink.ack.v1"));
  ASSERT_FALSE(ok.dead_letter);
  EXPECT_TRUE(handler->cases().at("case-1").feedback.at(feedback_id).acked);
  EXPECT_TRUE(alerts(ok.outputs).empty());
  EXPECT_TRUE(alerts(tick_commit(kT0 + 48h)).empty());
}

TEST_F(FeedbackTest, UnacknowledgedFeedbackRaisesExactlyOneAlert) {
  ASSERT_FALSE(commit(record(referral("case-1", kAgency, kT0), "caselink.referral.v1")).dead_letter);
  auto routed = on_topic(commit(record(filing_decision("case-1", kT0), "caselink.decision.v1")).outputs,
                         "caselink.feedback.sthjj-330100.v1");
  ASSERT_EQ(routed.size(), 1U);
  const std::string feedback_id = routed[0].event_id();

  EXPECT_TRUE(alerts(tick_commit(kT0 + 1h - 1ms)).empty()) << "just in time: no alert";
  auto raised = alerts(tick_commit(kT0 + 1h));
  ASSERT_EQ(raised.size(), 1U);
  const v1::Alert& alert = raised[0].alert();
  EXPECT_EQ(alert.kind(), v1::ALERT_KIND_FEEDBACK_UNACKNOWLEDGED);
  EXPECT_EQ(alert.status(), v1::ALERT_STATUS_RAISED);
  EXPECT_EQ(alert.feedback_unacknowledged().feedback_event_id(), feedback_id);
  EXPECT_EQ(alert.feedback_unacknowledged().agency_id(), kAgency);
  EXPECT_EQ(alert.feedback_unacknowledged().feedback_topic(), "caselink.feedback.sthjj-330100.v1");
  EXPECT_EQ(alert.addressed_to_party_ids(0), kAgency);
  EXPECT_EQ(raised[0].case_id(), "case-1");
  EXPECT_EQ(alert.decided_by_rule().rule_id(), "feedback.ack_timeout");
  EXPECT_TRUE(alerts(tick_commit(kT0 + 2h)).empty());
  EXPECT_TRUE(alerts(tick_commit(kT0 + 200h)).empty());

  // A late acknowledgement resolves the alert.
  auto late = commit(record(ack("case-1", feedback_id, kAgency), "caselink.ack.v1"));
  auto resolved = alerts(late.outputs);
  ASSERT_EQ(resolved.size(), 1U);
  EXPECT_EQ(resolved[0].alert().status(), v1::ALERT_STATUS_RESOLVED);
  EXPECT_EQ(resolved[0].alert().alert_id(), alert.alert_id());
}

// Issue 20 #2: the police filing deadline has one owner, caselink-sync (profile, extensions,
// counting rules; one DEADLINE_OVERDUE + SUPERVISION_CLUE when missed: case_engine_test). A
// legitimate 7-day verification extension must raise nothing here, and a decision that never
// comes must not raise a second, feedback-made alert either; feedback only routes the results
// and tracks their acknowledgements.
TEST_F(FeedbackTest, FilingDeadlineIsNotFeedbacksNoAlertOnExtensionNorOnAMissedDecision) {
  ASSERT_FALSE(commit(record(referral("extended", kAgency, kT0), "caselink.referral.v1")).dead_letter);
  ASSERT_FALSE(commit(record(referral("missed", kAgency, kT0), "caselink.referral.v1")).dead_letter);
  v1::Envelope extension = base("extended", kT0 + 24h);
  extension.mutable_filing_review_extended()->set_basis(v1::REVIEW_EXTENSION_BASIS_NEEDS_VERIFICATION);
  extension.mutable_filing_review_extended()->set_claimed_limit_days(7);
  auto routed = commit(record(extension, "caselink.decision.v1"));
  ASSERT_FALSE(routed.dead_letter);
  const auto feedback = on_topic(routed.outputs, "caselink.feedback.sthjj-330100.v1");
  ASSERT_EQ(feedback.size(), 1U) << "the extension is routed to the agency";
  ASSERT_FALSE(commit(record(ack("extended", feedback[0].event_id(), kAgency), "caselink.ack.v1")).dead_letter);
  for (const auto at : {kT0 + 72h, kT0 + 100h, kT0 + 1000h}) {
    for (const auto& a : alerts(tick_commit(at))) {
      ADD_FAILURE() << "unexpected " << v1::AlertKind_Name(a.alert().kind()) << " for " << a.case_id();
    }
  }
}

TEST_F(FeedbackTest, RedeliveryHasNoNewEffect) {
  const auto ref = record(referral("case-1", kAgency, kT0), "caselink.referral.v1");
  ASSERT_FALSE(commit(ref).dead_letter);
  EXPECT_TRUE(commit(ref).outputs.empty());
  const auto decision = record(filing_decision("case-1", kT0), "caselink.decision.v1");
  auto first = commit(decision);
  auto again = commit(decision);
  EXPECT_FALSE(again.dead_letter);
  EXPECT_TRUE(again.outputs.empty());
  EXPECT_EQ(handler->cases().at("case-1").feedback.size(), 1U);
  const std::string feedback_id = on_topic(first.outputs, "caselink.feedback.sthjj-330100.v1")[0].event_id();
  const auto a = record(ack("case-1", feedback_id, kAgency), "caselink.ack.v1");
  EXPECT_FALSE(commit(a).outputs.empty());
  auto a2 = commit(a);
  EXPECT_FALSE(a2.dead_letter);
  EXPECT_TRUE(a2.outputs.empty());

  // Another instance (after a restart without the state) derives the same output id.
  FakeChangelog empty;
  metrics::Registry other_registry;
  FeedbackHandler other(test_settings(), clock, empty, other_registry);
  other.on_partitions_assigned({{"caselink.decision.v1", 2}});
  ASSERT_FALSE(other.handle(ref).dead_letter);
  auto replayed = on_topic(other.handle(decision).outputs, "caselink.feedback.sthjj-330100.v1");
  ASSERT_EQ(replayed.size(), 1U);
  EXPECT_EQ(replayed[0].event_id(), feedback_id);
}

TEST_F(FeedbackTest, AbortRollsBackEverythingSinceTheLastCommit) {
  ASSERT_FALSE(commit(record(referral("case-1", kAgency, kT0), "caselink.referral.v1")).dead_letter);
  const CaseState committed = handler->cases().at("case-1");

  // Uncommitted: a decision, a new case, and an alert from the timer.
  const auto decision = record(filing_decision("case-1", kT0), "caselink.decision.v1");
  auto first = handler->handle(decision);
  ASSERT_FALSE(first.dead_letter);
  ASSERT_FALSE(handler->handle(record(referral("case-2", kAgency, kT0), "caselink.referral.v1")).dead_letter);
  ASSERT_EQ(alerts(handler->on_tick(kT0 + 100h)).size(), 1U);  // case-1's unacknowledged feedback
  handler->on_transaction_aborted();

  EXPECT_EQ(handler->cases().at("case-1"), committed);
  EXPECT_FALSE(handler->cases().contains("case-2"));

  // The rewound records are processed again with the same results and ids.
  auto second = handler->handle(decision);
  EXPECT_EQ(on_topic(second.outputs, "caselink.feedback.sthjj-330100.v1")[0].event_id(),
            on_topic(first.outputs, "caselink.feedback.sthjj-330100.v1")[0].event_id());
  handler->on_transaction_committed();
  auto raised = alerts(handler->on_tick(kT0 + 100h));
  ASSERT_EQ(raised.size(), 1U);
  EXPECT_EQ(raised[0].alert().kind(), v1::ALERT_KIND_FEEDBACK_UNACKNOWLEDGED);
}

TEST_F(FeedbackTest, RestartRestoresPendingAcksAndDoesNotReAlert) {
  ASSERT_FALSE(commit(record(referral("case-1", kAgency, kT0), "caselink.referral.v1")).dead_letter);
  ASSERT_FALSE(commit(record(referral("case-2", kAgency, kT0), "caselink.referral.v1")).dead_letter);
  ASSERT_FALSE(commit(record(filing_decision("case-1", kT0), "caselink.decision.v1")).dead_letter);
  // case-1's unacknowledged-feedback alert is raised and committed before the "crash".
  auto before = alerts(tick_commit(kT0 + 72h));
  ASSERT_EQ(before.size(), 1U);
  // case-1 gets a second feedback that is still pending at the crash.
  v1::Envelope judgment = base("case-1", kT0 + 72h);
  judgment.mutable_court_judgment()->set_verdict(v1::VERDICT_CONVICTED);
  clock.set(kT0 + 72h);
  ASSERT_FALSE(commit(record(judgment, "caselink.decision.v1")).dead_letter);
  const auto expected = handler->cases();

  handler.reset();
  const int reads_before = changelog.reads;
  handler = make();
  EXPECT_EQ(changelog.reads, reads_before + 1) << "one restore for partition number 2";
  EXPECT_EQ(handler->cases(), expected);
  auto after = alerts(tick_commit(kT0 + 200h));
  ASSERT_EQ(after.size(), 1U) << "only the judgment's feedback, never a repeat";
  EXPECT_EQ(after[0].alert().feedback_unacknowledged().feedback_event_id(),
            crypto::derived_uuid("feedback", judgment.event_id()));

  // Revoking every input partition of number 2 drops its cases.
  handler->on_partitions_revoked({{"caselink.referral.v1", 2}, {"caselink.decision.v1", 2}});
  EXPECT_FALSE(handler->cases().empty()) << "caselink.ack.v1[2] is still assigned";
  handler->on_partitions_revoked({{"caselink.ack.v1", 2}});
  EXPECT_TRUE(handler->cases().empty());
}

TEST(FeedbackSettings, ValidationNamesTheKey) {
  Settings s = test_settings();
  EXPECT_TRUE(validate(s).ok());
  s.agencies = {};
  EXPECT_EQ(validate(s).error().field, "feedback.agencies");
  s.agencies = {"Bad_Agency"};
  EXPECT_EQ(validate(s).error().field, "feedback.agencies");
  s = test_settings();
  s.topic_template = "caselink.feedback.v1";
  EXPECT_EQ(validate(s).error().field, "feedback.topic_template");
  s = test_settings();
  s.ack_timeout_ms = 0;
  EXPECT_EQ(validate(s).error().field, "feedback.ack_timeout_ms");
}

TEST(FeedbackState, SerializationRoundTrips) {
  CaseState s;
  s.partition = 4;
  s.agency = kAgency;
  s.referral_event_id = "r";
  s.filing_expected = true;
  s.feedback["f"] = FeedbackEntry{"src", "caselink.v1.FilingDecision", kAgency, "t", kT0, true, false};
  s.agency_questions = {{"q1", "gaj-330100"}, {"q2", "jcy-330100"}};
  auto back = deserialize(serialize(s));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, s);
  EXPECT_FALSE(deserialize("{}").ok());
  EXPECT_FALSE(deserialize("not json").ok());
  EXPECT_EQ(crypto::derived_uuid("feedback", "x"), crypto::derived_uuid("feedback", "x"));
  EXPECT_NE(crypto::derived_uuid("feedback", "x"), crypto::derived_uuid("feedback", "y"));
  EXPECT_EQ(crypto::derived_uuid("feedback", "x").size(), 36U);
}

}  // namespace
}  // namespace caselink::feedback
