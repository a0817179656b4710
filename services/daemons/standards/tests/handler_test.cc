// The handler on in-memory records: mapping of referrals and penalty records to assessments,
// supervision clues, deterministic ids, redelivery, ignored and refused inputs, rule reload.
#include <gtest/gtest.h>

#include <tuple>

#include <filesystem>
#include <fstream>
#include <map>

#include "services/lib/crypto/derived_uuid.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/decode.h"
#include "services/lib/metrics/registry.h"
#include "services/daemons/standards/engine/loader.h"
#include "services/daemons/standards/handler.h"
#include "services/daemons/standards/mapping.h"

namespace caselink::standards {
namespace {

TimePoint at(const char* rfc3339) {
  TimePoint t;
  EXPECT_TRUE(parse_rfc3339(rfc3339, &t));
  return t;
}

void fact(google::protobuf::RepeatedPtrField<v1::Fact>* facts, const std::string& name, double number,
          const std::string& unit = "") {
  v1::Fact* f = facts->Add();
  f->set_name(name);
  f->set_number(number);
  f->set_unit(unit);
}
void flag(google::protobuf::RepeatedPtrField<v1::Fact>* facts, const std::string& name, bool value) {
  v1::Fact* f = facts->Add();
  f->set_name(name);
  f->set_flag(value);
}

ConsumedRecord record(const v1::Envelope& env, const std::string& topic = "caselink.admin-penalty.v1") {
  ConsumedRecord r;
  r.topic = topic;
  r.partition = 0;
  r.offset = 7;
  r.key = env.case_id();
  r.value = envelope::encode(env);
  return r;
}

// A Hangzhou pollution penalty: 5 t of hazardous waste in 2024, fined, never referred.
v1::Envelope penalty_envelope(double tonnes = 5, bool ever_referred = false) {
  v1::Envelope env = envelope::make_envelope(CaseId("env-330100-2024-0042"), AgencyId("sthjj-330100"),
                                             at("2024-05-10T02:00:00Z"), at("2024-05-10T02:00:01Z"));
  auto* p = env.mutable_administrative_penalty_reported();
  p->set_decision_number("杭环罚〔2024〕42号");
  p->mutable_deciding_agency()->set_organ_id("sthjj-330100");
  p->mutable_deciding_agency()->set_name("杭州市生态环境局");
  p->set_report_context(v1::PENALTY_REPORT_CONTEXT_ROUTINE_SCREENING);
  p->set_outcome(v1::PENALTY_OUTCOME_IMPOSED);
  p->set_offence_code("pollution_environment");
  p->set_domain(v1::DOMAIN_ENVIRONMENT);
  p->mutable_jurisdiction()->set_province_code("330000");
  p->mutable_jurisdiction()->set_city_code("330100");
  fact(p->mutable_facts(), "hazardous_waste_tonnes", tonnes, "t");
  p->add_penalty_kinds(v1::PENALTY_KIND_FINE);
  p->set_fine_amount_yuan(200000);
  p->set_act_date("2024-03-01");
  p->set_ever_referred(ever_referred);
  envelope::seal(env);
  return env;
}

// A Guangzhou wage-arrears referral.
v1::Envelope referral_envelope(double amount, bool with_order = true, const std::string& city = "440100") {
  v1::Envelope env = envelope::make_envelope(CaseId("rs-440100-2024-0007"), AgencyId("rsj-440100"),
                                             at("2024-06-01T01:00:00Z"), at("2024-06-01T01:00:00Z"));
  auto* r = env.mutable_case_referral();
  r->set_transfer_letter_number("穗人社移〔2024〕7号");
  r->set_offence_code("wage_arrears");
  r->set_domain(v1::DOMAIN_LABOUR);
  r->mutable_jurisdiction()->set_province_code("440000");
  r->mutable_jurisdiction()->set_city_code(city);
  fact(r->mutable_facts(), "months_unpaid", 4, "months");
  fact(r->mutable_facts(), "single_worker_amount_yuan", amount, "yuan");
  fact(r->mutable_facts(), "workers_unpaid", 1, "persons");
  fact(r->mutable_facts(), "amount_yuan", amount, "yuan");
  if (with_order) {
    flag(r->mutable_facts(), "prior_payment_order_ignored", true);
  }
  r->set_act_date("2024-02-01");
  envelope::seal(env);
  return env;
}

class HandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto set = load_rule_set(CASELINK_RULES_DIR);
    ASSERT_TRUE(set.ok()) << set.error().message;
    rules_ = std::make_shared<const RuleSet>(std::move(*set));
    handler_ = make(100);
  }

  std::unique_ptr<StandardsHandler> make(int64_t dedup) {
    Settings s;
    s.dedup_capacity = dedup;
    auto h = std::make_unique<StandardsHandler>(s, rules_, loader_, clock_, &registry_, &reload_);
    auto organs = load_organs(std::string(CASELINK_RULES_DIR) + "/organs/organs.yaml", *rules_);
    EXPECT_TRUE(organs.ok()) << organs.error().message;
    if (organs.ok()) {
      h->set_organs(std::make_shared<const organs::Registry>(std::move(*organs)));
    }
    return h;
  }

  static v1::Envelope decode(const OutgoingRecord& r) {
    auto env = envelope::decode(*r.value);
    EXPECT_TRUE(env.ok()) << (env.ok() ? "" : env.error().describe());
    return env.ok() ? *env : v1::Envelope();
  }

  std::shared_ptr<const RuleSet> rules_;
  StandardsHandler::RuleLoader loader_ = [] { return load_rule_set(CASELINK_RULES_DIR); };
  ManualClock clock_{at("2024-06-02T00:00:00Z")};
  metrics::Registry registry_;
  std::atomic<bool> reload_{false};
  std::unique_ptr<StandardsHandler> handler_;
};

// Issue 20 #3: the clue goes to the procuratorate's party id from the organ registry (jcy-330100,
// as everywhere else), not to a name made from a template ("procuratorate-330100" before).
TEST_F(HandlerTest, SupervisionClueIsAddressedToTheCompetentProcuratorateFromTheRegistry) {
  auto result = handler_->handle(record(penalty_envelope()));
  ASSERT_EQ(result.outputs.size(), 2U);
  const v1::Alert alert = decode(result.outputs[1]).alert();
  ASSERT_EQ(alert.addressed_to_party_ids_size(), 1);
  EXPECT_EQ(alert.addressed_to_party_ids(0), "jcy-330100");

  // A county the registry does not list: its city's procuratorate, and the clue says so.
  v1::Envelope county = penalty_envelope();
  county.set_event_id("0b8e5d9e-0000-4000-8000-00000000c0c0");
  county.mutable_administrative_penalty_reported()->set_decision_number("杭环罚〔2024〕43号");
  county.mutable_administrative_penalty_reported()->mutable_jurisdiction()->set_county_code("330106");
  envelope::seal(county);
  auto r2 = handler_->handle(record(county));
  ASSERT_EQ(r2.outputs.size(), 2U);
  const v1::Alert a2 = decode(r2.outputs[1]).alert();
  ASSERT_EQ(a2.addressed_to_party_ids_size(), 1);
  EXPECT_EQ(a2.addressed_to_party_ids(0), "jcy-330100");
  EXPECT_NE(a2.message().find("region 330106 is not in the organ registry"), std::string::npos) << a2.message();
}

// Without a registry entry the clue is still published (nothing lost), unaddressed, with the
// region named in the message and counted in caselink_standards_unaddressed_clues_total.
TEST_F(HandlerTest, ClueForARegionWithoutOrgansNamesTheRegionAndIsCounted) {
  Settings s;
  metrics::Registry own;
  StandardsHandler bare(s, rules_, loader_, clock_, &own, &reload_);
  auto result = bare.handle(record(penalty_envelope()));
  ASSERT_EQ(result.outputs.size(), 2U);
  const v1::Alert alert = decode(result.outputs[1]).alert();
  EXPECT_EQ(alert.addressed_to_party_ids_size(), 0);
  EXPECT_NE(alert.message().find("region '330100'"), std::string::npos) << alert.message();
  EXPECT_NE(own.render().find("caselink_standards_unaddressed_clues_total 1"), std::string::npos);
}

TEST_F(HandlerTest, OrganRegistryMustCoverEveryProvinceOfTheCatalogue) {
  const std::string path = ::testing::TempDir() + "/organs-one-province.yaml";
  {
    std::ofstream out(path);
    out << "competence: {rule: r, description: d, legal_source: s, confidence: MEDIUM}\n"
           "regions:\n  \"330000\": {name: 浙江省, level: province, procuratorate: {id: jcy-330000, name: p},"
           " police: {id: ga-330000, name: q}}\n";
  }
  auto organs = load_organs(path, *rules_);
  ASSERT_FALSE(organs.ok());
  EXPECT_NE(organs.error().message.find("440000"), std::string::npos) << organs.error().message;
  EXPECT_NE(organs.error().message.find("standards.organs_file"), std::string::npos);
}

TEST_F(HandlerTest, PenaltyOverThresholdYieldsAssessmentAndOneSupervisionClue) {
  const v1::Envelope in = penalty_envelope();
  auto result = handler_->handle(record(in));
  ASSERT_FALSE(result.dead_letter) << result.dead_letter->message;
  ASSERT_EQ(result.outputs.size(), 2U);

  const OutgoingRecord& ar = result.outputs[0];
  EXPECT_EQ(ar.topic, "caselink.standards.assessment.v1");
  EXPECT_EQ(ar.key, "env-330100-2024-0042");
  const v1::Envelope ae = decode(ar);
  EXPECT_EQ(ae.event_type(), "caselink.v1.StandardsAssessment");
  EXPECT_EQ(ae.producer_agency_id(), "caselink-standards");
  EXPECT_EQ(ae.causation_id(), in.event_id());
  EXPECT_EQ(ae.correlation_id(), in.correlation_id());
  EXPECT_EQ(ae.event_id(), crypto::derived_uuid(kAssessmentIdSpace, in.event_id()));
  const v1::StandardsAssessment& a = ae.standards_assessment();
  EXPECT_EQ(a.assessment_id(), ae.event_id());
  EXPECT_EQ(a.subject_kind(), v1::ASSESSMENT_SUBJECT_KIND_ADMINISTRATIVE_PENALTY);
  EXPECT_EQ(a.subject_event_id(), in.event_id());
  EXPECT_EQ(a.penalty_decision_number(), "杭环罚〔2024〕42号");
  EXPECT_EQ(a.offence_code(), "pollution_environment");
  EXPECT_EQ(a.outcome(), v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD);
  EXPECT_EQ(a.rule_set_version(), rules_->version);
  EXPECT_EQ(a.anchor_date(), "2024-03-01");
  EXPECT_EQ(a.anchor_date_kind(), v1::ANCHOR_DATE_KIND_ACT_DATE);
  EXPECT_EQ(a.jurisdiction().province_code(), "330000");
  // The entry tier, then the 情节严重 tier of the same lineage (issue 16 §2); 5 t reach the entry only.
  ASSERT_EQ(a.conclusions_size(), 2);
  EXPECT_EQ(a.tier_reached(), "entry");
  EXPECT_EQ(a.conclusions(1).tier(), "circumstances_serious");
  EXPECT_EQ(a.conclusions(1).rule().rule_version(), "3");
  EXPECT_NE(a.conclusions(1).outcome(), v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD);
  const v1::RuleConclusion& c = a.conclusions(0);
  EXPECT_EQ(c.tier(), "entry");
  EXPECT_EQ(c.rule().rule_id(), "pollution_environment.serious");
  EXPECT_EQ(c.rule().rule_version(), "2");
  EXPECT_NE(c.rule().legal_source().find("法释〔2023〕7号"), std::string::npos);
  EXPECT_EQ(c.rule().confidence(), v1::CONFIDENCE_HIGH);
  EXPECT_EQ(c.rule_jurisdiction(), "national");
  EXPECT_EQ(c.layer(), v1::THRESHOLD_LAYER_JUDICIAL_INTERPRETATION);
  EXPECT_EQ(c.valid_from_date(), "2023-08-15");
  EXPECT_EQ(c.valid_until_date(), "");
  EXPECT_EQ(c.outcome(), v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD);
  EXPECT_EQ(c.matched_clause(), "hazardous_waste_tonnes = 5; rule: hazardous_waste_tonnes >= 3 [第一条(二)]");
  ASSERT_EQ(c.facts_used_size(), 1);
  EXPECT_EQ(c.facts_used(0).name(), "hazardous_waste_tonnes");

  const OutgoingRecord& cr = result.outputs[1];
  EXPECT_EQ(cr.topic, "caselink.alert.v1");
  const v1::Envelope ce = decode(cr);
  EXPECT_EQ(ce.event_id(), crypto::derived_uuid(kClueEventIdSpace, in.event_id()));
  const v1::Alert& alert = ce.alert();
  EXPECT_EQ(alert.kind(), v1::ALERT_KIND_SUPERVISION_CLUE);
  EXPECT_EQ(alert.status(), v1::ALERT_STATUS_RAISED);
  ASSERT_EQ(alert.addressed_to_party_ids_size(), 1);
  EXPECT_EQ(alert.addressed_to_party_ids(0), "jcy-330100");
  EXPECT_EQ(alert.supervision_clue().reason(), v1::SUPERVISION_CLUE_REASON_PENALTY_INSTEAD_OF_TRANSFER);
  EXPECT_EQ(alert.supervision_clue().penalty_event_id(), in.event_id());
  EXPECT_EQ(alert.supervision_clue().penalty_decision_number(), "杭环罚〔2024〕42号");
  // Class-case supervision groups 以罚代刑 clues by the deciding agency (caselink-classcase).
  EXPECT_EQ(alert.supervision_clue().deciding_agency().organ_id(), "sthjj-330100");
  EXPECT_EQ(alert.supervision_clue().assessment().assessment_id(), a.assessment_id());
  EXPECT_EQ(alert.decided_by_rule().rule_version(), rules_->version);
  EXPECT_NE(alert.message().find("以罚代刑"), std::string::npos);
}

TEST_F(HandlerTest, NoClueBelowThresholdOrWhenReferredOrNotPenalised) {
  auto below = handler_->handle(record(penalty_envelope(2)));
  ASSERT_EQ(below.outputs.size(), 1U);  // assessment only (INSUFFICIENT: other items unknown)
  EXPECT_EQ(decode(below.outputs[0]).standards_assessment().outcome(), v1::ASSESSMENT_OUTCOME_INSUFFICIENT_FACTS);

  auto referred = handler_->handle(record(penalty_envelope(5, /*ever_referred=*/true)));
  ASSERT_EQ(referred.outputs.size(), 1U);
  EXPECT_EQ(decode(referred.outputs[0]).standards_assessment().outcome(), v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD);

  v1::Envelope not_imposed = penalty_envelope(5);
  not_imposed.mutable_administrative_penalty_reported()->set_outcome(v1::PENALTY_OUTCOME_NOT_IMPOSED);
  EXPECT_EQ(handler_->handle(record(not_imposed)).outputs.size(), 1U);
}

TEST_F(HandlerTest, RedeliveryHasNoNewEffectAndIdsAreDeterministic) {
  const v1::Envelope in = penalty_envelope();
  auto first = handler_->handle(record(in));
  ASSERT_EQ(first.outputs.size(), 2U);
  // Same event again in the same transaction, and after the commit: dropped.
  EXPECT_TRUE(handler_->handle(record(in)).outputs.empty());
  handler_->on_transaction_committed();
  EXPECT_TRUE(handler_->handle(record(in)).outputs.empty());
  EXPECT_EQ(registry_.counter("caselink_standards_duplicates_total", "Redelivered input events dropped by the dedup window.")
                .get()
                .value(),
            2);
  // A fresh handler (a restart: the window is gone) re-emits, with the same ids.
  auto restarted = make(100);
  auto again = restarted->handle(record(in));
  ASSERT_EQ(again.outputs.size(), 2U);
  EXPECT_EQ(decode(again.outputs[0]).event_id(), decode(first.outputs[0]).event_id());
  EXPECT_EQ(decode(again.outputs[1]).event_id(), decode(first.outputs[1]).event_id());
  EXPECT_EQ(decode(again.outputs[1]).alert().alert_id(), decode(first.outputs[1]).alert().alert_id());
}

TEST_F(HandlerTest, AbortedTransactionForgetsItsEventIds) {
  const v1::Envelope in = penalty_envelope();
  ASSERT_EQ(handler_->handle(record(in)).outputs.size(), 2U);
  handler_->on_transaction_aborted();  // the loop rewinds and hands the record over again
  EXPECT_EQ(handler_->handle(record(in)).outputs.size(), 2U);
}

TEST_F(HandlerTest, DedupWindowEvictsOldestIds) {
  auto small = make(1);
  const v1::Envelope a = penalty_envelope();
  const v1::Envelope b = penalty_envelope();
  ASSERT_EQ(small->handle(record(a)).outputs.size(), 2U);
  small->on_transaction_committed();
  ASSERT_EQ(small->handle(record(b)).outputs.size(), 2U);
  small->on_transaction_committed();
  EXPECT_TRUE(small->handle(record(b)).outputs.empty());
  EXPECT_EQ(small->handle(record(a)).outputs.size(), 2U);  // evicted: assessed again, same ids
}

TEST_F(HandlerTest, ReferralAssessedWithCityTier) {
  auto result = handler_->handle(record(referral_envelope(20000), "caselink.referral.v1"));
  ASSERT_FALSE(result.dead_letter);
  ASSERT_EQ(result.outputs.size(), 1U);  // never a clue for a referral
  const auto a = decode(result.outputs[0]).standards_assessment();
  EXPECT_EQ(a.subject_kind(), v1::ASSESSMENT_SUBJECT_KIND_REFERRAL);
  EXPECT_EQ(a.outcome(), v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD);
  EXPECT_EQ(a.jurisdiction().city_tier(), "guangdong.tier1");
  // The threshold, then the 2017 补充规定 第七条 and 法释〔2013〕3号 第六条 exits, undecided (no
  // payment stated) and not named.
  ASSERT_EQ(a.conclusions_size(), 3);
  for (int i : {1, 2}) {
    EXPECT_EQ(a.conclusions(i).tier(), "discretionary_exit");
    EXPECT_EQ(a.conclusions(i).outcome(), v1::ASSESSMENT_OUTCOME_INSUFFICIENT_FACTS);
  }
  EXPECT_EQ(a.missing_facts_size(), 0);
  EXPECT_EQ(a.summary().find("discretionary exit"), std::string::npos) << a.summary();
  EXPECT_EQ(a.conclusions(0).rule().rule_version(), "8");
  EXPECT_EQ(a.conclusions(0).layer(), v1::THRESHOLD_LAYER_CITY_TIER);
  EXPECT_EQ(a.conclusions(0).rule_jurisdiction(), "440000/guangdong.tier1");
  EXPECT_EQ(a.conclusions(0).facts_used_size(), 5);

  // Just under the tier-1 figure: below.
  auto under = handler_->handle(record(referral_envelope(19999.99), "caselink.referral.v1"));
  EXPECT_EQ(decode(under.outputs[0]).standards_assessment().outcome(), v1::ASSESSMENT_OUTCOME_BELOW_THRESHOLD);
  // The same amount in a tier-2 city meets.
  auto tier2 = handler_->handle(record(referral_envelope(19999.99, true, "440500"), "caselink.referral.v1"));
  EXPECT_EQ(decode(tier2.outputs[0]).standards_assessment().outcome(), v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD);
  // No order to pay on record: insufficient, naming it.
  auto no_order = handler_->handle(record(referral_envelope(50000, false), "caselink.referral.v1"));
  const auto na = decode(no_order.outputs[0]).standards_assessment();
  EXPECT_EQ(na.outcome(), v1::ASSESSMENT_OUTCOME_INSUFFICIENT_FACTS);
  ASSERT_EQ(na.missing_facts_size(), 1);
  EXPECT_EQ(na.missing_facts(0), "prior_payment_order_ignored");
}

// Issue 16 §1: wages paid in full with compensation before filing. The threshold is still met
// (or not); the assessment names the exit with its rule, version and source either way.
TEST_F(HandlerTest, WageArrearsPaidBeforeFilingNamesTheExit) {
  for (double amount : {19999.99, 20000.0}) {
    v1::Envelope env = referral_envelope(amount);
    env.set_event_id(amount < 20000 ? "0b8e5d9e-0000-4000-8000-0000000e0001" : "0b8e5d9e-0000-4000-8000-0000000e0002");
    auto* facts = env.mutable_case_referral()->mutable_facts();
    flag(facts, "wages_paid_in_full_before_filing", true);
    flag(facts, "wage_compensation_borne", true);
    flag(facts, "wage_arrears_serious_consequences", false);
    envelope::seal(env);
    auto result = handler_->handle(record(env, "caselink.referral.v1"));
    ASSERT_EQ(result.outputs.size(), 1U);
    const auto a = decode(result.outputs[0]).standards_assessment();
    EXPECT_EQ(a.outcome(), amount < 20000 ? v1::ASSESSMENT_OUTCOME_BELOW_THRESHOLD
                                          : v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD);
    EXPECT_NE(a.summary().find("discretionary exit: wage_arrears.exit_paid_before_filing v1 ("), std::string::npos)
        << a.summary();
    EXPECT_NE(a.summary().find("第七条"), std::string::npos) << a.summary();
    EXPECT_NE(a.summary().find("may_not_file"), std::string::npos) << a.summary();
    ASSERT_EQ(a.conclusions_size(), 3);
    EXPECT_EQ(a.conclusions(1).outcome(), v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD);
    EXPECT_EQ(a.conclusions(1).rule().rule_id(), "wage_arrears.exit_paid_before_filing");
    EXPECT_EQ(a.conclusions(1).rule().rule_version(), "1");
    EXPECT_EQ(a.conclusions(1).rule().confidence(), v1::CONFIDENCE_MEDIUM);
    // The 2013 interpretation's reading of the same payment (法释〔2013〕3号 第六条), its own kind.
    EXPECT_EQ(a.conclusions(2).outcome(), v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD);
    EXPECT_EQ(a.conclusions(2).rule().rule_id(), "wage_arrears.not_a_crime_paid_before_filing");
    EXPECT_NE(a.summary().find("discretionary exit: wage_arrears.not_a_crime_paid_before_filing v1 ("),
              std::string::npos)
        << a.summary();
    EXPECT_NE(a.summary().find("第六条第一款): not_a_crime"), std::string::npos) << a.summary();
  }
}

TEST_F(HandlerTest, MoreLenientComparisonIsReported) {
  v1::Envelope env = envelope::make_envelope(CaseId("tax-1"), AgencyId("sw-1"), at("2024-01-10T00:00:00Z"),
                                             at("2024-01-10T00:00:00Z"));
  auto* p = env.mutable_administrative_penalty_reported();
  p->set_report_context(v1::PENALTY_REPORT_CONTEXT_ROUTINE_SCREENING);
  p->set_outcome(v1::PENALTY_OUTCOME_IMPOSED);
  p->set_offence_code("tax_evasion");
  fact(p->mutable_facts(), "tax_evaded_yuan", 60000, "yuan");
  fact(p->mutable_facts(), "tax_evaded_ratio", 0.12, "ratio");
  fact(p->mutable_facts(), "withheld_tax_unpaid_yuan", 0);
  flag(p->mutable_facts(), "recovery_notice_ignored", true);
  p->set_act_date("2021-03-01");
  envelope::seal(env);
  auto result = handler_->handle(record(env));
  ASSERT_EQ(result.outputs.size(), 1U);  // below under the 2022 standard: no clue
  const auto a = decode(result.outputs[0]).standards_assessment();
  EXPECT_EQ(a.outcome(), v1::ASSESSMENT_OUTCOME_BELOW_THRESHOLD);
  EXPECT_TRUE(a.more_lenient_comparison_applied());
  EXPECT_EQ(a.more_lenient_compared_version(), "1");
  EXPECT_EQ(a.anchor_date(), "2021-03-01");
  EXPECT_EQ(a.conclusions(0).layer(), v1::THRESHOLD_LAYER_FILING_STANDARD);
}

TEST_F(HandlerTest, OtherEventTypesAreIgnored) {
  v1::Envelope env = envelope::make_envelope(CaseId("c"), AgencyId("a"), at("2024-01-01T00:00:00Z"),
                                             at("2024-01-01T00:00:00Z"));
  env.mutable_transfer_decided()->set_decision(v1::TRANSFER_DECISION_APPROVED);
  envelope::seal(env);
  auto result = handler_->handle(record(env, "caselink.referral.v1"));
  EXPECT_FALSE(result.dead_letter);
  EXPECT_TRUE(result.outputs.empty());
}

// Issue 13 H: a record whose key is not its case id was assessed by caselink-standards; the
// shared decode step refuses it (and a keyless one) like every other consuming service does.
TEST_F(HandlerTest, KeyThatIsNotTheCaseIdIsDeadLettered) {
  v1::Envelope env = penalty_envelope();
  envelope::seal(env);
  ConsumedRecord r = record(env);
  r.key = "another-case";
  auto mismatch = handler_->handle(r);
  ASSERT_TRUE(mismatch.dead_letter);
  EXPECT_EQ(mismatch.dead_letter->error_class, kafka::kKeyMismatch);
  EXPECT_TRUE(mismatch.outputs.empty());
  r.key.reset();
  auto keyless = handler_->handle(r);
  ASSERT_TRUE(keyless.dead_letter);
  EXPECT_EQ(keyless.dead_letter->error_class, kafka::kKeyMissing);
}

TEST_F(HandlerTest, UndecodableAndInvalidInputsAreDeadLettered) {
  ConsumedRecord garbage;
  garbage.topic = "caselink.admin-penalty.v1";
  garbage.value = std::string("\x0a\xff\xff not an envelope");
  auto g = handler_->handle(garbage);
  ASSERT_TRUE(g.dead_letter);
  EXPECT_EQ(g.dead_letter->error_class, envelope::kUndecodable);
  ConsumedRecord tombstone;
  tombstone.topic = "caselink.admin-penalty.v1";
  ASSERT_TRUE(handler_->handle(tombstone).dead_letter);

  auto expect_refused = [&](v1::Envelope env, const std::string& expected) {
    envelope::seal(env);
    auto r = handler_->handle(record(env));
    ASSERT_TRUE(r.dead_letter) << expected;
    EXPECT_EQ(r.dead_letter->error_class, kInvalidInput);
    EXPECT_NE(r.dead_letter->message.find(expected), std::string::npos) << r.dead_letter->message;
    EXPECT_TRUE(r.outputs.empty());
  };
  v1::Envelope bad_unit = penalty_envelope();
  bad_unit.mutable_administrative_penalty_reported()->mutable_facts(0)->set_unit("kg");
  expect_refused(bad_unit, "facts[0].unit: fact 'hazardous_waste_tonnes' is in t, got unit 'kg'");
  // Issue 20 #10: a fact the catalogue does not know is refused naming it (it was ignored, so a
  // misspelt "hazardous_waste_tons" silently gave INSUFFICIENT_FACTS).
  v1::Envelope unknown = penalty_envelope();
  unknown.mutable_administrative_penalty_reported()->mutable_facts(0)->set_name("hazardous_waste_tons");
  expect_refused(unknown, "facts[0].name: unknown fact 'hazardous_waste_tons': not in the fact catalogue");
  v1::Envelope bad_kind = penalty_envelope();
  bad_kind.mutable_administrative_penalty_reported()->mutable_facts(0)->set_flag(true);
  expect_refused(bad_kind, "facts[0]: fact 'hazardous_waste_tonnes' must be a number, got a flag");
  {
    // An impossible date is refused by the envelope validation every consumer shares, before
    // the standards mapping sees it.
    v1::Envelope bad_date = penalty_envelope();
    bad_date.mutable_administrative_penalty_reported()->set_act_date("2024-02-30");
    envelope::seal(bad_date);
    auto r = handler_->handle(record(bad_date));
    ASSERT_TRUE(r.dead_letter);
    EXPECT_EQ(r.dead_letter->error_class, envelope::kInvalidValue);
    EXPECT_NE(r.dead_letter->message.find("must be a date YYYY-MM-DD"), std::string::npos) << r.dead_letter->message;
    EXPECT_TRUE(r.outputs.empty());
  }
  v1::Envelope bad_code = penalty_envelope();
  bad_code.mutable_administrative_penalty_reported()->mutable_jurisdiction()->set_province_code("33");
  expect_refused(bad_code, "jurisdiction.province_code: '33' is not a 6-digit division code");
  v1::Envelope bad_tier = penalty_envelope();
  bad_tier.mutable_administrative_penalty_reported()->mutable_jurisdiction()->set_city_tier("guangdong.tier1");
  expect_refused(bad_tier, "jurisdiction.city_tier: tier 'guangdong.tier1' belongs to province 440000");
  v1::Envelope twice = penalty_envelope();
  fact(twice.mutable_administrative_penalty_reported()->mutable_facts(), "hazardous_waste_tonnes", 1);
  expect_refused(twice, "facts[1].name: fact 'hazardous_waste_tonnes' is given twice");
  v1::Envelope no_context = penalty_envelope();
  no_context.mutable_administrative_penalty_reported()->set_report_context(v1::PENALTY_REPORT_CONTEXT_UNSPECIFIED);
  expect_refused(no_context, "report_context: must be stated");
  v1::Envelope no_outcome = penalty_envelope();
  no_outcome.mutable_administrative_penalty_reported()->set_outcome(v1::PENALTY_OUTCOME_UNSPECIFIED);
  expect_refused(no_outcome, "outcome: must be stated");
}

TEST_F(HandlerTest, MissingOrUnknownOffenceIsReportedNotGuessed) {
  v1::Envelope none = penalty_envelope();
  none.mutable_administrative_penalty_reported()->clear_offence_code();
  envelope::seal(none);
  auto r = handler_->handle(record(none));
  ASSERT_EQ(r.outputs.size(), 1U);
  auto a = decode(r.outputs[0]).standards_assessment();
  EXPECT_EQ(a.outcome(), v1::ASSESSMENT_OUTCOME_INSUFFICIENT_FACTS);
  ASSERT_EQ(a.missing_facts_size(), 1);
  EXPECT_EQ(a.missing_facts(0), "offence_code");

  v1::Envelope unknown = penalty_envelope();
  unknown.mutable_administrative_penalty_reported()->set_offence_code("no_such_offence");
  envelope::seal(unknown);
  r = handler_->handle(record(unknown));
  ASSERT_EQ(r.outputs.size(), 1U);
  a = decode(r.outputs[0]).standards_assessment();
  EXPECT_EQ(a.outcome(), v1::ASSESSMENT_OUTCOME_UNSPECIFIED);
  EXPECT_NE(a.summary().find("has no rules for offence 'no_such_offence'"), std::string::npos) << a.summary();
}

TEST_F(HandlerTest, ChinaDateOfAnInstant) {
  EXPECT_EQ(china_date(at("2024-03-01T15:59:59Z")).str(), "2024-03-01");
  EXPECT_EQ(china_date(at("2024-03-01T16:00:00Z")).str(), "2024-03-02");
  EXPECT_EQ(china_date(at("1969-12-31T20:00:00Z")).str(), "1970-01-01");
}

// Reload: a good new rule set replaces the old one (the version in every assessment follows);
// a bad one is rejected and the old one stays.
TEST_F(HandlerTest, ReloadOnFlagKeepsOldSetWhenNewOneIsBad) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("standards-reload-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::copy(CASELINK_RULES_DIR, dir, fs::copy_options::recursive);
  Settings s;
  s.rules_dir = dir.string();
  auto initial = load_rule_set(dir.string());
  ASSERT_TRUE(initial.ok());
  const std::string v1_version = initial->version;
  std::atomic<bool> flag{false};
  StandardsHandler handler(s, std::make_shared<const RuleSet>(std::move(*initial)),
                           [d = dir.string()] { return load_rule_set(d); }, clock_, &registry_, &flag);

  // Break a file, signal: rejected, old set kept.
  { std::ofstream(dir / "fraud.yaml", std::ios::app) << "\nbogus_key: 1\n"; }
  flag.store(true);
  (void)handler.on_tick(clock_.now());
  EXPECT_FALSE(flag.load());
  EXPECT_EQ(handler.rules()->version, v1_version);
  auto r = handler.handle(record(penalty_envelope()));
  EXPECT_EQ(decode(r.outputs[0]).standards_assessment().rule_set_version(), v1_version);

  // Fix it with a real change (hazardous waste figure 3 t -> 6 t in the 2023 version), signal again.
  fs::copy_file(fs::path(CASELINK_RULES_DIR) / "fraud.yaml", dir / "fraud.yaml", fs::copy_options::overwrite_existing);
  {
    std::ifstream in(dir / "pollution_environment.yaml");
    std::stringstream buf;
    buf << in.rdbuf();
    std::string text = buf.str();
    const std::string from = "- {fact: hazardous_waste_tonnes, gte: 3, item: 第一条(二)}\n        - {fact: heavy_metal_multiple, gte: 3, item: 第一条(三)}\n        - {fact: other_metal_multiple, gte: 10, item: 第一条(四)}\n        - {fact: evasive_discharge_concealed_channels, is: true, item: 第一条(五)}\n        - all_of:\n            - {fact: emergency_vent";
    const size_t pos = text.find(from);
    ASSERT_NE(pos, std::string::npos);
    text.replace(pos, std::string("- {fact: hazardous_waste_tonnes, gte: 3").size(), "- {fact: hazardous_waste_tonnes, gte: 6");
    // The file's own example (3 t meets under v2) would now fail: the reload must refuse that too.
    std::ofstream(dir / "pollution_environment.yaml") << text;
  }
  flag.store(true);
  r = handler.handle(record(penalty_envelope()));
  EXPECT_EQ(handler.rules()->version, v1_version) << "a rule set whose examples fail is rejected";
  {
    std::ifstream in(dir / "pollution_environment.yaml");
    std::stringstream buf;
    buf << in.rdbuf();
    std::string text = buf.str();
    const std::string example = "    facts: {hazardous_waste_tonnes: 3}\n    expect: MEETS_THRESHOLD";
    const size_t pos = text.find(example);
    ASSERT_NE(pos, std::string::npos);
    text.replace(pos, example.size(), "    facts: {hazardous_waste_tonnes: 6}\n    expect: MEETS_THRESHOLD");
    std::ofstream(dir / "pollution_environment.yaml") << text;
  }
  flag.store(true);
  r = handler.handle(record(penalty_envelope(5)));
  EXPECT_NE(handler.rules()->version, v1_version);
  const auto a = decode(r.outputs[0]).standards_assessment();
  EXPECT_EQ(a.rule_set_version(), handler.rules()->version);
  EXPECT_EQ(a.outcome(), v1::ASSESSMENT_OUTCOME_INSUFFICIENT_FACTS) << "5 t no longer meets the 6 t figure";
  const std::string metrics = registry_.render();
  EXPECT_NE(metrics.find("caselink_standards_rule_reloads_total{result=\"error\"} 2"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("caselink_standards_rule_reloads_total{result=\"ok\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("caselink_standards_rule_set_info{version=\"" + a.rule_set_version() + "\"} 1"),
            std::string::npos);
  fs::remove_all(dir);
}

TEST(StandardsSettings, BindRejectsUnknownKeysAndBadValues) {
  auto check = [](const std::string& yaml) {
    Settings s;
    auto binder = config::ConfigBinder::parse(yaml, "test.yaml", "CASELINK_",
                                              [](const std::string&) { return std::nullopt; });
    EXPECT_TRUE(binder.ok());
    bind(*binder, &s);
    Status st = binder->finish();
    return st.ok() ? std::string() : st.error().describe();
  };
  EXPECT_NE(check("standards:\n  colour: red\n").find("standards.colour"), std::string::npos);
  EXPECT_NE(check("standards:\n  dedup_capacity: -1\n").find("standards.dedup_capacity"), std::string::npos);
  EXPECT_NE(check("standards:\n  rules_dir: \"\"\n").find("standards.rules_dir"), std::string::npos);
  EXPECT_EQ(check("standards:\n  rules_dir: /etc/caselink/rules\n  dedup_capacity: 0\n"), "");
}

}  // namespace
}  // namespace caselink::standards

namespace caselink::standards {
namespace {

// Issue 20 #9: 2.5 t of hazardous waste and nothing else. The verdict stays INSUFFICIENT_FACTS
// (another item of the any_of could still be met), but the assessment says the stated item was
// evaluated and is below its figure, and which unknown facts could still change the outcome.
TEST(ItemReport, InsufficientFactsStillReportsAStatedItemBelowItsFigure) {
  auto set = load_rule_set(CASELINK_RULES_DIR);
  ASSERT_TRUE(set.ok()) << set.error().message;
  auto rules = std::make_shared<const RuleSet>(std::move(*set));
  ManualClock clock{at("2024-06-02T00:00:00Z")};
  StandardsHandler handler(Settings{}, rules, nullptr, clock, nullptr, nullptr);
  auto result = handler.handle(record(penalty_envelope(2.5)));
  ASSERT_FALSE(result.dead_letter) << result.dead_letter->message;
  ASSERT_GE(result.outputs.size(), 1U);
  auto env = envelope::decode(*result.outputs[0].value);
  ASSERT_TRUE(env.ok());
  const v1::StandardsAssessment& a = env->standards_assessment();
  EXPECT_EQ(a.outcome(), v1::ASSESSMENT_OUTCOME_INSUFFICIENT_FACTS);
  ASSERT_GT(a.missing_facts_size(), 0);
  EXPECT_EQ(std::count(a.missing_facts().begin(), a.missing_facts().end(), "hazardous_waste_tonnes"), 0)
      << "a stated fact is not missing";

  const v1::ItemEvaluation* waste = nullptr;
  int open_items = 0;
  for (const auto& c : a.conclusions()) {
    if (c.outcome() != v1::ASSESSMENT_OUTCOME_INSUFFICIENT_FACTS) continue;
    for (const auto& item : c.items()) {
      if (item.condition() == "hazardous_waste_tonnes >= 3") waste = &item;
      if (item.result() == v1::ITEM_RESULT_UNKNOWN && item.could_change_outcome()) {
        ++open_items;
        EXPECT_FALSE(item.facts().empty());
        for (const auto& f : item.facts()) {
          EXPECT_NE(std::find(a.missing_facts().begin(), a.missing_facts().end(), f), a.missing_facts().end()) << f;
        }
      }
    }
  }
  ASSERT_NE(waste, nullptr) << "the hazardous-waste item is reported";
  EXPECT_EQ(waste->result(), v1::ITEM_RESULT_NOT_MET);
  EXPECT_EQ(waste->text(), "not met: 2.5 < 3");
  EXPECT_EQ(waste->stated_value(), "2.5");
  EXPECT_EQ(waste->item(), "第一条(二)");
  EXPECT_FALSE(waste->could_change_outcome());
  EXPECT_GT(open_items, 0) << "the unknown facts that could still change the outcome are marked";
  EXPECT_NE(a.summary().find("hazardous_waste_tonnes >= 3 not met: 2.5 < 3"), std::string::npos) << a.summary();
}

// A met item reads "met: 5 >= 3"; a decided verdict marks no unknown item as open.
TEST(ItemReport, MeetsReportsTheMetItemAndNoOpenItems) {
  auto set = load_rule_set(CASELINK_RULES_DIR);
  ASSERT_TRUE(set.ok());
  auto rules = std::make_shared<const RuleSet>(std::move(*set));
  ManualClock clock{at("2024-06-02T00:00:00Z")};
  StandardsHandler handler(Settings{}, rules, nullptr, clock, nullptr, nullptr);
  auto result = handler.handle(record(penalty_envelope(5)));
  ASSERT_GE(result.outputs.size(), 1U);
  auto env = envelope::decode(*result.outputs[0].value);
  ASSERT_TRUE(env.ok());
  bool met = false;
  for (const auto& c : env->standards_assessment().conclusions()) {
    if (c.tier() != "entry") {
      continue;  // a higher tier's open items could change the tier reached, not the verdict
    }
    for (const auto& item : c.items()) {
      met = met || (item.condition() == "hazardous_waste_tonnes >= 3" && item.text() == "met: 5 >= 3" &&
                    item.result() == v1::ITEM_RESULT_MET);
      EXPECT_FALSE(item.could_change_outcome()) << item.condition();
    }
  }
  EXPECT_TRUE(met);
}

}  // namespace
}  // namespace caselink::standards

namespace caselink::standards {
namespace {

// Windowed facts (issue 16 §2): the same party's earlier pollution penalties that caselink has
// seen are counted in the 2-year window of 第一条(六) and cited; the open transaction's entries
// count at once, an aborted transaction's do not, and a history of 0 parties counts nothing.
class PenaltyHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto set = load_rule_set(CASELINK_RULES_DIR);
    ASSERT_TRUE(set.ok()) << set.error().message;
    rules_ = std::make_shared<const RuleSet>(std::move(*set));
  }
  std::unique_ptr<StandardsHandler> make(int64_t parties) {
    Settings s;
    s.penalty_history_parties = parties;
    return std::make_unique<StandardsHandler>(s, rules_, nullptr, clock_, nullptr, nullptr);
  }
  // A penalty of 杭州某电镀有限公司 unless `company` says otherwise; its suspect_id differs per
  // decision, as it may between two cases of the same party.
  static v1::Envelope penalty(const std::string& number, const char* decided, const char* act,
                              const char* company = "杭州某电镀有限公司", const char* suspect_id = nullptr) {
    v1::Envelope env = penalty_envelope(0);
    auto* p = env.mutable_administrative_penalty_reported();
    p->set_decision_number(number);
    envelope::set_timestamp(p->mutable_decided_at(), at(decided));
    p->set_act_date(act);
    v1::Suspect* party = p->add_penalized_parties();
    party->set_suspect_id(suspect_id != nullptr ? suspect_id : "s-" + number);
    party->set_kind(v1::SUSPECT_KIND_UNIT);
    party->set_name(company);
    party->set_id_document_type(v1::ID_DOCUMENT_TYPE_UNIFIED_SOCIAL_CREDIT_CODE);
    party->set_id_number_masked("91330100********7X");
    envelope::seal(env);
    return env;
  }
  static const v1::ItemEvaluation* prior_item(const kafka::HandlerResult& r) {
    static v1::StandardsAssessment a;
    a = envelope::decode(*r.outputs.at(0).value)->standards_assessment();
    for (const auto& item : a.conclusions(0).items()) {
      if (item.facts_size() == 1 && item.facts(0) == "prior_penalties_count") {
        return &item;
      }
    }
    return nullptr;
  }
  static v1::AssessmentOutcome outcome(const kafka::HandlerResult& r) {
    return envelope::decode(*r.outputs.at(0).value)->standards_assessment().outcome();
  }
  std::shared_ptr<const RuleSet> rules_;
  ManualClock clock_{at("2024-06-02T00:00:00Z")};
};

TEST_F(PenaltyHistoryTest, TwoEarlierPenaltiesInTheWindowAreCountedAndCited) {
  auto h = make(1000);
  (void)h->handle(record(penalty("杭环罚〔2022〕1号", "2022-03-01T02:00:00Z", "2022-01-10")));
  (void)h->handle(record(penalty("杭环罚〔2023〕2号", "2023-06-01T02:00:00Z", "2023-05-10")));
  h->on_transaction_committed();
  const auto r = h->handle(record(penalty("杭环罚〔2024〕42号", "2024-05-10T02:00:00Z", "2024-03-01")));
  EXPECT_EQ(outcome(r), v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD);
  const v1::ItemEvaluation* item = prior_item(r);
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->fact_source(), "counted");
  ASSERT_EQ(item->cited_records_size(), 2);
  EXPECT_EQ(item->cited_records(0), "杭环罚〔2022〕1号 (2022-03-01)");
  EXPECT_EQ(item->condition(), "prior_penalties_count >= 2 within 2 years");
}

// Issue 16 §3: 治安管理处罚 records are sealed by the revised 治安管理处罚法 (2026-01-01); caselink
// must not cite them to an agency, so it does not remember them at all.
TEST_F(PenaltyHistoryTest, PublicSecurityPenaltiesAreNeitherCountedNorCited) {
  auto h = make(1000);
  auto sealed = [](const std::string& number, const char* decided, const char* act) {
    v1::Envelope env = penalty(number, decided, act);
    env.mutable_administrative_penalty_reported()->set_domain(v1::DOMAIN_PUBLIC_SECURITY_GENERAL);
    envelope::seal(env);
    return env;
  };
  (void)h->handle(record(sealed("杭公罚〔2022〕1号", "2022-03-01T02:00:00Z", "2022-01-10")));
  (void)h->handle(record(penalty("杭环罚〔2023〕2号", "2023-06-01T02:00:00Z", "2023-05-10")));
  h->on_transaction_committed();
  const auto r = h->handle(record(penalty("杭环罚〔2024〕42号", "2024-05-10T02:00:00Z", "2024-03-01")));
  const v1::ItemEvaluation* item = prior_item(r);
  ASSERT_NE(item, nullptr);
  for (const auto& cited : item->cited_records()) {
    EXPECT_EQ(cited.find("杭公罚"), std::string::npos) << cited;
  }
  EXPECT_NE(item->result(), v1::ITEM_RESULT_MET);  // one countable penalty: not the two the item needs
}

// suspect_id is stable only within a case: another company that happens to be "s1" in its own
// case is not the same party, and a party without a name (or masked number) is not recognised.
TEST_F(PenaltyHistoryTest, PartiesAreRecognisedByIdentityNotBySuspectId) {
  auto h = make(1000);
  (void)h->handle(record(penalty("杭环罚〔2022〕1号", "2022-03-01T02:00:00Z", "2022-01-10", "杭州某化工有限公司", "s1")));
  (void)h->handle(record(penalty("杭环罚〔2023〕2号", "2023-06-01T02:00:00Z", "2023-05-10", "杭州某化工有限公司", "s1")));
  h->on_transaction_committed();
  auto r = h->handle(record(penalty("杭环罚〔2024〕42号", "2024-05-10T02:00:00Z", "2024-03-01", "杭州某电镀有限公司", "s1")));
  ASSERT_NE(prior_item(r), nullptr);
  EXPECT_EQ(prior_item(r)->cited_records_size(), 0);
  EXPECT_EQ(outcome(r), v1::ASSESSMENT_OUTCOME_INSUFFICIENT_FACTS);

  auto nameless = make(1000);
  (void)nameless->handle(record(penalty("杭环罚〔2022〕1号", "2022-03-01T02:00:00Z", "2022-01-10", "", "s1")));
  (void)nameless->handle(record(penalty("杭环罚〔2023〕2号", "2023-06-01T02:00:00Z", "2023-05-10", "", "s1")));
  nameless->on_transaction_committed();
  r = nameless->handle(record(penalty("杭环罚〔2024〕42号", "2024-05-10T02:00:00Z", "2024-03-01", "", "s1")));
  ASSERT_NE(prior_item(r), nullptr);
  EXPECT_EQ(prior_item(r)->cited_records_size(), 0);
}

// A penalty topic held in memory: the restore seam of StandardsHandler.
class FakePenaltyTopic final : public kafka::ChangelogReader {
 public:
  void append(int32_t partition, const v1::Envelope& env) { records_[partition].push_back(env); }
  Status read(const std::string& topic, const std::vector<int32_t>& partitions, const Visitor& visit) override {
    ++reads;
    for (int32_t p : partitions) {
      for (const auto& env : records_[p]) {
        ConsumedRecord r = record(env, topic);
        r.partition = p;
        visit(r);
      }
    }
    return Status::success();
  }
  int reads = 0;

 private:
  std::map<int32_t, std::vector<v1::Envelope>> records_;
};

// After a restart the history is refilled from the assigned partitions of the penalty topic:
// only penalties handle() would have remembered (an invalid record is not), other topics'
// partitions are not read, and reading a partition again after a reassignment doubles nothing.
TEST_F(PenaltyHistoryTest, RestartRefillsTheHistoryFromTheAssignedPenaltyPartitions) {
  FakePenaltyTopic topic;
  topic.append(1, penalty("杭环罚〔2022〕1号", "2022-03-01T02:00:00Z", "2022-01-10"));
  v1::Envelope unstated = penalty("杭环罚〔2023〕9号", "2023-02-01T02:00:00Z", "2023-01-10");
  unstated.mutable_administrative_penalty_reported()->set_report_context(v1::PENALTY_REPORT_CONTEXT_UNSPECIFIED);
  envelope::seal(unstated);
  topic.append(1, unstated);  // dead-lettered when it was handled: it must not count now
  topic.append(4, penalty("杭环罚〔2023〕2号", "2023-06-01T02:00:00Z", "2023-05-10"));

  auto restarted = make(1000);
  restarted->set_restore_reader(&topic);
  restarted->on_partitions_assigned({{"caselink.referral.v1", 1}, {"caselink.admin-penalty.v1", 1}});
  auto r = restarted->handle(record(penalty("杭环罚〔2024〕42号", "2024-05-10T02:00:00Z", "2024-03-01")));
  ASSERT_NE(prior_item(r), nullptr);
  EXPECT_EQ(prior_item(r)->cited_records_size(), 1);  // partition 4 is not this instance's
  restarted->on_transaction_aborted();

  restarted->on_partitions_assigned({{"caselink.admin-penalty.v1", 4}});
  restarted->on_partitions_revoked({{"caselink.admin-penalty.v1", 1}});
  restarted->on_partitions_assigned({{"caselink.admin-penalty.v1", 1}});
  EXPECT_EQ(topic.reads, 3);
  r = restarted->handle(record(penalty("杭环罚〔2024〕42号", "2024-05-10T02:00:00Z", "2024-03-01")));
  EXPECT_EQ(outcome(r), v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD);
  ASSERT_NE(prior_item(r), nullptr);
  EXPECT_EQ(prior_item(r)->fact_source(), "counted");
  EXPECT_EQ(prior_item(r)->cited_records_size(), 2);

  auto off = make(0);  // history off: nothing is read
  off->set_restore_reader(&topic);
  off->on_partitions_assigned({{"caselink.admin-penalty.v1", 1}});
  EXPECT_EQ(topic.reads, 3);
}

// The penalty history topic: a remembered penalty is copied there, trimmed to what the history
// needs, and another instance that takes the copies from its inbox counts them.
TEST_F(PenaltyHistoryTest, AnotherInstanceCountsThePenaltiesCopiedToTheHistoryTopic) {
  auto first = make(1000);
  std::vector<ConsumedRecord> copies;
  for (const auto& [number, decided, act] : std::vector<std::tuple<const char*, const char*, const char*>>{
           {"杭环罚〔2022〕1号", "2022-03-01T02:00:00Z", "2022-01-10"},
           {"杭环罚〔2023〕2号", "2023-06-01T02:00:00Z", "2023-05-10"}}) {
    auto r = first->handle(record(penalty(number, decided, act)));
    std::vector<OutgoingRecord> on_history;
    for (const auto& o : r.outputs) {
      if (o.topic == envelope::topics::kPenaltyHistory) on_history.push_back(o);
    }
    ASSERT_EQ(on_history.size(), 1U) << number;
    auto copy = envelope::decode(*on_history[0].value);
    ASSERT_TRUE(copy.ok());
    const auto& p = copy->administrative_penalty_reported();
    EXPECT_EQ(p.decision_number(), number);
    EXPECT_EQ(copy->producer_agency_id(), kProducerId);
    EXPECT_TRUE(p.facts().empty()) << "no facts, amounts or addresses in the copy";
    ASSERT_EQ(p.penalized_parties_size(), 1);
    EXPECT_EQ(p.penalized_parties(0).name(), "杭州某电镀有限公司");
    EXPECT_TRUE(p.penalized_parties(0).suspect_id().empty());
    ConsumedRecord consumed;
    consumed.topic = on_history[0].topic;
    consumed.key = on_history[0].key;
    consumed.value = on_history[0].value;
    copies.push_back(consumed);
  }
  first->on_transaction_committed();

  auto other = make(1000);
  std::string why;
  for (auto& c : copies) EXPECT_TRUE(other->penalty_history().restore_record(c, kProducerId, &why)) << why;
  // Only the topic's one writer: an agency's own penalty envelope on the topic is not taken.
  ConsumedRecord forged = record(penalty("杭环罚〔2023〕7号", "2023-07-01T02:00:00Z", "2023-06-10"));
  EXPECT_FALSE(other->penalty_history().restore_record(forged, kProducerId, &why));
  EXPECT_NE(why.find("not caselink-standards"), std::string::npos) << why;
  ConsumedRecord garbage = copies[0];
  garbage.value = "not an envelope";
  EXPECT_FALSE(other->penalty_history().restore_record(garbage, kProducerId, &why));
  auto r = other->handle(record(penalty("杭环罚〔2024〕42号", "2024-05-10T02:00:00Z", "2024-03-01")));
  EXPECT_EQ(outcome(r), v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD);
  ASSERT_NE(prior_item(r), nullptr);
  EXPECT_EQ(prior_item(r)->fact_source(), "counted");
  EXPECT_EQ(prior_item(r)->cited_records_size(), 2);

  Settings off;
  off.history_topic = "";
  StandardsHandler without(off, rules_, nullptr, clock_, nullptr, nullptr);
  for (const auto& o : without.handle(record(penalty("杭环罚〔2022〕1号", "2022-03-01T02:00:00Z", "2022-01-10"))).outputs) {
    EXPECT_NE(o.topic, envelope::topics::kPenaltyHistory) << "history_topic \"\": no copy";
  }
}

TEST_F(PenaltyHistoryTest, OneOutsideTheWindowAbortedOrHistoryOffCountsNothingDecisive) {
  auto h = make(1000);
  // 2022-02-29 does not exist: 2022-02-28 (Beijing) is the day before the window opens.
  (void)h->handle(record(penalty("杭环罚〔2022〕1号", "2022-02-28T02:00:00Z", "2022-01-10")));
  (void)h->handle(record(penalty("杭环罚〔2023〕2号", "2023-06-01T02:00:00Z", "2023-05-10")));
  h->on_transaction_committed();
  auto r = h->handle(record(penalty("杭环罚〔2024〕42号", "2024-05-10T02:00:00Z", "2024-03-01")));
  EXPECT_EQ(outcome(r), v1::ASSESSMENT_OUTCOME_INSUFFICIENT_FACTS);
  ASSERT_NE(prior_item(r), nullptr);
  EXPECT_EQ(prior_item(r)->cited_records_size(), 1);

  auto aborted = make(1000);
  (void)aborted->handle(record(penalty("杭环罚〔2022〕1号", "2022-03-01T02:00:00Z", "2022-01-10")));
  (void)aborted->handle(record(penalty("杭环罚〔2023〕2号", "2023-06-01T02:00:00Z", "2023-05-10")));
  aborted->on_transaction_aborted();
  r = aborted->handle(record(penalty("杭环罚〔2024〕42号", "2024-05-10T02:00:00Z", "2024-03-01")));
  EXPECT_EQ(outcome(r), v1::ASSESSMENT_OUTCOME_INSUFFICIENT_FACTS);

  auto off = make(0);
  (void)off->handle(record(penalty("杭环罚〔2022〕1号", "2022-03-01T02:00:00Z", "2022-01-10")));
  (void)off->handle(record(penalty("杭环罚〔2023〕2号", "2023-06-01T02:00:00Z", "2023-05-10")));
  off->on_transaction_committed();
  r = off->handle(record(penalty("杭环罚〔2024〕42号", "2024-05-10T02:00:00Z", "2024-03-01")));
  EXPECT_EQ(outcome(r), v1::ASSESSMENT_OUTCOME_INSUFFICIENT_FACTS);
}

}  // namespace
}  // namespace caselink::standards
