#pragma once

// caselink-sync's RecordHandler: decodes each event, folds it into its case (CaseEngine),
// publishes the snapshot to the compacted state topic and alerts to the alert topic, all in
// the loop's transaction. State lives in memory per input partition number, restored from the
// state topic when a partition is assigned. A revoked partition's cases are kept until the next
// assignment: the eager rebalance revokes every partition and often gives most straight back, and
// those are then only caught up from the state topic's stable offset at the revoke (a partition
// not given back is dropped). Changes made since
// the last commit sit in a staging overlay of parsed records: committed -> packed into the
// compact resident form (resident.h); aborted -> dropped.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "services/daemons/sync/case_engine.h"
#include "services/daemons/sync/resident.h"
#include "services/daemons/sync/standby.h"
#include "services/lib/config/config.h"
#include "services/lib/envelope/topics.h"
#include "services/lib/kafka/dlq.h"
#include "services/lib/kafka/changelog_reader.h"
#include "services/lib/kafka/record_handler.h"
#include "services/lib/metrics/registry.h"

namespace caselink::sync {

struct Settings {
  std::string state_topic = envelope::topics::kCaseState;
  std::string alert_topic = envelope::topics::kAlert;
  // Directory with profiles.yaml and the holiday calendars.
  std::string rules_directory = "rules/deadlines";
  // Organ registry: a supervision clue of a case with no procuratorate party goes to the
  // procuratorate competent for the responsible organ or the case's region (issue 20 #3).
  std::string organs_file = "rules/organs/organs.yaml";
  double approaching_fraction = 0.75;
  int64_t applied_window = 512;
  int64_t hash_window = 64;
  int64_t timeline_size = 8;
  int64_t restore_timeout_ms = 120000;
  // Keep a revoked partition's cases until the next assignment (docs/services/case-sync.md,
  // "Partitions given straight back"); false reads every assigned partition whole, as before.
  bool keep_revoked_partitions = true;
  // Fold the state partitions this instance does not own, on a thread of their own, so an
  // assignment after another instance's death only catches up (standby.h; docs/services/case-sync.md
  // "Standby replicas"). Off by default: it costs every instance memory and CPU for every case.
  bool standby_replicas = false;
  // Parking of early events (docs/services/case-sync.md, "Early events").
  int64_t park_ms = 300000;
  int64_t park_max_per_case = 16;
  // Largest state record (key + snapshot envelope + bookkeeping header) a case may have. The
  // broker refuses a record over max.message.bytes (1 MiB by default); a snapshot over it could
  // never be written and the loop would retry it forever. An event that would make its case's
  // record larger is dead-lettered (sync.state_too_large) and the case keeps its state.
  int64_t max_state_record_bytes = 786432;
  // What drives the timers (docs/services/case-sync.md, "Time"): "wall_clock" (production) or
  // "event_time" (replay and tests): the watermark, the highest occurred_at this instance has
  // read minus allowed_lateness_ms.
  std::string time_mode = "wall_clock";
  int64_t allowed_lateness_ms = 0;
};

inline constexpr const char* kWallClock = "wall_clock";
inline constexpr const char* kEventTime = "event_time";
// dlq.error.class of an event refused because its case's state record would outgrow
// Settings::max_state_record_bytes.
inline constexpr const char* kStateTooLarge = "sync.state_too_large";

// Bytes a record puts on the wire that max.message.bytes counts: key, value and headers.
size_t record_bytes(const OutgoingRecord& record);

void bind(config::ConfigBinder& binder, Settings* settings);
EngineOptions engine_options(const Settings& settings);


class SyncHandler final : public kafka::RecordHandler {
 public:
  SyncHandler(const CaseEngine& engine, Settings settings, const Clock& clock, kafka::ChangelogReader* reader,
              metrics::Registry* registry, std::string service_name = "caselink-sync");

  kafka::HandlerResult handle(const ConsumedRecord& record) override;
  void on_partitions_assigned(const std::vector<kafka::TopicPartition>& partitions) override;
  void on_partitions_revoked(const std::vector<kafka::TopicPartition>& partitions) override;
  // Nothing kept: another member may have written the partitions meanwhile (record_handler.h).
  void on_partitions_lost(const std::vector<kafka::TopicPartition>& partitions) override;
  void on_transaction_committed() override;
  void on_transaction_aborted() override;
  std::vector<OutgoingRecord> on_tick(TimePoint now) override;
  // Staged changes may or may not be in Kafka: nothing is kept, every partition is read whole.
  void on_state_uncertain(const std::vector<kafka::TopicPartition>& assigned) override;

  // Committed view of one case (tests, diagnostics), unpacked; nullopt when unknown.
  std::optional<CaseRecord> committed_case(const std::string& case_id);
  size_t case_count() const;
  // Bytes of the packed committed cases (payload only, without container overhead).
  size_t resident_bytes() const;

  // Where a parked event that never fits is dead-lettered (the loop's DLQ topic, group, service).
  void set_dead_letter_context(kafka::DlqContext context) { dlq_ = std::move(context); }

  // The standby replicas a StandbyFollower feeds (kafka_edge.h); null unless sync.standby_replicas.
  StandbyReplicas* standby() { return standby_.get(); }

 private:
  using Staged = std::unordered_map<std::string, CaseRecord>;
  using Resident = ResidentCases;
  // The case as the next event sees it: staged (uncommitted) if any, else the committed one
  // unpacked; nullopt for a case not seen yet.
  std::optional<CaseRecord> load(int32_t partition, const std::string& case_id);
  // `snapshot_bytes`: as in ResidentCodec::pack.
  ResidentCase pack(const CaseRecord& record, std::string_view snapshot_bytes = {});
  // Insert or replace a committed case, keeping resident_bytes_ exact.
  void store(Resident& cases, const std::string& case_id, ResidentCase resident);
  void erase(Resident& cases, const std::string& case_id);
  void drop_partition(int32_t partition);
  // Partitions no input topic holds any more after a revoke, dropped; with `keep`, their cases
  // move to kept_ first (when the state topic's stable offsets can be had).
  void release(const std::vector<kafka::TopicPartition>& partitions, bool keep);
  void keep_partitions(const std::vector<int32_t>& partitions);
  // Puts back the kept cases of those of `partitions` that were kept and reads the state records
  // written since; returns the partitions still to be read whole.
  std::vector<int32_t> catch_up(const std::vector<int32_t>& partitions);
  // The cases of `partition` this instance holds already, kept across the rebalance (counted in
  // `kept`) or folded by the standby replicas (`standby`), with the offset they reach.
  struct Kept;
  std::optional<Kept> take_held(int32_t partition, size_t& kept, size_t& standby);
  // Folds one record read from the state topic into committed_ (restore and catch-up alike).
  void apply_restored(const ConsumedRecord& record, size_t& unusable);
  void publish_gauges();
  void emit_alerts(const std::vector<v1::Envelope>& alerts, std::vector<OutgoingRecord>& out);
  bool parkable(const ApplyResult& res, const CaseRecord& work) const;
  // Parks an early event in its case (docs/services/case-sync.md, "Early events").
  kafka::HandlerResult park(CaseRecord work, const v1::Envelope& env, const ConsumedRecord& record,
                            const ApplyResult& res, TimePoint now);
  // The refusal (sync.state_too_large) when a state record among `outputs` is larger than
  // max_state_record_bytes; nullopt when all fit.
  std::optional<kafka::HandlerResult> refuse_oversized(const v1::Envelope& env, const ConsumedRecord& record,
                                                       const std::vector<OutgoingRecord>& outputs);
  // Retries the parked events of `work` after a change; with `expire`, those waiting longer than
  // park_ms are dead-lettered. Appends state records, alerts and DLQ records; true if work changed.
  bool settle_parked(CaseRecord& work, TimePoint now, bool expire, std::vector<OutgoingRecord>& out);
  // Earliest instant at which the timer pass has something to do for `record`.
  TimePoint next_instant(const CaseRecord& record) const;
  void restore_partitions(const std::vector<int32_t>& partitions);
  void count(const char* outcome);
  // Domain counters of an applied event: referrals received, filing decisions by outcome.
  void count_applied(const v1::Envelope& env);
  // "Now" for deadlines, timers and parking: the injected clock, or in event-time mode the
  // watermark, which observe() advances (never backwards) with each event read.
  TimePoint current_time() const;
  void observe(TimePoint occurred_at);

  const CaseEngine& engine_;
  Settings settings_;
  const Clock& clock_;
  kafka::ChangelogReader* reader_;
  std::string service_;
  kafka::DlqContext dlq_{envelope::topics::kDlq, "caselink-sync", "caselink-sync"};
  ResidentCodec codec_;
  std::map<int32_t, Resident> committed_;
  std::map<int32_t, Staged> staging_;
  // A revoked partition's committed cases and the state topic's last stable offset at the revoke:
  // everything below it that this process committed is in `cases`; whatever is settled later
  // (another owner's commits) is read from there.
  struct Kept {
    int64_t stable_offset = 0;
    Resident cases;
  };
  std::map<int32_t, Kept> kept_;  // not counted in resident_bytes_ / overdue_open_
  std::unique_ptr<StandbyReplicas> standby_;  // sync.standby_replicas
  size_t resident_bytes_ = 0;
  uint64_t overdue_open_ = 0;  // sum of ResidentCase::overdue_open over committed_
  bool event_time_ = false;
  TimePoint watermark_{};  // event-time mode: highest occurred_at seen - allowed lateness
  std::map<int32_t, std::set<std::string>> holders_;  // partition number -> assigned input topics
  metrics::Registry* registry_;
  metrics::CounterFamily* events_total_ = nullptr;
  metrics::CounterFamily* alerts_total_ = nullptr;
  metrics::CounterFamily* restored_total_ = nullptr;
  metrics::CounterFamily* kept_total_ = nullptr;
  metrics::CounterFamily* standby_taken_total_ = nullptr;
  metrics::GaugeFamily* cases_gauge_ = nullptr;
  metrics::GaugeFamily* resident_bytes_gauge_ = nullptr;
  metrics::CounterFamily* referrals_total_ = nullptr;
  metrics::CounterFamily* filing_decisions_total_ = nullptr;
  metrics::GaugeFamily* overdue_open_gauge_ = nullptr;
};

}  // namespace caselink::sync
