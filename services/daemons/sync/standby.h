#pragma once

// Standby replicas of the state partitions this caselink-sync instance does not own (issue 19,
// takeover after kill -9; off unless sync.standby_replicas).
//
// Without them, the instance that is assigned a dead instance's partitions reads their whole
// history from the state topic inside the rebalance (8 s of CPU for 50,000 cases). With them,
// every instance folds the other instances' state records as they are committed, on a thread of
// its own (StandbyFollower, kafka_edge.h), into the same packed form the handler keeps; an
// assignment then takes a partition's folded cases and the offset folding reached, and the
// handler reads only what was committed after it (the path of a partition kept across a
// rebalance). Kafka Streams calls these num.standby.replicas.
//
// Exact by construction: the folded cases are what a restore would have made of the records below
// `next_offset` (the same fold, read_committed), and the handler reads everything from there. The
// price: memory and CPU for every case of the group on every instance.
//
// Thread-safety: the handler (loop thread) calls take() and release(); the follower's thread calls
// partition_count(), plan(), apply(); one mutex. The codec is shared (it is thread-safe).

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "services/daemons/sync/resident.h"
#include "services/lib/core/record.h"

namespace caselink::sync {

// One record read back from the state topic, judged against the cases of its partition: restore,
// catch-up and the standby replicas fold alike.
struct StateRecordFold {
  enum class Kind {
    kUnusable,          // not a case state record
    kSpentPlaceholder,  // a placeholder whose parked events are gone: drop a held placeholder
    kOlder,             // a lower version than the one held: keep the held one
    kNewer,             // same or higher version (compaction keeps the latest): replace
  };
  Kind kind = Kind::kUnusable;
  CaseRecord record;  // parsed unless kUnusable
};
StateRecordFold fold_state_record(const ConsumedRecord& record, const ResidentCases& cases);

// True for a placeholder (version 0: a case never seen, kept only to carry parked events) whose
// parked events are gone.
bool spent_placeholder(const CaseRecord& record);

class StandbyReplicas {
 public:
  // A partition's folded cases: everything below next_offset.
  struct Partition {
    ResidentCases cases;
    int64_t next_offset = 0;
    TimePoint latest_event{};  // the highest last_event_occurred_at folded (event-time watermark)
  };
  // What the follower reads: every followed partition from its next offset.
  struct Plan {
    uint64_t generation = 0;  // changes whenever the followed set does
    std::map<int32_t, int64_t> from;
  };
  using Packer = std::function<ResidentCase(const CaseRecord&)>;

  explicit StandbyReplicas(Packer pack) : pack_(std::move(pack)) {}

  // Loop thread. The handler owns (or keeps) `partition` from now on: its folded cases, if the
  // partition was followed.
  std::optional<Partition> take(int32_t partition);
  // Loop thread. The handler let `partition` go: follow it, from `seed` (cases kept across a
  // rebalance and the stable offset they reach) or from the beginning.
  void release(int32_t partition, std::optional<Partition> seed = std::nullopt);

  // Follower thread. The state topic has `count` partitions: follow those not owned.
  void partition_count(int32_t count);
  Plan plan() const;
  uint64_t generation() const;
  // Blocks until the plan's generation differs from `generation`, `stopping` or `timeout`.
  void wait_for_change(uint64_t generation, std::chrono::milliseconds timeout) const;
  // Folds one record read under the plan of `generation` (ignored when the followed set changed
  // since: a partition taken and released again meanwhile starts over from its new offset; and
  // when its partition is not followed, or the record is already folded).
  void apply(uint64_t generation, const ConsumedRecord& record);
  // The reader of plan `generation` handed out everything readable below `offset` (records past
  // the last one folded were aborted, or commit markers): the partition's next offset moves there.
  void advance(uint64_t generation, int32_t partition, int64_t offset);
  // Wakes wait_for_change() for shutdown.
  void stop();

  size_t case_count() const;
  size_t followed() const;
  uint64_t unusable() const;

 private:
  Packer pack_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  bool stopping_ = false;
  int32_t partition_count_ = -1;  // unknown until the follower resolved it
  std::set<int32_t> owned_;
  std::map<int32_t, Partition> followed_;
  uint64_t generation_ = 0;
  size_t cases_ = 0;
  uint64_t unusable_ = 0;
};

}  // namespace caselink::sync
