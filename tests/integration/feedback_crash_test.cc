// caselink-feedback under SIGKILL, on the real broker, with the real binary (ChildProcess).
//
// The stream, for kCases cases of one agency: a referral each (the last kLateCases only at the
// end), then a filing decision each (the late cases' decisions are held in their case state until
// the referral comes), then the late referrals and an acknowledgement of every other early case's
// feedback. An instance is SIGKILLed in each of the three phases once it has committed inputs of
// its own and while inputs are left; a last instance finishes. The check: every decision routed
// to the agency's feedback topic exactly once, with its derived event id; the changelog's last
// state of every case has the decision, holds nothing, and has its feedback acknowledged exactly
// when an acknowledgement was sent; no alert (the timeouts are an hour), nothing dead-lettered.
// Nothing waits by sleeping: kills and checks wait for the group's committed input offsets.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>

#include "services/lib/crypto/derived_uuid.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/producer.h"
#include "services/daemons/feedback/state.h"
#include "tests/support/kafka_test_env.h"

namespace caselink {
namespace {

namespace fs = std::filesystem;

constexpr int kCases = 1000;
constexpr int kPartitions = 3;
constexpr const char* kAgency = "sthjj-330100";
constexpr const char* kPolice = "gaj-330100";
const std::string kBinary = "bin/caselink-feedback";

struct FeedbackRun {
  std::string bootstrap;
  std::string prefix = testing::unique_name("it.fbcrash");
  std::string referral = prefix + ".referral.v1";
  std::string decision = prefix + ".decision.v1";
  std::string ack = prefix + ".ack.v1";
  std::string changelog = prefix + ".feedback-loop.state.v1";
  std::string alert = prefix + ".alert.v1";
  std::string feedback = prefix + ".feedback." + kAgency + ".v1";
  std::string dlq = prefix + ".dlq.v1";
  std::string group = prefix + ".group";
  fs::path dir = fs::temp_directory_path() / testing::unique_name("caselink-feedback-crash");

  explicit FeedbackRun(std::string bootstrap_) : bootstrap(std::move(bootstrap_)) {
    fs::create_directories(dir);
    // Case topics and the changelog share one partition count (co-partitioned by case id).
    EXPECT_TRUE(testing::create_topics(bootstrap, {referral, decision, ack, changelog}, kPartitions).ok());
    EXPECT_TRUE(testing::create_topics(bootstrap, {alert, feedback, dlq}, 1).ok());
    std::ofstream(config()) << "kafka:\n"
                            << "  bootstrap: \"" << bootstrap << "\"\n"
                            << "  properties:\n"
                            << "    session.timeout.ms: \"6000\"\n"
                            << "    heartbeat.interval.ms: \"1000\"\n"
                            << "  message_timeout_ms: 10000\n"
                            << "loop:\n"
                            << "  group_id: " << group << "\n"
                            << "  partition_assignment_strategy: range\n"
                            << "  input_topics: [" << referral << ", " << decision << ", " << ack << "]\n"
                            << "  dlq_topic: " << dlq << "\n"
                            << "  commit_every_records: 20\n"
                            << "  commit_every_ms: 100\n"
                            << "  transaction_timeout_ms: 15000\n"
                            << "feedback:\n"
                            << "  agencies: [" << kAgency << "]\n"
                            << "  topic_template: \"" << prefix << ".feedback.{agency}.v1\"\n"
                            << "  changelog_topic: " << changelog << "\n"
                            << "  alert_topic: " << alert << "\n"
                            << "  ack_timeout_ms: 3600000\n"
                            << "http:\n"
                            << "  port: 0\n";
  }
  std::string config() const { return (dir / "feedback.yaml").string(); }
  std::string log() const { return (dir / "feedback.log").string(); }
  std::vector<std::string> inputs() const { return {referral, decision, ack}; }
  std::unique_ptr<testing::ChildProcess> spawn() const {
    return std::make_unique<testing::ChildProcess>(testing::build_path(kBinary),
                                                   std::vector<std::string>{"--config", config()}, log());
  }
  int64_t committed() const {
    int64_t total = 0;
    for (const auto& topic : inputs()) total += testing::committed_total(bootstrap, group, topic, kPartitions);
    return total;
  }
};

// The last kLateCases cases get their referral only after their decision has been processed:
// those decisions are held in the case state (the changelog) across a kill, then routed.
constexpr int kLateCases = kCases / 10;

struct Stream {
  std::vector<v1::Envelope> referrals, late_referrals, decisions, acks;
  std::map<std::string, std::string> decision_of;  // case id -> decision event id
  std::map<std::string, bool> acked;               // case id -> an acknowledgement is sent
};

Stream make_stream(const std::string& prefix) {
  Stream s;
  const TimePoint now = SystemClock().now();
  for (int c = 0; c < kCases; ++c) {
    const std::string id = prefix + "-case-" + std::to_string(c);
    v1::Envelope referral = envelope::make_envelope(CaseId(id), AgencyId(kAgency), now, now);
    referral.mutable_case_referral()->mutable_referring_agency()->set_organ_id(kAgency);
    referral.mutable_case_referral()->mutable_target_police_organ()->set_organ_id(kPolice);
    envelope::seal(referral);
    v1::Envelope decision = envelope::make_envelope(CaseId(id), AgencyId(kPolice), now, now);
    decision.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED);
    envelope::seal(decision);
    s.decision_of[id] = decision.event_id();
    const bool late = c >= kCases - kLateCases;
    s.acked[id] = !late && c % 2 == 0;
    if (s.acked[id]) {
      v1::Envelope ack = envelope::make_envelope(CaseId(id), AgencyId(kAgency), now, now);
      ack.mutable_feedback_acknowledged()->set_feedback_event_id(
          crypto::derived_uuid("feedback", decision.event_id()));
      ack.mutable_feedback_acknowledged()->set_agency_id(kAgency);
      envelope::seal(ack);
      s.acks.push_back(std::move(ack));
    }
    (late ? s.late_referrals : s.referrals).push_back(std::move(referral));
    s.decisions.push_back(std::move(decision));
  }
  return s;
}

void produce(const std::string& bootstrap, const std::vector<v1::Envelope>& events, const std::string& topic) {
  kafka::KafkaSettings settings = testing::kafka_settings(bootstrap);
  auto producer = kafka::make_idempotent_producer(settings, "feedback-crash-seeder");
  ASSERT_TRUE(producer.ok());
  std::atomic<int> failed{0};
  for (const auto& env : events) {
    ASSERT_TRUE((*producer)
                    ->send_async(envelope::to_record(env, topic),
                                 [&failed](Result<kafka::Delivery> r) {
                                   if (!r.ok()) failed.fetch_add(1);
                                 })
                    .ok());
  }
  ASSERT_TRUE((*producer)->flush(std::chrono::seconds(60)).ok());
  ASSERT_EQ(failed.load(), 0);
}

// Every decision routed once, with the event id derived from it.
void expect_routed_exactly_once(const FeedbackRun& run, const Stream& stream) {
  std::map<std::string, int> routed;  // decision event id -> feedback records
  for (const auto& r : testing::read_topic(run.bootstrap, run.feedback, testing::Isolation::kReadCommitted, 0,
                                           std::chrono::seconds(120))) {
    auto env = envelope::decode(r.value.value_or(""));
    ASSERT_TRUE(env.ok());
    EXPECT_EQ(env->event_id(), crypto::derived_uuid("feedback", env->causation_id()));
    routed[env->causation_id()]++;
  }
  int wrong = 0;
  for (const auto& [case_id, decision_id] : stream.decision_of) {
    const int n = routed.count(decision_id) != 0 ? routed.at(decision_id) : 0;
    if (n != 1 && ++wrong <= 5) ADD_FAILURE() << case_id << ": its decision routed " << n << " times";
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(routed.size(), stream.decision_of.size()) << "feedback for decisions never sent";
}

// The last changelog state of every case: decided, nothing held, acknowledged iff an
// acknowledgement was sent. Some decisions must have been held on the way.
void expect_acks_tracked(const FeedbackRun& run, const Stream& stream) {
  std::map<std::string, std::string> latest;
  size_t held_states = 0;  // committed states that held a decision arriving before its referral
  for (const auto& r : testing::read_topic(run.bootstrap, run.changelog, testing::Isolation::kReadCommitted, 0,
                                           std::chrono::seconds(120))) {
    if (!r.key || !r.value) continue;
    latest[*r.key] = *r.value;
    auto state = feedback::deserialize(*r.value);
    held_states += state.ok() && !state->held.empty() ? 1 : 0;
  }
  std::cerr << held_states << " committed states held an early decision\n";
  EXPECT_GT(held_states, 0U) << "no decision overtook its referral: holding was not exercised";
  int wrong = 0;
  for (const auto& [case_id, decision_id] : stream.decision_of) {
    auto it = latest.find(case_id);
    if (it == latest.end()) {
      if (++wrong <= 5) ADD_FAILURE() << case_id << ": no state in the changelog";
      continue;
    }
    auto state = feedback::deserialize(it->second);
    ASSERT_TRUE(state.ok()) << state.error().describe();
    const std::string feedback_id = crypto::derived_uuid("feedback", decision_id);
    const bool has = state->feedback.contains(feedback_id);
    const bool ok = has && state->held.empty() && !state->filing_expected &&
                    state->feedback.at(feedback_id).acked == stream.acked.at(case_id);
    if (!ok && ++wrong <= 5) {
      ADD_FAILURE() << case_id << ": feedback " << (has ? "present" : "missing") << ", held " << state->held.size()
                    << ", filing expected " << state->filing_expected << ", acked "
                    << (has && state->feedback.at(feedback_id).acked) << " (expected " << stream.acked.at(case_id)
                    << ")";
    }
  }
  EXPECT_EQ(wrong, 0);
}

TEST(FeedbackCrash, KillsInEveryPhaseRouteEachResultOnceAndTrackEveryAck) {
  auto bootstrap = testing::kafka_bootstrap();
  if (!bootstrap) {
    GTEST_SKIP() << "CASELINK_KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
  }
  FeedbackRun run(*bootstrap);
  const Stream stream = make_stream(run.prefix);
  std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int64_t> progress_before_kill(1, kCases / 10);

  int64_t produced = 0;
  int kills_mid_work = 0;
  // Kills `child` once it has committed a random number of inputs of its own.
  auto kill_mid_work = [&](std::unique_ptr<testing::ChildProcess>& child, int64_t at_start, const char* phase) {
    const int64_t mark = at_start + progress_before_kill(rng);
    ASSERT_TRUE(testing::wait_until([&] { return !child->running() || run.committed() >= mark; },
                                    std::chrono::seconds(120), std::chrono::milliseconds(50)))
        << phase << ": no progress in 120 s; see " << run.log();
    ASSERT_TRUE(child->running()) << "caselink-feedback died on its own; see " << run.log();
    child->kill_hard();
    const int64_t at_death = run.committed();
    std::cerr << phase << ": committed " << at_start << " at start, " << at_death << " at death, " << produced
              << " produced\n";
    if (at_death > at_start && at_death < produced) ++kills_mid_work;
  };

  produce(run.bootstrap, stream.referrals, run.referral);
  produced += static_cast<int64_t>(stream.referrals.size());
  auto child = run.spawn();
  kill_mid_work(child, 0, "referrals");
  if (HasFatalFailure()) return;

  produce(run.bootstrap, stream.decisions, run.decision);
  produced += kCases;
  child = run.spawn();
  kill_mid_work(child, run.committed(), "decisions");
  if (HasFatalFailure()) return;

  // Let an instance finish everything so far: the late cases' decisions are now held, and every
  // other decision is routed (an acknowledgement of feedback never sent is refused).
  child = run.spawn();
  ASSERT_TRUE(testing::wait_caught_up(run.bootstrap, run.group, run.inputs(), std::chrono::seconds(180)))
      << "see " << run.log();
  const int64_t before_last_phase = run.committed();
  produce(run.bootstrap, stream.late_referrals, run.referral);
  produce(run.bootstrap, stream.acks, run.ack);
  produced += static_cast<int64_t>(stream.late_referrals.size() + stream.acks.size());
  kill_mid_work(child, before_last_phase, "late referrals and acknowledgements");
  if (HasFatalFailure()) return;
  EXPECT_EQ(kills_mid_work, 3) << "a kill of an instance that had finished its inputs interrupts nothing";

  ASSERT_LT(run.committed(), produced) << "nothing left for the last instance";
  auto last = run.spawn();
  ASSERT_TRUE(testing::wait_caught_up(run.bootstrap, run.group, run.inputs(), std::chrono::seconds(180)))
      << "see " << run.log();
  EXPECT_EQ(run.committed(), produced);

  expect_routed_exactly_once(run, stream);
  expect_acks_tracked(run, stream);
  EXPECT_TRUE(testing::read_topic(run.bootstrap, run.alert, testing::Isolation::kReadCommitted, 0,
                                  std::chrono::seconds(30))
                  .empty())
      << "alerts raised (every timeout is an hour)";
  EXPECT_TRUE(testing::read_topic(run.bootstrap, run.dlq, testing::Isolation::kReadCommitted, 0,
                                  std::chrono::seconds(30))
                  .empty())
      << "records dead-lettered; see " << run.log();
  EXPECT_EQ(last->terminate(std::chrono::seconds(30)), 0) << "see " << run.log();
}

}  // namespace
}  // namespace caselink
