#pragma once

// caselink-feedback: closes the loop between caselink and the agency that referred a case.
//
//  * Every decision (caselink.decision.v1), evidence receipt and referral assessment is copied
//    as a new envelope to the originating agency's own topic caselink.feedback.<agency-id>.v1
//    (causation_id = the decision's event id, event id derived from it).
//  * Each feedback record must be acknowledged (FeedbackAcknowledged on caselink.ack.v1) within
//    feedback.ack_timeout_ms, else one FEEDBACK_UNACKNOWLEDGED alert.
//  * No statutory deadline is kept here: the police filing deadline (profile, extensions,
//    overdue alert and supervision clue) is caselink-sync's alone (issue 20 #2).
//
// Pure logic: no librdkafka here. The clock is injected and the changelog is read through
// kafka::ChangelogReader (read_to_end.h: the Kafka implementation, shared with caselink-sync; a
// fake in the tests).
// docs/services/feedback.md describes the design.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/config/config.h"
#include "services/lib/core/clock.h"
#include "services/lib/envelope/topics.h"
#include "services/lib/kafka/changelog_reader.h"
#include "services/lib/kafka/record_handler.h"
#include "services/lib/metrics/registry.h"
#include "services/daemons/feedback/state.h"

namespace caselink::feedback {

struct Settings {
  // Agencies allowed to receive feedback; one topic per agency must exist. Required.
  std::vector<std::string> agencies;
  // Feedback topic of an agency; {agency} is replaced by the agency id.
  std::string topic_template = envelope::topics::kFeedbackTemplate;
  // An unacknowledged feedback record raises FEEDBACK_UNACKNOWLEDGED after this long.
  int64_t ack_timeout_ms = 86400000;  // 1 d
  // Compacted changelog of the per-case state (key = case id), written in the same
  // transaction as the outputs and read back when partitions are assigned.
  std::string changelog_topic = envelope::topics::kFeedbackLoopState;
  // Where alerts go.
  std::string alert_topic = envelope::topics::kAlert;
  // Producer id written into the envelopes this service creates.
  std::string producer_id = "caselink-feedback";
  // How long a restore may keep failing (broker unreachable, topic missing) before the
  // process exits so that a restart retries.
  int64_t restore_timeout_ms = 120000;
};

void bind(config::ConfigBinder& binder, Settings* settings);
Status validate(const Settings& settings);

// Stable dead-letter classes (dlq.error.class) of this service.
inline constexpr const char* kUnknownAgency = "feedback.unknown_agency";
// Results held per case while its referral has not arrived; beyond this they are dead-lettered.
inline constexpr size_t kMaxHeldPerCase = 64;
inline constexpr const char* kUnauthorizedAgency = "feedback.unauthorized_agency";
inline constexpr const char* kAgencyConflict = "feedback.agency_conflict";
inline constexpr const char* kUnknownFeedback = "feedback.unknown_feedback";
inline constexpr const char* kAckAgencyMismatch = "feedback.ack_agency_mismatch";

class FeedbackHandler final : public kafka::RecordHandler {
 public:
  FeedbackHandler(Settings settings, const Clock& clock, kafka::ChangelogReader& changelog, metrics::Registry& registry);
  ~FeedbackHandler() override;
  FeedbackHandler(const FeedbackHandler&) = delete;
  FeedbackHandler& operator=(const FeedbackHandler&) = delete;

  kafka::HandlerResult handle(const ConsumedRecord& record) override;
  void on_partitions_assigned(const std::vector<kafka::TopicPartition>& partitions) override;
  void on_partitions_revoked(const std::vector<kafka::TopicPartition>& partitions) override;
  void on_transaction_committed() override;
  void on_transaction_aborted() override;
  std::vector<OutgoingRecord> on_tick(TimePoint now) override;

  // For tests and diagnostics.
  const std::map<std::string, CaseState>& cases() const { return cases_; }
  std::string topic_for(const std::string& agency) const;

 private:
  struct Metrics;

  kafka::HandlerResult on_referral(const v1::Envelope& env, int32_t partition);
  kafka::HandlerResult on_result(const v1::Envelope& env, int32_t partition);
  kafka::HandlerResult hold(const v1::Envelope& env, int32_t partition);
  // A consultation's own handling (remembered, held or ignored); nullopt: route it to the case's agency.
  std::optional<kafka::HandlerResult> on_consultation(const v1::Envelope& env, int32_t partition);
  kafka::HandlerResult on_ack(const v1::Envelope& env);
  kafka::HandlerResult reject(const char* error_class, std::string message);

  // Returns the case for mutation, remembering its previous value for rollback.
  CaseState& touch(const std::string& case_id, int32_t partition);
  OutgoingRecord changelog_record(const std::string& case_id) const;
  OutgoingRecord alert_record(const std::string& case_id, const v1::Alert& alert, TimePoint now) const;
  v1::Alert unacknowledged_alert(const std::string& feedback_id, const FeedbackEntry& entry) const;
  void restore(const std::vector<int32_t>& partitions);
  void update_gauges();

  Settings settings_;
  std::set<std::string> agencies_;
  const Clock& clock_;
  kafka::ChangelogReader& changelog_;
  std::unique_ptr<Metrics> metrics_;

  std::map<std::string, CaseState> cases_;                   // owned cases, by case id
  std::map<std::string, std::optional<CaseState>> undo_;     // values before the open transaction
  std::map<int32_t, int> owned_;                             // partition number -> assigned input partitions
};

}  // namespace caselink::feedback
