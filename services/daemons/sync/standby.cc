#include "services/daemons/sync/standby.h"

#include "services/lib/envelope/codec.h"

namespace caselink::sync {

bool spent_placeholder(const CaseRecord& record) {
  return record.snapshot.version() == 0 && record.internal.parked.empty();
}

StateRecordFold fold_state_record(const ConsumedRecord& r, const ResidentCases& cases) {
  StateRecordFold fold;
  if (!CaseEngine::restore(r, &fold.record)) return fold;
  if (spent_placeholder(fold.record)) {
    fold.kind = StateRecordFold::Kind::kSpentPlaceholder;
    return fold;
  }
  const auto it = cases.find(fold.record.snapshot.case_id());
  const bool newer = it == cases.end() || fold.record.snapshot.version() >= it->second.version;
  fold.kind = newer ? StateRecordFold::Kind::kNewer : StateRecordFold::Kind::kOlder;
  return fold;
}

std::optional<StandbyReplicas::Partition> StandbyReplicas::take(int32_t partition) {
  std::lock_guard lock(mutex_);
  owned_.insert(partition);
  const auto it = followed_.find(partition);
  if (it == followed_.end()) return std::nullopt;
  Partition out = std::move(it->second);
  followed_.erase(it);
  cases_ -= out.cases.size();
  ++generation_;
  changed_.notify_all();
  return out;
}

void StandbyReplicas::release(int32_t partition, std::optional<Partition> seed) {
  std::lock_guard lock(mutex_);
  owned_.erase(partition);
  auto& followed = followed_[partition];
  cases_ -= followed.cases.size();
  followed = seed ? std::move(*seed) : Partition{};
  cases_ += followed.cases.size();
  ++generation_;
  changed_.notify_all();
}

void StandbyReplicas::partition_count(int32_t count) {
  std::lock_guard lock(mutex_);
  if (count == partition_count_) return;
  partition_count_ = count;
  for (int32_t p = 0; p < count; ++p) {
    if (owned_.count(p) == 0) followed_.try_emplace(p);
  }
  ++generation_;
  changed_.notify_all();
}

StandbyReplicas::Plan StandbyReplicas::plan() const {
  std::lock_guard lock(mutex_);
  Plan plan{generation_, {}};
  for (const auto& [p, partition] : followed_) plan.from[p] = partition.next_offset;
  return plan;
}

uint64_t StandbyReplicas::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

void StandbyReplicas::wait_for_change(uint64_t generation, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return stopping_ || generation_ != generation; });
}

void StandbyReplicas::stop() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  changed_.notify_all();
}

void StandbyReplicas::apply(uint64_t generation, const ConsumedRecord& r) {
  std::lock_guard lock(mutex_);
  if (generation != generation_) return;
  const auto it = followed_.find(r.partition);
  if (it == followed_.end() || r.offset < it->second.next_offset) return;
  Partition& partition = it->second;
  partition.next_offset = r.offset + 1;
  StateRecordFold fold = fold_state_record(r, partition.cases);
  const std::string& id = fold.record.snapshot.case_id();
  switch (fold.kind) {
    case StateRecordFold::Kind::kUnusable:
      ++unusable_;
      return;
    case StateRecordFold::Kind::kSpentPlaceholder:
      if (auto held = partition.cases.find(id); held != partition.cases.end() && held->second.version == 0) {
        partition.cases.erase(held);
        --cases_;
      }
      return;
    case StateRecordFold::Kind::kOlder:
    case StateRecordFold::Kind::kNewer:
      break;
  }
  if (fold.record.snapshot.has_last_event_occurred_at()) {
    partition.latest_event =
        std::max(partition.latest_event, envelope::to_time_point(fold.record.snapshot.last_event_occurred_at()));
  }
  if (fold.kind == StateRecordFold::Kind::kOlder) return;
  auto [held, inserted] = partition.cases.try_emplace(id);
  cases_ += inserted ? 1 : 0;
  held->second = pack_(fold.record);
}

void StandbyReplicas::advance(uint64_t generation, int32_t partition, int64_t offset) {
  std::lock_guard lock(mutex_);
  if (generation != generation_) return;
  if (auto it = followed_.find(partition); it != followed_.end()) {
    it->second.next_offset = std::max(it->second.next_offset, offset);
  }
}

size_t StandbyReplicas::case_count() const {
  std::lock_guard lock(mutex_);
  return cases_;
}

size_t StandbyReplicas::followed() const {
  std::lock_guard lock(mutex_);
  return followed_.size();
}

uint64_t StandbyReplicas::unusable() const {
  std::lock_guard lock(mutex_);
  return unusable_;
}

}  // namespace caselink::sync
