#include "services/lib/envelope/routing.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "services/lib/envelope/codec.h"

namespace caselink::envelope {
namespace {

TEST(Routing, AgencyEventsGoToTheReferralTopic) {
  v1::Envelope e;
  e.mutable_case_referral();
  EXPECT_EQ(topic_for(e).value(), "caselink.referral.v1");
  e.mutable_reconsideration_requested();
  EXPECT_EQ(topic_for(e).value(), "caselink.referral.v1");
}

TEST(Routing, DecisionsEvidencePenaltiesAcksHaveTheirTopics) {
  v1::Envelope e;
  e.mutable_filing_decision();
  EXPECT_EQ(topic_for(e).value(), "caselink.decision.v1");
  e.mutable_evidence_manifest();
  EXPECT_EQ(topic_for(e).value(), "caselink.evidence.manifest.v1");
  e.mutable_administrative_penalty_reported();
  EXPECT_EQ(topic_for(e).value(), "caselink.admin-penalty.v1");
  e.mutable_state_acknowledged();
  EXPECT_EQ(topic_for(e).value(), "caselink.ack.v1");
  e.mutable_recommendation_replied();
  EXPECT_EQ(topic_for(e).value(), "caselink.recommendation.v1");
  e.mutable_class_case_opened();
  EXPECT_EQ(topic_for(e).value(), "caselink.classcase.v1");
  e.mutable_class_case_member_joined();
  EXPECT_EQ(topic_for(e).value(), "caselink.classcase.v1");
  e.mutable_class_case_fact();
  EXPECT_EQ(topic_for(e).value(), "caselink.classcase.facts.v1");
  e.mutable_class_case_group_state();
  EXPECT_EQ(topic_for(e).value(), "caselink.classcase.state.v1");
}

TEST(Routing, EveryKnownPayloadButProbeIsRoutable) {
  // Walk the oneof through the descriptor so a payload added later cannot be forgotten here.
  const auto* oneof = v1::Envelope::descriptor()->FindOneofByName("payload");
  ASSERT_NE(oneof, nullptr);
  for (int i = 0; i < oneof->field_count(); ++i) {
    const auto* field = oneof->field(i);
    v1::Envelope e;
    e.GetReflection()->MutableMessage(&e, field);
    auto topic = topic_for(e);
    if (field->name() == "probe") {
      EXPECT_FALSE(topic.ok());
    } else {
      EXPECT_TRUE(topic.ok()) << field->name();
    }
  }
}

TEST(Routing, EnvelopeWithoutPayloadIsRefusedNamingTheField) {
  v1::Envelope e;
  auto topic = topic_for(e);
  ASSERT_FALSE(topic.ok());
  EXPECT_EQ(topic.error().field, "payload");
}

TEST(Routing, FeedbackTopicFollowsTheSpecTemplate) {
  EXPECT_EQ(feedback_topic_for("sthjj-330100"), "caselink.feedback.sthjj-330100.v1");
  // A deployment's own template (caselink-feedback's feedback.topic_template).
  EXPECT_EQ(feedback_topic_for("ga-1", "prov.fb.{agency}.v1"), "prov.fb.ga-1.v1");
  EXPECT_EQ(feedback_topic_for("ga-1", "{agency}.{agency}"), "ga-1.ga-1");
}

// The event topics are exactly the topics topic_for routes agency and service events to.
TEST(Routing, EventTopicsAreTheRoutedTopicsButStateAndAlerts) {
  std::set<std::string> routed;
  const auto* descriptor = caselink::v1::Envelope::descriptor();
  const auto* oneof = descriptor->FindOneofByName("payload");
  ASSERT_NE(oneof, nullptr);
  for (int i = 0; i < oneof->field_count(); ++i) {
    caselink::v1::Envelope env;
    const auto* field = oneof->field(i);
    env.GetReflection()->MutableMessage(&env, field);
    if (auto topic = topic_for(env); topic.ok()) {
      routed.insert(*topic);
    }
  }
  routed.erase(topics::kCaseState);
  routed.erase(topics::kAlert);
  // Class-case records are keyed by class case or group, not by a case: no case's history.
  routed.erase(topics::kClassCase);
  routed.erase(topics::kClassCaseFacts);
  routed.erase(topics::kClassCaseState);
  const auto& listed = event_topics();
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), routed);
  EXPECT_EQ(listed.size(), routed.size()) << "no topic listed twice";
}

}  // namespace
}  // namespace caselink::envelope
