// caselink-sync under SIGKILL and scale-out, on the real broker, with the real binary
// (ChildProcess), compared with an uninterrupted run of the same stream on separate topics.
//
// The stream: kCases forward cases, each referral -> accepted -> filing -> ... -> closed, plus one
// acknowledgement per case (divergent for every 10th case -> exactly one DIVERGENCE alert).
// Every 7th case has its filing decision sent before the acceptance it depends on: caselink-sync
// parks it in the case (stored with the case on the state topic) and applies it once the
// acceptance arrives, so its chain is the same as if it had come in order.
// Events of one case go, in order, to one input topic keyed by case id. Event times are "now"
// plus seconds, so no statutory deadline (shortest: 24 h, approaching at 18 h) can fire while the
// test runs: the outcome is a pure function of the input, whatever the wall clock of the child.
//
// The check (docs/kafka.md §4): every case present in the read_committed state topic, with the
// same version, state hash and state as the uninterrupted run and as recomputed from the input
// records; the same alert count per case as the uninterrupted run; no alert id seen twice; no
// record in the DLQ. Nothing waits by sleeping: kills happen once the group's committed input
// offsets show the instance working, and a kill counts only when the instance died with inputs
// of its own left (it was interrupted mid-stream).

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include "services/daemons/sync/case_engine.h"
#include "services/daemons/sync/tests/test_support.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/producer.h"
#include "tests/support/http_get.h"
#include "tests/support/kafka_test_env.h"

namespace caselink::sync {
namespace {

namespace fs = std::filesystem;
using test::organ;

constexpr int kCases = 1000;
constexpr int kPartitions = 6;
const std::string kBinary = "bin/caselink-sync";

std::string source_dir() {
  const char* src = std::getenv("CASELINK_SOURCE_DIR");
  return src != nullptr ? src : "/work/main";
}

// One case: 9 events that make versions 1..9, then an acknowledgement of version 9.
struct CaseStream {
  std::string id;
  std::vector<test::Ev> events;
  std::string final_hash;  // after the 9 versioned events
  bool divergent = false;
  bool parked = false;  // filing decision (step 4) sent before the acceptance (step 3)
  // The event sent as step `step`: for a parked case steps 3 and 4 trade places.
  const test::Ev& sent_at(int step) const {
    if (parked && (step == kAcceptedStep || step == kFilingStep)) {
      step = step == kAcceptedStep ? kFilingStep : kAcceptedStep;
    }
    return events[static_cast<size_t>(step)];
  }
  static constexpr int kAcceptedStep = 3;
  static constexpr int kFilingStep = 4;
};

std::vector<CaseStream> make_stream(TimePoint t0) {
  std::vector<CaseStream> cases;
  cases.reserve(kCases);
  for (int c = 0; c < kCases; ++c) {
    CaseStream cs;
    cs.id = "crash-case-" + std::to_string(c);
    cs.divergent = c % 10 == 0;
    cs.parked = c % 7 == 3;
    int step = 0;
    auto add = [&](const std::function<void(v1::Envelope&)>& f) {
      cs.events.push_back(test::make(cs.id, t0 + std::chrono::seconds(step++), f));
    };
    add([](v1::Envelope& e) {
      auto* p = e.mutable_suspected_crime_reported();
      *p->mutable_reporting_agency() = organ("sthjj-330100");
      p->set_domain(v1::DOMAIN_ENVIRONMENT);
    });
    add([](v1::Envelope& e) { e.mutable_transfer_decided()->set_decision(v1::TRANSFER_DECISION_APPROVED); });
    add([](v1::Envelope& e) {
      auto* p = e.mutable_case_referral();
      *p->mutable_referring_agency() = organ("sthjj-330100");
      *p->mutable_target_police_organ() = organ("ga-330100");
      p->set_domain(v1::DOMAIN_ENVIRONMENT);
      p->set_copy_to_procuratorate(true);
      *p->mutable_procuratorate() = organ("jcy-330100");
    });
    add([](v1::Envelope& e) { *e.mutable_referral_accepted()->mutable_police_organ() = organ("ga-330100"); });
    add([](v1::Envelope& e) { e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED); });
    add([](v1::Envelope& e) { e.mutable_seized_items_handed_over()->set_handover_record_number("H-1"); });
    add([](v1::Envelope& e) {
      e.mutable_prosecution_decision()->set_outcome(v1::PROSECUTION_OUTCOME_PROSECUTE);
      *e.mutable_prosecution_decision()->mutable_procuratorate() = organ("jcy-330100");
    });
    add([](v1::Envelope& e) {
      e.mutable_court_judgment()->set_verdict(v1::VERDICT_CONVICTED);
      *e.mutable_court_judgment()->mutable_court() = organ("fy-330100");
    });
    add([](v1::Envelope& e) { e.mutable_case_closed()->set_reason(v1::CASE_CLOSED_REASON_JUDGMENT_EFFECTIVE); });
    for (const auto& ev : cs.events) cs.final_hash = chain_hash_hex(cs.final_hash, ev.raw);
    const std::string acked = cs.divergent ? std::string(64, 'b') : cs.final_hash;
    add([&](v1::Envelope& e) {
      auto* a = e.mutable_state_acknowledged();
      a->set_party_id("ga-330100");
      a->set_state_version(9);
      a->set_state_hash_hex(acked);
    });
    cases.push_back(std::move(cs));
  }
  return cases;
}

constexpr int kEventsPerCase = 10;
constexpr size_t kTotalEvents = static_cast<size_t>(kCases) * kEventsPerCase;

// One set of topics + group: the run under test or the uninterrupted reference run.
struct SyncRun {
  std::string name;
  std::string bootstrap;
  std::string in, state, alerts, dlq, group;
  fs::path dir;

  SyncRun(const std::string& bootstrap_, const std::string& name_) : name(name_), bootstrap(bootstrap_) {
    in = testing::unique_name("it.sync." + name + ".in");
    state = testing::unique_name("it.sync." + name + ".state");
    alerts = testing::unique_name("it.sync." + name + ".alert");
    dlq = testing::unique_name("it.sync." + name + ".dlq");
    group = testing::unique_name("it.sync." + name + ".group");
    dir = fs::temp_directory_path() / testing::unique_name("caselink-sync-" + name);
    fs::create_directories(dir);
    EXPECT_TRUE(testing::create_topics(bootstrap, {in, state, alerts}, kPartitions).ok());
    EXPECT_TRUE(testing::create_topics(bootstrap, {dlq}, 1).ok());
  }

  // Session, message and transaction timeouts as the test has always set them, or (shipped)
  // none: the loop's defaults (6 s session, 5 s transaction timeout).
  bool shipped_timeouts = false;
  int64_t commit_every_records = 50;
  int64_t commit_every_ms = 100;
  bool standby_replicas = false;  // sync.standby_replicas

  std::string config(const std::string& instance_id) const {
    const fs::path path = dir / ("sync-" + instance_id + ".yaml");
    std::ofstream(path) << "kafka:\n"
                        << "  bootstrap: \"" << bootstrap << "\"\n"
                        << (shipped_timeouts ? ""
                                             : "  properties:\n"
                                               "    session.timeout.ms: \"6000\"\n"
                                               "    heartbeat.interval.ms: \"1000\"\n"
                                               "  message_timeout_ms: 10000\n")
                        << "loop:\n"
                        << "  group_id: " << group << "\n"
                        << "  instance_id: \"" << instance_id << "\"\n"
                        << "  input_topics: [" << in << "]\n"
                        << "  dlq_topic: " << dlq << "\n"
                        << "  commit_every_records: " << commit_every_records << "\n"
                        << "  commit_every_ms: " << commit_every_ms << "\n"
                        << (shipped_timeouts ? "" : "  transaction_timeout_ms: 15000\n")
                        << "sync:\n"
                        << "  state_topic: " << state << "\n"
                        << "  alert_topic: " << alerts << "\n"
                        << "  rules_directory: \"" << source_dir() << "/rules/deadlines\"\n"
                        << "  organs_file: \"" << source_dir() << "/rules/organs/organs.yaml\"\n"
                        << (standby_replicas ? "  standby_replicas: true\n" : "")
                        << "http:\n"
                        << "  port: 0\n";
    return path.string();
  }
  std::string log(const std::string& instance_id) const { return (dir / ("sync-" + instance_id + ".log")).string(); }

  std::unique_ptr<testing::ChildProcess> spawn(const std::string& instance_id) const {
    return std::make_unique<testing::ChildProcess>(testing::build_path(kBinary),
                                                   std::vector<std::string>{"--config", config(instance_id)},
                                                   log(instance_id));
  }

  // Inputs committed by the group (processed for good), in total and per partition.
  int64_t committed() const { return testing::committed_total(bootstrap, group, in, kPartitions); }
  std::vector<int64_t> committed_per_partition() const {
    return testing::committed_offsets(bootstrap, group, in, kPartitions);
  }

  // Until the group's committed input offsets cover all kTotalEvents inputs.
  bool wait_consumed(std::chrono::seconds timeout) const {
    return testing::wait_until([this] { return committed() >= static_cast<int64_t>(kTotalEvents); }, timeout,
                               std::chrono::milliseconds(500));
  }
};

// Produces step `step` of every case to each run's input topic, all acknowledged.
void produce_step(const std::string& bootstrap, const std::vector<CaseStream>& cases, int step,
                  const std::vector<const SyncRun*>& runs) {
  kafka::KafkaSettings settings = testing::kafka_settings(bootstrap);
  auto producer = kafka::make_idempotent_producer(settings, "sync-crash-seeder");
  ASSERT_TRUE(producer.ok());
  std::atomic<int> failed{0};
  for (const auto& cs : cases) {
    for (const SyncRun* run : runs) {
      ASSERT_TRUE((*producer)
                      ->send_async(envelope::to_record(cs.sent_at(step).env, run->in),
                                   [&failed](Result<kafka::Delivery> r) {
                                     if (!r.ok()) failed.fetch_add(1);
                                   })
                      .ok());
    }
  }
  ASSERT_TRUE((*producer)->flush(std::chrono::seconds(60)).ok());
  ASSERT_EQ(failed.load(), 0);
}

struct Outcome {
  struct Snap {
    uint64_t version = 0;
    std::string hash;
    int state = 0;
    bool operator==(const Snap&) const = default;
  };
  std::map<std::string, Snap> snapshots;      // latest per case
  std::set<std::string> still_parked;          // cases whose latest snapshot still holds a parked event
  std::map<std::string, int> alerts_per_case;  // every committed alert
  std::map<std::string, int> alert_ids;        // alert id -> times seen
  size_t dlq = 0;
};

// Alert ids are stable per condition (<case>/<kind>/...); raised and resolved are distinct.
std::string alert_id_of(const v1::Envelope& env) {
  return env.alert().alert_id() + "#" + std::to_string(static_cast<int>(env.alert().status()));
}

// A state record that carries an event parked in its case (internal header, docs/services/case-sync.md).
bool holds_parked(const ConsumedRecord& r) {
  return find_header(r.headers, kInternalHeader).value_or("").find("\"parked\"") != std::string::npos;
}

// Parked cases whose committed state holds their parked filing decision now.
size_t cases_parked_now(const SyncRun& run, const std::vector<CaseStream>& cases) {
  std::map<std::string, bool> parked;
  for (const auto& r : testing::read_topic(run.bootstrap, run.state, testing::Isolation::kReadCommitted, 0,
                                           std::chrono::seconds(120))) {
    if (r.key) parked[*r.key] = holds_parked(r);
  }
  size_t n = 0;
  for (const auto& cs : cases) n += cs.parked && parked[cs.id] ? 1 : 0;
  return n;
}

Outcome collect(const SyncRun& run) {
  Outcome o;
  for (const auto& r : testing::read_topic(run.bootstrap, run.state, testing::Isolation::kReadCommitted, 0,
                                           std::chrono::seconds(120), std::chrono::seconds(4))) {
    if (!r.value) continue;
    auto env = envelope::decode(*r.value);
    EXPECT_TRUE(env.ok());
    if (!env.ok()) continue;
    const auto& s = env->case_state_snapshot();
    o.snapshots[env->case_id()] = {s.version(), s.state_hash_hex(), static_cast<int>(s.state())};
    if (holds_parked(r)) {
      o.still_parked.insert(env->case_id());
    } else {
      o.still_parked.erase(env->case_id());
    }
  }
  for (const auto& r : testing::read_topic(run.bootstrap, run.alerts, testing::Isolation::kReadCommitted, 0,
                                           std::chrono::seconds(60), std::chrono::seconds(3))) {
    auto env = envelope::decode(r.value.value_or(""));
    EXPECT_TRUE(env.ok());
    if (!env.ok()) continue;
    o.alerts_per_case[env->case_id()]++;
    o.alert_ids[alert_id_of(*env)]++;
  }
  o.dlq = testing::read_topic(run.bootstrap, run.dlq, testing::Isolation::kReadCommitted, 0, std::chrono::seconds(20),
                              std::chrono::seconds(2))
              .size();
  return o;
}

// Every case present, closed at version 9 with the hash recomputed from the input records;
// one DIVERGENCE alert per divergent case, none otherwise; no alert twice; empty DLQ.
void expect_correct(const Outcome& o, const std::vector<CaseStream>& cases, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(o.snapshots.size(), cases.size()) << "cases missing from the state topic";
  int wrong = 0;
  for (const auto& cs : cases) {
    auto it = o.snapshots.find(cs.id);
    if (it == o.snapshots.end()) {
      if (++wrong <= 5) ADD_FAILURE() << cs.id << " missing";
      continue;
    }
    const Outcome::Snap expected{9, cs.final_hash, static_cast<int>(v1::CASE_STATE_CLOSED)};
    if (!(it->second == expected) && ++wrong <= 5) {
      ADD_FAILURE() << cs.id << ": version " << it->second.version << " state " << it->second.state << " hash "
                    << it->second.hash << " (expected version 9, CLOSED, " << cs.final_hash << ")";
    }
    const int alerts = o.alerts_per_case.count(cs.id) != 0 ? o.alerts_per_case.at(cs.id) : 0;
    if (alerts != (cs.divergent ? 1 : 0) && ++wrong <= 5) ADD_FAILURE() << cs.id << ": " << alerts << " alerts";
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_TRUE(o.still_parked.empty()) << o.still_parked.size() << " cases still hold a parked event, e.g. "
                                      << (o.still_parked.empty() ? "" : *o.still_parked.begin());
  for (const auto& [id, n] : o.alert_ids) EXPECT_EQ(n, 1) << "duplicate alert " << id;
  EXPECT_EQ(o.dlq, 0U) << "records dead-lettered";
}

void expect_identical(const Outcome& a, const Outcome& reference) {
  EXPECT_EQ(a.snapshots.size(), reference.snapshots.size());
  size_t differing = 0;
  for (const auto& [id, snap] : reference.snapshots) {
    auto it = a.snapshots.find(id);
    if (it == a.snapshots.end() || !(it->second == snap)) ++differing;
  }
  EXPECT_EQ(differing, 0U) << "final snapshots differ from the uninterrupted run";
  EXPECT_EQ(a.alerts_per_case, reference.alerts_per_case) << "alert counts differ from the uninterrupted run";
}

class SyncCrash : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = testing::kafka_bootstrap();
    if (!b) GTEST_SKIP() << "CASELINK_KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
    bootstrap = *b;
    cases = make_stream(SystemClock().now());
  }
  // Produces steps [first, first + count) of every case to each of `runs` (all acknowledged).
  void feed(const std::vector<const SyncRun*>& runs, int first, int count) {
    for (int step = first; step < first + count; ++step) {
      produce_step(bootstrap, cases, step, runs);
    }
  }
  std::string bootstrap;
  std::vector<CaseStream> cases;
};

// The stream arrives in chunks of kStepsPerRound steps. Each chunk is followed by a fresh
// instance that is SIGKILLed once it has committed a random number of inputs of its own; a kill
// counts when that instance was running, had committed progress and died with inputs left.
// The last chunk is finished by a last instance, which must have had inputs left when it started.
TEST_F(SyncCrash, RandomKillsMidStreamMatchUninterruptedRun) {
  constexpr int kKills = 4;
  constexpr int kStepsPerRound = 2;
  static_assert((kKills + 1) * kStepsPerRound == kEventsPerCase);
  constexpr int kParkingRound = CaseStream::kAcceptedStep / kStepsPerRound;  // sends steps 2 and 3
  SyncRun crashed(bootstrap, "crash");
  SyncRun reference(bootstrap, "ref");
  auto ref_child = reference.spawn("0");
  std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int64_t> progress_before_kill(1, kCases / 5);

  int64_t produced = 0;
  int kills_mid_work = 0;
  for (int round = 0; round < kKills; ++round) {
    feed({&crashed, &reference}, round * kStepsPerRound, kStepsPerRound);
    produced += static_cast<int64_t>(kCases) * kStepsPerRound;
    const int64_t at_start = crashed.committed();
    auto child = crashed.spawn("0");
    // Once it has restored its cases from the state topic and committed inputs of its own. In
    // the round that sends the parked cases' filing decisions (step 3, the last kCases inputs
    // so far): once at least kCases / 5 of step 3 are committed. On every partition step 3
    // comes after the earlier steps, so a committed total of (inputs before step 3) + n means
    // at least n step-3 inputs committed, whatever the partitions' pace.
    const int64_t base = round == kParkingRound ? produced - kCases + kCases / 5 : at_start;
    const int64_t mark = base + progress_before_kill(rng);
    ASSERT_TRUE(testing::wait_until([&] { return !child->running() || crashed.committed() >= mark; },
                                    std::chrono::seconds(120), std::chrono::milliseconds(50)))
        << "round " << round << ": no progress in 120 s; see " << crashed.log("0");
    ASSERT_TRUE(child->running()) << "caselink-sync died on its own; see " << crashed.log("0");
    child->kill_hard();
    const int64_t at_death = crashed.committed();
    std::cerr << "kill " << round + 1 << ": committed " << at_start << " at start, " << at_death << " at death, "
              << produced << " produced\n";
    if (at_death > at_start && at_death < produced) {
      ++kills_mid_work;
    }
    if (round == kParkingRound) {
      // The next instance must restore them from the state topic and release each once, in order.
      const size_t parked = cases_parked_now(crashed, cases);
      std::cerr << "  " << parked << " cases held a parked filing decision at the kill\n";
      EXPECT_GT(parked, 0U) << "no parked event was committed before the kill";
    }
  }
  EXPECT_EQ(kills_mid_work, kKills) << "a kill of an instance that had finished its inputs interrupts nothing";

  feed({&crashed, &reference}, kKills * kStepsPerRound, kStepsPerRound);
  ASSERT_LT(crashed.committed(), static_cast<int64_t>(kTotalEvents)) << "nothing left for the last instance";
  auto last = crashed.spawn("0");
  ASSERT_TRUE(crashed.wait_consumed(std::chrono::seconds(180))) << "not idle; see " << crashed.log("0");
  ASSERT_TRUE(reference.wait_consumed(std::chrono::seconds(120))) << "see " << reference.log("0");

  const Outcome got = collect(crashed);
  const Outcome ref = collect(reference);
  expect_correct(ref, cases, "uninterrupted run");
  expect_correct(got, cases, "run with " + std::to_string(kills_mid_work) + " SIGKILLs mid-stream");
  expect_identical(got, ref);
  EXPECT_EQ(last->terminate(std::chrono::seconds(30)), 0) << "see " << crashed.log("0");
  EXPECT_EQ(ref_child->terminate(std::chrono::seconds(30)), 0) << "see " << reference.log("0");
}

// The input partitions the group coordinator has assigned to instance `instance_id` (the loop
// names its consumer "caselink-sync-consumer-<loop.instance_id>").
std::vector<int32_t> partitions_of(const SyncRun& run, const std::string& instance_id) {
  std::vector<int32_t> out;
  if (auto view = testing::describe_group(run.bootstrap, run.group)) {
    for (const auto& m : view->members) {
      if (m.client_id != "caselink-sync-consumer-" + instance_id) continue;
      for (const auto& [topic, partition] : m.partitions) {
        if (topic == run.in) out.push_back(partition);
      }
    }
  }
  return out;
}

// Instances "a" and "b" of `run` sharing its partitions, b SIGKILLed mid-stream: once it has
// committed inputs of its own among the first half of every case's events (fed to `runs`; see
// start_two_and_kill_b for when the last step of that half is written).
struct KilledB {
  std::unique_ptr<testing::ChildProcess> a;
  std::vector<int32_t> of_b;  // b's input partitions
  std::map<int32_t, int64_t> ends_at_kill;  // input end offsets just after the kill
  std::chrono::steady_clock::time_point killed;
};

int64_t sum_of(const std::vector<int64_t>& per_partition, const std::vector<int32_t>& partitions) {
  int64_t sum = 0;
  for (int32_t p : partitions) sum += std::max<int64_t>(per_partition[static_cast<size_t>(p)], 0);
  return sum;
}

// `instead` (when set) replaces the committed-progress condition of the kill. `last_step_at_kill`:
// the last step before the kill is written only once that condition holds, and b is killed as
// soon as it is written, so b has inputs in none of its transactions yet. (Written all at once,
// b could take every input into its first transactions before the condition was seen, and the
// kill then interrupted nothing: seen once in CI.)
void start_two_and_kill_b(const SyncRun& run, const std::function<void(int, int)>& feed, KilledB& out,
                          const std::function<bool(const std::vector<int32_t>& of_b)>& instead = nullptr,
                          bool last_step_at_kill = true) {
  out.a = run.spawn("a");
  auto b = run.spawn("b");
  ASSERT_TRUE(testing::wait_group(run.bootstrap, run.group, 2, kPartitions, std::chrono::seconds(60)))
      << "a and b never shared the partitions; see " << run.log("a") << " and " << run.log("b");
  out.of_b = partitions_of(run, "b");
  ASSERT_FALSE(out.of_b.empty()) << "b holds no partition";
  constexpr int kStepsBeforeKill = kEventsPerCase / 2;
  feed(0, last_step_at_kill ? kStepsBeforeKill - 1 : kStepsBeforeKill);
  std::mt19937 rng{std::random_device{}()};
  const int64_t mark = std::uniform_int_distribution<int64_t>(1, kCases / 10)(rng);
  ASSERT_TRUE(testing::wait_until(
      [&] {
        return !b->running() ||
               (instead ? instead(out.of_b) : sum_of(run.committed_per_partition(), out.of_b) >= mark);
      },
      std::chrono::seconds(120), std::chrono::milliseconds(50)))
      << "b made no progress; see " << run.log("b");
  ASSERT_TRUE(b->running()) << "see " << run.log("b");
  if (last_step_at_kill) feed(kStepsBeforeKill - 1, 1);
  b->kill_hard();  // mid-stream
  out.killed = std::chrono::steady_clock::now();
  out.ends_at_kill = testing::end_offsets(run.bootstrap, run.in);
}

// Two instances of `scaled` share the partitions; "b" is SIGKILLed mid-stream (when `kill_when`
// allows, see start_two_and_kill_b), while its partitions still hold inputs. "a" must take over
// b's partitions (the group shows one member holding all of them) and process what b left and
// what came after; the outcome must be that of an uninterrupted run of the same stream. Returns
// a, still running.
std::unique_ptr<testing::ChildProcess> takeover_matches_uninterrupted_run(
    SyncRun& scaled, const std::string& bootstrap, const std::vector<CaseStream>& cases,
    const std::function<void(const std::vector<const SyncRun*>&, int, int)>& feed,
    const std::function<bool(const std::vector<int32_t>&)>& kill_when = nullptr) {
  SyncRun reference(bootstrap, "sref");
  auto ref_child = reference.spawn("0");
  KilledB k;
  start_two_and_kill_b(scaled, [&](int first, int count) { feed({&scaled, &reference}, first, count); }, k, kill_when);
  if (::testing::Test::HasFatalFailure()) return nullptr;
  const std::vector<int32_t>& of_b = k.of_b;
  auto committed_of_b = [&] { return sum_of(scaled.committed_per_partition(), of_b); };
  int64_t end_of_b = 0;
  for (int32_t p : of_b) end_of_b += k.ends_at_kill.count(p) != 0 ? k.ends_at_kill.at(p) : 0;
  const int64_t b_at_death = committed_of_b();
  EXPECT_LT(b_at_death, end_of_b) << "b had finished its inputs: the kill interrupted nothing";

  constexpr int kStepsBeforeKill = kEventsPerCase / 2;
  feed({&scaled, &reference}, kStepsBeforeKill, kEventsPerCase - kStepsBeforeKill);
  EXPECT_TRUE(testing::wait_group(bootstrap, scaled.group, 1, kPartitions, std::chrono::seconds(60)))
      << "a never took b's partitions; see " << scaled.log("a");
  EXPECT_TRUE(scaled.wait_consumed(std::chrono::seconds(180))) << "survivor did not take over; see " << scaled.log("a");
  EXPECT_TRUE(reference.wait_consumed(std::chrono::seconds(120))) << "see " << reference.log("0");
  EXPECT_TRUE(k.a->running()) << "see " << scaled.log("a");
  EXPECT_GT(committed_of_b(), b_at_death) << "nothing of b's partitions processed after the kill";

  const Outcome got = collect(scaled);
  const Outcome ref = collect(reference);
  expect_correct(ref, cases, "uninterrupted run");
  expect_correct(got, cases, "two instances, one killed");
  expect_identical(got, ref);
  EXPECT_EQ(ref_child->terminate(std::chrono::seconds(30)), 0) << "see " << reference.log("0");
  return std::move(k.a);
}

TEST_F(SyncCrash, SurvivorTakesOverWhenOneOfTwoInstancesIsKilled) {
  SyncRun scaled(bootstrap, "scale");
  auto a = takeover_matches_uninterrupted_run(scaled, bootstrap, cases, [&](const std::vector<const SyncRun*>& runs, int first, int count) {
    feed(runs, first, count);
  });
  if (!a) return;
  EXPECT_EQ(a->terminate(std::chrono::seconds(30)), 0) << "see " << scaled.log("a");
}

// Standby replicas (issue 19): the same takeover with sync.standby_replicas on. b is killed once
// a's replicas have folded some of b's cases; a must then take b's partitions from its replicas
// (caselink_sync_standby_partitions_taken_total), catching up only what they had not folded, and
// still end exactly where the uninterrupted run does.
TEST_F(SyncCrash, SurvivorWithStandbyReplicasTakesOverFromThemAndMatchesTheUninterruptedRun) {
  SyncRun scaled(bootstrap, "standby");
  scaled.standby_replicas = true;
  const auto folded_some_of_b = [&](const std::vector<int32_t>& of_b) {
    return sum_of(scaled.committed_per_partition(), of_b) > 0 &&
           testing::scrape_metric(scaled.log("a"), "caselink_sync_standby_cases") > 0;
  };
  auto a = takeover_matches_uninterrupted_run(
      scaled, bootstrap, cases, [&](const std::vector<const SyncRun*>& runs, int first, int count) { feed(runs, first, count); }, folded_some_of_b);
  if (!a) return;
  EXPECT_GE(testing::scrape_metric(scaled.log("a"), "caselink_sync_standby_partitions_taken_total"), 1)
      << "a read b's partitions whole instead of taking them from its standby replicas; see " << scaled.log("a");
  EXPECT_EQ(a->terminate(std::chrono::seconds(30)), 0) << "see " << scaled.log("a");
}

// Takeover within the shipped timeouts (issue 19): b is SIGKILLed mid-stream with a transaction
// open, so the state records of that transaction sit on the broker uncommitted and a's restore of
// b's partitions (read_committed, to the end) waits until the broker aborts it. With the loop's
// defaults (6 s session, 5 s transaction timeout; the broker scans for timed-out transactions
// every second, deploy/local/kafka.sh) a processes events that arrived after the kill on every
// partition of b within 30 s of the kill. The settings before issue 19 cannot: librdkafka's 45 s
// session alone keeps b's partitions unassigned longer, and with a 6 s session the 60 s
// transaction timeout holds the restore for about 60 s (measured: the test then fails).
TEST_F(SyncCrash, SurvivorProcessesTheDeadInstancesNewEventsWellBeforeTheOldTimeouts) {
  SyncRun run(bootstrap, "takeover");
  run.shipped_timeouts = true;
  // Transactions of 2 s (the least the 5 s timeout allows), so that one is surely open, with
  // state records on the broker, at the kill: b is killed once a state partition of its own has
  // records past its last stable offset.
  run.commit_every_records = 1'000'000;
  run.commit_every_ms = 2000;
  auto open_transaction_of = [&](const std::vector<int32_t>& of_b) {
    const auto ends = testing::end_offsets(bootstrap, run.state);
    const auto stable = testing::end_offsets(bootstrap, run.state, testing::Isolation::kReadCommitted);
    return std::any_of(of_b.begin(), of_b.end(), [&](int32_t p) {
      return ends.count(p) != 0 && ends.at(p) > (stable.count(p) != 0 ? stable.at(p) : 0);
    });
  };
  KilledB k;
  // The open transaction is the point: written all at once, the inputs keep b's transactions busy.
  start_two_and_kill_b(run, [&](int first, int count) { feed({&run}, first, count); }, k, open_transaction_of,
                       /*last_step_at_kill=*/false);
  if (HasFatalFailure()) return;
  constexpr int kStepsBeforeKill = kEventsPerCase / 2;
  feed({&run}, kStepsBeforeKill, kEventsPerCase - kStepsBeforeKill);  // events that arrive after the kill
  const bool taken_over = testing::wait_until(
      [&] {
        const std::vector<int64_t> committed = run.committed_per_partition();
        return std::all_of(k.of_b.begin(), k.of_b.end(), [&](int32_t p) {
          const auto end = k.ends_at_kill.find(p);
          return committed[static_cast<size_t>(p)] > (end == k.ends_at_kill.end() ? 0 : end->second);
        });
      },
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::seconds(30) -
                                                            (std::chrono::steady_clock::now() - k.killed)),
      std::chrono::milliseconds(100));
  EXPECT_TRUE(taken_over) << "30 s after the kill, a had not processed events that arrived after it on every "
                             "partition of b; see "
                          << run.log("a");
  ASSERT_TRUE(run.wait_consumed(std::chrono::seconds(180))) << "survivor did not finish; see " << run.log("a");
  ASSERT_TRUE(k.a->running()) << "see " << run.log("a");
  // The kill left an open transaction whose records reached the broker: the state topic holds
  // records a read_committed reader never sees (the aborted ones). a's restore of b's partitions
  // could not finish before the broker aborted it, so the bound above is the transaction
  // timeout's (with 60 s it fails), not that of a kill between two transactions.
  const size_t raw = testing::read_topic(bootstrap, run.state, testing::Isolation::kReadUncommitted, 0,
                                         std::chrono::seconds(60), std::chrono::seconds(3))
                         .size();
  const size_t settled = testing::read_topic(bootstrap, run.state, testing::Isolation::kReadCommitted, 0,
                                             std::chrono::seconds(60), std::chrono::seconds(3))
                             .size();
  EXPECT_GT(raw, settled) << "no aborted state record: the kill did not hit an open transaction";
  expect_correct(collect(run), cases, "two instances with the shipped timeouts, one killed");
  EXPECT_EQ(k.a->terminate(std::chrono::seconds(30)), 0) << "see " << run.log("a");
}

}  // namespace
}  // namespace caselink::sync
