// caselink-sync on the real broker, in-process transactional loop, ManualClock:
// a full forward case and a full reverse case (final snapshot + hash chain re-verified from the
// input records), a divergent acknowledgement, and a missed deadline giving exactly one overdue
// alert. Events of one case are produced in order to one input topic (the handler accepts any
// case payload on any of its input topics), so their order is deterministic. Absence checks
// wait for something observable: the group's committed input offsets past the inputs (then the
// DLQ is read to its end), or timer ticks that ran with the moved clock (testing::TickCounter).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "services/daemons/sync/kafka_edge.h"
#include "services/lib/kafka/read_to_end.h"
#include "services/daemons/sync/tests/test_support.h"
#include "services/lib/kafka/producer.h"
#include "tests/support/kafka_test_env.h"
#include "tests/support/tick_counter.h"

namespace caselink::sync {
namespace {

using test::at;
using test::organ;

struct Topics {
  std::string in, state, alerts, dlq;
  kafka::KafkaSettings kafka;
};

std::vector<test::Ev> forward_case(const std::string& id, TimePoint t0) {
  std::vector<test::Ev> evs;
  auto add = [&](int hours, const std::function<void(v1::Envelope&)>& f) {
    evs.push_back(test::make(id, t0 + std::chrono::hours(hours), f));
  };
  add(0, [](v1::Envelope& e) {
    auto* p = e.mutable_suspected_crime_reported();
    *p->mutable_reporting_agency() = organ("sthjj-330100");
    p->set_domain(v1::DOMAIN_ENVIRONMENT);
  });
  add(1, [](v1::Envelope& e) { e.mutable_transfer_decided()->set_decision(v1::TRANSFER_DECISION_APPROVED); });
  add(2, [](v1::Envelope& e) {
    auto* p = e.mutable_case_referral();
    *p->mutable_referring_agency() = organ("sthjj-330100");
    *p->mutable_target_police_organ() = organ("ga-330100");
    p->set_domain(v1::DOMAIN_ENVIRONMENT);
    p->set_copy_to_procuratorate(true);
    *p->mutable_procuratorate() = organ("jcy-330100");
  });
  add(3, [](v1::Envelope& e) { *e.mutable_referral_accepted()->mutable_police_organ() = organ("ga-330100"); });
  add(20, [](v1::Envelope& e) { e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED); });
  add(30, [](v1::Envelope& e) { e.mutable_seized_items_handed_over()->set_handover_record_number("H-1"); });
  add(200, [](v1::Envelope& e) {
    e.mutable_prosecution_decision()->set_outcome(v1::PROSECUTION_OUTCOME_PROSECUTE);
    *e.mutable_prosecution_decision()->mutable_procuratorate() = organ("jcy-330100");
  });
  add(900, [](v1::Envelope& e) {
    e.mutable_court_judgment()->set_verdict(v1::VERDICT_CONVICTED);
    *e.mutable_court_judgment()->mutable_court() = organ("fy-330100");
  });
  add(1000, [](v1::Envelope& e) { e.mutable_case_closed()->set_reason(v1::CASE_CLOSED_REASON_JUDGMENT_EFFECTIVE); });
  return evs;
}

std::vector<test::Ev> reverse_case(const std::string& id, TimePoint t0) {
  std::vector<test::Ev> evs;
  // The referring (and receiving) agency here is scjg-330100, not the cast's default agency.
  auto add = [&](int hours, const std::function<void(v1::Envelope&)>& f, const std::string& sender = "") {
    evs.push_back(test::make(id, t0 + std::chrono::hours(hours), f, sender));
  };
  add(0, [](v1::Envelope& e) {
    auto* p = e.mutable_case_referral();
    *p->mutable_referring_agency() = organ("scjg-330100");
    *p->mutable_target_police_organ() = organ("ga-330100");
    p->set_domain(v1::DOMAIN_MARKET_REGULATION);
  });
  add(1, [](v1::Envelope& e) { *e.mutable_referral_accepted()->mutable_police_organ() = organ("ga-330100"); });
  add(20, [](v1::Envelope& e) { e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED); });
  add(200, [](v1::Envelope& e) {
    e.mutable_prosecution_decision()->set_outcome(v1::PROSECUTION_OUTCOME_NOT_PROSECUTE);
    *e.mutable_prosecution_decision()->mutable_procuratorate() = organ("jcy-330100");
  });
  add(220, [](v1::Envelope& e) {
    e.mutable_reverse_review_status_changed()->set_status(v1::REVERSE_REVIEW_STATUS_HANDED_TO_ADMIN_PROSECUTION);
  }, "jcy-330100");
  add(300, [](v1::Envelope& e) {
    auto* p = e.mutable_procuratorial_opinion();
    p->set_kind(v1::PROCURATORIAL_OPINION_KIND_REVERSE_PENALTY);
    *p->mutable_procuratorate() = organ("jcy-330100");
    *p->mutable_recipient() = organ("scjg-330100");
  });
  add(500, [](v1::Envelope& e) {
    auto* p = e.mutable_administrative_penalty_reported();
    p->set_report_context(v1::PENALTY_REPORT_CONTEXT_PROCURATORIAL_OPINION_RESULT);
    p->set_outcome(v1::PENALTY_OUTCOME_IMPOSED);
  }, "scjg-330100");
  add(510, [](v1::Envelope& e) { e.mutable_case_closed()->set_reason(v1::CASE_CLOSED_REASON_REVERSE_LINKAGE_COMPLETED); },
      "scjg-330100");
  return evs;
}

class SyncIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = testing::kafka_bootstrap();
    if (!b) GTEST_SKIP() << "CASELINK_KAFKA_BOOTSTRAP not set";
    run.kafka = testing::kafka_settings(*b);
    run.in = testing::unique_name("it.sync.in");
    run.state = testing::unique_name("it.sync.state");
    run.alerts = testing::unique_name("it.sync.alert");
    run.dlq = testing::unique_name("it.sync.dlq");
    ASSERT_TRUE(testing::create_topics(*b, {run.in, run.state, run.alerts}, 6).ok());
    ASSERT_TRUE(testing::create_topics(*b, {run.dlq}, 1).ok());
    settings.state_topic = run.state;
    settings.alert_topic = run.alerts;
  }
  void start() {
    loop_settings.group_id = testing::unique_name("it.sync.group");
    loop_settings.input_topics = {run.in};
    loop_settings.dlq_topic = run.dlq;
    loop_settings.commit_every_ms = 100;
    reader = std::make_unique<kafka::KafkaChangelogReader>(run.kafka, loop_settings.group_id + "-restore",
                                                           std::chrono::milliseconds(60000), "sync.restore");
    handler = std::make_unique<SyncHandler>(organ_engine ? *organ_engine : engine, settings, clock, reader.get(),
                                            nullptr);
    // Expired parked events go to this run's DLQ, where the tests look (not caselink.dlq.v1).
    handler->set_dead_letter_context({run.dlq, "caselink-sync", loop_settings.group_id});
    ticks = std::make_unique<testing::TickCounter>(*handler);
    loop = std::make_unique<kafka::TransactionalLoop>(run.kafka, loop_settings, "caselink-sync", *ticks, nullptr, clock,
                                                      std::chrono::milliseconds(200));
    runner = std::thread([this] { status = loop->run(stop); });
  }
  void use_organ_registry() {
    organ_rules.emplace(test::repo_rules());
    const char* src = std::getenv("CASELINK_SOURCE_DIR");
    auto organs = organs::Registry::load_file(std::string(src != nullptr ? src : ".") + "/rules/organs/organs.yaml");
    ASSERT_TRUE(organs.ok()) << organs.error().message;
    organ_rules->set_organs(std::make_shared<const organs::Registry>(std::move(*organs)));
    organ_engine.emplace(*organ_rules, EngineOptions{});
  }
  void TearDown() override {
    stop.store(true);
    if (runner.joinable()) runner.join();
  }
  void send(const std::vector<test::Ev>& evs) {
    auto producer = kafka::make_idempotent_producer(run.kafka, "it-sync-seeder");
    ASSERT_TRUE(producer.ok());
    for (const auto& ev : evs) {
      ASSERT_TRUE((*producer)->send(envelope::to_record(ev.env, run.in)).ok());
    }
  }
  // Latest snapshot per case from the state topic.
  std::map<std::string, v1::CaseStateSnapshot> snapshots(size_t expected) {
    std::map<std::string, v1::CaseStateSnapshot> out;
    for (const auto& r : testing::read_topic(run.kafka.bootstrap, run.state, testing::Isolation::kReadCommitted,
                                             expected, std::chrono::seconds(60))) {
      auto env = envelope::decode(*r.value);
      if (env.ok()) out[env->case_id()] = env->case_state_snapshot();
    }
    return out;
  }
  std::vector<v1::Alert> alerts(size_t expected, std::chrono::milliseconds timeout) {
    std::vector<v1::Alert> out;
    for (const auto& r : testing::read_topic(run.kafka.bootstrap, run.alerts, testing::Isolation::kReadCommitted,
                                             expected, timeout)) {
      auto env = envelope::decode(*r.value);
      if (env.ok()) out.push_back(env->alert());
    }
    return out;
  }

  Topics run;
  Settings settings;
  kafka::LoopSettings loop_settings;
  ManualClock clock{at("2026-03-02T02:00:00Z")};
  CaseEngine engine{test::repo_rules(), {}};
  // With the organ registry, as the service loads it from sync.organs_file (use_organ_registry()).
  std::optional<DeadlineRules> organ_rules;
  std::optional<CaseEngine> organ_engine;
  std::unique_ptr<kafka::ChangelogReader> reader;
  std::unique_ptr<SyncHandler> handler;
  std::unique_ptr<testing::TickCounter> ticks;
  std::unique_ptr<kafka::TransactionalLoop> loop;
  std::atomic<bool> stop{false};
  Status status;
  std::thread runner;
};

void expect_chain(const v1::CaseStateSnapshot& s, const std::vector<test::Ev>& evs) {
  std::string h;
  for (const auto& ev : evs) h = chain_hash_hex(h, ev.raw);
  EXPECT_EQ(s.version(), evs.size());
  EXPECT_EQ(s.state_hash_hex(), h) << "hash chain re-verified from the input records";
}

// An event read before its predecessor (as when it comes from another topic) waits in its case,
// is stored with the case on the state topic, and is applied once the predecessor arrives:
// the chain then covers referral, acceptance, decision, and nothing is dead-lettered.
TEST_F(SyncIntegration, EarlyEventWaitsForItsPredecessor) {
  start();
  const auto evs = reverse_case("it-park-1", at("2026-03-02T02:00:00Z"));
  send({evs[0], evs[2]});  // the filing decision overtakes the acceptance
  const auto parked = testing::read_topic(run.kafka.bootstrap, run.state, testing::Isolation::kReadCommitted, 2,
                                          std::chrono::seconds(60));
  ASSERT_EQ(parked.size(), 2U) << "version 1, then version 1 again carrying the parked decision";
  EXPECT_NE(find_header(parked[1].headers, kInternalHeader).value_or("").find("\"parked\""), std::string::npos);
  send({evs[1]});
  auto snaps = snapshots(4);
  ASSERT_EQ(snaps.count("it-park-1"), 1U);
  EXPECT_EQ(snaps["it-park-1"].state(), v1::CASE_STATE_FILED);
  expect_chain(snaps["it-park-1"], {evs[0], evs[1], evs[2]});
  // A DLQ record would commit with its input's offset: once every input is committed, the DLQ
  // read to its end holds every record there will be.
  ASSERT_TRUE(testing::wait_caught_up(run.kafka.bootstrap, loop_settings.group_id, {run.in}, std::chrono::seconds(60)));
  EXPECT_TRUE(testing::read_topic(run.kafka.bootstrap, run.dlq, testing::Isolation::kReadCommitted, 0,
                                  std::chrono::seconds(30))
                  .empty())
      << "nothing dead-lettered";
}

TEST_F(SyncIntegration, ForwardAndReverseCasesEndToEnd) {
  start();
  const auto fwd = forward_case("it-fwd-1", at("2026-03-02T02:00:00Z"));
  const auto rev = reverse_case("it-rev-1", at("2026-03-02T02:00:00Z"));
  send(fwd);
  send(rev);
  auto snaps = snapshots(fwd.size() + rev.size());
  ASSERT_EQ(snaps.count("it-fwd-1"), 1U);
  ASSERT_EQ(snaps.count("it-rev-1"), 1U);
  EXPECT_EQ(snaps["it-fwd-1"].state(), v1::CASE_STATE_CLOSED);
  EXPECT_EQ(snaps["it-rev-1"].state(), v1::CASE_STATE_CLOSED);
  expect_chain(snaps["it-fwd-1"], fwd);
  expect_chain(snaps["it-rev-1"], rev);
  bool procuratorate = false;
  for (const auto& p : snaps["it-fwd-1"].parties()) procuratorate = procuratorate || p.party_id() == "jcy-330100";
  EXPECT_TRUE(procuratorate);
  // Divergent acknowledgement of the forward case's last version.
  std::vector<test::Ev> acks = {test::make("it-fwd-1", clock.now(), [&](v1::Envelope& e) {
    auto* a = e.mutable_state_acknowledged();
    a->set_party_id("ga-330100");
    a->set_state_version(snaps["it-fwd-1"].version());
    a->set_state_hash_hex(std::string(64, 'b'));
  })};
  send(acks);
  bool divergence = false;
  for (const auto& a : alerts(1, std::chrono::seconds(30))) {
    if (a.kind() == v1::ALERT_KIND_DIVERGENCE) {
      divergence = true;
      EXPECT_EQ(a.divergence().caselink_hash_hex(), snaps["it-fwd-1"].state_hash_hex());
      EXPECT_EQ(a.divergence().party_hash_hex(), std::string(64, 'b'));
    }
  }
  EXPECT_TRUE(divergence);
}

TEST_F(SyncIntegration, MissedDeadlineGivesExactlyOneOverdueAlert) {
  start();
  auto evs = forward_case("it-late-1", at("2026-03-02T02:00:00Z"));
  evs.resize(4);  // reported, approved, referred, accepted: police review due 2026-03-05T16:00Z (env, Thursday)
  send(evs);
  ASSERT_EQ(snapshots(4).count("it-late-1"), 1U);
  clock.set(at("2026-03-05T16:00:01Z"));
  ASSERT_GE(alerts(1, std::chrono::seconds(60)).size(), 1U) << "no overdue alert";
  clock.set(at("2026-03-20T00:00:00Z"));
  ASSERT_GE(alerts(2, std::chrono::seconds(60)).size(), 2U) << "no supervision clue";
  // Later ticks, with the clock past every deadline, must raise nothing more.
  const uint64_t emitted = ticks->emitted(run.alerts);
  ASSERT_TRUE(ticks->wait_ticks(5, std::chrono::seconds(30)));
  EXPECT_EQ(ticks->emitted(run.alerts), emitted) << "a tick raised an alert again";
  int overdue = 0;
  int clue = 0;
  for (const auto& a : alerts(0, std::chrono::seconds(30))) {
    if (a.kind() == v1::ALERT_KIND_DEADLINE_OVERDUE && a.deadline().step() == "police_filing_review") ++overdue;
    if (a.kind() == v1::ALERT_KIND_SUPERVISION_CLUE) ++clue;
  }
  EXPECT_EQ(overdue, 1);
  EXPECT_EQ(clue, 1);
}

// Polls the alert topic until `done` holds for what it has read (or the timeout passes).
template <typename Done>
std::vector<v1::Envelope> alerts_until(const Topics& run, Done done, std::chrono::seconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  std::vector<v1::Envelope> out;
  do {
    out.clear();
    for (const auto& r : testing::read_topic(run.kafka.bootstrap, run.alerts, testing::Isolation::kReadCommitted, 0,
                                             std::chrono::seconds(10), std::chrono::milliseconds(500))) {
      auto env = envelope::decode(*r.value);
      if (env.ok()) out.push_back(*env);
    }
  } while (!done(out) && std::chrono::steady_clock::now() < until);
  return out;
}

// Another case's event that occurred at `t`: in event-time mode it moves the watermark to t.
test::Ev clock_event(const std::string& t) {
  return test::make("it-clock-" + t, at(t), [](v1::Envelope& e) {
    auto* p = e.mutable_suspected_crime_reported();
    *p->mutable_reporting_agency() = organ("rsj-330100");
  });
}

// Issue 20 #1 on the broker, in event-time mode (no clock to race): the police review falls
// overdue when the stream passes its due instant; then the decision, which occurred before the
// due instant, arrives (a batch upload): the deadline is MET and the overdue alert and the
// supervision clue are each withdrawn once (same alert_id, RESOLVED), nothing else repeats.
TEST_F(SyncIntegration, TimelyDecisionReportedLateWithdrawsItsOverdueAlerts) {
  settings.time_mode = kEventTime;
  start();
  auto evs = forward_case("it-timely-1", at("2026-03-02T02:00:00Z"));
  const test::Ev decision = evs[4];  // FilingDecision.FILED
  evs.resize(4);  // accepted 2026-03-02T05:00Z: police review due 2026-03-05T16:00Z
  send(evs);
  send({clock_event("2026-03-06T00:00:00Z")});
  auto is = [](const v1::Envelope& e, v1::AlertKind kind, v1::AlertStatus status) {
    return e.case_id() == "it-timely-1" && e.alert().kind() == kind && e.alert().status() == status;
  };
  auto count = [&](const std::vector<v1::Envelope>& all, v1::AlertKind kind, v1::AlertStatus status) {
    return std::count_if(all.begin(), all.end(), [&](const v1::Envelope& e) { return is(e, kind, status); });
  };
  auto raised = alerts_until(run, [&](const auto& all) {
    return count(all, v1::ALERT_KIND_DEADLINE_OVERDUE, v1::ALERT_STATUS_RAISED) >= 1 &&
           count(all, v1::ALERT_KIND_SUPERVISION_CLUE, v1::ALERT_STATUS_RAISED) >= 1;
  }, std::chrono::seconds(60));
  ASSERT_EQ(count(raised, v1::ALERT_KIND_DEADLINE_OVERDUE, v1::ALERT_STATUS_RAISED), 1);
  send({decision});  // occurred 2026-03-02T22:00Z, before the due instant
  auto all = alerts_until(run, [&](const auto& a) {
    return count(a, v1::ALERT_KIND_DEADLINE_OVERDUE, v1::ALERT_STATUS_RESOLVED) >= 1 &&
           count(a, v1::ALERT_KIND_SUPERVISION_CLUE, v1::ALERT_STATUS_RESOLVED) >= 1;
  }, std::chrono::seconds(60));
  // Settle: every input committed and more timer ticks ran; then the topic holds everything.
  ASSERT_TRUE(testing::wait_caught_up(run.kafka.bootstrap, loop_settings.group_id, {run.in}, std::chrono::seconds(60)));
  ASSERT_TRUE(ticks->wait_ticks(5, std::chrono::seconds(30)));
  all = alerts_until(run, [](const auto&) { return true; }, std::chrono::seconds(1));
  std::map<std::string, int> raised_ids;
  std::map<std::string, int> resolved_ids;
  for (const auto& e : all) {
    if (e.case_id() != "it-timely-1" || e.alert().kind() == v1::ALERT_KIND_DEADLINE_APPROACHING) continue;
    auto& ids = e.alert().status() == v1::ALERT_STATUS_RESOLVED ? resolved_ids : raised_ids;
    ++ids[e.alert().alert_id()];
    if (e.alert().status() == v1::ALERT_STATUS_RESOLVED) {
      EXPECT_EQ(e.alert().resolved_by_event_id(), decision.env.event_id());
    }
  }
  EXPECT_EQ(raised_ids.size(), 2U) << "overdue + supervision clue";
  EXPECT_EQ(resolved_ids, raised_ids) << "each raised alert withdrawn exactly once";
  auto snaps = snapshots(0);
  ASSERT_EQ(snaps.count("it-timely-1"), 1U);
  bool met = false;
  for (const auto& d : snaps["it-timely-1"].deadlines()) {
    met = met || (d.step() == "police_filing_review" && d.status() == v1::DEADLINE_STATUS_MET);
  }
  EXPECT_TRUE(met) << snaps["it-timely-1"].DebugString();
}

// Issue 20 #6 on the broker: the acceptance and the decision of a case caselink-sync has never
// seen arrive before its referral; they wait in a placeholder (version 0) on the state topic and
// follow the referral in order; nothing is dead-lettered. Event-time mode: a parked event
// expires once the watermark is park_ms past its occurred_at, and the decision occurred 19 h
// after the acceptance, so the allowed lateness must cover that skew (as for a real replay).
TEST_F(SyncIntegration, EarlyEventsOfACaseNeverSeenWaitForTheReferral) {
  settings.time_mode = kEventTime;
  settings.allowed_lateness_ms = 2 * 24 * 3600 * 1000LL;
  start();
  const auto evs = reverse_case("it-unseen-1", at("2026-03-02T02:00:00Z"));
  send({evs[1], evs[2]});  // acceptance and decision before the referral
  const auto parked = testing::read_topic(run.kafka.bootstrap, run.state, testing::Isolation::kReadCommitted, 2,
                                          std::chrono::seconds(60));
  ASSERT_EQ(parked.size(), 2U) << "two placeholder records";
  for (const auto& r : parked) {
    EXPECT_EQ(envelope::decode(*r.value)->case_state_snapshot().version(), 0U);
    EXPECT_NE(find_header(r.headers, kInternalHeader).value_or("").find("\"parked\""), std::string::npos);
  }
  send({evs[0]});
  auto snaps = snapshots(5);
  ASSERT_EQ(snaps.count("it-unseen-1"), 1U);
  EXPECT_EQ(snaps["it-unseen-1"].state(), v1::CASE_STATE_FILED);
  expect_chain(snaps["it-unseen-1"], {evs[0], evs[1], evs[2]});
  ASSERT_TRUE(testing::wait_caught_up(run.kafka.bootstrap, loop_settings.group_id, {run.in}, std::chrono::seconds(60)));
  EXPECT_TRUE(testing::read_topic(run.kafka.bootstrap, run.dlq, testing::Isolation::kReadCommitted, 0,
                                  std::chrono::seconds(30))
                  .empty())
      << "nothing dead-lettered";
}

// Issue 20 #4 and #5 on the broker, in event-time mode: caselink-evidence's INCOMPLETE receipt
// of the referral manifest (as it writes it: sender caselink-evidence, per-item results) opens
// the supplement deadline for the referring agency, which falls overdue once the stream passes
// its due instant (one DEADLINE_OVERDUE to the agency), and the snapshot's evidence summary
// counts the item the receipt flags for re-collection.
TEST_F(SyncIntegration, IncompleteReceiptOpensTheAgencysSupplementDeadline) {
  settings.time_mode = kEventTime;
  start();
  auto evs = forward_case("it-supplement-1", at("2026-03-02T02:00:00Z"));
  evs.resize(3);  // reported, approved, referred (04:00Z)
  evs.push_back(test::make("it-supplement-1", at("2026-03-02T05:00:00Z"), [](v1::Envelope& e) {
    auto* r = e.mutable_evidence_receipt();
    r->set_manifest_id("M-IT-1");
    r->set_status(v1::RECEIPT_STATUS_INCOMPLETE);
    r->add_missing_categories(v1::MATERIAL_CATEGORY_SITE_INSPECTION_RECORD);
    r->set_item_count(2);
    auto* ok = r->add_item_results();
    ok->set_item_id("i-1");
    ok->set_verified(true);
    ok->set_usability(v1::EVIDENCE_USABILITY_USABLE);
    auto* statement = r->add_item_results();
    statement->set_item_id("i-2");
    statement->set_verified(true);
    statement->set_usability(v1::EVIDENCE_USABILITY_REQUIRES_RECOLLECTION);
  }, "caselink-evidence"));
  send(evs);
  send({clock_event("2026-03-06T00:00:00Z")});  // past the due instant 2026-03-05T16:00Z
  auto supplement_overdue = [](const v1::Envelope& e) {
    return e.case_id() == "it-supplement-1" && e.alert().kind() == v1::ALERT_KIND_DEADLINE_OVERDUE &&
           e.alert().deadline().step() == "materials_supplement";
  };
  alerts_until(run, [&](const auto& all) { return std::any_of(all.begin(), all.end(), supplement_overdue); },
               std::chrono::seconds(60));
  ASSERT_TRUE(testing::wait_caught_up(run.kafka.bootstrap, loop_settings.group_id, {run.in}, std::chrono::seconds(60)));
  ASSERT_TRUE(ticks->wait_ticks(3, std::chrono::seconds(30)));
  const auto all = alerts_until(run, [](const auto&) { return true; }, std::chrono::seconds(1));
  ASSERT_EQ(std::count_if(all.begin(), all.end(), supplement_overdue), 1) << "one overdue alert, raised once";
  for (const auto& e : all) {
    if (!supplement_overdue(e)) continue;
    const auto& to = e.alert().addressed_to_party_ids();
    EXPECT_NE(std::find(to.begin(), to.end(), "sthjj-330100"), to.end()) << "the agency must supplement";
    EXPECT_EQ(e.alert().deadline().responsible_party_id(), "sthjj-330100");
  }
  auto snaps = snapshots(0);
  ASSERT_EQ(snaps.count("it-supplement-1"), 1U);
  const auto& s = snaps["it-supplement-1"];
  EXPECT_EQ(s.evidence().receipt_status(), v1::RECEIPT_STATUS_INCOMPLETE);
  EXPECT_EQ(s.evidence().items_requiring_recollection(), 1U);
  bool overdue = false;
  for (const auto& d : s.deadlines()) {
    overdue = overdue || (d.step() == "materials_supplement" && d.status() == v1::DEADLINE_STATUS_OVERDUE);
  }
  EXPECT_TRUE(overdue) << s.DebugString();
}

// Issue 20 #3 on the broker, in event-time mode: a general-regime case (labour, Shenzhen) has no
// procuratorate party; when the police review falls overdue on the stream, the published
// supervision clue is addressed to the procuratorate competent for the police organ, from the
// organ registry (jcy-440300) — it used to go out with no addressee.
TEST_F(SyncIntegration, GeneralRegimeSupervisionClueReachesTheCompetentProcuratorate) {
  settings.time_mode = kEventTime;
  use_organ_registry();
  start();
  const std::string id = "it-clue-1";
  std::vector<test::Ev> evs;
  evs.push_back(test::make(id, at("2026-03-02T02:00:00Z"), [](v1::Envelope& e) {
    auto* p = e.mutable_case_referral();
    p->set_domain(v1::DOMAIN_LABOUR);
    p->set_offence_code("wage_arrears");
    *p->mutable_referring_agency() = organ("rsj-440300");
    *p->mutable_target_police_organ() = organ("ga-440300");
    p->mutable_jurisdiction()->set_province_code("440000");
    p->mutable_jurisdiction()->set_city_code("440300");
  }));
  evs.push_back(test::make(id, at("2026-03-02T03:00:00Z"), [](v1::Envelope& e) {
    *e.mutable_referral_accepted()->mutable_police_organ() = organ("ga-440300");
  }));
  send(evs);
  send({clock_event("2026-03-10T00:00:00Z")});  // past the review's due instant
  auto is_clue = [&](const v1::Envelope& e) {
    return e.case_id() == id && e.alert().kind() == v1::ALERT_KIND_SUPERVISION_CLUE;
  };
  const auto all = alerts_until(run, [&](const auto& a) { return std::any_of(a.begin(), a.end(), is_clue); },
                                std::chrono::seconds(60));
  const auto clue = std::find_if(all.begin(), all.end(), is_clue);
  ASSERT_NE(clue, all.end()) << "no supervision clue";
  ASSERT_EQ(clue->alert().addressed_to_party_ids_size(), 1) << clue->alert().message();
  EXPECT_EQ(clue->alert().addressed_to_party_ids(0), "jcy-440300");
}


// Issue 15 §2 on the broker: records a producer with write access to the input topic sends
// straight to Kafka (no ingress in front) in someone else's name, or for a step it may not take
// in the case, are dead-lettered with dlq.error.class authz.<rule>, each raises an
// AUTHORIZATION_REFUSED alert, none changes the case (the outsider never becomes a party), and
// the legitimate next step still applies.
// S2 Art 24 through Kafka: the police ask the agency, an answer read before its question waits for
// it, and both questions end answered in the case's state, in the hash chain of every event.
TEST_F(SyncIntegration, ConsultationsAndTheirAnswersThroughKafka) {
  start();
  const TimePoint t0 = at("2026-03-02T02:00:00Z");
  auto evs = forward_case("it-consult-1", t0);
  evs.resize(4);  // reported, approved, referred (environmental), accepted
  const auto ask = [&](const std::string& id, int hours, const std::string& by, const std::string& to) {
    return test::make("it-consult-1", t0 + std::chrono::hours(hours), [&](v1::Envelope& e) {
      auto* q = e.mutable_consultation_requested();
      q->set_consultation_id(id);
      *q->mutable_consulting_organ() = organ(by);
      q->set_consulted_party_id(to);
    });
  };
  const auto answer = [&](const std::string& id, int hours, const std::string& by) {
    return test::make("it-consult-1", t0 + std::chrono::hours(hours), [&](v1::Envelope& e) {
      e.mutable_consultation_answered()->set_consultation_id(id);
      *e.mutable_consultation_answered()->mutable_answering_organ() = organ(by);
    });
  };
  const test::Ev early = answer("q2", 7, "ga-330100");
  const std::vector<test::Ev> rest = {ask("q1", 4, "ga-330100", "sthjj-330100"), early,
                                      ask("q2", 5, "sthjj-330100", "ga-330100"), answer("q1", 6, "sthjj-330100")};
  evs.insert(evs.end(), rest.begin(), rest.end());
  send(evs);
  auto snaps = snapshots(evs.size() + 1);  // one more state record: the case carrying the parked answer
  ASSERT_EQ(snaps.count("it-consult-1"), 1U);
  const auto& s = snaps["it-consult-1"];
  ASSERT_EQ(s.consultations_size(), 2);
  for (const auto& c : s.consultations()) EXPECT_TRUE(c.has_answered_at()) << c.consultation_id();
  EXPECT_EQ(s.state(), v1::CASE_STATE_ACCEPTED) << "consultations leave the state as it is";
  expect_chain(s, {evs[0], evs[1], evs[2], evs[3], rest[0], rest[2], early, rest[3]});
  ASSERT_TRUE(testing::wait_caught_up(run.kafka.bootstrap, loop_settings.group_id, {run.in}, std::chrono::seconds(60)));
  EXPECT_TRUE(testing::read_topic(run.kafka.bootstrap, run.dlq, testing::Isolation::kReadCommitted, 0,
                                  std::chrono::seconds(30))
                  .empty())
      << "nothing dead-lettered";
}

TEST_F(SyncIntegration, ForgedStepsSentStraightToKafkaAreDeadLetteredAuthz) {
  start();
  const TimePoint t0 = at("2026-03-02T02:00:00Z");
  auto evs = forward_case("it-authz-1", t0);
  const test::Ev filed = evs[4];  // FilingDecision.FILED by ga-330100
  evs.resize(4);                  // reported, approved, referred, accepted
  send(evs);
  const TimePoint t = t0 + std::chrono::hours(5);
  const std::vector<std::pair<test::Ev, std::string>> forged = {
      {test::make("it-authz-1", t,
                  [](v1::Envelope& e) { e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_NOT_FILED); },
                  "ga-440300"),
       "authz.addressed_police"},
      {test::make("it-authz-1", t,
                  [](v1::Envelope& e) {
                    auto* a = e.mutable_state_acknowledged();
                    a->set_party_id("sthjj-330100");
                    a->set_state_version(4);
                    a->set_state_hash_hex(std::string(64, 'a'));
                  },
                  "scjg-440300"),
       "authz.acknowledge_as_itself"},
      {test::make("it-authz-1", t,
                  [](v1::Envelope& e) {
                    auto* r = e.mutable_recommendation_issued();
                    r->set_recommendation_id("r-forged-1");
                    *r->mutable_procuratorate() = organ("scjg-440300");
                    *r->mutable_recipient() = organ("scjg-440300");
                  },
                  "scjg-440300"),
       "authz.party_kind"},
      {test::make("it-authz-1", t,
                  [](v1::Envelope& e) {
                    auto* r = e.mutable_recommendation_issued();
                    r->set_recommendation_id("r-forged-2");
                    *r->mutable_procuratorate() = organ("jcy-440300");
                    *r->mutable_recipient() = organ("scjg-440300");
                  },
                  "jcy-440300"),
       "authz.competent_procuratorate"},
      {test::make("it-authz-1", t,
                  [](v1::Envelope& e) {
                    auto* q = e.mutable_consultation_requested();  // an outsider's "question" (S2 Art 24)
                    q->set_consultation_id("q-forged");
                    *q->mutable_consulting_organ() = organ("ga-440300");
                    q->set_consulted_party_id("sthjj-330100");
                  },
                  "ga-440300"),
       "authz.consult_across_the_linkage"},
      {test::make("it-authz-2", t,
                  [](v1::Envelope& e) {
                    auto* p = e.mutable_case_referral();
                    *p->mutable_referring_agency() = organ("sthjj-330100");
                    *p->mutable_target_police_organ() = organ("ga-330100");
                  },
                  "scjg-440300"),
       "authz.referring_agency_as_itself"},
  };
  std::vector<test::Ev> records;
  std::multiset<std::string> want;
  for (const auto& [ev, rule] : forged) {
    records.push_back(ev);
    want.insert(rule);
  }
  records.push_back(filed);
  send(records);
  std::multiset<std::string> got;
  for (const auto& r : testing::read_topic(run.kafka.bootstrap, run.dlq, testing::Isolation::kReadCommitted,
                                           forged.size(), std::chrono::seconds(60))) {
    got.insert(find_header(r.headers, kafka::kDlqErrorClass).value_or("(none)"));
  }
  EXPECT_EQ(got, want);
  auto snaps = snapshots(evs.size() + 1);
  ASSERT_EQ(snaps.count("it-authz-1"), 1U);
  EXPECT_EQ(snaps["it-authz-1"].state(), v1::CASE_STATE_FILED) << "the legitimate decision applied";
  expect_chain(snaps["it-authz-1"], {evs[0], evs[1], evs[2], evs[3], filed});
  for (const auto& p : snaps["it-authz-1"].parties()) EXPECT_NE(p.party_id(), "scjg-440300");
  EXPECT_TRUE(snaps["it-authz-1"].recommendations().empty());
  EXPECT_TRUE(snaps["it-authz-1"].consultations().empty());
  EXPECT_TRUE(snaps["it-authz-1"].recognition().acknowledgements().empty());
  EXPECT_EQ(snaps.count("it-authz-2"), 0U);
  int refused = 0;
  for (const auto& a : alerts_until(
           run,
           [&](const std::vector<v1::Envelope>& out) {
             return std::count_if(out.begin(), out.end(), [](const v1::Envelope& e) {
                      return e.alert().kind() == v1::ALERT_KIND_AUTHORIZATION_REFUSED;
                    }) >= static_cast<long>(forged.size());
           },
           std::chrono::seconds(60))) {
    if (a.alert().kind() == v1::ALERT_KIND_AUTHORIZATION_REFUSED) ++refused;
  }
  EXPECT_EQ(refused, static_cast<int>(forged.size()));
}

}  // namespace
}  // namespace caselink::sync
