#pragma once

// The seam between the transactional loop and business logic: what a handler gets (a
// ConsumedRecord), what it answers (HandlerResult: emit / reject to the DLQ / retry later) and
// the callbacks it may hear. Its own target (caselink_handler), without librdkafka, so pure
// handler libraries and their tests link without it; the loop itself is caselink_kafka.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "services/lib/core/clock.h"
#include "services/lib/core/record.h"
#include "services/lib/kafka/dlq.h"

namespace caselink::kafka {

struct TopicPartition {
  std::string topic;
  int32_t partition = -1;
  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
};

// What a handler decided about one input record.
struct HandlerResult {
  // Records to publish in the same transaction as the input offset.
  std::vector<OutgoingRecord> outputs;
  // When set, the input is copied to the dead-letter topic with this reason (outputs, e.g.
  // an alert naming the case, are still published).
  std::optional<DlqReason> dead_letter;
  // A dependency is temporarily unavailable: abort the transaction, rewind, back off and
  // process the record again. Never use this for bad input (it would block the partition).
  bool retry_later = false;
  std::string retry_reason;

  static HandlerResult emit(std::vector<OutgoingRecord> outputs) {
    HandlerResult r;
    r.outputs = std::move(outputs);
    return r;
  }
  static HandlerResult reject(std::string error_class, std::string message) {
    HandlerResult r;
    r.dead_letter = DlqReason{std::move(error_class), std::move(message), 1};
    return r;
  }
  static HandlerResult retry(std::string reason) {
    HandlerResult r;
    r.retry_later = true;
    r.retry_reason = std::move(reason);
    return r;
  }
};

// Business logic plugged into the loop. All calls come from the loop's thread.
class RecordHandler {
 public:
  virtual ~RecordHandler() = default;
  virtual HandlerResult handle(const ConsumedRecord& record) = 0;
  // Before any record of these partitions is handed over (stateful handlers restore here).
  virtual void on_partitions_assigned(const std::vector<TopicPartition>& /*partitions*/) {}
  // After the revoke's transaction (the one open, or one the loop opens to commit the partitions'
  // committed offsets again when nothing of theirs is pending) committed, its offsets accepted by
  // the group: no other member
  // has owned these partitions since this one did (the offsets commit is checked against the
  // member's generation), and none will before this member rejoins.
  virtual void on_partitions_revoked(const std::vector<TopicPartition>& /*partitions*/) {}
  // Instead of on_partitions_revoked when the loop cannot vouch for that: the assignment was lost
  // (session expired, the consumer fenced or replaced; the open transaction was aborted), the
  // commit failed, or there were no offsets to commit to show the membership (nothing pending and
  // nothing committed yet for these partitions, their committed offsets could not be read within
  // 5 s, no transaction could be begun for them, or the loop is stopping; otherwise an idle revoke
  // commits the committed offsets again in a transaction of its own, so it is a revoke). Another member
  // may have owned and written these partitions meanwhile, so state kept of them cannot be
  // trusted. The default is a revoke: handlers that keep nothing need not care.
  virtual void on_partitions_lost(const std::vector<TopicPartition>& partitions) { on_partitions_revoked(partitions); }
  // The transaction holding everything handled since the last commit/abort committed...
  virtual void on_transaction_committed() {}
  // ...or was aborted: drop every state change made since the last commit.
  virtual void on_transaction_aborted() {}
  // Called about every `tick_interval` inside the loop (timers, deadline alerts). Returned
  // records are published in the current transaction.
  virtual std::vector<OutgoingRecord> on_tick(TimePoint /*now*/) { return {}; }
  // A commit's outcome could not be found out: state staged since the last commit may or may
  // not be in Kafka. The handler must rebuild its state of `assigned` from its changelog (the
  // loop rewinds to the committed offsets right after). The default does what a rebalance
  // does: revoke and re-assign, so a handler that restores on assignment (caselink-sync,
  // caselink-feedback) reloads through that path; stateless handlers lose nothing.
  virtual void on_state_uncertain(const std::vector<TopicPartition>& assigned) {
    on_partitions_revoked(assigned);
    on_partitions_assigned(assigned);
  }
};

}  // namespace caselink::kafka
