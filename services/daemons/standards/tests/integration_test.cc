// caselink-standards on the real broker: the TransactionalLoop runs in-process with the
// StandardsHandler on unique topics. A referral is assessed; a penalty record over a threshold
// yields exactly one supervision clue, also when the same event is delivered twice; a replay
// by a fresh instance reproduces the same ids; an instance restarted in the same group counts
// the penalties the one before it handled. Skipped without KAFKA_BOOTSTRAP.
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <thread>

#include "services/lib/crypto/derived_uuid.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/dlq.h"
#include "services/lib/kafka/producer.h"
#include "services/lib/kafka/read_to_end.h"
#include "services/lib/kafka/transactional_loop.h"
#include "services/daemons/standards/engine/loader.h"
#include "services/daemons/standards/handler.h"
#include "services/daemons/standards/history_follower.h"
#include "tests/support/kafka_test_env.h"

namespace caselink::standards {
namespace {

void add_fact(v1::Fact* f, const std::string& name, double number, const std::string& unit) {
  f->set_name(name);
  f->set_number(number);
  f->set_unit(unit);
}

v1::Envelope penalty(const std::string& case_id, double tonnes) {
  SystemClock clock;
  v1::Envelope env = envelope::make_envelope(CaseId(case_id), AgencyId("sthjj-330100"), clock.now(), clock.now());
  auto* p = env.mutable_administrative_penalty_reported();
  p->set_decision_number("杭环罚〔2024〕" + case_id);
  p->mutable_deciding_agency()->set_organ_id("sthjj-330100");
  p->set_report_context(v1::PENALTY_REPORT_CONTEXT_ROUTINE_SCREENING);
  p->set_outcome(v1::PENALTY_OUTCOME_IMPOSED);
  p->set_offence_code("pollution_environment");
  p->mutable_jurisdiction()->set_province_code("330000");
  p->mutable_jurisdiction()->set_city_code("330100");
  add_fact(p->add_facts(), "hazardous_waste_tonnes", tonnes, "t");
  p->set_act_date("2024-03-01");
  envelope::seal(env);
  return env;
}

// A penalty of one company (the same party in every case), decided on `decided`, for an act on
// `act`; no tonnage stated, so only two earlier penalties in the window can make it meet.
v1::Envelope company_penalty(const std::string& case_id, const char* decided, const char* act) {
  v1::Envelope env = penalty(case_id, 0);
  auto* p = env.mutable_administrative_penalty_reported();
  p->clear_facts();
  add_fact(p->add_facts(), "hazardous_waste_tonnes", 0.5, "t");
  p->set_act_date(act);
  TimePoint decided_at;
  EXPECT_TRUE(parse_rfc3339(decided, &decided_at)) << decided;
  envelope::set_timestamp(p->mutable_decided_at(), decided_at);
  v1::Suspect* party = p->add_penalized_parties();
  party->set_suspect_id("s1");
  party->set_kind(v1::SUSPECT_KIND_UNIT);
  party->set_name("杭州某电镀有限公司");
  party->set_id_document_type(v1::ID_DOCUMENT_TYPE_UNIFIED_SOCIAL_CREDIT_CODE);
  party->set_id_number_masked("91330100********7X");
  envelope::seal(env);
  return env;
}

v1::Envelope referral(const std::string& case_id) {
  SystemClock clock;
  v1::Envelope env = envelope::make_envelope(CaseId(case_id), AgencyId("rsj-440100"), clock.now(), clock.now());
  auto* r = env.mutable_case_referral();
  r->set_offence_code("wage_arrears");
  r->mutable_jurisdiction()->set_province_code("440000");
  r->mutable_jurisdiction()->set_city_code("440300");
  add_fact(r->add_facts(), "months_unpaid", 5, "months");
  add_fact(r->add_facts(), "single_worker_amount_yuan", 26000, "yuan");
  v1::Fact* order = r->add_facts();
  order->set_name("prior_payment_order_ignored");
  order->set_flag(true);
  r->set_act_date("2024-01-15");
  envelope::seal(env);
  return env;
}

struct Topics {
  std::string referrals = testing::unique_name("it.standards.referral");
  std::string penalties = testing::unique_name("it.standards.penalty");
  std::string assessments = testing::unique_name("it.standards.assessment");
  std::string alerts = testing::unique_name("it.standards.alert");
  std::string dlq = testing::unique_name("it.standards.dlq");
  std::string history = testing::unique_name("it.standards.history");
};

// Runs the loop with a fresh handler (by default in a fresh consumer group, so it reads from the
// start) until `done` holds or the deadline passes, then stops it cleanly. The handler refills
// its penalty history through a KafkaChangelogReader, as in the service.
void run_instance(const std::string& bootstrap, const Topics& topics, const std::function<bool()>& done,
                  const std::string& group = testing::unique_name("it.standards.group"), bool follow_history = false) {
  auto rules = load_rule_set(CASELINK_RULES_DIR);
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  Settings settings;
  settings.rules_dir = CASELINK_RULES_DIR;
  settings.assessment_topic = topics.assessments;
  settings.alert_topic = topics.alerts;
  settings.penalty_topic = topics.penalties;
  settings.history_topic = topics.history;
  SystemClock clock;
  std::atomic<bool> reload{false};
  auto rule_set = std::make_shared<const RuleSet>(std::move(*rules));
  StandardsHandler handler(settings, rule_set, nullptr, clock, nullptr, &reload);
  auto organs = load_organs(std::string(CASELINK_RULES_DIR) + "/organs/organs.yaml", *rule_set);
  ASSERT_TRUE(organs.ok()) << organs.error().message;
  handler.set_organs(std::make_shared<const organs::Registry>(std::move(*organs)));
  kafka::KafkaSettings kafka = testing::kafka_settings(bootstrap);
  kafka::KafkaChangelogReader restore(kafka, group + "-restore", std::chrono::seconds(60), "it.standards.restore");
  handler.set_restore_reader(&restore);
  // As the service does (service.cc): the history topic followed and read to its end first.
  std::unique_ptr<HistoryFollower> follower;
  if (follow_history) {
    follower = std::make_unique<HistoryFollower>(kafka, group + "-history", topics.history, kProducerId,
                                                 handler.penalty_history(), nullptr);
    ASSERT_TRUE(follower->check_topic().ok());
    follower->start();
    ASSERT_TRUE(follower->wait_caught_up(std::chrono::seconds(60)));
  }
  kafka::LoopSettings loop;
  loop.group_id = group;
  loop.input_topics = {topics.referrals, topics.penalties};
  loop.dlq_topic = topics.dlq;
  loop.commit_every_records = 50;
  loop.commit_every_ms = 100;
  kafka::TransactionalLoop transactional_loop(kafka, loop, "caselink-standards", handler, nullptr, clock);
  std::atomic<bool> stop{false};
  Status result;
  std::thread runner([&] { result = transactional_loop.run(stop); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  stop.store(true);
  runner.join();
  ASSERT_TRUE(result.ok()) << result.error().describe();
}

// The assessment of `subject` on `topic` met the pollution threshold through two earlier
// penalties that caselink counted itself and cited (prior_penalties_count).
void expect_two_prior_penalties_counted(const std::string& bootstrap, const std::string& topic,
                                        const v1::Envelope& subject) {
  std::optional<v1::StandardsAssessment> found;
  for (const auto& r : testing::read_topic(bootstrap, topic, testing::Isolation::kReadCommitted, 0,
                                           std::chrono::seconds(20))) {
    auto env = envelope::decode(*r.value);
    ASSERT_TRUE(env.ok());
    if (env->standards_assessment().subject_event_id() == subject.event_id()) found = env->standards_assessment();
  }
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->outcome(), v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD) << found->DebugString();
  bool counted = false;
  for (const auto& item : found->conclusions(0).items()) {
    if (item.facts_size() == 1 && item.facts(0) == "prior_penalties_count") {
      counted = item.fact_source() == "counted" && item.cited_records_size() == 2;
    }
  }
  EXPECT_TRUE(counted) << found->DebugString();
}

// Every test: the broker (or a skip that says why) and its own topics.
class StandardsIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    auto found = testing::kafka_bootstrap();
    if (!found) {
      GTEST_SKIP() << "KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
    }
    bootstrap = std::move(found);
    ASSERT_TRUE(testing::create_topics(*bootstrap,
                                       {topics.referrals, topics.penalties, topics.assessments, topics.alerts,
                                        topics.history},
                                       3)
                    .ok());
    ASSERT_TRUE(testing::create_topics(*bootstrap, {topics.dlq}, 1).ok());
  }
  std::optional<std::string> bootstrap;
  Topics topics;
};

TEST_F(StandardsIntegration, ReferralAssessedAndPenaltyYieldsExactlyOneClue) {

  const v1::Envelope ref = referral("rs-440300-it-1");
  const v1::Envelope over = penalty("env-it-over", 5);
  const v1::Envelope under = penalty("env-it-under", 1);
  // Issue 20 #10: a fact name the catalogue does not know (it used to be ignored).
  v1::Envelope misspelt = penalty("env-it-misspelt", 5);
  misspelt.mutable_administrative_penalty_reported()->mutable_facts(0)->set_name("hazardous_waste_tons");
  envelope::seal(misspelt);
  v1::Envelope other = envelope::make_envelope(CaseId("env-it-other"), AgencyId("a"), SystemClock().now(),
                                               SystemClock().now());
  other.mutable_transfer_decided()->set_decision(v1::TRANSFER_DECISION_APPROVED);
  envelope::seal(other);
  {
    kafka::KafkaSettings kafka = testing::kafka_settings(*bootstrap);
    auto producer = kafka::make_idempotent_producer(kafka, "it-standards-seeder");
    ASSERT_TRUE(producer.ok());
    ASSERT_TRUE((*producer)->send(envelope::to_record(ref, topics.referrals)).ok());
    ASSERT_TRUE((*producer)->send(envelope::to_record(other, topics.referrals)).ok());
    ASSERT_TRUE((*producer)->send(envelope::to_record(over, topics.penalties)).ok());
    ASSERT_TRUE((*producer)->send(envelope::to_record(under, topics.penalties)).ok());
    ASSERT_TRUE((*producer)->send(envelope::to_record(misspelt, topics.penalties)).ok());
    // The agency's system sends the same penalty event again (same event id, new offset).
    ASSERT_TRUE((*producer)->send(envelope::to_record(over, topics.penalties)).ok());
    ASSERT_TRUE((*producer)
                    ->send(OutgoingRecord{topics.penalties, "env-it-garbage", std::string("\x0a\xff\xff garbage"), {}})
                    .ok());
  }

  std::vector<ConsumedRecord> assessments;
  run_instance(*bootstrap, topics, [&] {
    assessments = testing::read_topic(*bootstrap, topics.assessments, testing::Isolation::kReadCommitted, 3,
                                      std::chrono::seconds(2), std::chrono::milliseconds(500));
    return assessments.size() >= 3;
  });
  // Everything the first instance committed, read once it has stopped.
  assessments = testing::read_topic(*bootstrap, topics.assessments, testing::Isolation::kReadCommitted, 0,
                                    std::chrono::seconds(30));
  auto alerts = testing::read_topic(*bootstrap, topics.alerts, testing::Isolation::kReadCommitted, 0,
                                    std::chrono::seconds(20));
  auto dead = testing::read_topic(*bootstrap, topics.dlq, testing::Isolation::kReadCommitted, 2,
                                  std::chrono::seconds(20));

  ASSERT_EQ(assessments.size(), 3U) << "referral, penalty over, penalty under; the redelivery and the other "
                                       "event type produce nothing";
  std::map<std::string, v1::StandardsAssessment> by_subject;
  for (const auto& r : assessments) {
    auto env = envelope::decode(*r.value);
    ASSERT_TRUE(env.ok());
    EXPECT_EQ(r.key, env->case_id());
    by_subject[env->standards_assessment().subject_event_id()] = env->standards_assessment();
  }
  ASSERT_EQ(by_subject.count(ref.event_id()), 1U);
  const auto& ra = by_subject[ref.event_id()];
  EXPECT_EQ(ra.subject_kind(), v1::ASSESSMENT_SUBJECT_KIND_REFERRAL);
  EXPECT_EQ(ra.outcome(), v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD);
  EXPECT_EQ(ra.conclusions(0).rule().rule_id(), "wage_arrears.amount");
  EXPECT_EQ(ra.conclusions(0).rule_jurisdiction(), "440000/guangdong.tier1");
  EXPECT_FALSE(ra.rule_set_version().empty());
  EXPECT_EQ(by_subject[over.event_id()].outcome(), v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD);
  EXPECT_EQ(by_subject[under.event_id()].outcome(), v1::ASSESSMENT_OUTCOME_INSUFFICIENT_FACTS);
  // Issue 20 #9, as published: the INSUFFICIENT verdict still says the stated item was evaluated
  // and is below its figure, and marks the unknown items that could change the outcome.
  bool stated_item_below = false;
  bool open_item = false;
  for (const auto& c : by_subject[under.event_id()].conclusions()) {
    for (const auto& item : c.items()) {
      stated_item_below = stated_item_below || (item.condition() == "hazardous_waste_tonnes >= 3" &&
                                                item.result() == v1::ITEM_RESULT_NOT_MET && item.stated_value() == "1");
      open_item = open_item || (item.result() == v1::ITEM_RESULT_UNKNOWN && item.could_change_outcome());
    }
  }
  EXPECT_TRUE(stated_item_below) << by_subject[under.event_id()].DebugString();
  EXPECT_TRUE(open_item) << by_subject[under.event_id()].DebugString();

  ASSERT_EQ(alerts.size(), 1U) << "exactly one supervision clue although the penalty event arrived twice";
  auto clue = envelope::decode(*alerts[0].value);
  ASSERT_TRUE(clue.ok());
  EXPECT_EQ(clue->alert().kind(), v1::ALERT_KIND_SUPERVISION_CLUE);
  EXPECT_EQ(clue->alert().supervision_clue().penalty_event_id(), over.event_id());
  EXPECT_EQ(clue->alert().supervision_clue().assessment().outcome(), v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD);
  EXPECT_EQ(clue->alert().addressed_to_party_ids(0), "jcy-330100");
  EXPECT_EQ(clue->event_id(), crypto::derived_uuid(kClueEventIdSpace, over.event_id()));

  ASSERT_EQ(dead.size(), 2U) << "the garbage and the misspelt fact";
  std::map<std::string, std::string> dead_by_key;
  for (const auto& r : dead) {
    dead_by_key[r.key.value_or("")] = find_header(r.headers, kafka::kDlqErrorClass).value_or("") + ": " +
                                      find_header(r.headers, kafka::kDlqErrorMessage).value_or("");
  }
  EXPECT_EQ(dead_by_key["env-it-garbage"].rfind("envelope.undecodable", 0), 0U) << dead_by_key["env-it-garbage"];
  EXPECT_EQ(dead_by_key["env-it-misspelt"].rfind("standards.invalid_input", 0), 0U) << dead_by_key["env-it-misspelt"];
  EXPECT_NE(dead_by_key["env-it-misspelt"].find("unknown fact 'hazardous_waste_tons'"), std::string::npos)
      << dead_by_key["env-it-misspelt"];

  // A fresh instance replays everything (new group, empty dedup window): the clue it publishes
  // carries the same event id and alert id, so consumers deduplicating by id see one clue.
  const std::string first_event_id = clue->event_id();
  const std::string first_alert_id = clue->alert().alert_id();
  std::vector<ConsumedRecord> alerts_after;
  run_instance(*bootstrap, topics, [&] {
    alerts_after = testing::read_topic(*bootstrap, topics.alerts, testing::Isolation::kReadCommitted, 2,
                                       std::chrono::seconds(2), std::chrono::milliseconds(500));
    return alerts_after.size() >= 2;
  });
  alerts_after = testing::read_topic(*bootstrap, topics.alerts, testing::Isolation::kReadCommitted, 0,
                                     std::chrono::seconds(20));
  ASSERT_EQ(alerts_after.size(), 2U);
  std::set<std::string> event_ids;
  std::set<std::string> alert_ids;
  for (const auto& r : alerts_after) {
    auto env = envelope::decode(*r.value);
    ASSERT_TRUE(env.ok());
    event_ids.insert(env->event_id());
    alert_ids.insert(env->alert().alert_id());
  }
  EXPECT_EQ(event_ids, std::set<std::string>{first_event_id});
  EXPECT_EQ(alert_ids, std::set<std::string>{first_alert_id});
}

// Issue 16: the penalty history survives a restart. The first instance handles two penalties of
// one company and stops; an instance in the same group (starting at the committed offsets)
// refills the history from the penalty topic and counts both for the company's third penalty.
TEST_F(StandardsIntegration, RestartedInstanceCountsThePenaltiesHandledBefore) {
  kafka::KafkaSettings kafka = testing::kafka_settings(*bootstrap);
  auto producer = kafka::make_idempotent_producer(kafka, "it-standards-restart-seeder");
  ASSERT_TRUE(producer.ok());
  for (const auto& env : {company_penalty("env-it-r1", "2022-03-01T02:00:00Z", "2022-01-10"),
                          company_penalty("env-it-r2", "2023-06-01T02:00:00Z", "2023-05-10")}) {
    ASSERT_TRUE((*producer)->send(envelope::to_record(env, topics.penalties)).ok());
  }
  const std::string group = testing::unique_name("it.standards.group");
  auto assessed = [&](size_t n) {
    return testing::read_topic(*bootstrap, topics.assessments, testing::Isolation::kReadCommitted, n,
                               std::chrono::seconds(2), std::chrono::milliseconds(500));
  };
  run_instance(*bootstrap, topics, [&] { return assessed(2).size() >= 2; }, group);
  ASSERT_EQ(assessed(2).size(), 2U);

  const v1::Envelope third = company_penalty("env-it-r3", "2024-05-10T02:00:00Z", "2024-03-01");
  ASSERT_TRUE((*producer)->send(envelope::to_record(third, topics.penalties)).ok());
  run_instance(*bootstrap, topics, [&] { return assessed(3).size() >= 3; }, group);
  const auto all = testing::read_topic(*bootstrap, topics.assessments, testing::Isolation::kReadCommitted, 0,
                                       std::chrono::seconds(20));
  ASSERT_EQ(all.size(), 3U) << "the restarted instance starts at the committed offsets: one new assessment";
  expect_two_prior_penalties_counted(*bootstrap, topics.assessments, third);
}

// Issue 16: a party's penalty handled by another instance (here: on a penalty topic the second
// instance never reads) is counted through the penalty history topic, which the second instance
// follows whole before its loop starts, as the service does.
TEST_F(StandardsIntegration, APenaltyHandledByAnotherInstanceIsCountedThroughTheHistoryTopic) {
  kafka::KafkaSettings kafka = testing::kafka_settings(*bootstrap);
  auto producer = kafka::make_idempotent_producer(kafka, "it-standards-history-seeder");
  ASSERT_TRUE(producer.ok());
  for (const auto& env : {company_penalty("env-it-h1", "2022-03-01T02:00:00Z", "2022-01-10"),
                          company_penalty("env-it-h2", "2023-06-01T02:00:00Z", "2023-05-10")}) {
    ASSERT_TRUE((*producer)->send(envelope::to_record(env, topics.penalties)).ok());
  }
  const auto read = [&](const std::string& topic, size_t n) {
    return testing::read_topic(*bootstrap, topic, testing::Isolation::kReadCommitted, n, std::chrono::seconds(2),
                               std::chrono::milliseconds(500));
  };
  run_instance(*bootstrap, topics, [&] { return read(topics.assessments, 2).size() >= 2; });
  EXPECT_EQ(testing::read_topic(*bootstrap, topics.history, testing::Isolation::kReadCommitted, 0,
                                std::chrono::seconds(10))
                .size(),
            2U)
      << "one copy per remembered penalty, read to the end";

  Topics other = topics;  // the same outputs and history, its own penalty topic
  other.penalties = testing::unique_name("it.standards.penalty-other");
  ASSERT_TRUE(testing::create_topics(*bootstrap, {other.penalties}, 3).ok());
  const v1::Envelope third = company_penalty("env-it-h3", "2024-05-10T02:00:00Z", "2024-03-01");
  ASSERT_TRUE((*producer)->send(envelope::to_record(third, other.penalties)).ok());
  run_instance(*bootstrap, other, [&] { return read(topics.assessments, 3).size() >= 3; },
               testing::unique_name("it.standards.group"), /*follow_history=*/true);
  expect_two_prior_penalties_counted(*bootstrap, topics.assessments, third);
}

}  // namespace
}  // namespace caselink::standards
