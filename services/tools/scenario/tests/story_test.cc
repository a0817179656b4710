// The scenario's story checked offline: every event is a valid v1 envelope with a topic, the
// case ids are unique per run, and folding the events through caselink-sync's own engine (same
// transition table and deadline rules as the service) reaches the final states the story
// promises, with the missed deadline raising its overdue alert at the point the player waits
// for it. The e2e smoke test proves the same on the real broker with the real services.

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>

#include "services/daemons/sync/case_engine.h"
#include "services/daemons/sync/deadline_rules.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/routing.h"
#include "services/tools/scenario/story.h"

namespace caselink::scenario {
namespace {

const sync::DeadlineRules& repo_rules() {
  static const sync::DeadlineRules rules = [] {
    const char* src = std::getenv("CASELINK_SOURCE_DIR");  // set by ctest (cmake/ caselink_test)
    auto r = sync::DeadlineRules::load_directory(std::string(src != nullptr ? src : ".") + "/rules/deadlines");
    if (!r.ok()) throw std::runtime_error(r.error().describe());
    return std::move(r).value();
  }();
  return rules;
}

TimePoint fixed_now() {
  TimePoint t;
  EXPECT_TRUE(parse_rfc3339("2026-11-28T06:00:00Z", &t));
  return t;
}

TEST(Story, EveryEventIsAValidRoutableEnvelope) {
  const Story story = build_story("20261128-060000", fixed_now());
  ASSERT_FALSE(story.steps.empty());
  for (const auto& step : story.steps) {
    if (step.acknowledge_current_state) continue;
    if (step.event.payload_case() == v1::Envelope::PAYLOAD_NOT_SET) {
      EXPECT_EQ(step.wait, WaitFor::kAlert) << step.narration;  // a pure "time passes" step
      continue;
    }
    EXPECT_TRUE(envelope::validate(step.event).ok()) << step.narration << ": " << envelope::validate(step.event).error().describe();
    EXPECT_TRUE(envelope::topic_for(step.event).ok()) << step.narration;
    ASSERT_NE(story.find(step.case_key), nullptr);
    EXPECT_EQ(step.event.case_id(), story.find(step.case_key)->case_id);
  }
}

TEST(Story, CaseIdsAreUniquePerRunSoRerunsNeedNoCleanup) {
  const Story a = build_story("run-a", fixed_now());
  const Story b = build_story("run-b", fixed_now());
  std::set<std::string> ids;
  for (const auto& c : a.cases) ids.insert(c.case_id);
  for (const auto& c : b.cases) ids.insert(c.case_id);
  EXPECT_EQ(ids.size(), a.cases.size() + b.cases.size());
}

TEST(Story, ManifestItemsHashTheBlobsThePlayerUploads) {
  const Story story = build_story("r", fixed_now());
  int manifests = 0;
  for (const auto& step : story.steps) {
    if (!step.event.has_evidence_manifest()) continue;
    ++manifests;
    ASSERT_EQ(step.blobs.size(), static_cast<size_t>(step.event.evidence_manifest().items_size()));
    for (int i = 0; i < step.event.evidence_manifest().items_size(); ++i) {
      EXPECT_EQ(step.event.evidence_manifest().items(i).size_bytes(), static_cast<int64_t>(step.blobs[i].bytes.size()));
    }
  }
  EXPECT_EQ(manifests, 3);
}

TEST(Story, CaselinkSyncReachesThePromisedStatesAndRaisesTheMissedDeadline) {
  const TimePoint now = fixed_now();
  const Story story = build_story("r", now);
  sync::CaseEngine engine(repo_rules(), sync::EngineOptions{});
  std::map<std::string, sync::CaseRecord> records;
  std::map<std::string, std::set<v1::AlertKind>> alerts;
  // Last status of each supplement deadline (a closed deadline leaves the snapshot at the next event).
  std::map<std::string, v1::DeadlineStatus> supplement;
  const auto note_supplement = [&](const sync::CaseRecord& r) {
    for (const auto& d : r.snapshot.deadlines()) {
      if (d.step() == "materials_supplement") supplement[r.snapshot.case_id() + "/" + d.deadline_id()] = d.status();
    }
  };
  for (const auto& step : story.steps) {
    const std::string& id = story.find(step.case_key)->case_id;
    auto& record = records[id];
    if (step.event.payload_case() != v1::Envelope::PAYLOAD_NOT_SET && !step.acknowledge_current_state &&
        !step.event.has_evidence_manifest()) {  // manifests go to caselink-evidence, not to caselink-sync
      const std::string raw = envelope::encode(step.event);
      auto result = engine.apply(record, step.event, raw, now);
      if (story.find(step.case_key)->has_state) {
        EXPECT_EQ(result.outcome, sync::Outcome::kApplied) << step.narration << ": " << result.reason;
      } else {
        EXPECT_EQ(result.outcome, sync::Outcome::kIgnored) << step.narration;
      }
      for (const auto& a : result.alerts) alerts[id].insert(a.alert().kind());
      note_supplement(record);
    }
    if (step.event.has_evidence_manifest() && story.find(step.case_key)->has_state) {
      // caselink-evidence's receipt, as the player waits for it (issue 20 #4: an INCOMPLETE one
      // opens the agency's supplement deadline).
      v1::Envelope receipt = envelope::make_envelope(CaseId(id), AgencyId("caselink-evidence"),
                                                     envelope::to_time_point(step.event.occurred_at()), now);
      receipt.mutable_evidence_receipt()->set_manifest_id(step.event.evidence_manifest().manifest_id());
      receipt.mutable_evidence_receipt()->set_status(step.expected_receipt);
      envelope::seal(receipt);
      auto result = engine.apply(record, receipt, envelope::encode(receipt), now);
      EXPECT_EQ(result.outcome, sync::Outcome::kApplied) << step.narration << ": " << result.reason;
      for (const auto& a : result.alerts) alerts[id].insert(a.alert().kind());
      note_supplement(record);
    }
    if (step.wait == WaitFor::kAlert && story.find(step.case_key)->has_state) {
      bool changed = false;
      for (const auto& a : engine.tick(record, now, &changed)) alerts[id].insert(a.alert().kind());
      EXPECT_TRUE(alerts[id].count(step.alert_kind)) << step.narration;
    }
  }
  for (const auto& c : story.cases) {
    if (!c.has_state) continue;
    EXPECT_EQ(records[c.case_id].snapshot.state(), c.final_state) << c.key;
    for (auto kind : c.expected_alerts) EXPECT_TRUE(alerts[c.case_id].count(kind)) << c.key << " " << kind;
  }
  // The environmental case's incomplete evidence set opened the supplement deadline; the police's
  // request replaced it, and the supplement met the request's.
  const std::string env = story.find("env")->case_id;
  EXPECT_EQ(supplement, (std::map<std::string, v1::DeadlineStatus>{
                            {env + "/materials_supplement#1", v1::DEADLINE_STATUS_CANCELLED},
                            {env + "/materials_supplement#2", v1::DEADLINE_STATUS_MET}}));
}

}  // namespace
}  // namespace caselink::scenario
