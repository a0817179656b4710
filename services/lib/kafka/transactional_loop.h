#pragma once

// The exactly-once consume→process→produce loop (kafka.md §3).
//
// Each input record is handed to a RecordHandler; the records it returns, any dead-letter
// record, and the input offsets are committed in one Kafka transaction. Transactions close
// after `commit_every_ms`, or earlier after `commit_every_records` inputs or `commit_every_bytes`
// of outputs.
//
// Failure handling:
//   retriable error        -> the same call is retried
//   abortable error        -> abort, seek every assigned partition back to its committed
//                             offset, tell the handler to drop uncommitted state, go on
//   fatal / fenced /
//   unclassified error     -> destroy and recreate the producer with the same
//                             transactional.id (which fences any zombie), rewind, go on
//   commit outcome unknown -> (commit timed out for good, unclassified or fatal during commit)
//                             recreate the producer: its InitProducerId completes or aborts the
//                             old transaction. Then read the group's committed offsets: equal to
//                             the offsets the transaction carried = it committed (the handler
//                             hears on_transaction_committed and the loop goes on from there);
//                             older = it aborted (on_transaction_aborted, rewind). When the
//                             offsets cannot tell (none in the transaction, broker gone), the
//                             handler hears on_state_uncertain and rebuilds its state from its
//                             changelog before the loop rewinds.
//   produce() or the
//   broker refuses an
//   output                 -> only a record-level refusal (too large; at produce() or in the
//                             delivery report, which names the input) is the input's fault:
//                             abort, rewind, dead-letter that input as output.refused. Any
//                             other error (ERR__STATE, fenced, unknown topic) aborts, rewinds
//                             and processes the input again.
//   failures in a row      -> from the second aborted transaction without a commit in between,
//                             back off exponentially (loop.retry_backoff_ms .. _max_ms); from the
//                             third, report not ready. A DLQ write that fails (topic missing or
//                             not authorized, record too large) is counted and retried this way:
//                             the record is never dropped.
//   broker unreachable     -> keep retrying with back-off, log it, report not ready
//   consumer fatal error   -> abort the open transaction, tell the handler its partitions are
//                             lost, close the consumer. When it is a static member fenced
//                             (FENCED_INSTANCE_ID, which a coordinator failover can answer a live
//                             member), make a new consumer with the same group.instance.id, as a
//                             restarted process would, and go on. Any other fatal error, or more
//                             than kMaxConsumerReplacements fences in 10 minutes (another running
//                             instance has the same group.instance.id): run() returns the error
//                             and the process exits naming it.
//   handler throws         -> the record is dead-lettered (class handler.exception)
//
// A crash at any point leaves either a committed transaction (outputs + offsets) or
// nothing visible to read_committed consumers; the restarted instance re-reads from the
// last committed offset. tests/integration proves this with SIGKILL on a real broker.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "services/lib/core/clock.h"
#include "services/lib/core/record.h"
#include "services/lib/core/result.h"
#include "services/lib/kafka/dlq.h"
#include "services/lib/kafka/record_handler.h"
#include "services/lib/kafka/errors.h"
#include "services/lib/kafka/fetch_waker.h"
#include "services/lib/kafka/settings.h"
#include "services/lib/kafka/statistics.h"

namespace caselink::kafka {

// Hooks for metrics; every method has a no-op default.
class LoopObserver {
 public:
  virtual ~LoopObserver() = default;
  virtual void consumed(const std::string& /*topic*/) {}
  virtual void produced(const std::string& /*topic*/, uint64_t /*count*/) {}
  virtual void dead_lettered(const std::string& /*error_class*/) {}
  virtual void transaction(const char* /*result: commit|abort|fatal*/) {}
  virtual void processing_seconds(double /*seconds*/) {}
  // Time commit_transaction took, for a transaction that committed.
  virtual void commit_seconds(double /*seconds*/) {}
  // Wall-clock now minus the record's Kafka timestamp (CreateTime: when its producer sent it),
  // for each record processed: how old events are when this service gets to them. Negative
  // ages (a producer clock ahead of ours) are reported as 0.
  virtual void event_age_seconds(const std::string& /*topic*/, double /*seconds*/) {}
  // Every librdkafka statistics document of the loop's consumer and producer, parsed.
  virtual void client_statistics(const ClientStatistics& /*stats*/) {}
  virtual void consumer_lag(const std::string& /*topic*/, int32_t /*partition*/, int64_t /*lag*/) {}
  virtual void broker_connected(bool /*connected*/) {}
  virtual void ready(bool /*ready*/) {}
  virtual void producer_recreated() {}
  // The group consumer was replaced after a fatal error (a fenced static member).
  virtual void consumer_replaced() {}
  // The dead-letter record could not be written; the input is retried after a back-off.
  virtual void dlq_write_failed() {}
};

// Test seam: faults a real broker cannot raise on demand. Every hook is optional; production
// code never sets them.
struct LoopFaults {
  // Returned instead of producing the record when not ERR_NO_ERROR.
  std::function<RdKafka::ErrorCode(const OutgoingRecord&)> produce;
  // Asked before commit_transaction: when it returns an error the commit is not attempted and
  // that error (unclassified) is reported instead, the transaction left open.
  std::function<RdKafka::ErrorCode()> before_commit;
  // Asked after a successful commit_transaction: an error here is reported as if the commit
  // had failed (the classic "committed, but the answer was lost").
  std::function<RdKafka::ErrorCode()> after_commit;
  // Returned instead of creating the transactional producer when not ERR_NO_ERROR.
  std::function<RdKafka::ErrorCode()> create_producer;
  // Asked once per turn of the loop: when it returns true, the consumer is given the fatal
  // error FENCED_INSTANCE_ID (rd_kafka_test_fatal_error), as a broker fencing a static member.
  std::function<bool()> fence_consumer;
};

struct LoopReadiness {
  bool ready = false;
  std::string reason;
};

class TransactionalLoop {
 public:
  TransactionalLoop(KafkaSettings kafka, LoopSettings loop, std::string service_name, RecordHandler& handler,
                    LoopObserver* observer, const Clock& clock,
                    std::chrono::milliseconds tick_interval = std::chrono::milliseconds(1000));
  ~TransactionalLoop();
  TransactionalLoop(const TransactionalLoop&) = delete;
  TransactionalLoop& operator=(const TransactionalLoop&) = delete;

  // Runs until `stop` becomes true, then commits the open transaction, leaves the group and
  // returns success. Returns an error only when the loop cannot run at all (e.g. librdkafka
  // refuses the configuration).
  Status run(const std::atomic<bool>& stop);

  // Thread-safe: ready once the transactional producer is initialized, the consumer holds
  // an assignment, a broker is reachable, the loop came round within loop.ready_stall_ms and
  // fewer than three transactions in a row failed.
  LoopReadiness readiness() const;

  // Before run() only.
  void inject_faults_for_testing(LoopFaults faults) { faults_ = std::move(faults); }

  // Counters for tests and logs (thread-safe).
  uint64_t committed_transactions() const { return commits_.load(); }
  uint64_t aborted_transactions() const { return aborts_.load(); }
  uint64_t consumer_replacements() const { return consumer_replacements_.load(); }

  // A fatal consumer error this often within 10 minutes is not a broker failover but a second
  // live instance with the same group.instance.id; the loop stops instead of fencing it back.
  static constexpr size_t kMaxConsumerReplacements = 5;

 private:
  class Callbacks;
  friend class Callbacks;

  Status create_consumer();
  Status create_producer();
  bool init_producer_with_retry(const std::atomic<bool>& stop);
  enum class Outcome { kAborted, kCommitted, kUnknown };
  void recreate_producer(const std::atomic<bool>& stop, const std::string& why,
                         Outcome outcome = Outcome::kAborted);
  bool make_producer(const std::atomic<bool>& stop);
  Outcome find_commit_outcome(const std::map<TopicPartition, int64_t>& carried);

  struct ProduceFailure {
    bool record_refused = false;  // the record itself can never be produced (too large)
    std::string topic;
    std::string error;
  };
  bool begin_if_needed(const std::atomic<bool>& stop);
  void process(const ConsumedRecord& record, const std::atomic<bool>& stop);
  HandlerResult decide(const ConsumedRecord& record);
  using InputKey = std::tuple<std::string, int32_t, int64_t>;  // topic, partition, offset
  std::optional<ProduceFailure> produce_all(const std::vector<OutgoingRecord>& records,
                                            const std::optional<InputKey>& input);
  void commit(const std::atomic<bool>& stop);
  // Serves delivery reports until every output of the open transaction is acknowledged or one
  // was refused; true when one was refused (the transaction must be aborted, not committed).
  bool output_refused_before_commit();
  bool send_offsets(const std::atomic<bool>& stop);
  TxnAction commit_transaction();
  void finish_commit();
  void abort_and_rewind(const std::atomic<bool>& stop, const std::string& why);
  void rewind_to_committed();
  void after_abort(const char* result);
  void note_failure(const std::atomic<bool>& stop, const std::string& why);
  void close_clients();
  bool poll_once(const std::atomic<bool>& stop, std::string& fatal);
  Status replace_consumer(const std::atomic<bool>& stop, const std::string& fatal);
  bool commit_due() const;
  void maybe_tick(const std::atomic<bool>& stop);
  void handle_assign(const std::vector<TopicPartition>& partitions);
  void handle_revoke(const std::vector<TopicPartition>& partitions, bool lost);
  void carry_committed_offsets(const std::vector<TopicPartition>& partitions);
  void note_handed_out(const ConsumedRecord& record);
  void learn_topic(const std::string& topic);
  bool begin_once();
  void opened_transaction();
  void update_readiness();
  void backoff(const std::atomic<bool>& stop, int attempt);

  KafkaSettings kafka_;
  LoopSettings loop_;
  std::string service_;
  std::string transactional_id_;
  RecordHandler& handler_;
  LoopObserver default_observer_;
  LoopObserver* observer_;
  const Clock& clock_;
  std::chrono::milliseconds tick_interval_;
  DlqContext dlq_context_;

  std::unique_ptr<Callbacks> callbacks_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::unique_ptr<FetchWaker> waker_;  // loop.wake_fetcher_every_ms; destroyed before consumer_
  std::unique_ptr<RdKafka::Producer> producer_;
  static constexpr int kLearnTopicTimeoutMs = 500;
  std::set<std::string> known_topics_;  // output topics producer_ has asked the metadata of
  const std::atomic<bool>* stop_ = nullptr;

  bool txn_open_ = false;
  std::chrono::steady_clock::time_point txn_started_;
  int64_t records_in_txn_ = 0;
  int64_t bytes_in_txn_ = 0;  // keys and values produced in the open transaction
  std::map<TopicPartition, int64_t> pending_offsets_;  // next offset to read, per partition
  std::set<TopicPartition> carried_;  // of pending_offsets_: committed offsets an idle revoke carries again
  std::map<std::string, uint64_t> produced_in_txn_;
  std::set<InputKey> poisoned_;  // inputs whose outputs Kafka refused
  bool refused_in_txn_ = false;  // a delivery report of the open transaction was a refusal
  std::set<TopicPartition> assignment_;
  std::chrono::steady_clock::time_point last_tick_;
  std::chrono::steady_clock::time_point last_transient_log_{};
  LoopFaults faults_;
  int failures_in_a_row_ = 0;  // aborted transactions / recreated producers since the last commit
  std::vector<std::chrono::steady_clock::time_point> consumer_fatals_;  // within the last 10 minutes

  std::atomic<bool> producer_ready_{false};
  std::atomic<bool> connected_{false};
  std::atomic<size_t> assigned_count_{0};
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> aborts_{0};
  std::atomic<uint64_t> consumer_replacements_{0};
  std::atomic<int> failing_{0};                       // failures_in_a_row_, for readiness()
  std::atomic<int64_t> heartbeat_ns_{0};              // steady clock, last time round the loop
  mutable std::mutex failure_mutex_;
  std::string last_failure_;                          // guarded by failure_mutex_
};

}  // namespace caselink::kafka
