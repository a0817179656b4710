// The API policy without HTTP (issue 12: auth, rate limit, idempotency and status decisions
// apart from the protocol code).
#include <gtest/gtest.h>

#include "services/lib/crypto/sha256.h"
#include "services/daemons/ingress/api_policy.h"

namespace caselink::ingress {
namespace {

const std::string kBody =
    R"({"case_id":"c-1","occurred_at":"2026-03-01T08:30:00Z","suspected_crime_reported":{}})";

class ApiPolicyTest : public ::testing::Test {
 protected:
  ApiPolicyTest() {
    settings_ = default_settings();
    settings_.auth.token_sha256 = {{"a-1", crypto::sha256_hex("token-1")}};
    settings_.limits = {0.001, 1};  // one event, practically no refill
  }
  IngressSettings settings_;
  ManualClock clock_{TimePoint(std::chrono::seconds(1'800'000'000))};
};

PublishAnswer stored(unsigned status = 202) { return {status, "{\"stored\":true}", {}, {}, true}; }
PublishAnswer not_stored() { return {503, "{}", {}, {"publish.unavailable"}, false}; }

TEST_F(ApiPolicyTest, AuthenticatesByToken) {
  ApiPolicy policy(settings_, clock_);
  std::string agency;
  EXPECT_FALSE(policy.authenticate("Bearer token-1", &agency));
  EXPECT_EQ(agency, "a-1");
  auto missing = policy.authenticate("", &agency);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401u);
  EXPECT_NE(missing->message.find("missing"), std::string::npos);
  EXPECT_EQ(policy.authenticate("Bearer nope", &agency)->rule, "auth.bearer_token");
}

TEST_F(ApiPolicyTest, AReplayCostsNothingAndANewRequestIsCharged) {
  ApiPolicy policy(settings_, clock_);
  Admission first = policy.admit(kBody, "a-1", "k");
  ASSERT_FALSE(first.refused) << first.refused->to_json();
  ASSERT_FALSE(first.key.empty());
  policy.settle(first.key, stored());
  Admission replay = policy.admit(kBody, "a-1", "k");
  ASSERT_FALSE(replay.refused) << replay.refused->to_json();
  ASSERT_TRUE(replay.replay);
  EXPECT_EQ(replay.replay->body, "{\"stored\":true}");
  Admission other = policy.admit(kBody, "a-1", "other-key");
  ASSERT_TRUE(other.refused);
  EXPECT_EQ(other.refused->status, 429u);
  // The refused request's key was released: with budget it could publish.
  EXPECT_EQ(policy.idempotency().claim("a-1\x1fkey:other-key", "x").kind, ClaimKind::kNew);
}

TEST_F(ApiPolicyTest, KeyDecisions) {
  settings_.limits = {1000, 1000};
  ApiPolicy policy(settings_, clock_);
  Admission first = policy.admit(kBody, "a-1", "k");
  ASSERT_FALSE(first.refused);
  Admission during = policy.admit(kBody, "a-1", "k");
  ASSERT_TRUE(during.refused);
  EXPECT_EQ(during.refused->status, 409u);
  EXPECT_EQ(during.refused->field, "Idempotency-Key");
  Admission other_body = policy.admit(
      R"({"case_id":"c-2","occurred_at":"2026-03-01T08:30:00Z","suspected_crime_reported":{}})", "a-1", "k");
  ASSERT_TRUE(other_body.refused);
  EXPECT_EQ(other_body.refused->rule, "idempotency.key_reuse");
  policy.settle(first.key, not_stored());  // nothing stored: released
  Admission retry = policy.admit(kBody, "a-1", "k");
  EXPECT_FALSE(retry.refused);
  EXPECT_FALSE(retry.replay);
  EXPECT_FALSE(retry.key.empty());
  EXPECT_EQ(policy.admit(kBody, "a-1", std::string(256, 'k')).refused->rule, "idempotency.key_format");
  // Keys are per agency; no key without header or event_id.
  EXPECT_TRUE(policy.admit(kBody, "a-1", "").key.empty());
}

}  // namespace
}  // namespace caselink::ingress

namespace caselink::ingress {
namespace {

// Issue 20 #8: police, procuratorates and courts have tokens too, and each kind may send only
// its own events: a police token may send decisions, not referrals (403 auth.party_kind naming
// the type and what the kind may send).
class PartyKindTest : public ::testing::Test {
 protected:
  PartyKindTest() {
    settings_ = default_settings();
    settings_.auth.token_sha256 = {{"sthjj-330100", crypto::sha256_hex("t-agency")},
                                   {"ga-330100", crypto::sha256_hex("t-police")},
                                   {"jcy-330100", crypto::sha256_hex("t-procuratorate")},
                                   {"fy-330100", crypto::sha256_hex("t-court")}};
    settings_.auth.party_kinds = {{"ga-330100", "police"}, {"jcy-330100", "procuratorate"}, {"fy-330100", "court"}};
    settings_.limits = {1000, 1000};
  }
  static std::string body(const std::string& payload) {
    return R"({"case_id":"env-330100-2026-0001","occurred_at":"2026-03-01T08:30:00Z",")" + payload + R"(":{}})";
  }
  std::optional<ApiError> admit(const std::string& party, const std::string& payload) {
    ApiPolicy policy(settings_, clock_);
    return policy.admit(body(payload), party, "").refused;
  }
  IngressSettings settings_;
  ManualClock clock_{TimePoint(std::chrono::seconds(1'800'000'000))};
};

TEST_F(PartyKindTest, EachKindSendsItsOwnEvents) {
  EXPECT_FALSE(admit("sthjj-330100", "suspected_crime_reported"));
  EXPECT_FALSE(admit("ga-330100", "filing_decision"));
  EXPECT_FALSE(admit("ga-330100", "referral_accepted"));
  EXPECT_FALSE(admit("jcy-330100", "prosecution_decision"));
  EXPECT_FALSE(admit("jcy-330100", "recommendation_issued"));
  EXPECT_FALSE(admit("fy-330100", "court_judgment"));
  // An acknowledgement names the acknowledging party, the sender itself (issue 15 §2).
  ApiPolicy policy(settings_, clock_);
  EXPECT_FALSE(policy
                   .admit(R"({"case_id":"env-330100-2026-0001","occurred_at":"2026-03-01T08:30:00Z",)"
                          R"("state_acknowledged":{"party_id":"fy-330100"}})",
                          "fy-330100", "")
                   .refused);
}

TEST_F(PartyKindTest, APoliceTokenMayNotSendAReferral) {
  auto refused = admit("ga-330100", "suspected_crime_reported");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403U);
  EXPECT_EQ(refused->rule, "auth.party_kind");
  EXPECT_EQ(refused->field, "event_type");
  EXPECT_NE(refused->message.find("a police token (ga-330100) may not send caselink.v1.SuspectedCrimeReported"),
            std::string::npos)
      << refused->message;
  EXPECT_NE(refused->message.find("FilingDecision"), std::string::npos);
  auto agency = admit("sthjj-330100", "filing_decision");
  ASSERT_TRUE(agency);
  EXPECT_EQ(agency->rule, "auth.party_kind");
  auto court = admit("fy-330100", "prosecution_decision");
  ASSERT_TRUE(court);
  EXPECT_EQ(court->status, 403U);
  auto procuratorate = admit("jcy-330100", "filing_decision");
  ASSERT_TRUE(procuratorate);
}

TEST_F(PartyKindTest, AnUnknownKindIsRefusedAtStartNamingTheKey) {
  IngressSettings s = default_settings();
  auto binder = config::ConfigBinder::parse("auth: {token_sha256: {ga-330100: " + crypto::sha256_hex("t") +
                                                "}, party_kinds: {ga-330100: polis}}",
                                            "t.yaml", "CASELINK_TEST_UNSET_", [](const std::string&) {
                                              return std::optional<std::string>();
                                            });
  ASSERT_TRUE(binder.ok()) << binder.error().describe();
  bind(*binder, &s);
  auto st = binder->finish();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().describe().find("auth.party_kinds.ga-330100"), std::string::npos) << st.error().describe();
}

}  // namespace
}  // namespace caselink::ingress

namespace caselink::ingress {
namespace {

// Issue 15 §2: who may say what in THIS case. Each forgery an agency's (or another organ's)
// token could make is refused 403 naming the rule of rules/roles/roles.yaml; the legitimate
// steps of the case's own parties pass. The case is the one the ingress read from the state
// topic (the CaseLookup seam; GET /v1/cases/{id} reads the same view).
class CaseRulesTest : public ::testing::Test {
 protected:
  CaseRulesTest() {
    settings_ = default_settings();
    for (const char* party : {"sthjj-330100", "scjg-440300", "ga-330100", "ga-440300", "jcy-330100", "jcy-440300"}) {
      settings_.auth.token_sha256[party] = crypto::sha256_hex(std::string("t-") + party);
    }
    settings_.auth.party_kinds = {{"ga-330100", "police"},
                                  {"ga-440300", "police"},
                                  {"jcy-330100", "procuratorate"},
                                  {"jcy-440300", "procuratorate"}};
    settings_.limits = {1000, 1000};
    victim_.set_case_id(kCase);
    victim_.set_version(4);
    add_party("sthjj-330100", v1::PARTY_ROLE_REFERRING_AGENCY);
    add_party("ga-330100", v1::PARTY_ROLE_POLICE);
    add_party("jcy-330100", v1::PARTY_ROLE_PROCURATORATE);
  }
  void add_party(const char* id, v1::PartyRole role) {
    auto* p = victim_.add_parties();
    p->set_party_id(id);
    p->set_role(role);
  }
  static std::string body(const std::string& payload_json) {
    return R"({"case_id":")" + std::string(kCase) + R"(","occurred_at":"2026-03-01T08:30:00Z",)" + payload_json + "}";
  }
  // The refusal's rule ("" when admitted).
  std::string admit(const std::string& party, const std::string& payload_json, bool case_known = true) {
    ApiPolicy policy(settings_, clock_, nullptr, [&](const std::string& id) -> std::optional<v1::CaseStateSnapshot> {
      if (case_known && id == kCase) {
        return victim_;
      }
      return std::nullopt;
    });
    auto refused = policy.admit(body(payload_json), party, "").refused;
    if (refused) {
      EXPECT_EQ(refused->status, 403U) << refused->message;
      return refused->rule;
    }
    return "";
  }
  static constexpr const char* kCase = "env-330100-2026-0001";
  IngressSettings settings_;
  ManualClock clock_{TimePoint(std::chrono::seconds(1'800'000'000))};
  v1::CaseStateSnapshot victim_;
};

TEST_F(CaseRulesTest, AnOutsiderCannotMakeItselfAPartyByARecommendationToItself) {
  const std::string to_itself =
      R"("recommendation_issued":{"recommendation_id":"r-1","procuratorate":{"organ_id":"scjg-440300"},)"
      R"("recipient":{"organ_id":"scjg-440300"}})";
  EXPECT_EQ(admit("scjg-440300", to_itself), "auth.party_kind");
  // Another region's procuratorate may not recommend in a case whose procuratorate is named.
  const std::string by_other =
      R"("recommendation_issued":{"recommendation_id":"r-1","procuratorate":{"organ_id":"jcy-440300"},)"
      R"("recipient":{"organ_id":"scjg-440300"}})";
  EXPECT_EQ(admit("jcy-440300", by_other), "authz.competent_procuratorate");
  const std::string by_own =
      R"("recommendation_issued":{"recommendation_id":"r-1","procuratorate":{"organ_id":"jcy-330100"},)"
      R"("recipient":{"organ_id":"sthjj-330100"}})";
  EXPECT_EQ(admit("jcy-330100", by_own), "");
  // In the competent procuratorate's name, by someone else.
  EXPECT_EQ(admit("jcy-440300", by_own), "authz.competent_procuratorate");
}

TEST_F(CaseRulesTest, OnlyTheAddressedPoliceAcceptsAndDecides) {
  EXPECT_EQ(admit("scjg-440300", R"("referral_accepted":{})"), "auth.party_kind");
  EXPECT_EQ(admit("ga-440300", R"("referral_accepted":{"police_organ":{"organ_id":"ga-440300"}})"),
            "authz.addressed_police");
  EXPECT_EQ(admit("ga-440300", R"("filing_decision":{"outcome":"FILING_OUTCOME_NOT_FILED"})"),
            "authz.addressed_police");
  EXPECT_EQ(admit("ga-330100", R"("referral_accepted":{"police_organ":{"organ_id":"ga-330100"}})"), "");
  EXPECT_EQ(admit("ga-330100", R"("filing_decision":{"police_organ":{"organ_id":"ga-440300"}})"),
            "authz.addressed_police");
}

TEST_F(CaseRulesTest, OnlyAPartyCloses) {
  EXPECT_EQ(admit("scjg-440300", R"("case_closed":{})"), "authz.case_party");
  EXPECT_EQ(admit("sthjj-330100", R"("case_closed":{})"), "");
}

TEST_F(CaseRulesTest, OnlyAPartyAcknowledgesAndOnlyAsItself) {
  const std::string as_victim = R"("state_acknowledged":{"party_id":"sthjj-330100","state_version":4,)"
                                R"("state_hash_hex":"00"})";
  EXPECT_EQ(admit("scjg-440300", as_victim), "authz.acknowledge_as_itself");
  EXPECT_EQ(admit("scjg-440300", as_victim, /*case_known=*/false), "authz.acknowledge_as_itself");
  EXPECT_EQ(admit("scjg-440300", R"("state_acknowledged":{"party_id":"scjg-440300","state_version":4})"),
            "authz.acknowledge_as_itself");
  EXPECT_EQ(admit("sthjj-330100", as_victim), "");
}

TEST_F(CaseRulesTest, OnlyTheReferringAgencyRefersAndOnlyInItsOwnName) {
  const std::string in_victims_name = R"("case_referral":{"referring_agency":{"organ_id":"sthjj-330100"}})";
  EXPECT_EQ(admit("scjg-440300", in_victims_name, /*case_known=*/false), "authz.referring_agency_as_itself");
  EXPECT_EQ(admit("scjg-440300", R"("case_referral":{"referring_agency":{"organ_id":"scjg-440300"}})"),
            "authz.referring_agency_as_itself");
  EXPECT_EQ(admit("scjg-440300", R"("materials_supplemented":{})"), "authz.referring_agency");
  EXPECT_EQ(admit("sthjj-330100", in_victims_name), "");
  EXPECT_EQ(admit("sthjj-330100", in_victims_name, /*case_known=*/false), "");
}

TEST_F(CaseRulesTest, ARefusalReleasesTheIdempotencyKeyAndAReplayIsAnsweredAsBefore) {
  bool known = false;
  ApiPolicy policy(settings_, clock_, nullptr, [&](const std::string&) -> std::optional<v1::CaseStateSnapshot> {
    if (known) {
      return victim_;
    }
    return std::nullopt;
  });
  const std::string closing = body(R"("case_closed":{})");
  known = true;
  ASSERT_TRUE(policy.admit(closing, "scjg-440300", "k-1").refused);
  // The key was released: the same request is decided again, not "in progress".
  auto again = policy.admit(closing, "scjg-440300", "k-1");
  ASSERT_TRUE(again.refused);
  EXPECT_EQ(again.refused->rule, "authz.case_party");
}

}  // namespace
}  // namespace caselink::ingress
