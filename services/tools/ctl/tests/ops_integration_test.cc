// caselinkctl's ops commands against the real broker (CASELINK_KAFKA_BOOTSTRAP), mostly through the real
// binary:
//  * topics: a topic created off-spec shows its drift (caselink-topics' own plan) and exit 5;
//    after `caselink-topics apply` of the same spec it is in line, exit 0; end offsets counted;
//  * lag: a group with lag and no member is STOPPED (exit 6); in-process with a hook between the
//    two samples, a group that commits while the lag shrinks is OK, one that commits while more
//    arrives is FALLING_BEHIND, an active member that does not commit is STALLED;
//  * dlq list/show/replay: a dead letter of a fixed record is listed with its reason, shown
//    decoded, and replayed to its original topic exactly once: replaying it again (and by
//    --reason) writes nothing more, and the replay log holds one entry.

#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "services/tools/topics/topic_admin.h"
#include "services/daemons/sync/case_engine.h"
#include "services/lib/core/clock.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/topics.h"
#include "services/lib/kafka/dlq.h"
#include "services/lib/kafka/factory.h"
#include "services/lib/kafka/producer.h"
#include "services/lib/signing/envelope_signature.h"
#include "services/tools/ctl/commands.h"
#include "services/tools/ctl/ops_dlq.h"
#include "services/tools/ctl/ops_lag.h"
#include "services/tools/ctl/ops_replay_producer.h"
#include "services/tools/ctl/tests/run_ctl.h"
#include "tests/support/kafka_test_env.h"

namespace caselink::ctl {
namespace {

using std::chrono::milliseconds;

class CtlOpsIt : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = testing::kafka_bootstrap();
    if (!b) GTEST_SKIP() << "CASELINK_KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
    bootstrap_ = *b;
    kafka::KafkaSettings settings = testing::kafka_settings(bootstrap_);
    auto p = kafka::make_idempotent_producer(settings, "it-caselinkctl-ops");
    ASSERT_TRUE(p.ok()) << p.error().describe();
    producer_ = std::move(p).value();
  }

  // A fresh caselink.*.v1 topic (a name the topic spec rules accept).
  std::string fresh_topic(int partitions) {
    const std::string name = testing::unique_name("caselink.ctlops") + ".v1";
    EXPECT_TRUE(testing::create_topics(bootstrap_, {name}, partitions).ok());
    return name;
  }

  void produce(const std::string& topic, int n, const std::string& key = "k") {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(producer_->send({topic, key, "v" + std::to_string(i), {}}).ok());
    }
  }

  // Commits `offset` on partition 0 for `group` without joining it (no member).
  void commit(const std::string& group, const std::string& topic, int64_t offset) {
    auto made = kafka::make_consumer(settings(), {{"group.id", group}});
    ASSERT_TRUE(made.ok()) << made.error().describe();
    auto& c = made.value();
    std::vector<RdKafka::TopicPartition*> tps = {RdKafka::TopicPartition::create(topic, 0, offset)};
    EXPECT_EQ(c->commitSync(tps), RdKafka::ERR_NO_ERROR);
    RdKafka::TopicPartition::destroy(tps);
    c->close();
  }

  kafka::KafkaSettings settings() const { return testing::kafka_settings(bootstrap_); }

  std::string bootstrap_;
  std::unique_ptr<kafka::IdempotentProducer> producer_;
};

TEST_F(CtlOpsIt, TopicsShowsDriftFromTheSpecUntilItIsApplied) {
  const std::string topic = fresh_topic(2);  // the broker's default retention (not 1 d)
  produce(topic, 3);
  const std::string spec_path = "/tmp/" + testing::unique_name("ctlops-spec") + ".yaml";
  std::ofstream(spec_path) << "version: 1\ndefaults: {partitions: 2, replication_factor: 1}\ntopics:\n  - name: "
                           << topic << "\n    cleanup_policy: delete\n    retention_ms: 86400000\n"
                           << "    description: test\n";
  const std::string args = "topics " + topic + " --spec " + spec_path + " --bootstrap " + bootstrap_;
  const CtlRun drift = run_ctl(args + " --json", false);
  ASSERT_EQ(drift.status, kAttention) << drift.out;
  const auto j = nlohmann::json::parse(drift.out)["topics"];
  ASSERT_EQ(j.size(), 1u) << drift.out;
  EXPECT_EQ(j[0]["partitions"], 2);
  const std::string retention = j[0]["retention"];
  ASSERT_NE(retention, "1d");
  EXPECT_EQ(j[0]["end_offsets"][0]["high"].get<int64_t>() + j[0]["end_offsets"][1]["high"].get<int64_t>(), 3);
  EXPECT_NE(j[0]["drift"].dump().find("retention.ms " + std::to_string(j[0]["retention_ms"].get<int64_t>()) +
                                      ", spec 86400000"),
            std::string::npos)
      << drift.out;

  auto spec = topics::load_topics_spec(spec_path);
  ASSERT_TRUE(spec.ok());
  topics::KafkaAdminConfig config;
  config.bootstrap = bootstrap_;
  config.properties = testing::kafka_client_properties(bootstrap_);
  auto cluster = topics::make_kafka_topic_cluster(config);
  ASSERT_TRUE(cluster.ok());
  std::ostringstream applied;
  ASSERT_EQ(topics::reconcile(spec.value(), *cluster.value(), {}, applied).exit_code(), 0) << applied.str();

  const CtlRun in_line = run_ctl(args);
  EXPECT_EQ(in_line.status, kOk) << in_line.out;
  EXPECT_NE(in_line.out.find("1d"), std::string::npos) << in_line.out;
  EXPECT_NE(in_line.out.find("in line"), std::string::npos) << in_line.out;
  std::remove(spec_path.c_str());
}

TEST_F(CtlOpsIt, LagOfAGroupWithoutMembersIsStopped) {
  const std::string topic = fresh_topic(1);
  produce(topic, 5);
  const std::string group = testing::unique_name("ctlops-stopped");
  commit(group, topic, 2);
  const CtlRun run = run_ctl("lag --group " + group + " --interval 0.2 --json --bootstrap " + bootstrap_, false);
  ASSERT_EQ(run.status, kFailing) << run.out;
  const auto rows = nlohmann::json::parse(run.out)["partitions"];
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["topic"], topic);
  EXPECT_EQ(rows[0]["committed"], 2);
  EXPECT_EQ(rows[0]["end"], 5);
  EXPECT_EQ(rows[0]["lag"], 3);
  EXPECT_EQ(rows[0]["verdict"], "STOPPED");
  EXPECT_EQ(run_ctl("lag --group no-such-group-" + topic + " --interval 0 --bootstrap " + bootstrap_).status,
            kNotFound);
}

// A transactional writer leaves a commit marker after its records: a group that consumed them
// all commits the offset after the last record, one short of the end. That is not lag.
TEST_F(CtlOpsIt, LagCountsRecordsNotTransactionMarkers) {
  const std::string topic = fresh_topic(1);
  auto writer = ReplayProducer::create(settings(), testing::unique_name("ctlops-tx"), milliseconds(30000));
  ASSERT_TRUE(writer.ok()) << writer.error().describe();
  ASSERT_TRUE(writer.value()->write_transaction({{topic, "k", "a", {}}, {topic, "k", "b", {}}}).ok());
  const std::string group = testing::unique_name("ctlops-markers");
  commit(group, topic, 2);
  const CtlRun run = run_ctl("lag --group " + group + " --interval 0.1 --json --bootstrap " + bootstrap_, false);
  ASSERT_EQ(run.status, kOk) << run.out;
  const auto rows = nlohmann::json::parse(run.out)["partitions"];
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["end"], 3);  // two records and the commit marker
  EXPECT_EQ(rows[0]["markers_only"], true);
  EXPECT_EQ(rows[0]["verdict"], "OK");
  commit(group, topic, 1);  // one real record waiting: stopped again
  EXPECT_EQ(run_ctl("lag --group " + group + " --interval 0.1 --bootstrap " + bootstrap_).status, kFailing);
}

TEST_F(CtlOpsIt, LagVerdictFollowsWhatHappensBetweenTheSamples) {
  const std::string topic = fresh_topic(1);
  produce(topic, 5);
  const std::string group = testing::unique_name("ctlops-lag");
  commit(group, topic, 1);
  OpsOptions options;
  options.kafka = testing::kafka_settings(bootstrap_);
  options.json = true;
  auto cluster = OpsCluster::create(options.kafka, milliseconds(30000));
  ASSERT_TRUE(cluster.ok());
  auto verdict_when = [&](const std::function<void()>& between) {
    LagRequest request;
    request.groups = {group};
    request.interval = milliseconds(0);
    request.wait = [&](milliseconds) { between(); };
    std::ostringstream out;
    std::ostringstream err;
    const int code = lag_command(request, *cluster.value(), options, out, err);
    const auto rows = nlohmann::json::parse(out.str())["partitions"];
    return std::make_pair(code, rows.size() == 1 ? rows[0]["verdict"].get<std::string>() : out.str() + err.str());
  };
  // Committing and catching up: 4 behind, then 1.
  EXPECT_EQ(verdict_when([&] { commit(group, topic, 4); }), std::make_pair(int{kOk}, std::string("OK")));
  // Committing while more arrives faster: 1 behind, then 3.
  EXPECT_EQ(verdict_when([&] {
              produce(topic, 3);
              commit(group, topic, 5);
            }),
            std::make_pair(int{kAttention}, std::string("FALLING_BEHIND")));
  // A member that holds the partition and does not commit: stalled.
  auto made = kafka::make_consumer(settings(), {{"group.id", group}, {"enable.auto.commit", "false"}});
  ASSERT_TRUE(made.ok()) << made.error().describe();
  auto& member = made.value();
  ASSERT_EQ(member->subscribe({topic}), RdKafka::ERR_NO_ERROR);
  ASSERT_TRUE(testing::wait_until(
      [&] {
        delete member->consume(100);
        std::vector<RdKafka::TopicPartition*> assigned;
        member->assignment(assigned);
        const bool has = !assigned.empty();
        RdKafka::TopicPartition::destroy(assigned);
        return has;
      },
      milliseconds(30000), milliseconds(10)));
  EXPECT_EQ(verdict_when([] {}), std::make_pair(int{kFailing}, std::string("STALLED")));
  member->close();
}

// The record an agency sent, dead-lettered by a service (say, for a rule since fixed).
std::pair<v1::Envelope, OutgoingRecord> fixed_record(const std::string& topic) {
  const std::string case_id = testing::unique_name("ctlops-case");
  v1::Envelope env = envelope::make_envelope(CaseId(case_id), AgencyId("rsj-330100"), SystemClock().now(), SystemClock().now());
  env.mutable_feedback_acknowledged()->set_feedback_event_id("e-0");
  envelope::seal(env);
  return {env, envelope::to_record(env, topic)};
}

TEST_F(CtlOpsIt, DlqReplayRestoresAFixedRecordExactlyOnce) {
  const std::string original_topic = fresh_topic(3);
  auto [env, record] = fixed_record(original_topic);
  ConsumedRecord consumed{original_topic, 1, 7, 0, record.key, record.value, record.headers};
  const std::string reason = testing::unique_name("test.rule_fixed");
  const auto dead = kafka::make_dlq_record(consumed, {"caselink.dlq.v1", "caselink-test", "test-group"},
                                           {reason, "a rule since fixed refused it", 1}, SystemClock().now());
  auto landed = producer_->send(dead);
  ASSERT_TRUE(landed.ok()) << landed.error().describe();
  const std::string p = std::to_string(landed.value().partition);
  const std::string o = std::to_string(landed.value().offset);
  const std::string b = " --bootstrap " + bootstrap_;

  const CtlRun list = run_ctl("dlq list --case " + env.case_id() + " --json" + b, false);
  ASSERT_EQ(list.status, kOk) << list.out;
  const auto listed = nlohmann::json::parse(list.out)["dead_letters"];
  ASSERT_EQ(listed.size(), 1u) << list.out;
  EXPECT_EQ(listed[0]["headers"]["dlq.error.class"], reason);
  EXPECT_EQ(listed[0]["headers"]["dlq.original.topic"], original_topic);
  EXPECT_TRUE(listed[0]["replayed"].is_null());

  const CtlRun show = run_ctl("dlq show " + p + " " + o + " --json" + b, false);
  ASSERT_EQ(show.status, kOk) << show.out;
  EXPECT_EQ(nlohmann::json::parse(show.out)["envelope"]["event_id"], env.event_id());

  const CtlRun dry = run_ctl("dlq replay --case " + env.case_id() + " --dry-run" + b);
  EXPECT_EQ(dry.status, kOk) << dry.out;
  EXPECT_NE(dry.out.find("1 to replay"), std::string::npos) << dry.out;
  const CtlRun first = run_ctl("dlq replay --partition " + p + " --offset " + o + " --note fixed" + b);
  ASSERT_EQ(first.status, kOk) << first.out;
  EXPECT_NE(first.out.find("1 replayed, 0 already replayed"), std::string::npos) << first.out;
  const CtlRun again = run_ctl("dlq replay --reason " + reason + b);
  ASSERT_EQ(again.status, kOk) << again.out;
  EXPECT_NE(again.out.find("0 replayed, 1 already replayed"), std::string::npos) << again.out;

  // Exactly one record back on the original topic: the original bytes and key, replay headers.
  const auto back = testing::read_topic(bootstrap_, original_topic, testing::Isolation::kReadCommitted, 0,
                                        milliseconds(20000), milliseconds(1000));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].value, record.value);
  EXPECT_EQ(back[0].key, env.case_id());
  EXPECT_EQ(find_header(back[0].headers, kReplayIdHeader), replay_id_for("caselink.dlq.v1", landed.value().partition,
                                                                          landed.value().offset));
  EXPECT_FALSE(find_header(back[0].headers, kafka::kDlqErrorClass).has_value());
  // One replay log entry for it.
  size_t logged = 0;
  for (const auto& r : testing::read_topic(bootstrap_, kReplayLogTopic, testing::Isolation::kReadCommitted, 0,
                                           milliseconds(20000), milliseconds(1000))) {
    if (r.value && r.value->find(env.event_id()) != std::string::npos) ++logged;
  }
  EXPECT_EQ(logged, 1u);
  const CtlRun after = run_ctl("dlq list --case " + env.case_id() + " --json" + b, false);
  EXPECT_EQ(nlohmann::json::parse(after.out)["dead_letters"][0]["replayed"]["note"], "fixed") << after.out;
}

// Two operators replay the same dead letter at the same moment: the fixed transactional id
// fences one of them (or it finds the other's log entry), never both writing.
TEST_F(CtlOpsIt, ConcurrentReplaysOfOneDeadLetterHaveOneEffect) {
  const std::string original_topic = fresh_topic(1);
  auto [env, record] = fixed_record(original_topic);
  ConsumedRecord consumed{original_topic, 0, 3, 0, record.key, record.value, record.headers};
  const auto dead = kafka::make_dlq_record(consumed, {"caselink.dlq.v1", "caselink-test", "test-group"},
                                           {"test.concurrent", "refused", 1}, SystemClock().now());
  ASSERT_TRUE(producer_->send(dead).ok());
  const char* bin = std::getenv("CASELINKCTL_BIN");
  const std::string program = bin != nullptr ? bin : testing::build_path("bin/caselinkctl");
  const std::vector<std::string> args = {"dlq", "replay", "--case", env.case_id(), "--bootstrap", bootstrap_};
  const std::string log = "/tmp/" + testing::unique_name("ctlops-concurrent") + ".log";
  testing::ChildProcess one(program, args, log);
  testing::ChildProcess two(program, args, log);
  ASSERT_TRUE(testing::wait_until([&] { return !one.running() && !two.running(); }, milliseconds(60000)));
  const auto back = testing::read_topic(bootstrap_, original_topic, testing::Isolation::kReadCommitted, 0,
                                        milliseconds(20000), milliseconds(1000));
  std::ifstream in(log);
  const std::string printed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(back.size(), 1u) << printed;
  // Whatever happened, one more replay finds it done.
  const CtlRun again = run_ctl("dlq replay --case " + env.case_id() + " --bootstrap " + bootstrap_);
  EXPECT_NE(again.out.find("0 replayed, 1 already replayed"), std::string::npos) << again.out << printed;
  std::remove(log.c_str());
}

TEST_F(CtlOpsIt, TailPrintsDecodedRecordsAsJsonLinesAndFollows) {
  const std::string topic = fresh_topic(1);
  auto [a1, r1] = fixed_record(topic);
  auto [b1, r2] = fixed_record(topic);
  ASSERT_TRUE(producer_->send(r1).ok());
  ASSERT_TRUE(producer_->send(r2).ok());
  ASSERT_TRUE(producer_->send({topic, "changelog-key", R"({"not":"an envelope"})", {}}).ok());
  const std::string b = " --bootstrap " + bootstrap_;
  auto lines = [](const std::string& out) {
    std::vector<nlohmann::ordered_json> v;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) v.push_back(nlohmann::ordered_json::parse(line));
    return v;
  };
  const CtlRun all = run_ctl("tail " + topic + b, false);
  ASSERT_EQ(all.status, kOk) << all.out;
  const auto rows = lines(all.out);
  ASSERT_EQ(rows.size(), 3u) << all.out;
  EXPECT_EQ(rows[0].begin().key(), "envelope");  // envelope first
  EXPECT_EQ(rows[0]["envelope"]["event_id"], a1.event_id());
  EXPECT_EQ(rows[0]["offset"], 0);
  EXPECT_TRUE(rows[2]["envelope"].is_null());
  EXPECT_EQ(rows[2]["value"]["not"], "an envelope");

  EXPECT_EQ(lines(run_ctl("tail " + topic + " --case " + b1.case_id() + b, false).out).size(), 1u);
  EXPECT_EQ(lines(run_ctl("tail " + topic + " --type FeedbackAcknowledged" + b, false).out).size(), 2u);
  EXPECT_EQ(lines(run_ctl("tail " + topic + " --from offset:1" + b, false).out).size(), 2u);
  EXPECT_EQ(lines(run_ctl("tail " + topic + " --from end" + b, false).out).size(), 0u);
  EXPECT_EQ(lines(run_ctl("tail " + topic + " --from time:2200-01-01T00:00:00Z" + b, false).out).size(), 0u);
  EXPECT_EQ(run_ctl("tail " + topic + " --from yesterday" + b).status, kUsage);
  EXPECT_EQ(run_ctl("tail caselink.no-such-topic.v1" + b).status, kNotFound);

  // --follow: prints what is there, then what comes, until --limit.
  const std::string log = "/tmp/" + testing::unique_name("ctlops-follow") + ".log";
  const char* bin = std::getenv("CASELINKCTL_BIN");
  testing::ChildProcess follower(bin != nullptr ? bin : testing::build_path("bin/caselinkctl"),
                                 {"tail", topic, "--follow", "--limit", "4", "--bootstrap", bootstrap_}, log);
  // The log holds stderr too (e.g. the warning about the deprecated KAFKA_BOOTSTRAP when a
  // caller still sets it): count the JSON lines, the records printed.
  auto log_lines = [&] {
    std::ifstream in(log);
    size_t n = 0;
    for (std::string line; std::getline(in, line);) n += line.starts_with("{") ? 1 : 0;
    return n;
  };
  ASSERT_TRUE(testing::wait_until([&] { return log_lines() == 3; }, milliseconds(20000)));
  auto [late, r4] = fixed_record(topic);
  ASSERT_TRUE(producer_->send(r4).ok());
  ASSERT_TRUE(testing::wait_until([&] { return !follower.running(); }, milliseconds(20000)));
  ASSERT_EQ(log_lines(), 4u);
  std::ifstream in(log);
  std::string last;
  for (std::string line; std::getline(in, line);) last = line;
  EXPECT_EQ(nlohmann::json::parse(last)["envelope"]["event_id"], late.event_id());
  std::remove(log.c_str());
}

// A snapshot as caselink-sync writes it: version, the applied event, the chain hashes.
OutgoingRecord snapshot(const std::string& case_id, uint64_t version, const std::string& event_id,
                        const std::string& previous, const std::string& hash) {
  v1::Envelope env =
      envelope::make_envelope(CaseId(case_id), AgencyId("caselink-sync"), SystemClock().now(), SystemClock().now());
  auto* s = env.mutable_case_state_snapshot();
  s->set_version(version);
  s->set_last_event_id(event_id);
  s->set_previous_state_hash_hex(previous);
  s->set_state_hash_hex(hash);
  envelope::seal(env);
  return envelope::to_record(env, "caselink.case.state.v1");
}

TEST_F(CtlOpsIt, AuditVerifyRecomputesTheChainFromTheTopics) {
  auto [event, record] = fixed_record("caselink.ack.v1");
  const std::string id = event.case_id();
  ASSERT_TRUE(producer_->send(record).ok());
  const std::string h1 = sync::chain_hash_hex("", *record.value);
  ASSERT_TRUE(producer_->send(snapshot(id, 1, event.event_id(), "", h1)).ok());
  const std::string b = " --bootstrap " + bootstrap_;
  const CtlRun ok = run_ctl("audit verify " + id + b);
  EXPECT_EQ(ok.status, kOk) << ok.out;
  EXPECT_NE(ok.out.find("OK — 1 of 1 version(s) recomputed"), std::string::npos) << ok.out;

  // Receipts (issue 15 §4): the police's acceptance names the referral by its event digest. A
  // good one verifies against the referral on its topic; a forged one (the digest of another
  // content) is a mismatch, exit 8, naming both events.
  v1::Envelope referral = envelope::make_envelope(CaseId(id), AgencyId("sthjj-330100"), SystemClock().now(),
                                                  SystemClock().now());
  referral.mutable_case_referral()->set_transfer_letter_number("杭环移〔2026〕7号");
  envelope::seal(referral);
  auto acceptance = [&](const std::string& digest) {
    v1::Envelope a = envelope::make_envelope(CaseId(id), AgencyId("gaj-330100"), SystemClock().now(),
                                             SystemClock().now());
    a.mutable_referral_accepted()->set_referral_event_id(referral.event_id());
    a.mutable_referral_accepted()->set_transfer_letter_number("杭环移〔2026〕7号");
    a.mutable_referral_accepted()->set_referral_digest_hex(digest);
    envelope::seal(a);
    return a;
  };
  ASSERT_TRUE(producer_->send(envelope::to_record(referral, envelope::topics::kReferral)).ok());
  const v1::Envelope good = acceptance(signing::event_digest_hex(referral));
  ASSERT_TRUE(producer_->send(envelope::to_record(good, envelope::topics::kDecision)).ok());
  const CtlRun with_receipt = run_ctl("audit verify " + id + " --json" + b, false);
  EXPECT_EQ(with_receipt.status, kOk) << with_receipt.out;
  const auto r1 = nlohmann::json::parse(with_receipt.out)["receipts"];
  EXPECT_EQ(r1["verified"], 1) << with_receipt.out;
  EXPECT_EQ(r1["without_digest"], 1) << "the FeedbackAcknowledged of fixed_record has none: " << with_receipt.out;

  v1::Envelope other = referral;
  other.mutable_case_referral()->set_transfer_letter_number("杭环移〔2026〕8号");
  const v1::Envelope forged = acceptance(signing::event_digest_hex(other));
  ASSERT_TRUE(producer_->send(envelope::to_record(forged, envelope::topics::kDecision)).ok());
  const CtlRun mismatch = run_ctl("audit verify " + id + b, false);
  EXPECT_EQ(mismatch.status, kReceiptMismatch) << mismatch.out;
  EXPECT_NE(mismatch.out.find("Receipts of " + id + ": MISMATCH"), std::string::npos) << mismatch.out;
  EXPECT_NE(mismatch.out.find("mismatch: ReferralAccepted " + forged.event_id()), std::string::npos) << mismatch.out;
  EXPECT_NE(mismatch.out.find("of event " + referral.event_id()), std::string::npos) << mismatch.out;
  EXPECT_EQ(mismatch.out.find(good.event_id()), std::string::npos) << "the good receipt is not reported: "
                                                                    << mismatch.out;

  auto [second, first_try] = fixed_record("caselink.ack.v1");
  second.set_case_id(id);  // same case: key, value and CloudEvents headers made again from it
  const OutgoingRecord record2 = envelope::to_record(second, "caselink.ack.v1");
  ASSERT_TRUE(producer_->send(record2).ok());
  ASSERT_TRUE(producer_->send(snapshot(id, 2, second.event_id(), h1, sync::chain_hash_hex(h1, "forged"))).ok());
  const CtlRun broken = run_ctl("audit verify " + id + " --json" + b, false);
  EXPECT_EQ(broken.status, kChainBroken) << "a broken chain wins over a receipt mismatch: " << broken.out;
  const auto j = nlohmann::json::parse(broken.out);
  EXPECT_EQ(j["broken_version"], 2);
  EXPECT_EQ(j["verified"], 1);
  EXPECT_EQ(run_ctl("audit verify no-such-case-" + id + b).status, kNotFound);
}

TEST_F(CtlOpsIt, EveryOpsSubcommandHasHelpAndUsageErrors) {
  for (const char* sub : {"topics", "lag", "dlq list", "dlq show", "dlq replay", "tail", "audit verify"}) {
    const CtlRun help = run_ctl(std::string(sub) + " --help");
    EXPECT_EQ(help.status, 0) << sub;
    EXPECT_NE(help.out.find("Exit codes"), std::string::npos) << sub << help.out;
  }
  EXPECT_EQ(run_ctl("dlq replay --bootstrap " + bootstrap_).status, kUsage);  // nothing selected
  EXPECT_EQ(run_ctl("dlq replay --offset 3 --bootstrap " + bootstrap_).status, kUsage);  // no partition
  EXPECT_NE(run_ctl("--version").out.find("caselinkctl 0."), std::string::npos);
}

}  // namespace
}  // namespace caselink::ctl
