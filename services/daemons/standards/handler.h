#pragma once

// caselink-standards: assesses every CaseReferral (caselink.referral.v1) and every
// AdministrativePenaltyReported (caselink.admin-penalty.v1) against the threshold rules
// (rules/*.yaml) and publishes a StandardsAssessment (caselink.standards.assessment.v1). A
// penalty record that was never referred and meets a criminal threshold also yields one
// supervision clue (Alert kind SUPERVISION_CLUE, 以罚代刑) to caselink.alert.v1, addressed to
// the competent (same-level) procuratorate from the organ registry (rules/organs/organs.yaml).
// docs/services/standards.md.
//
// Pure logic: no librdkafka, no signals, no wall clock (the clock is injected). Output ids are
// derived from the input event id, so a redelivered input yields the same ids; within the
// dedup window a redelivered event id yields no output at all.

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "services/lib/config/config.h"
#include "services/lib/core/clock.h"
#include "services/lib/envelope/topics.h"
#include "services/lib/kafka/changelog_reader.h"
#include "services/lib/kafka/record_handler.h"
#include "services/lib/metrics/registry.h"
#include "services/lib/organs/registry.h"
#include "caselink/v1/envelope.pb.h"
#include "services/daemons/standards/engine/engine.h"
#include "services/daemons/standards/engine/loader.h"
#include "services/daemons/standards/penalty_history.h"

namespace caselink::standards {

struct Settings {
  // Directory with the offence files (*.yaml) and catalogue/ (facts.yaml, jurisdictions.yaml).
  std::string rules_dir = "rules";
  std::string assessment_topic = envelope::topics::kStandardsAssessment;
  std::string alert_topic = envelope::topics::kAlert;
  // Organ registry: the supervision clue goes to the procuratorate competent for the record's
  // region (county, else city, else province). Loaded at start; it must cover every province of
  // the rule catalogue.
  std::string organs_file = "rules/organs/organs.yaml";
  // Input event ids remembered to drop redeliveries (0 = no dedup; ids still deterministic).
  int64_t dedup_capacity = 100000;
  // Parties whose imposed penalties are remembered to count windowed facts (penalty_history.h;
  // 0 = off: windowed facts are then only declared by the sender).
  int64_t penalty_history_parties = 100000;
  // The input topic of AdministrativePenaltyReported: its assigned partitions are read from the
  // beginning to refill the penalty history after a start or a reassignment.
  std::string penalty_topic = envelope::topics::kAdminPenalty;
  // How long that read may take (it waits for transactions open on the topic) before the
  // service goes on with what it has read (the count stays a lower bound) and logs an error.
  int64_t restore_timeout_ms = 120000;
  // Where every remembered penalty is copied (trimmed) and which every instance follows whole, so
  // the history spans instances and outlives the penalty topic's retention (penalty_history.h).
  // Empty: off (each instance counts only what it read itself).
  std::string history_topic = envelope::topics::kPenaltyHistory;
  // Bounds of the rule set loaded at start and at every reload (loader.h RuleSetLimits; the
  // shipped set: 58 rules, 164 KB). Over them the start fails, a reload keeps the old set.
  int64_t max_rules = 20000;
  int64_t max_rule_bytes = 4 << 20;
};

// The limits of `settings` for load_rule_set.
RuleSetLimits rule_set_limits(const Settings& settings);

void bind(config::ConfigBinder& binder, Settings* settings);

// Namespaces of the derived (name-based) ids.
inline constexpr const char* kAssessmentIdSpace = "caselink-standards/assessment";
inline constexpr const char* kClueEventIdSpace = "caselink-standards/supervision-clue-event";
inline constexpr const char* kClueIdSpace = "caselink-standards/supervision-clue";
inline constexpr const char* kHistoryIdSpace = "caselink-standards/penalty-history";
inline constexpr const char* kProducerId = "caselink-standards";

class StandardsHandler final : public kafka::RecordHandler {
 public:
  using RuleLoader = std::function<Result<RuleSet>()>;

  // `rules` is the set in force at start; `loader` builds a new set on reload; `reload_flag`
  // is polled (and cleared) on every record and tick: set it from a SIGHUP handler. Metrics
  // are registered on `registry` when given.
  StandardsHandler(Settings settings, std::shared_ptr<const RuleSet> rules, RuleLoader loader, const Clock& clock,
                   metrics::Registry* registry, std::atomic<bool>* reload_flag);
  ~StandardsHandler() override;

  kafka::HandlerResult handle(const ConsumedRecord& record) override;
  // Refills the penalty history from newly assigned partitions of settings.penalty_topic, through
  // the reader set with set_restore_reader (none: nothing is restored).
  void on_partitions_assigned(const std::vector<kafka::TopicPartition>& partitions) override;
  void on_partitions_revoked(const std::vector<kafka::TopicPartition>& partitions) override;
  void on_transaction_committed() override;
  void on_transaction_aborted() override;
  std::vector<OutgoingRecord> on_tick(TimePoint now) override;

  // Loads a new rule set; on success it replaces the current one, on failure the current one
  // stays and the error is logged and returned.
  Status reload();
  // The organ registry clues are addressed from. Without one (or for a region it does not
  // cover) a clue is still published, unaddressed, and an error naming the region is logged.
  void set_organs(std::shared_ptr<const organs::Registry> registry) { organs_ = std::move(registry); }
  std::shared_ptr<const RuleSet> rules() const { return engine_.rules_ptr(); }
  // The reader of the penalty topic for restores (kafka::KafkaChangelogReader in the service;
  // it must outlive the handler's use of it).
  void set_restore_reader(kafka::ChangelogReader* reader) { restore_reader_ = reader; }
  // The penalty history, which the history follower (service.cc) fills from settings.history_topic
  // on its own thread (PenaltyHistory's committed part is thread-safe).
  PenaltyHistory& penalty_history() { return history_; }

 private:
  struct Metrics;
  void maybe_reload();
  bool seen(const std::string& event_id) const;
  // The facts of an assessable referral or penalty record, or why it is refused: the same
  // checks for records handled and records restored into the penalty history.
  Result<CaseFacts> input_facts(const v1::Envelope& in) const;
  void restore_history(const std::vector<int32_t>& partitions);
  // The trimmed copy of a remembered penalty for settings.history_topic, if it is one.
  std::optional<OutgoingRecord> history_record(const v1::Envelope& in) const;
  v1::Envelope assessment_envelope(const v1::Envelope& in, v1::StandardsAssessment assessment, TimePoint occurred,
                                   bool referral);
  OutgoingRecord supervision_clue(const v1::Envelope& in, const v1::StandardsAssessment& published,
                                  const std::string& rule_version, TimePoint occurred);
  std::vector<std::string> clue_addressees(const v1::AdministrativePenaltyReported& p, std::string* note);

  Settings settings_;
  Engine engine_;
  RuleLoader loader_;
  std::shared_ptr<const organs::Registry> organs_;
  const Clock& clock_;
  std::atomic<bool>* reload_flag_;
  std::unique_ptr<Metrics> metrics_;
  // Dedup window: committed ids (FIFO-evicted) and ids handled in the open transaction.
  std::unordered_set<std::string> committed_;
  std::deque<std::string> committed_order_;
  std::unordered_set<std::string> pending_;
  PenaltyHistory history_;
  kafka::ChangelogReader* restore_reader_ = nullptr;
  std::set<int32_t> restored_partitions_;  // of settings_.penalty_topic, while assigned
};

// Loads the organ registry and checks that it covers every province of the rule catalogue (a
// record of any valid jurisdiction then has a competent procuratorate). Errors name the key.
Result<organs::Registry> load_organs(const std::string& path, const RuleSet& rules);

}  // namespace caselink::standards
