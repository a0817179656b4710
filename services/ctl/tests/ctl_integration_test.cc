// caselinkctl against the real broker: a case history written the way caselink-sync writes it
// (events on their topics, snapshots chained by hash on the state topic, via the spec topics)
// is shown with its timeline, state and a verified chain; a forged snapshot makes it exit 4.

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>

#include "services/case-sync/case_engine.h"
#include "services/common/core/ids.h"
#include "services/common/envelope/codec.h"
#include "services/common/envelope/routing.h"
#include "services/common/kafka/producer.h"
#include "services/ctl/case_history.h"
#include "tests/support/kafka_test_env.h"

namespace caselink::ctl {
namespace {

struct CtlRun {
  int status = -1;
  std::string out;
};

CtlRun run_ctl(const std::string& args) {
  CtlRun r;
  const std::string cmd = testing::build_path("services/ctl/caselinkctl") + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class CaselinkctlIt : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = testing::kafka_bootstrap();
    if (!b) GTEST_SKIP() << "KAFKA_BOOTSTRAP not set";
    bootstrap_ = *b;
    kafka::KafkaSettings settings;
    settings.bootstrap = bootstrap_;
    auto p = kafka::IdempotentProducer::create(settings, "it-caselinkctl");
    ASSERT_TRUE(p.ok()) << p.error().message;
    producer_ = std::move(p).value();
  }

  v1::Envelope make(const std::string& case_id, int minute, const std::string& agency,
                    const std::function<void(v1::Envelope&)>& fill) {
    TimePoint t = SystemClock().now() - std::chrono::hours(2) + std::chrono::minutes(minute);
    auto e = envelope::make_envelope(CaseId(case_id), AgencyId(agency), t, t);
    fill(e);
    envelope::seal(e);
    return e;
  }

  // Publishes the event, then the snapshot chained to `previous`; returns the new hash.
  std::string apply(const v1::Envelope& e, uint64_t version, const std::string& previous, v1::CaseState state,
                    const std::string& forged_hash = {}) {
    const auto topic = envelope::topic_for(e);
    EXPECT_TRUE(topic.ok());
    const auto record = envelope::to_record(e, topic.value());
    EXPECT_TRUE(producer_->send(record).ok());
    auto snap = make(e.case_id(), 0, "caselink-sync", [&](v1::Envelope& s) {
      auto* snapshot = s.mutable_case_state_snapshot();
      snapshot->set_case_id(e.case_id());
      snapshot->set_version(version);
      snapshot->set_state(state);
      snapshot->set_previous_state_hash_hex(previous);
      snapshot->set_state_hash_hex(forged_hash.empty() ? sync::chain_hash_hex(previous, *record.value) : forged_hash);
      snapshot->set_last_event_id(e.event_id());
      snapshot->set_hash_scheme(sync::kHashScheme);
    });
    EXPECT_TRUE(producer_->send(envelope::to_record(snap, kStateTopic)).ok());
    return snap.case_state_snapshot().state_hash_hex();
  }

  std::string bootstrap_;
  std::unique_ptr<kafka::IdempotentProducer> producer_;
};

TEST_F(CaselinkctlIt, ShowsTimelineStateAndAVerifiedChainThenCatchesAForgery) {
  const std::string id = testing::unique_name("it-ctl-case");
  std::string h = apply(make(id, 1, "rsj-330100",
                             [](v1::Envelope& e) {
                               e.mutable_case_referral()->set_offence_code("wage_arrears");
                               e.mutable_case_referral()->mutable_referring_agency()->set_organ_id("rsj-330100");
                               e.mutable_case_referral()->mutable_target_police_organ()->set_organ_id("ga-330100");
                             }),
                        1, "", v1::CASE_STATE_REFERRED);
  h = apply(make(id, 5, "ga-330100",
                 [](v1::Envelope& e) { e.mutable_referral_accepted()->mutable_police_organ()->set_organ_id("ga-330100"); }),
            2, h, v1::CASE_STATE_ACCEPTED);
  h = apply(make(id, 9, "ga-330100",
                 [](v1::Envelope& e) {
                   e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_NOT_FILED);
                   e.mutable_filing_decision()->set_not_filed_reason(v1::NOT_FILED_REASON_BELOW_THRESHOLD);
                 }),
            3, h, v1::CASE_STATE_NOT_FILED);

  CtlRun shown = run_ctl("case show " + id + " --bootstrap " + bootstrap_);
  EXPECT_EQ(shown.status, 0) << shown.out;
  EXPECT_NE(shown.out.find("state       NOT_FILED   (version 3"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("Timeline (3 events)"), std::string::npos) << shown.out;
  const auto referral = shown.out.find("referral wage_arrears from rsj-330100 → ga-330100");
  const auto decision = shown.out.find("filing decision: NOT_FILED (BELOW_THRESHOLD)");
  ASSERT_NE(referral, std::string::npos) << shown.out;
  ASSERT_NE(decision, std::string::npos) << shown.out;
  EXPECT_LT(referral, decision) << "timeline out of order";
  EXPECT_NE(shown.out.find("Hash chain: OK — 3 of 3"), std::string::npos) << shown.out;

  // Reading only the partition the key hashes to found everything; so does reading them all.
  CtlRun all = run_ctl("case show " + id + " --all-partitions --bootstrap " + bootstrap_);
  EXPECT_NE(all.out.find("Timeline (3 events)"), std::string::npos) << all.out;

  // A forged version 4: its hash is not sha256(previous || event).
  apply(make(id, 12, "ga-330100",
             [](v1::Envelope& e) { e.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED); }),
        4, h, v1::CASE_STATE_FILED, std::string(64, 'f'));
  CtlRun forged = run_ctl("case show " + id + " --bootstrap " + bootstrap_);
  EXPECT_EQ(forged.status, 4) << forged.out;
  EXPECT_NE(forged.out.find("Hash chain: BROKEN at version 4"), std::string::npos) << forged.out;
}

TEST_F(CaselinkctlIt, UnknownCaseExitsOneAndBadUsageTwo) {
  EXPECT_EQ(run_ctl("case show " + testing::unique_name("never-seen") + " --bootstrap " + bootstrap_).status, 1);
  EXPECT_EQ(run_ctl("case show").status, 2);
  EXPECT_EQ(run_ctl("--help").status, 0);
}

}  // namespace
}  // namespace caselink::ctl
