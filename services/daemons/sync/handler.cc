#include "services/daemons/sync/handler.h"

#include <cstdlib>

#include "services/daemons/sync/transitions.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/decode.h"
#include "services/lib/logging/logging.h"

namespace caselink::sync {

namespace {

std::shared_ptr<spdlog::logger> log() { return logging::get("sync.handler"); }

constexpr int64_t kMinStateRecordBytes = 16 * 1024;

}  // namespace

size_t record_bytes(const OutgoingRecord& record) {
  size_t n = record.key.size() + (record.value ? record.value->size() : 0);
  for (const auto& [name, value] : record.headers) n += name.size() + value.size();
  return n;
}

void bind(config::ConfigBinder& b, Settings* s) {
  b.bind("sync.state_topic", &s->state_topic, "Compacted topic of case snapshots (written and restored from)");
  b.bind("sync.alert_topic", &s->alert_topic, "Topic for alerts");
  b.bind("sync.rules_directory", &s->rules_directory, "Directory with profiles.yaml and holiday calendars");
  b.bind("sync.organs_file", &s->organs_file, "Organ registry: whom a supervision clue is addressed to");
  b.bind("sync.approaching_fraction", &s->approaching_fraction,
         "Fraction of a deadline's period after which DEADLINE_APPROACHING is raised (0 < f < 1)");
  b.bind("sync.applied_window", &s->applied_window, "Applied event ids remembered per case (duplicate detection)");
  b.bind("sync.hash_window", &s->hash_window, "Recent version hashes kept per case (to check acknowledgements)");
  b.bind("sync.timeline_size", &s->timeline_size, "Recent events kept in each snapshot's timeline");
  b.bind("sync.restore_timeout_ms", &s->restore_timeout_ms, "Upper bound for restoring partitions from the state topic");
  b.bind("sync.standby_replicas", &s->standby_replicas,
         "Fold the state partitions other instances own, so a takeover only catches up (memory and CPU for every case)");
  b.bind("sync.keep_revoked_partitions", &s->keep_revoked_partitions,
         "Keep a revoked partition's cases until the next assignment and, if it gives the partition back, read only "
         "the state records settled since the revoke instead of the whole partition");
  b.bind("sync.park_ms", &s->park_ms,
         "How long an event that arrived before its predecessor (another topic) waits in its case before it is "
         "dead-lettered; 0 dead-letters at once");
  b.bind("sync.park_max_per_case", &s->park_max_per_case, "Events parked per case at most; more are dead-lettered at once");
  b.bind("sync.max_state_record_bytes", &s->max_state_record_bytes,
         "Largest state record of a case (snapshot + bookkeeping); an event that would make it larger is "
         "dead-lettered sync.state_too_large. Keep it below the state topic's max.message.bytes (1 MiB)");
  b.bind("sync.time_mode", &s->time_mode,
         "wall_clock (production) or event_time (replay, tests): timers driven by the watermark = highest occurred_at "
         "read by this instance - sync.allowed_lateness_ms");
  b.bind("sync.allowed_lateness_ms", &s->allowed_lateness_ms,
         "event_time mode: how far behind the highest occurred_at seen the watermark stays (out-of-order tolerance)");
  b.check([s]() -> Status {
    if (!(s->approaching_fraction > 0 && s->approaching_fraction < 1)) {
      return Error::invalid("must be between 0 and 1 (exclusive)", "sync.approaching_fraction");
    }
    if (s->applied_window < 1) return Error::invalid("must be >= 1", "sync.applied_window");
    if (s->hash_window < 1) return Error::invalid("must be >= 1", "sync.hash_window");
    if (s->timeline_size < 0) return Error::invalid("must be >= 0", "sync.timeline_size");
    if (s->park_ms < 0) return Error::invalid("must be >= 0", "sync.park_ms");
    if (s->park_max_per_case < 0) return Error::invalid("must be >= 0", "sync.park_max_per_case");
    if (s->max_state_record_bytes < kMinStateRecordBytes) {
      return Error::invalid("must be >= " + std::to_string(kMinStateRecordBytes) + " (a new case needs a few KiB)",
                            "sync.max_state_record_bytes");
    }
    if (s->time_mode != kWallClock && s->time_mode != kEventTime) {
      return Error::invalid("must be wall_clock or event_time", "sync.time_mode");
    }
    if (s->allowed_lateness_ms < 0) return Error::invalid("must be >= 0", "sync.allowed_lateness_ms");
    if (s->state_topic.empty()) return Error::invalid("must be set", "sync.state_topic");
    if (s->alert_topic.empty()) return Error::invalid("must be set", "sync.alert_topic");
    return Status::success();
  });
}

EngineOptions engine_options(const Settings& s) {
  EngineOptions o;
  o.approaching_fraction = s.approaching_fraction;
  o.applied_window = static_cast<size_t>(s.applied_window);
  o.hash_window = static_cast<size_t>(s.hash_window);
  o.timeline_size = static_cast<size_t>(s.timeline_size);
  return o;
}

SyncHandler::SyncHandler(const CaseEngine& engine, Settings settings, const Clock& clock, kafka::ChangelogReader* reader,
                         metrics::Registry* registry, std::string service_name)
    : engine_(engine),
      settings_(std::move(settings)),
      clock_(clock),
      reader_(reader),
      service_(std::move(service_name)),
      event_time_(settings_.time_mode == kEventTime),
      registry_(registry) {
  if (settings_.standby_replicas) {
    standby_ = std::make_unique<StandbyReplicas>([this](const CaseRecord& record) { return pack(record); });
  }
  if (event_time_) {
    log()->warn("sync.time_mode = event_time: timers follow the events' occurred_at (watermark, lateness {} ms), "
                "not the clock; for replay and tests, never for production",
                settings_.allowed_lateness_ms);
  }
  if (registry_ != nullptr) {
    // Families are registered once here and kept: the registry refuses a second registration with other help text.
    events_total_ = &registry_->counter("caselink_sync_events_total",
                                        "Events by outcome (applied|acknowledged|duplicate|ignored|rejected).",
                                        {"service", "outcome"});
    alerts_total_ = &registry_->counter("caselink_sync_alerts_total", "Alerts raised, by kind.", {"service", "kind"});
    restored_total_ =
        &registry_->counter("caselink_sync_restored_cases_total", "Cases restored from the state topic.", {"service"});
    standby_taken_total_ = &registry_->counter(
        "caselink_sync_standby_partitions_taken_total",
        "Partitions assigned whose cases the standby replicas had folded (only caught up, not read whole).",
        {"service"});
    kept_total_ = &registry_->counter(
        "caselink_sync_partitions_kept_total",
        "Partitions given straight back by a rebalance whose cases were kept and caught up, not read whole.",
        {"service"});
    // Set from the loop thread when the committed view changes, never computed at scrape time:
    // the scrape runs on the HTTP thread and must not walk the loop's maps.
    cases_gauge_ = &registry_->gauge("caselink_sync_cases", "Cases held in memory (committed view).", {"service"});
    resident_bytes_gauge_ = &registry_->gauge(
        "caselink_sync_resident_bytes", "Bytes of the packed (compressed) committed cases, without container overhead.",
        {"service"});
    // Counted when the event is applied in a transaction, so an aborted transaction's events count again on retry.
    referrals_total_ = &registry_->counter("caselink_sync_referrals_received_total",
                                           "Case referrals (CaseReferral) applied to a case.", {"service"});
    filing_decisions_total_ = &registry_->counter("caselink_sync_filing_decisions_total",
                                                  "Police filing decisions applied, by outcome (filed|not_filed|revoked).",
                                                  {"service", "outcome"});
    overdue_open_gauge_ = &registry_->gauge("caselink_sync_deadlines_overdue_open",
                                            "Deadlines overdue and not yet met, over the committed cases held.",
                                            {"service"});
  }
}

TimePoint SyncHandler::current_time() const { return event_time_ ? watermark_ : clock_.now(); }

void SyncHandler::observe(TimePoint occurred_at) {
  if (!event_time_) return;
  watermark_ = std::max(watermark_, occurred_at - std::chrono::milliseconds(settings_.allowed_lateness_ms));
}

void SyncHandler::count(const char* outcome) {
  if (registry_ != nullptr) {
    events_total_->labels({service_, outcome}).inc();
  }
}

void SyncHandler::count_applied(const v1::Envelope& env) {
  if (registry_ == nullptr) return;
  if (env.has_case_referral()) referrals_total_->labels({service_}).inc();
  if (env.has_filing_decision()) {
    switch (env.filing_decision().outcome()) {
      case v1::FILING_OUTCOME_FILED:
        filing_decisions_total_->labels({service_, "filed"}).inc();
        break;
      case v1::FILING_OUTCOME_NOT_FILED:
        filing_decisions_total_->labels({service_, "not_filed"}).inc();
        break;
      case v1::FILING_OUTCOME_REVOKED:
        filing_decisions_total_->labels({service_, "revoked"}).inc();
        break;
      default:
        break;  // the transition table refuses an unstated outcome; nothing to count
    }
  }
}

std::optional<CaseRecord> SyncHandler::load(int32_t partition, const std::string& case_id) {
  if (auto s = staging_.find(partition); s != staging_.end()) {
    if (auto it = s->second.find(case_id); it != s->second.end()) return it->second;
  }
  if (auto c = committed_.find(partition); c != committed_.end()) {
    if (auto it = c->second.find(case_id); it != c->second.end()) {
      CaseRecord record;
      if (!codec_.unpack(it->second.packed, &record)) {
        // Only a bug can get here (the bytes never left this process); carrying on would fork the case.
        log()->critical("case_id={} resident state does not unpack", case_id);
        std::abort();
      }
      return record;
    }
  }
  return std::nullopt;
}

std::optional<CaseRecord> SyncHandler::committed_case(const std::string& case_id) {
  for (auto& [p, cases] : committed_) {
    if (auto it = cases.find(case_id); it != cases.end()) {
      CaseRecord record;
      if (codec_.unpack(it->second.packed, &record)) return record;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

ResidentCase SyncHandler::pack(const CaseRecord& record, std::string_view snapshot_bytes) {
  ResidentCase resident;
  resident.packed = codec_.pack(record, snapshot_bytes);
  resident.version = record.snapshot.version();
  resident.next_timer = next_instant(record);
  for (const v1::Deadline& d : record.snapshot.deadlines()) {
    resident.overdue_open += d.status() == v1::DEADLINE_STATUS_OVERDUE && d.closed_by_event_id().empty();
  }
  return resident;
}

size_t SyncHandler::case_count() const {
  size_t n = 0;
  for (const auto& [p, cases] : committed_) n += cases.size();
  return n;
}

size_t SyncHandler::resident_bytes() const { return resident_bytes_; }

void SyncHandler::store(Resident& cases, const std::string& case_id, ResidentCase resident) {
  resident_bytes_ += resident.packed.size();
  overdue_open_ += resident.overdue_open;
  auto [it, inserted] = cases.try_emplace(case_id);
  if (!inserted) {
    resident_bytes_ -= it->second.packed.size();
    overdue_open_ -= it->second.overdue_open;
  }
  it->second = std::move(resident);
}

void SyncHandler::erase(Resident& cases, const std::string& case_id) {
  if (auto it = cases.find(case_id); it != cases.end()) {
    resident_bytes_ -= it->second.packed.size();
    overdue_open_ -= it->second.overdue_open;
    cases.erase(it);
  }
}

void SyncHandler::drop_partition(int32_t partition) {
  if (auto it = committed_.find(partition); it != committed_.end()) {
    for (const auto& [id, resident] : it->second) {
      resident_bytes_ -= resident.packed.size();
      overdue_open_ -= resident.overdue_open;
    }
    committed_.erase(it);
  }
  staging_.erase(partition);
}

void SyncHandler::publish_gauges() {
  if (registry_ == nullptr) return;
  cases_gauge_->labels({service_}).set(static_cast<double>(case_count()));
  resident_bytes_gauge_->labels({service_}).set(static_cast<double>(resident_bytes_));
  overdue_open_gauge_->labels({service_}).set(static_cast<double>(overdue_open_));
}

kafka::HandlerResult SyncHandler::handle(const ConsumedRecord& record) {
  auto decoded = kafka::decode_record(record);
  if (!decoded.ok()) {
    count("rejected");
    return kafka::refuse(decoded.error());
  }
  const v1::Envelope& env = *decoded;
  observe(envelope::to_time_point(env.occurred_at()));
  const TimePoint now = current_time();
  CaseRecord work = load(record.partition, env.case_id()).value_or(CaseRecord{});
  ApplyResult res = engine_.apply(work, env, *record.value, now);
  if (res.outcome == Outcome::kRejected && parkable(res, work)) {
    return park(std::move(work), env, record, res, now);
  }
  kafka::HandlerResult out;
  switch (res.outcome) {
    case Outcome::kApplied:
    case Outcome::kAcknowledged:
      out.outputs.push_back(engine_.state_record(work, settings_.state_topic, now));
      // Checked before the alerts are emitted (and counted): a refused event raises none. Parked
      // events it releases are checked with it (their own alerts are counted as they are emitted).
      if (auto refused = refuse_oversized(env, record, out.outputs)) return *refused;
      emit_alerts(res.alerts, out.outputs);
      if (res.outcome == Outcome::kApplied) settle_parked(work, now, /*expire=*/false, out.outputs);
      if (auto refused = refuse_oversized(env, record, out.outputs)) return *refused;
      staging_[record.partition][env.case_id()] = std::move(work);
      break;
    case Outcome::kRejected:
      log()->info("case_id={} event_id={} event_type={} topic={} partition={} offset={} rejected: {}", env.case_id(),
                  env.event_id(), env.event_type(), record.topic, record.partition, record.offset, res.reason);
      emit_alerts(res.alerts, out.outputs);
      out.dead_letter = kafka::DlqReason{res.error_class, res.reason, 1};
      break;
    case Outcome::kDuplicate:
    case Outcome::kIgnored:
      emit_alerts(res.alerts, out.outputs);
      break;
  }
  // Counted once, here: an event refused above for size is counted "rejected" (and none of its
  // domain series), never "applied" too.
  count(to_string(res.outcome));
  if (res.outcome == Outcome::kApplied) count_applied(env);
  return out;
}

kafka::HandlerResult SyncHandler::park(CaseRecord work, const v1::Envelope& env, const ConsumedRecord& record,
                                       const ApplyResult& res, TimePoint now) {
  kafka::HandlerResult out;
  const bool already = std::any_of(work.internal.parked.begin(), work.internal.parked.end(),
                                   [&](const ParkedEvent& p) { return p.value == *record.value; });
  if (already) {
    count("duplicate");  // redelivered while it waits: the parked copy stands
    return out;
  }
  // A case never seen gets a placeholder record (version 0, nothing applied) that carries it.
  if (work.snapshot.case_id().empty()) work.snapshot.set_case_id(env.case_id());
  // Event-time mode: the wait is counted from the event's own occurred_at (or the watermark,
  // if that is further on): its predecessor occurred before it, so it can only be missing for
  // good once the stream has moved park_ms past it. Counted from the watermark alone, an event
  // parked early in a batch would expire as soon as a later-dated event of the batch is read.
  const TimePoint parked_at = event_time_ ? std::max(now, envelope::to_time_point(env.occurred_at())) : now;
  work.internal.parked.push_back(ParkedEvent{record.topic, record.partition, record.offset, record.timestamp_ms,
                                             *record.value, parked_at.time_since_epoch().count()});
  // Same version and hash, republished so that the parked event is stored with the case.
  out.outputs.push_back(engine_.state_record(work, settings_.state_topic, now));
  // The parked copy is the whole record value: parking large events could outgrow the record.
  if (auto refused = refuse_oversized(env, record, out.outputs)) return *refused;
  count("parked");
  log()->info("case_id={} event_id={} event_type={} topic={} partition={} offset={} parked: {}", env.case_id(),
              env.event_id(), env.event_type(), record.topic, record.partition, record.offset, res.reason);
  staging_[record.partition][env.case_id()] = std::move(work);
  return out;
}

void SyncHandler::emit_alerts(const std::vector<v1::Envelope>& alerts, std::vector<OutgoingRecord>& out) {
  for (const auto& a : alerts) {
    out.push_back(CaseEngine::alert_record(a, settings_.alert_topic));
    if (registry_ != nullptr) {
      alerts_total_->labels({service_, v1::AlertKind_Name(a.alert().kind())}).inc();
    }
  }
}

std::optional<kafka::HandlerResult> SyncHandler::refuse_oversized(const v1::Envelope& env, const ConsumedRecord& record,
                                                                   const std::vector<OutgoingRecord>& outputs) {
  size_t largest = 0;
  for (const auto& o : outputs) {
    if (o.topic == settings_.state_topic) largest = std::max(largest, record_bytes(o));
  }
  if (largest <= static_cast<size_t>(settings_.max_state_record_bytes)) return std::nullopt;
  count("rejected");
  const std::string reason = "case " + env.case_id() + ": this event would make the case's state record " +
                             std::to_string(largest) + " bytes, over sync.max_state_record_bytes (" +
                             std::to_string(settings_.max_state_record_bytes) + "); the case keeps its state";
  log()->warn("case_id={} event_id={} event_type={} topic={} partition={} offset={} rejected: {}", env.case_id(),
              env.event_id(), env.event_type(), record.topic, record.partition, record.offset, reason);
  return kafka::HandlerResult::reject(kStateTooLarge, reason);
}

bool SyncHandler::parkable(const ApplyResult& res, const CaseRecord& work) const {
  // Only "not yet": a transition the table has but not from the current state. A second,
  // different decision or an unknown event stays wrong whatever arrives later. A case never
  // seen (version 0) is parked too: a decision can overtake its referral on another topic.
  return settings_.park_ms > 0 && res.error_class == "sync.transition_not_allowed" &&
         work.internal.parked.size() < static_cast<size_t>(settings_.park_max_per_case);
}

TimePoint SyncHandler::next_instant(const CaseRecord& record) const {
  TimePoint next = engine_.next_timer(record);
  for (const auto& p : record.internal.parked) {
    next = std::min(next, TimePoint(TimePoint::duration(p.parked_at_ns)) + std::chrono::milliseconds(settings_.park_ms));
  }
  return next;
}

bool SyncHandler::settle_parked(CaseRecord& work, TimePoint now, bool expire, std::vector<OutgoingRecord>& out) {
  bool changed = false;
  // Each applied event can make another parked one fit: retry until a pass applies nothing.
  for (bool progress = true; progress;) {
    progress = false;
    for (size_t i = 0; i < work.internal.parked.size(); ++i) {
      // A copy: apply() replaces work's bookkeeping, parked list included.
      const ParkedEvent parked = work.internal.parked[i];
      auto env = envelope::decode(parked.value);
      ApplyResult res;
      if (env.ok()) res = engine_.apply(work, *env, parked.value, now);
      const bool waits = env.ok() && res.outcome == Outcome::kRejected && res.error_class == "sync.transition_not_allowed";
      const bool due =
          now >= TimePoint(TimePoint::duration(parked.parked_at_ns)) + std::chrono::milliseconds(settings_.park_ms);
      if (waits && !(expire && due)) continue;
      work.internal.parked.erase(work.internal.parked.begin() + static_cast<std::ptrdiff_t>(i));
      changed = true;
      progress = true;
      if (!env.ok()) {
        // It decoded when it was parked; only a bug gets here. Dead-letter rather than lose it.
        res.error_class = "sync.parked_undecodable";
        res.reason = env.error().describe();
        res.outcome = Outcome::kRejected;
      }
      count(res.outcome == Outcome::kRejected ? "rejected" : to_string(res.outcome));
      switch (res.outcome) {
        case Outcome::kApplied:
        case Outcome::kAcknowledged:
          log()->info("case_id={} event_id={} parked event applied", work.snapshot.case_id(), env->event_id());
          out.push_back(engine_.state_record(work, settings_.state_topic, now));
          emit_alerts(res.alerts, out);
          break;
        case Outcome::kRejected: {
          const std::string reason =
              waits ? "waited " + std::to_string(settings_.park_ms) + " ms for a predecessor that did not come: " + res.reason
                    : res.reason;
          log()->info("case_id={} topic={} partition={} offset={} parked event rejected: {}", work.snapshot.case_id(),
                      parked.topic, parked.partition, parked.offset, reason);
          ConsumedRecord original{parked.topic, parked.partition, parked.offset, parked.timestamp_ms,
                                  work.snapshot.case_id(), parked.value, {}};
          out.push_back(kafka::make_dlq_record(original, dlq_, kafka::DlqReason{res.error_class, reason, 1}, now));
          emit_alerts(res.alerts, out);
          break;
        }
        case Outcome::kDuplicate:
        case Outcome::kIgnored:
          emit_alerts(res.alerts, out);
          break;
      }
      break;  // the vector changed: start a new pass
    }
  }
  return changed;
}

void SyncHandler::on_transaction_committed() {
  for (auto& [p, cases] : staging_) {
    auto& target = committed_[p];
    for (auto& [id, rec] : cases) {
      if (spent_placeholder(rec)) {
        erase(target, id);
      } else {
        store(target, id, pack(rec));
      }
    }
  }
  staging_.clear();
  publish_gauges();
}

void SyncHandler::on_transaction_aborted() { staging_.clear(); }

std::vector<OutgoingRecord> SyncHandler::on_tick(TimePoint /*loop_now*/) {
  // The handler's own clock decides (the same clock as the loop's in production), or the
  // watermark in event-time mode.
  const TimePoint now = current_time();
  std::vector<OutgoingRecord> out;
  std::vector<std::pair<int32_t, std::string>> due;
  for (const auto& [p, cases] : committed_) {
    const auto staged = staging_.find(p);
    for (const auto& [id, resident] : cases) {
      if (resident.next_timer > now) continue;
      if (staged != staging_.end() && staged->second.count(id) != 0) continue;  // the staged version decides
      due.emplace_back(p, id);
    }
  }
  for (const auto& [p, cases] : staging_) {
    for (const auto& [id, rec] : cases) {
      if (next_instant(rec) <= now) due.emplace_back(p, id);
    }
  }
  for (const auto& [p, id] : due) {
    auto loaded = load(p, id);
    if (!loaded) continue;
    CaseRecord& work = *loaded;
    bool changed = false;
    auto alerts = engine_.tick(work, now, &changed);
    std::vector<OutgoingRecord> settled;
    if (!work.internal.parked.empty()) changed |= settle_parked(work, now, /*expire=*/true, settled);
    if (!changed) continue;
    emit_alerts(alerts, out);
    out.insert(out.end(), std::make_move_iterator(settled.begin()), std::make_move_iterator(settled.end()));
    // The alerted marks are persisted with the snapshot (same version), so a restart does not re-alert.
    out.push_back(engine_.state_record(work, settings_.state_topic, now));
    staging_[p][id] = std::move(work);
  }
  return out;
}

void SyncHandler::on_partitions_assigned(const std::vector<kafka::TopicPartition>& partitions) {
  std::vector<int32_t> fresh;
  for (const auto& tp : partitions) {
    auto& holders = holders_[tp.partition];
    if (holders.empty()) fresh.push_back(tp.partition);
    holders.insert(tp.topic);
  }
  std::sort(fresh.begin(), fresh.end());
  fresh.erase(std::unique(fresh.begin(), fresh.end()), fresh.end());
  // A kept partition not given back belongs to another instance now: the standby replicas follow
  // it from where the kept cases reach.
  for (auto it = kept_.begin(); it != kept_.end();) {
    if (std::binary_search(fresh.begin(), fresh.end(), it->first)) {
      ++it;
      continue;
    }
    if (standby_) standby_->release(it->first, StandbyReplicas::Partition{std::move(it->second.cases), it->second.stable_offset, {}});
    it = kept_.erase(it);
  }
  if (fresh.empty()) return;
  const std::vector<int32_t> whole = catch_up(fresh);
  if (!whole.empty()) restore_partitions(whole);
}

std::vector<int32_t> SyncHandler::catch_up(const std::vector<int32_t>& partitions) {
  kafka::ChangelogReader::Offsets from;
  std::vector<int32_t> whole;
  size_t kept = 0;
  size_t standby = 0;
  for (int32_t p : partitions) {
    std::optional<Kept> held = take_held(p, kept, standby);
    if (!held) {
      whole.push_back(p);
      continue;
    }
    drop_partition(p);
    auto& cases = committed_[p];
    for (auto& [id, resident] : held->cases) store(cases, id, std::move(resident));
    from[p] = held->stable_offset;
  }
  if (from.empty()) return whole;
  const auto started = std::chrono::steady_clock::now();
  size_t read = 0;
  size_t unusable = 0;
  const Status status = reader_->read_from(settings_.state_topic, from, [&](const ConsumedRecord& r) {
    ++read;
    apply_restored(r, unusable);
  });
  if (!status.ok()) {
    log()->warn("catching up {} kept partition(s) failed ({}): reading them whole", from.size(),
                status.error().describe());
    for (const auto& [p, offset] : from) whole.push_back(p);
    std::sort(whole.begin(), whole.end());
    return whole;
  }
  size_t held_cases = 0;
  for (const auto& [p, offset] : from) held_cases += committed_[p].size();
  publish_gauges();
  if (registry_ != nullptr) {
    kept_total_->labels({service_}).inc(kept);
    standby_taken_total_->labels({service_}).inc(standby);
  }
  log()->info("{} case(s) of {} partition(s) held already ({} kept across the rebalance, {} from the standby "
              "replicas); read the {} state record(s) settled since in {} ms ({} unusable record(s) skipped)",
              held_cases, from.size(), kept, standby, read,
              std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count(),
              unusable);
  return whole;
}

std::optional<SyncHandler::Kept> SyncHandler::take_held(int32_t partition, size_t& kept, size_t& standby) {
  if (auto it = kept_.find(partition); it != kept_.end()) {
    Kept out = std::move(it->second);
    kept_.erase(it);
    ++kept;
    return out;
  }
  if (!standby_) return std::nullopt;
  auto taken = standby_->take(partition);
  if (!taken || taken->next_offset == 0) return std::nullopt;  // nothing folded yet: read it whole
  // Event-time mode: the watermark covers the history the standby replicas folded.
  if (taken->latest_event != TimePoint{}) observe(taken->latest_event);
  ++standby;
  return Kept{taken->next_offset, std::move(taken->cases)};
}

void SyncHandler::apply_restored(const ConsumedRecord& r, size_t& unusable) {
  auto& cases = committed_[r.partition];
  StateRecordFold fold = fold_state_record(r, cases);
  const CaseRecord& rec = fold.record;
  switch (fold.kind) {
    case StateRecordFold::Kind::kUnusable:
      log()->error("state record {}/{}@{} unusable; skipped", r.topic, r.partition, r.offset);
      ++unusable;
      return;
    case StateRecordFold::Kind::kSpentPlaceholder:
      // The early events of a case never seen expired: the placeholder carries nothing any more.
      // (Only a placeholder is dropped: a catch-up may read it again after the case became real.)
      if (auto it = cases.find(rec.snapshot.case_id()); it != cases.end() && it->second.version == 0) {
        erase(cases, rec.snapshot.case_id());
      }
      return;
    case StateRecordFold::Kind::kOlder:
    case StateRecordFold::Kind::kNewer:
      break;
  }
  // Event-time mode: the watermark resumes where the restored history ends, not at zero.
  if (rec.snapshot.has_last_event_occurred_at()) observe(envelope::to_time_point(rec.snapshot.last_event_occurred_at()));
  if (fold.kind != StateRecordFold::Kind::kNewer) return;
  // The snapshot as the state record holds it: serializing the parsed one again was a twelfth of
  // a restore. (Restored snapshots are not changed before they are packed.)
  const std::string_view bytes = snapshot_bytes_of(*r.value).value_or(std::string_view{});
  store(cases, rec.snapshot.case_id(), pack(rec, bytes));
}

void SyncHandler::restore_partitions(const std::vector<int32_t>& partitions) {
  for (int32_t p : partitions) drop_partition(p);
  if (reader_ == nullptr) return;
  const auto started = std::chrono::steady_clock::now();
  size_t read = 0;
  size_t unusable = 0;
  const Status status = reader_->read(settings_.state_topic, partitions, [&](const ConsumedRecord& r) {
    ++read;
    apply_restored(r, unusable);
  });
  if (!status.ok()) {
    // Processing without the state would fork every case's history: crash, restart, retry.
    log()->critical("cannot restore state partitions: {}", status.error().describe());
    std::abort();
  }
  size_t restored = 0;
  for (int32_t p : partitions) restored += committed_[p].size();
  publish_gauges();
  if (registry_ != nullptr) {
    restored_total_->labels({service_}).inc(restored);
  }
  log()->info("restored {} case(s) of {} partition(s) from {} ({} record(s)) in {} ms ({} unusable record(s) skipped)",
              restored, partitions.size(), settings_.state_topic, read,
              std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count(),
              unusable);
}

void SyncHandler::on_partitions_revoked(const std::vector<kafka::TopicPartition>& partitions) {
  release(partitions, /*keep=*/true);
}

void SyncHandler::on_partitions_lost(const std::vector<kafka::TopicPartition>& partitions) {
  release(partitions, /*keep=*/false);
}

void SyncHandler::on_state_uncertain(const std::vector<kafka::TopicPartition>& assigned) {
  release(assigned, /*keep=*/false);
  for (const auto& [p, kept] : kept_) {
    if (standby_) standby_->release(p);  // from the beginning: this instance's view is in doubt
  }
  kept_.clear();
  on_partitions_assigned(assigned);
}

void SyncHandler::release(const std::vector<kafka::TopicPartition>& partitions, bool keep) {
  std::vector<int32_t> released;
  for (const auto& tp : partitions) {
    auto it = holders_.find(tp.partition);
    if (it == holders_.end()) continue;
    it->second.erase(tp.topic);
    if (it->second.empty()) {
      holders_.erase(it);
      released.push_back(tp.partition);
    }
  }
  if (keep && settings_.keep_revoked_partitions) keep_partitions(released);
  for (int32_t p : released) {
    drop_partition(p);
    // Kept partitions stay this instance's until the next assignment tells whose they are.
    if (standby_ && kept_.count(p) == 0) standby_->release(p);
  }
  publish_gauges();
}

void SyncHandler::keep_partitions(const std::vector<int32_t>& partitions) {
  if (reader_ == nullptr || partitions.empty()) return;
  auto stable = reader_->stable_offsets(settings_.state_topic, partitions);
  if (!stable.ok()) {
    log()->info("the cases of {} revoked partition(s) are not kept ({}); a later assignment reads them whole",
                partitions.size(), stable.error().describe());
    return;
  }
  for (int32_t p : partitions) {
    auto offset = stable->find(p);
    if (offset == stable->end()) continue;
    Kept kept{offset->second, {}};
    if (auto it = committed_.find(p); it != committed_.end()) {
      for (const auto& [id, resident] : it->second) {
        resident_bytes_ -= resident.packed.size();
        overdue_open_ -= resident.overdue_open;
      }
      kept.cases = std::move(it->second);
      committed_.erase(it);
    }
    kept_[p] = std::move(kept);
  }
}

}  // namespace caselink::sync
