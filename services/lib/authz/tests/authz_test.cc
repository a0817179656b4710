#include "services/lib/authz/authz.h"

#include <gtest/gtest.h>

#include <functional>

namespace caselink::authz {
namespace {

const RoleModel& model() { return RoleModel::builtin(); }

v1::CaseStateSnapshot hangzhou_case() {
  v1::CaseStateSnapshot s;
  s.set_case_id("case-1");
  s.set_version(3);
  s.mutable_jurisdiction()->set_city_code("330100");
  auto party = [&](const char* id, v1::PartyRole role) {
    auto* p = s.add_parties();
    p->set_party_id(id);
    p->set_role(role);
  };
  party("sthjj-330100", v1::PARTY_ROLE_REFERRING_AGENCY);
  party("ga-330100", v1::PARTY_ROLE_POLICE);
  return s;
}

v1::Envelope event(const char* sender, const std::function<void(v1::Envelope&)>& fill) {
  v1::Envelope e;
  e.set_case_id("case-1");
  e.set_producer_agency_id(sender);
  fill(e);
  e.set_event_type("caselink.v1." + e.GetDescriptor()->FindFieldByNumber(e.payload_case())->message_type()->name());
  return e;
}

std::string refused_rule(const v1::Envelope& e, const v1::CaseStateSnapshot* s) {
  auto r = check_case(model(), e, e.producer_agency_id(), s, nullptr);
  return r ? r->rule : "";
}

TEST(RoleModel, BuiltinCoversEveryPayloadOfTheEnvelope) {
  const auto* oneof = v1::Envelope::descriptor()->FindOneofByName("payload");
  for (int i = 0; i < oneof->field_count(); ++i) {
    const std::string type = "caselink.v1." + oneof->field(i)->message_type()->name();
    EXPECT_NE(model().payload(type), nullptr) << type << " has no entry in rules/roles/roles.yaml";
  }
}

TEST(RoleModel, RefusesUnknownRulesKindsAndKeys) {
  auto bad = RoleModel::parse("rules: {mine: {}}\npayloads:\n  X: {kinds: [pirate], rule: other}\nextra: 1\n", "t");
  ASSERT_FALSE(bad.ok());
  const std::string& m = bad.error().message;
  EXPECT_NE(m.find("rules.mine: no such rule"), std::string::npos) << m;
  EXPECT_NE(m.find("payloads.X.kinds: not one of"), std::string::npos) << m;
  EXPECT_NE(m.find("payloads.X.rule: 'other'"), std::string::npos) << m;
  EXPECT_NE(m.find("extra: unknown key"), std::string::npos) << m;
}

TEST(RoleModel, KindOfPartyIdByPrefix) {
  EXPECT_EQ(model().kind_of("ga-330100"), PartyKind::kPolice);
  EXPECT_EQ(model().kind_of("jcy-330100"), PartyKind::kProcuratorate);
  EXPECT_EQ(model().kind_of("fy-330100"), PartyKind::kCourt);
  EXPECT_EQ(model().kind_of("caselink-sync"), PartyKind::kService);
  EXPECT_EQ(model().kind_of("gaj-330100"), PartyKind::kAgency);
  EXPECT_EQ(model().kind_of("sthjj-330100"), PartyKind::kAgency);
}

TEST(CheckKind, AgencyMayNotDecideOrRecommend) {
  EXPECT_FALSE(check_kind(model(), "caselink.v1.CaseReferral", PartyKind::kAgency, "a"));
  for (const char* type : {"caselink.v1.ReferralAccepted", "caselink.v1.FilingDecision",
                           "caselink.v1.RecommendationIssued", "caselink.v1.CaseStateSnapshot",
                           "caselink.v1.NoSuchThing"}) {
    auto r = check_kind(model(), type, PartyKind::kAgency, "a");
    ASSERT_TRUE(r) << type;
    EXPECT_EQ(r->code(), "authz.party_kind");
  }
}

TEST(CheckCase, OnlyTheAddressedPoliceAcceptsAndDecides) {
  const auto s = hangzhou_case();
  auto accept = [](const char* sender) {
    return event(sender, [&](v1::Envelope& e) { e.mutable_referral_accepted()->mutable_police_organ()->set_organ_id(sender); });
  };
  EXPECT_EQ(refused_rule(accept("ga-330100"), &s), "");
  EXPECT_EQ(refused_rule(accept("ga-440300"), &s), "addressed_police");
  auto decide = event("ga-440300", [](v1::Envelope& e) { e.mutable_filing_decision(); });
  EXPECT_EQ(refused_rule(decide, &s), "addressed_police");
  // In someone else's name: the sender is the case's police, the payload names another organ.
  auto other = event("ga-330100", [](v1::Envelope& e) {
    e.mutable_filing_decision()->mutable_police_organ()->set_organ_id("ga-440300");
  });
  EXPECT_EQ(refused_rule(other, &s), "addressed_police");
  // A case not known to the caller: only the own-name part is decided.
  EXPECT_EQ(refused_rule(accept("ga-440300"), nullptr), "");
}

TEST(CheckCase, ForwardedPoliceTakesOver) {
  auto s = hangzhou_case();
  s.mutable_parties(1)->set_role(v1::PARTY_ROLE_OBSERVER);
  auto* p = s.add_parties();
  p->set_party_id("ga-330102");
  p->set_role(v1::PARTY_ROLE_POLICE);
  EXPECT_EQ(refused_rule(event("ga-330102", [](v1::Envelope& e) { e.mutable_referral_accepted(); }), &s), "");
  EXPECT_EQ(refused_rule(event("ga-330100", [](v1::Envelope& e) { e.mutable_referral_accepted(); }), &s),
            "addressed_police");
}

TEST(CheckCase, OnlyTheCompetentProcuratorateRecommends) {
  auto registry = organs::Registry::parse(
      "competence: {rule: r, description: d, legal_source: s, confidence: HIGH}\n"
      "regions:\n  \"330100\": {name: 杭州市, level: city, procuratorate: {id: jcy-330100, name: p},"
      " police: {id: ga-330100, name: g}}\n",
      "t");
  ASSERT_TRUE(registry.ok()) << registry.error().message;
  auto s = hangzhou_case();
  auto issue = [](const char* sender, const char* procuratorate) {
    return event(sender, [&](v1::Envelope& e) {
      e.mutable_recommendation_issued()->mutable_procuratorate()->set_organ_id(procuratorate);
      e.mutable_recommendation_issued()->mutable_recipient()->set_organ_id(sender);
    });
  };
  auto rule = [&](const v1::Envelope& e) {
    auto r = check_case(model(), e, e.producer_agency_id(), &s, &registry.value());
    return r ? r->rule : "";
  };
  // No procuratorate party: the registry's one for the region is competent.
  EXPECT_EQ(rule(issue("jcy-330100", "jcy-330100")), "");
  EXPECT_EQ(rule(issue("jcy-440300", "jcy-440300")), "competent_procuratorate");
  // The forgery of the issue: an agency's recommendation addressed to itself.
  EXPECT_EQ(rule(issue("scjg-440300", "scjg-440300")), "competent_procuratorate");
  EXPECT_EQ(rule(issue("scjg-440300", "jcy-330100")), "competent_procuratorate");
  auto* p = s.add_parties();
  p->set_party_id("jcy-330102");
  p->set_role(v1::PARTY_ROLE_PROCURATORATE);
  EXPECT_EQ(rule(issue("jcy-330102", "jcy-330102")), "");
  EXPECT_EQ(rule(issue("jcy-330100", "jcy-330100")), "competent_procuratorate");
  // A class case (caselink-classcase): no region, no police; the recommendation is its first
  // event. The procuratorate competent for the recipient organ issues it, no other.
  v1::CaseStateSnapshot class_case;
  class_case.set_case_id("class-1");
  auto to = [](const char* sender, const char* recipient) {
    return event(sender, [&](v1::Envelope& e) {
      e.mutable_recommendation_issued()->mutable_procuratorate()->set_organ_id(sender);
      e.mutable_recommendation_issued()->mutable_recipient()->set_organ_id(recipient);
    });
  };
  auto on_class_case = [&](const v1::Envelope& e) {
    auto r = check_case(model(), e, e.producer_agency_id(), &class_case, &registry.value());
    return r ? r->rule : "";
  };
  EXPECT_EQ(on_class_case(to("jcy-330100", "sthjj-330100")), "");
  EXPECT_EQ(on_class_case(to("jcy-440300", "sthjj-330100")), "competent_procuratorate");
  EXPECT_EQ(on_class_case(to("jcy-330100", "sthjj-999999")), "competent_procuratorate");
}

TEST(CheckCase, OnlyTheReferringAgencyRefersAndAsItself) {
  const auto s = hangzhou_case();
  auto refer = [](const char* sender, const char* named) {
    return event(sender, [&](v1::Envelope& e) { e.mutable_case_referral()->mutable_referring_agency()->set_organ_id(named); });
  };
  EXPECT_EQ(refused_rule(refer("sthjj-330100", "sthjj-330100"), &s), "");
  EXPECT_EQ(refused_rule(refer("scjg-330100", "sthjj-330100"), nullptr), "referring_agency_as_itself");
  EXPECT_EQ(refused_rule(refer("scjg-330100", "scjg-330100"), &s), "referring_agency_as_itself");
  EXPECT_EQ(refused_rule(event("scjg-330100", [](v1::Envelope& e) { e.mutable_materials_supplemented(); }), &s),
            "referring_agency");
}

TEST(CheckCase, OnlyAPartyAcknowledgesAndOnlyAsItself) {
  const auto s = hangzhou_case();
  auto ack = [](const char* sender, const char* party) {
    return event(sender, [&](v1::Envelope& e) { e.mutable_state_acknowledged()->set_party_id(party); });
  };
  EXPECT_EQ(refused_rule(ack("ga-330100", "ga-330100"), &s), "");
  EXPECT_EQ(refused_rule(ack("scjg-330100", "sthjj-330100"), &s), "acknowledge_as_itself");
  EXPECT_EQ(refused_rule(ack("scjg-330100", "sthjj-330100"), nullptr), "acknowledge_as_itself");
  EXPECT_EQ(refused_rule(ack("scjg-330100", "scjg-330100"), &s), "acknowledge_as_itself");
}

// S1 Art 16, decided from the ids alone, so at the ingress (no case read) as in caselink-sync.
TEST(CheckCase, OnlyTheGovernmentOrTheSuperiorAgencyOrdersATransferOfTheCasesAgency) {
  auto order = [](const char* sender, const char* agency) {
    return event(sender, [&](v1::Envelope& e) {
      e.mutable_transfer_ordered()->mutable_ordering_organ()->set_organ_id(sender);
      e.mutable_transfer_ordered()->mutable_agency()->set_organ_id(agency);
    });
  };
  for (const char* allowed : {"zf-330100", "zf-330000", "sthjj-330000"}) {
    EXPECT_EQ(refused_rule(order(allowed, "sthjj-330100"), nullptr), "") << allowed;
  }
  EXPECT_EQ(refused_rule(order("zf-330102", "sthjj-330102"), nullptr), "") << "a county's own government";
  EXPECT_EQ(refused_rule(order("zf-330100", "sthjj-330102"), nullptr), "") << "a county agency's city government";
  for (const char* refused : {"zf-330102", "zf-440300", "sthjj-330100", "scjg-330000", "zf-000000", "zf", "zf-33010x"}) {
    EXPECT_EQ(refused_rule(order(refused, "sthjj-330100"), nullptr), "superior_of_the_agency") << refused;
  }
  // Another organ's name as the orderer; an agency id without a region.
  auto forged = order("zf-330100", "sthjj-330100");
  forged.set_producer_agency_id("zf-330000");
  EXPECT_EQ(refused_rule(forged, nullptr), "superior_of_the_agency");
  EXPECT_EQ(refused_rule(order("zf-330100", "sthjj"), nullptr), "superior_of_the_agency");
  // In a case read: only an order to the case's own agency.
  const auto s = hangzhou_case();
  EXPECT_EQ(refused_rule(order("zf-330100", "sthjj-330100"), &s), "");
  EXPECT_EQ(refused_rule(order("zf-330100", "scjg-330100"), &s), "superior_of_the_agency");
}

// S2 Art 24: parties of the two sides ask each other; only the party asked answers.
TEST(CheckCase, AConsultationCrossesTheLinkageBetweenPartiesAndOnlyTheConsultedAnswers) {
  auto s = hangzhou_case();
  auto ask = [](const char* sender, const char* consulted) {
    return event(sender, [&](v1::Envelope& e) {
      e.mutable_consultation_requested()->mutable_consulting_organ()->set_organ_id(sender);
      e.mutable_consultation_requested()->set_consulted_party_id(consulted);
    });
  };
  auto party = [&](const char* id, v1::PartyRole role) {
    auto* p = s.add_parties();
    p->set_party_id(id);
    p->set_role(role);
  };
  party("jcy-330100", v1::PARTY_ROLE_PROCURATORATE);
  party("scjg-330100", v1::PARTY_ROLE_RECEIVING_AGENCY);
  party("ga-330200", v1::PARTY_ROLE_OBSERVER);  // a police organ the case was forwarded away from
  for (const auto& [by, to] : std::vector<std::pair<const char*, const char*>>{
           {"sthjj-330100", "ga-330100"}, {"ga-330100", "sthjj-330100"}, {"sthjj-330100", "jcy-330100"},
           {"jcy-330100", "sthjj-330100"}, {"scjg-330100", "jcy-330100"}, {"ga-330100", "scjg-330100"}}) {
    EXPECT_EQ(refused_rule(ask(by, to), &s), "") << by << " -> " << to;
  }
  for (const auto& [by, to] : std::vector<std::pair<const char*, const char*>>{
           {"sthjj-330100", "sthjj-330100"}, {"sthjj-330100", "scjg-330100"}, {"ga-330100", "jcy-330100"},
           {"ga-330100", "ga-330100"}, {"rsj-330100", "ga-330100"}, {"ga-330200", "sthjj-330100"},
           {"sthjj-330100", "ga-330200"}, {"sthjj-330100", "ga-440300"}}) {
    EXPECT_EQ(refused_rule(ask(by, to), &s), "consult_across_the_linkage") << by << " -> " << to;
  }
  auto forged = ask("ga-330100", "sthjj-330100");
  forged.set_producer_agency_id("sthjj-330100");
  EXPECT_EQ(refused_rule(forged, &s), "consult_across_the_linkage") << "in another party's name";
  EXPECT_EQ(refused_rule(forged, nullptr), "consult_across_the_linkage") << "decided without the case too";

  auto* q = s.add_consultations();
  q->set_consultation_id("q1");
  q->set_consulted_party_id("sthjj-330100");
  auto answer = [](const char* sender) {
    return event(sender, [&](v1::Envelope& e) {
      e.mutable_consultation_answered()->set_consultation_id("q1");
      e.mutable_consultation_answered()->mutable_answering_organ()->set_organ_id(sender);
    });
  };
  EXPECT_EQ(refused_rule(answer("sthjj-330100"), &s), "");
  EXPECT_EQ(refused_rule(answer("ga-330100"), &s), "consulted_party");
  EXPECT_EQ(refused_rule(answer("scjg-330100"), &s), "consulted_party") << "a party, not the one asked";
  EXPECT_EQ(refused_rule(answer("rsj-330100"), &s), "consulted_party") << "not a party";
}

TEST(CheckCase, OnlyAPartyCloses) {
  const auto s = hangzhou_case();
  EXPECT_EQ(refused_rule(event("sthjj-330100", [](v1::Envelope& e) { e.mutable_case_closed(); }), &s), "");
  EXPECT_EQ(refused_rule(event("scjg-330100", [](v1::Envelope& e) { e.mutable_case_closed(); }), &s), "case_party");
}

}  // namespace
}  // namespace caselink::authz

namespace caselink::authz {
namespace {

TEST(SenderKind, TheRoleInTheCaseBeforeTheIdConvention) {
  v1::CaseStateSnapshot s;
  auto* p = s.add_parties();
  p->set_party_id("shenzhen-police");
  p->set_role(v1::PARTY_ROLE_POLICE);
  auto* o = s.add_parties();
  o->set_party_id("ga-330100");
  o->set_role(v1::PARTY_ROLE_OBSERVER);
  EXPECT_EQ(sender_kind(RoleModel::builtin(), s, "shenzhen-police"), PartyKind::kPolice);
  EXPECT_EQ(sender_kind(RoleModel::builtin(), s, "ga-330100"), PartyKind::kPolice);
  EXPECT_EQ(sender_kind(RoleModel::builtin(), s, "other-police"), PartyKind::kAgency);
}

}  // namespace
}  // namespace caselink::authz
