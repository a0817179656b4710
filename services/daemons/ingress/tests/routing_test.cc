#include <gtest/gtest.h>

#include <google/protobuf/descriptor.h>

#include "caselink/v1/envelope.pb.h"
#include "services/daemons/ingress/routes.h"
#include "services/daemons/ingress/routing.h"

namespace caselink::ingress {
namespace {

TEST(TopicRouter, RoutesWithTheSharedTableRefusesServiceOnlyTypesAndAppliesOverrides) {
  TopicRouter router(std::map<std::string, std::string>{{"caselink.decision.v1", "it.decision"}});
  const auto* oneof = caselink::v1::Envelope::descriptor()->FindOneofByName("payload");
  int routed = 0;
  int refused = 0;
  for (int i = 0; i < oneof->field_count(); ++i) {
    caselink::v1::Envelope env;
    const auto* field = oneof->field(i);
    env.GetReflection()->MutableMessage(&env, field);
    env.set_event_type(field->message_type()->full_name());
    auto topic = router.topic_for(env);
    if (topic.ok()) {
      ++routed;
      EXPECT_FALSE(is_service_only(env.event_type())) << env.event_type();
    } else {
      ++refused;
      EXPECT_EQ(topic.error().field, "event_type");
    }
  }
  EXPECT_EQ(refused, 5);  // four service-only types and Probe
  EXPECT_EQ(routed, oneof->field_count() - 5);

  caselink::v1::Envelope decision;
  decision.mutable_filing_decision();
  decision.set_event_type("caselink.v1.FilingDecision");
  EXPECT_EQ(*router.topic_for(decision), "it.decision");
  caselink::v1::Envelope referral;
  referral.mutable_case_referral();
  referral.set_event_type("caselink.v1.CaseReferral");
  EXPECT_EQ(*router.topic_for(referral), "caselink.referral.v1");
  caselink::v1::Envelope snapshot;
  snapshot.mutable_case_state_snapshot();
  snapshot.set_event_type("caselink.v1.CaseStateSnapshot");
  EXPECT_EQ(router.topic_for(snapshot).error().reason, kServiceOnlyType);
}

TEST(RouteTable, MatchesPathsMethodsAndParameters) {
  RouteMatch events = match_route("POST", "/v1/events?x=1");
  ASSERT_NE(events.route, nullptr);
  EXPECT_EQ(events.route->id, RouteId::kPostEvents);

  RouteMatch wrong_method = match_route("GET", "/v1/events");
  EXPECT_EQ(wrong_method.route, nullptr);
  EXPECT_TRUE(wrong_method.path_known);
  EXPECT_EQ(wrong_method.allowed, std::vector<std::string>{"POST"});

  RouteMatch unknown = match_route("GET", "/v2/events");
  EXPECT_FALSE(unknown.path_known);
  EXPECT_FALSE(match_route("GET", "/v1/cases/").path_known);
  EXPECT_FALSE(match_route("GET", "/v1/cases/a/b").path_known);

  RouteMatch a_case = match_route("GET", "/v1/cases/env-330100%2F2026");
  ASSERT_NE(a_case.route, nullptr);
  EXPECT_EQ(a_case.parameter, "env-330100/2026");
  EXPECT_TRUE(match_route("GET", "/v1/cases/bad%2").bad_encoding);
}

}  // namespace
}  // namespace caselink::ingress
