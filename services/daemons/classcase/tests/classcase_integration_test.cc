// caselink-classcase on the real broker: the in-process transactional loop over this run's own
// alert, facts and state topics (6 partitions each, so the clues of one agency land on several
// partitions and meet only through the repartition step), and caselink-sync's handler on this
// run's recommendation topic. A generated data set of 以罚代刑 clues makes the model fire exactly
// once (read_committed, after the group committed every input: nothing more can appear); a
// restarted instance restores the group, so a later case joins instead of opening a second class
// case; the recommendation the model opens is applied by caselink-sync on the class case, with
// its 2-month reply deadline open.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <thread>

#include "services/daemons/sync/handler.h"
#include "services/daemons/sync/kafka_edge.h"
#include "services/daemons/classcase/handler.h"
#include "services/daemons/classcase/tests/support.h"
#include "services/lib/kafka/producer.h"
#include "services/lib/kafka/read_to_end.h"
#include "services/lib/kafka/transactional_loop.h"
#include "tests/support/kafka_test_env.h"

namespace caselink::classcase {
namespace {

using std::chrono::seconds;

// One transactional loop with its handler, run on a thread until stopped.
struct Running {
  std::unique_ptr<kafka::ChangelogReader> reader;
  std::unique_ptr<kafka::RecordHandler> handler;
  std::unique_ptr<kafka::TransactionalLoop> loop;
  std::atomic<bool> stop{false};
  Status status;
  std::thread thread;
  void start(const kafka::KafkaSettings& kafka, const kafka::LoopSettings& loop_settings, const Clock& clock) {
    loop = std::make_unique<kafka::TransactionalLoop>(kafka, loop_settings, loop_settings.group_id, *handler, nullptr,
                                                      clock, std::chrono::milliseconds(200));
    thread = std::thread([this] { status = loop->run(stop); });
  }
  ~Running() {
    stop.store(true);
    if (thread.joinable()) thread.join();
  }
};

class ClassCaseIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = caselink::testing::kafka_bootstrap();
    if (!b) GTEST_SKIP() << "CASELINK_KAFKA_BOOTSTRAP not set";
    kafka = caselink::testing::kafka_settings(*b);
    alerts = caselink::testing::unique_name("it.classcase.alert");
    settings.facts_topic = caselink::testing::unique_name("it.classcase.facts");
    settings.state_topic = caselink::testing::unique_name("it.classcase.state");
    settings.classcase_topic = caselink::testing::unique_name("it.classcase.out");
    settings.recommendation_topic = caselink::testing::unique_name("it.classcase.rec");
    sync_state = caselink::testing::unique_name("it.classcase.sync-state");
    sync_alerts = caselink::testing::unique_name("it.classcase.sync-alert");
    dlq = caselink::testing::unique_name("it.classcase.dlq");
    ASSERT_TRUE(caselink::testing::create_topics(*b, {alerts, settings.facts_topic, settings.state_topic,
                                                      settings.classcase_topic, settings.recommendation_topic,
                                                      sync_state, sync_alerts},
                                                 6)
                    .ok());
    ASSERT_TRUE(caselink::testing::create_topics(*b, {dlq}, 1).ok());
    group = caselink::testing::unique_name("it.classcase.group");
  }

  std::unique_ptr<Running> start_classcase() {
    auto r = std::make_unique<Running>();
    kafka::LoopSettings ls;
    ls.group_id = group;
    ls.input_topics = {alerts, settings.facts_topic};
    ls.dlq_topic = dlq;
    ls.commit_every_ms = 100;
    r->reader = std::make_unique<kafka::KafkaChangelogReader>(kafka, group + "-restore", std::chrono::milliseconds(60000),
                                                              "classcase.restore");
    r->handler = std::make_unique<ClassCaseHandler>(extractor, settings, clock, r->reader.get(), nullptr);
    r->start(kafka, ls, clock);
    return r;
  }

  std::unique_ptr<Running> start_sync() {
    auto r = std::make_unique<Running>();
    kafka::LoopSettings ls;
    ls.group_id = caselink::testing::unique_name("it.classcase.sync");
    ls.input_topics = {settings.recommendation_topic};
    ls.dlq_topic = dlq;
    ls.commit_every_ms = 100;
    sync_settings.state_topic = sync_state;
    sync_settings.alert_topic = sync_alerts;
    r->reader = sync::make_kafka_state_reader(kafka, ls.group_id + "-restore", 60000);
    r->handler = std::make_unique<sync::SyncHandler>(*sync_engine, sync_settings, clock, r->reader.get(), nullptr);
    r->start(kafka, ls, clock);
    return r;
  }

  void send(const std::vector<v1::Envelope>& evs) {
    auto producer = kafka::make_idempotent_producer(kafka, "it-classcase-seeder");
    ASSERT_TRUE(producer.ok());
    for (const auto& e : evs) ASSERT_TRUE((*producer)->send(envelope::to_record(e, alerts)).ok());
  }

  // Every input (and so every fact it made) committed by the class-case group. The facts topic is
  // written transactionally (its end offset counts commit markers, which no consumer commits
  // past), so for it: committed past the last committed fact of every partition.
  void caught_up() {
    ASSERT_TRUE(caselink::testing::wait_caught_up(kafka.bootstrap, group, {alerts}, std::chrono::seconds(90)));
    std::map<int32_t, int64_t> last;
    for (const auto& r : caselink::testing::read_topic(kafka.bootstrap, settings.facts_topic,
                                                       caselink::testing::Isolation::kReadCommitted, 0, seconds(60))) {
      last[r.partition] = std::max(last[r.partition], r.offset);
    }
    ASSERT_FALSE(last.empty());
    ASSERT_TRUE(caselink::testing::wait_until(
        [&] {
          const auto offsets = caselink::testing::committed_offsets(kafka.bootstrap, group, settings.facts_topic, 6);
          for (const auto& [partition, offset] : last) {
            if (offsets[static_cast<size_t>(partition)] <= offset) return false;
          }
          return true;
        },
        seconds(90)));
  }

  std::vector<v1::Envelope> committed(const std::string& topic) {
    std::vector<v1::Envelope> out;
    for (const auto& r : caselink::testing::read_topic(kafka.bootstrap, topic, caselink::testing::Isolation::kReadCommitted,
                                                       0, std::chrono::seconds(60))) {
      auto env = envelope::decode(*r.value);
      EXPECT_TRUE(env.ok());
      if (env.ok()) out.push_back(std::move(env).value());
    }
    return out;
  }

  v1::Envelope clue(const std::string& c) {
    return test::clue(c, "sthjj-330100", "pollution_environment", "2026-04-02T02:00:00Z");
  }

  kafka::KafkaSettings kafka;
  std::string alerts, sync_state, sync_alerts, dlq, group;
  Settings settings;
  sync::Settings sync_settings;
  ManualClock clock{test::at("2026-06-01T00:00:00Z")};
  Extractor extractor{test::repo_models(), &test::repo_organs()};
  std::optional<sync::DeadlineRules> sync_rules;
  std::optional<sync::CaseEngine> sync_engine;
};

TEST_F(ClassCaseIntegration, ModelFiresOnceLaterCaseJoinsRecommendationRunsInCaseSync) {
  // caselink-sync as the service runs it: with the organ registry, so its role check decides who
  // may issue a recommendation on a case it has never seen.
  auto rules = sync::DeadlineRules::load_directory(test::source_dir() + "/rules/deadlines");
  ASSERT_TRUE(rules.ok()) << rules.error().describe();
  sync_rules.emplace(std::move(rules).value());
  sync_rules->set_organs(std::make_shared<const organs::Registry>(test::repo_organs()));
  sync_engine.emplace(*sync_rules, sync::EngineOptions{});
  auto classcase = start_classcase();
  // Three clues of one agency and offence in the quarter, one redelivered, one of another agency.
  const auto c1 = clue("it-cc-1");
  send({c1, clue("it-cc-2"), c1, test::clue("it-cc-x", "zrzy-330100", "pollution_environment", "2026-04-03T02:00:00Z"),
        clue("it-cc-3")});
  caught_up();
  auto out = committed(settings.classcase_topic);
  ASSERT_EQ(out.size(), 1U) << "exactly one record: the ClassCaseOpened";
  ASSERT_TRUE(out[0].has_class_case_opened());
  const v1::ClassCaseOpened opened = out[0].class_case_opened();
  std::set<std::string> members;
  for (const auto& m : opened.members()) members.insert(m.case_id());
  EXPECT_EQ(members, (std::set<std::string>{"it-cc-1", "it-cc-2", "it-cc-3"}));
  EXPECT_EQ(opened.model().model_id(), "classcase.penalty_instead_of_transfer");

  // A restarted instance restores the group from the state topic: the next case joins.
  classcase.reset();
  classcase = start_classcase();
  send({clue("it-cc-4"), clue("it-cc-3")});
  caught_up();
  out = committed(settings.classcase_topic);
  ASSERT_EQ(out.size(), 2U) << "the opening and one join, nothing else";
  ASSERT_TRUE(out[1].has_class_case_member_joined());
  EXPECT_EQ(out[1].class_case_member_joined().member().case_id(), "it-cc-4");
  EXPECT_EQ(out[1].class_case_member_joined().class_case_id(), opened.class_case_id());

  // The recommendation: exactly one, linked to the class case and its members.
  const auto recs = committed(settings.recommendation_topic);
  ASSERT_EQ(recs.size(), 1U);
  const auto& ri = recs[0].recommendation_issued();
  EXPECT_EQ(recs[0].case_id(), opened.class_case_id());
  EXPECT_EQ(ri.class_case_id(), opened.class_case_id());
  EXPECT_EQ(ri.member_case_ids_size(), 3);
  EXPECT_EQ(ri.recommendation_id(), opened.recommendation_id());

  // caselink-sync applies it on the class case (never seen before: not parked) and opens the reply deadline.
  auto sync = start_sync();
  std::optional<v1::CaseStateSnapshot> snap;
  ASSERT_TRUE(caselink::testing::wait_until(
      [&] {
        for (const auto& e : committed(sync_state)) {
          if (e.case_id() == opened.class_case_id() && e.case_state_snapshot().version() > 0) snap = e.case_state_snapshot();
        }
        return snap.has_value();
      },
      std::chrono::seconds(90)));
  ASSERT_EQ(snap->recommendations_size(), 1);
  EXPECT_EQ(snap->recommendations(0).recommendation_id(), ri.recommendation_id());
  EXPECT_EQ(snap->recommendations(0).status(), v1::RECOMMENDATION_STATUS_ISSUED);
  bool reply_deadline = false;
  for (const auto& d : snap->deadlines()) reply_deadline = reply_deadline || d.step() == "recommendation_reply";
  EXPECT_TRUE(reply_deadline) << "the 2-month reply deadline runs";
  EXPECT_TRUE(caselink::testing::read_topic(kafka.bootstrap, dlq, caselink::testing::Isolation::kReadCommitted, 0,
                                            std::chrono::seconds(30))
                  .empty())
      << "nothing dead-lettered";
}

}  // namespace
}  // namespace caselink::classcase
