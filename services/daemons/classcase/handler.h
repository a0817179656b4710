#pragma once

// caselink-classcase's RecordHandler (docs/services/classcase.md). One loop, two steps:
//   - an input event (caselink.alert.v1, caselink.admin-penalty.v1; keyed by case id) -> its
//     ClassCaseFacts on caselink.classcase.facts.v1, keyed by group id (the repartition step);
//   - a fact (caselink.classcase.facts.v1, keyed by group id) -> the group's new state on the
//     compacted caselink.classcase.state.v1 and the class-case events (caselink.classcase.v1,
//     and the RecommendationIssued on caselink.recommendation.v1).
// Both in the loop's transaction with the input offset. Group state lives in memory per facts
// partition, restored from the state topic (same partition number: co-partitioned, same
// partitioner) when a facts partition is assigned; changes since the last commit are staged and
// dropped on abort.

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "services/daemons/classcase/engine.h"
#include "services/lib/config/config.h"
#include "services/lib/envelope/topics.h"
#include "services/lib/kafka/changelog_reader.h"
#include "services/lib/kafka/record_handler.h"
#include "services/lib/metrics/registry.h"

namespace caselink::classcase {

struct Settings {
  std::string models_file = "rules/classcase/models.yaml";
  // Organ registry: the procuratorate competent for a recommendation's recipient.
  std::string organs_file = "rules/organs/organs.yaml";
  std::string facts_topic = envelope::topics::kClassCaseFacts;
  std::string state_topic = envelope::topics::kClassCaseState;
  std::string classcase_topic = envelope::topics::kClassCase;
  std::string recommendation_topic = envelope::topics::kRecommendation;
  int64_t restore_timeout_ms = 120000;
};

void bind(config::ConfigBinder& binder, Settings* settings);

// dlq.error.class of a record on the facts topic that carries no ClassCaseFact.
inline constexpr const char* kNotAFact = "classcase.not_a_fact";

class ClassCaseHandler final : public kafka::RecordHandler {
 public:
  ClassCaseHandler(const Extractor& extractor, Settings settings, const Clock& clock, kafka::ChangelogReader* reader,
                   metrics::Registry* registry);

  kafka::HandlerResult handle(const ConsumedRecord& record) override;
  void on_partitions_assigned(const std::vector<kafka::TopicPartition>& partitions) override;
  void on_partitions_revoked(const std::vector<kafka::TopicPartition>& partitions) override;
  void on_transaction_committed() override;
  void on_transaction_aborted() override;

  // Committed state of a group (tests, diagnostics); nullptr when unknown.
  const v1::ClassCaseGroupState* committed_group(const std::string& group_id) const;
  size_t group_count() const;

 private:
  using Groups = std::unordered_map<std::string, v1::ClassCaseGroupState>;
  kafka::HandlerResult extract(const ConsumedRecord& record);
  kafka::HandlerResult fold_fact(const ConsumedRecord& record);
  void restore(int32_t partition);
  void count(const std::string& outcome, uint64_t n = 1);

  const Extractor& extractor_;
  Settings settings_;
  const Clock& clock_;
  kafka::ChangelogReader* reader_;
  std::map<int32_t, Groups> committed_;
  std::map<int32_t, Groups> staging_;
  metrics::CounterFamily* events_total_ = nullptr;
  metrics::CounterFamily* opened_total_ = nullptr;
  metrics::GaugeFamily* groups_gauge_ = nullptr;
};

}  // namespace caselink::classcase
