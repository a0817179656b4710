// The handler without Kafka: inputs become facts on the facts topic keyed by group; facts fold
// into staged state (abort drops it, commit keeps it); a restore from the state records it
// published resumes the group, so a later case joins instead of opening a second class case.
#include <gtest/gtest.h>

#include "services/daemons/classcase/handler.h"
#include "services/daemons/classcase/tests/support.h"

namespace caselink::classcase {
namespace {

class FakeReader final : public kafka::ChangelogReader {
 public:
  Status read(const std::string& topic, const std::vector<int32_t>& partitions, const Visitor& visit) override {
    for (const auto& r : records) {
      if (r.topic == topic && std::find(partitions.begin(), partitions.end(), r.partition) != partitions.end()) visit(r);
    }
    return Status::success();
  }
  std::vector<ConsumedRecord> records;
};

struct HandlerFixture : ::testing::Test {
  ManualClock clock{test::at("2026-06-01T00:00:00Z")};
  Extractor extractor{test::repo_models(), &test::repo_organs()};
  Settings settings;
  FakeReader reader;
  int64_t offset = 0;

  ConsumedRecord consumed(const OutgoingRecord& o, int32_t partition = 0) {
    return ConsumedRecord{o.topic, partition, offset++, 0, o.key, o.value, o.headers};
  }
  ConsumedRecord alert(const v1::Envelope& e) { return consumed(envelope::to_record(e, envelope::topics::kAlert), 3); }
  // Hands the input to the handler, then its facts (partition 0), commits; returns what the facts emitted.
  std::vector<OutgoingRecord> run(ClassCaseHandler& h, const v1::Envelope& input, bool commit = true) {
    auto r = h.handle(alert(input));
    std::vector<OutgoingRecord> emitted;
    for (const auto& f : r.outputs) {
      EXPECT_EQ(f.topic, settings.facts_topic);
      auto folded = h.handle(consumed(f));
      EXPECT_FALSE(folded.dead_letter.has_value());
      emitted.insert(emitted.end(), folded.outputs.begin(), folded.outputs.end());
    }
    if (commit) {
      h.on_transaction_committed();
      for (const auto& o : emitted) {
        if (o.topic == settings.state_topic) reader.records.push_back(consumed(o));
      }
    } else {
      h.on_transaction_aborted();
    }
    return emitted;
  }
  static int on(const std::vector<OutgoingRecord>& out, const std::string& topic) {
    return static_cast<int>(std::count_if(out.begin(), out.end(), [&](const OutgoingRecord& o) { return o.topic == topic; }));
  }
  v1::Envelope clue(const char* c) { return test::clue(c, "sthjj-330100", "pollution_environment", "2026-04-02T02:00:00Z"); }
};

TEST_F(HandlerFixture, AbortDropsTheGroupCommitKeepsIt) {
  ClassCaseHandler h(extractor, settings, clock, &reader, nullptr);
  h.on_partitions_assigned({{settings.facts_topic, 0}});
  auto out = run(h, clue("c1"), /*commit=*/false);
  EXPECT_EQ(on(out, settings.state_topic), 1);
  EXPECT_EQ(h.group_count(), 0U);
  run(h, clue("c1"));
  ASSERT_EQ(h.group_count(), 1U);
}

TEST_F(HandlerFixture, RestoredGroupIsJoinedNotReopened) {
  {
    ClassCaseHandler h(extractor, settings, clock, &reader, nullptr);
    h.on_partitions_assigned({{settings.facts_topic, 0}});
    run(h, clue("c1"));
    run(h, clue("c2"));
    auto out = run(h, clue("c3"));
    EXPECT_EQ(on(out, settings.classcase_topic), 1);
    EXPECT_EQ(on(out, settings.recommendation_topic), 1);
  }
  // A new instance (restart, rebalance) restores the group from the state topic.
  ClassCaseHandler h(extractor, settings, clock, &reader, nullptr);
  h.on_partitions_assigned({{settings.facts_topic, 0}, {envelope::topics::kAlert, 3}});
  ASSERT_EQ(h.group_count(), 1U);
  EXPECT_EQ(run(h, clue("c3")).size(), 0U);  // the opening input replayed: no effect
  auto out = run(h, clue("c4"));
  ASSERT_EQ(on(out, settings.classcase_topic), 1);
  auto joined = envelope::decode(*std::find_if(out.begin(), out.end(), [&](const OutgoingRecord& o) {
                                   return o.topic == settings.classcase_topic;
                                 })->value);
  ASSERT_TRUE(joined.ok());
  EXPECT_TRUE(joined.value().has_class_case_member_joined());
  h.on_partitions_revoked({{settings.facts_topic, 0}});
  EXPECT_EQ(h.group_count(), 0U);
}

TEST_F(HandlerFixture, BadRecordsAreDeadLettered) {
  ClassCaseHandler h(extractor, settings, clock, &reader, nullptr);
  auto bad = h.handle(ConsumedRecord{envelope::topics::kAlert, 0, 1, 0, std::string("k"), std::string("junk"), {}});
  EXPECT_TRUE(bad.dead_letter.has_value());
  // A valid envelope that is not a fact, on the facts topic.
  auto c = clue("c1");
  auto not_fact = h.handle(consumed(envelope::to_record(c, settings.facts_topic)));
  ASSERT_TRUE(not_fact.dead_letter.has_value());
  EXPECT_EQ(not_fact.dead_letter->error_class, kNotAFact);
}

}  // namespace
}  // namespace caselink::classcase
