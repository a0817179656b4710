#include "services/lib/kafka/transactional_loop.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "services/lib/kafka/client.h"
#include "services/lib/kafka/factory.h"
#include "services/lib/kafka/errors.h"
#include "services/lib/logging/logging.h"

namespace caselink::kafka {

namespace {

constexpr int kTxnCallTimeoutMs = 30000;
// The committed offsets an idle revoke commits again: asked inside the rebalance callback, which
// holds up the whole group's rebalance, so much shorter than a transaction call.
constexpr int kCommittedAtRevokeTimeoutMs = 5000;
constexpr int kInitTimeoutMs = 10000;
constexpr int kMaxRetries = 5;
// fetch.wait.max.ms: librdkafka keeps one fetch in flight per broker, and partitions whose start
// offset is found while it waits join only the next one. When the first fetch holds only partitions
// without records, the broker keeps it for the whole wait (500 ms by default) and the others sit
// idle: half a second more before a launch's or a rebalance's first commit (docs/performance.md
// "Each service against the passthrough"). Records arriving end a wait at once, so latency is not
// bound by it; the cost is up to 10 empty fetches a second per broker while idle instead of 2.
const std::vector<std::pair<std::string, std::string>> kLoopConsumerDefaults = {
    {"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "1000"}, {"fetch.wait.max.ms", "100"}};

std::shared_ptr<spdlog::logger> log() { return logging::get("kafka.loop"); }

// Owns librdkafka's Error objects.
struct ErrorHolder {
  RdKafka::Error* error = nullptr;
  ~ErrorHolder() { delete error; }
  std::string text() const { return error ? error->name() + ": " + error->str() : "ok"; }
};

void delete_all(std::vector<RdKafka::TopicPartition*>& partitions) {
  for (auto* p : partitions) {
    delete p;
  }
  partitions.clear();
}

}  // namespace

// librdkafka callbacks, forwarded to the loop (they run on the loop's thread, inside
// consume()).
class TransactionalLoop::Callbacks : public RdKafka::RebalanceCb,
                                     public RdKafka::EventCb,
                                     public RdKafka::DeliveryReportCb {
 public:
  explicit Callbacks(TransactionalLoop* loop) : loop_(loop) {}

  // Delivery reports of the transactional producer (served by poll, flush and commit). A
  // record the broker refuses for itself (too large for the topic) poisons the input it came
  // from, as a synchronous refusal does: the commit then fails abortable, the loop rewinds and
  // dead-letters that input as output.refused instead of retrying it forever.
  void dr_cb(RdKafka::Message& message) override {
    std::unique_ptr<InputKey> input(static_cast<InputKey*>(message.msg_opaque()));
    if (input && message.err() != RdKafka::ERR_NO_ERROR &&
        classify_produce_error(message.err()) == ProduceAction::kInvalidRecord) {
      log()->error("{}[{}] offset {}: the broker refused its output to {}: {}", std::get<0>(*input),
                   std::get<1>(*input), std::get<2>(*input), message.topic_name(), message.errstr());
      loop_->poisoned_.insert(*input);
      loop_->refused_in_txn_ = true;
    }
  }

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    std::vector<TopicPartition> plain;
    plain.reserve(partitions.size());
    for (auto* p : partitions) {
      plain.push_back({p->topic(), p->partition()});
    }
    const bool cooperative = consumer->rebalance_protocol() == "COOPERATIVE";
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      loop_->handle_assign(plain);
      if (cooperative) {
        ErrorHolder e{consumer->incremental_assign(partitions)};
        if (e.error) {
          log()->error("incremental_assign failed: {}", e.text());
        }
      } else {
        consumer->assign(partitions);
      }
    } else {
      loop_->handle_revoke(plain, consumer->assignment_lost());
      if (cooperative) {
        ErrorHolder e{consumer->incremental_unassign(partitions)};
        if (e.error) {
          log()->error("incremental_unassign failed: {}", e.text());
        }
      } else {
        consumer->unassign();
      }
    }
    loop_->update_readiness();
  }

  void event_cb(RdKafka::Event& event) override {
    switch (event.type()) {
      case RdKafka::Event::EVENT_ERROR:
        if (event.err() == RdKafka::ERR__ALL_BROKERS_DOWN) {
          loop_->connected_.store(false);
          loop_->observer_->broker_connected(false);
          loop_->update_readiness();
        }
        log()->warn("librdkafka: {} ({})", event.str(), RdKafka::err2str(event.err()));
        break;
      case RdKafka::Event::EVENT_STATS:
        on_stats(event.str());
        break;
      case RdKafka::Event::EVENT_LOG:
        if (event.severity() <= RdKafka::Event::EVENT_SEVERITY_WARNING) {
          log()->warn("librdkafka {}: {}", event.fac(), event.str());
        }
        break;
      default:
        break;
    }
  }

 private:
  void on_stats(const std::string& json_text) {
    auto stats = parse_statistics(json_text);
    if (!stats.ok()) {
      log()->warn("{}", stats.error().describe());
      return;
    }
    loop_->observer_->client_statistics(*stats);
    // The consumer's view decides "connected": it is the client that waits on the broker for
    // input. The producer's statistics only feed the metrics.
    if (stats->type != "consumer") {
      return;
    }
    const bool any_up = stats->any_broker_up();
    loop_->connected_.store(any_up);
    loop_->observer_->broker_connected(any_up);
    for (const PartitionStatistics& p : stats->partitions) {
      if (p.consumer_lag >= 0) {
        loop_->observer_->consumer_lag(p.topic, p.partition, p.consumer_lag);
      }
    }
    loop_->update_readiness();
  }

  TransactionalLoop* loop_;
};

TransactionalLoop::TransactionalLoop(KafkaSettings kafka, LoopSettings loop, std::string service_name,
                                     RecordHandler& handler, LoopObserver* observer, const Clock& clock,
                                     std::chrono::milliseconds tick_interval)
    : kafka_(std::move(kafka)),
      loop_(std::move(loop)),
      service_(std::move(service_name)),
      transactional_id_(effective_transactional_id(loop_)),
      handler_(handler),
      observer_(observer != nullptr ? observer : &default_observer_),
      clock_(clock),
      tick_interval_(tick_interval),
      dlq_context_{loop_.dlq_topic, service_, loop_.group_id},
      callbacks_(std::make_unique<Callbacks>(this)) {}

TransactionalLoop::~TransactionalLoop() { close_clients(); }

// Consumer before producer: closing the consumer revokes its partitions, and the rebalance
// callback commits (or aborts) the open transaction through the producer.
void TransactionalLoop::close_clients() {
  waker_.reset();  // before the consumer it asks
  if (consumer_) {
    consumer_->close();
    consumer_.reset();
  }
  producer_.reset();
}

namespace {
int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

LoopReadiness TransactionalLoop::readiness() const {
  if (!producer_ready_.load()) {
    return {false, "transactional producer not initialized (broker unreachable?)"};
  }
  if (!connected_.load()) {
    return {false, "no broker connection"};
  }
  if (assigned_count_.load() == 0) {
    return {false, "no partitions assigned yet"};
  }
  if (const int failing = failing_.load(); failing >= 3) {
    std::lock_guard<std::mutex> lock(failure_mutex_);
    return {false, std::to_string(failing) + " transactions in a row failed, backing off; last: " + last_failure_};
  }
  const int64_t stalled_ms = (steady_now_ns() - heartbeat_ns_.load()) / 1000000;
  if (stalled_ms > loop_.ready_stall_ms) {
    return {false, "loop has not come round for " + std::to_string(stalled_ms) +
                       " ms (waiting on the broker or restoring state)"};
  }
  return {true, "ready"};
}

void TransactionalLoop::update_readiness() { observer_->ready(readiness().ready); }

Status TransactionalLoop::create_consumer() {
  // statistics.interval.ms comes from the factory (kafka.statistics_interval_ms).
  Properties role = {
      {"group.id", loop_.group_id},
      {"client.id", service_ + "-consumer-" + loop_.instance_id},
      {"isolation.level", "read_committed"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", loop_.auto_offset_reset},
      {"partition.assignment.strategy", loop_.partition_assignment_strategy},
      {"enable.partition.eof", "false"},
      {"queued.min.messages", std::to_string(loop_.prefetch_messages)},
      {"queued.max.messages.kbytes", std::to_string(loop_.prefetch_kbytes)}};
  if (!loop_.group_instance_id.empty()) {
    role.emplace("group.instance.id", loop_.group_instance_id);  // static membership
  }
  // A dead member's partitions move on after its session: 6 s (the broker's least,
  // group.min.session.timeout.ms) rather than librdkafka's 45 s, so takeover after kill -9 fits in
  // 10 s (docs/performance.md). kafka.properties may set any of these keys; then it is left alone.
  for (const auto& [key, value] : kLoopConsumerDefaults) {
    if (kafka_.properties.count(key) == 0) {
      role.emplace(key, value);
    }
  }
  auto consumer = kafka::make_consumer(kafka_, role, {.event = callbacks_.get(), .rebalance = callbacks_.get()});
  if (!consumer.ok()) {
    return consumer.error();
  }
  consumer_ = std::move(consumer).value();
  if (loop_.wake_fetcher_every_ms > 0) {
    waker_ = std::make_unique<FetchWaker>(*consumer_, std::chrono::milliseconds(loop_.wake_fetcher_every_ms));
  }
  return Status::success();
}

// With loop.wake_fetcher_every_ms: each record's partition goes to the waker (fetch_waker.h),
// which asks for it in its next round, so a bounded read-ahead does not wait for librdkafka's idle
// wake-up. Per record, not rate-limited here: the record that empties a queue must be reported.
void TransactionalLoop::note_handed_out(const ConsumedRecord& record) {
  if (waker_) waker_->wake(record.topic, record.partition);
}

Status TransactionalLoop::create_producer() {
  if (faults_.create_producer) {
    if (const RdKafka::ErrorCode code = faults_.create_producer(); code != RdKafka::ERR_NO_ERROR) {
      return Error::unavailable("cannot create producer (injected): " + RdKafka::err2str(code));
    }
  }
  auto producer = kafka::make_producer(kafka_, {{"client.id", service_ + "-producer-" + loop_.instance_id},
                                 {"transactional.id", transactional_id_},
                                 {"partitioner", kCasePartitioner},
                                 {"enable.idempotence", "true"},
                                 {"acks", "all"},
                                 {"message.timeout.ms", std::to_string(loop_message_timeout_ms(loop_, kafka_))},
                                 {"transaction.timeout.ms", std::to_string(loop_.transaction_timeout_ms)}},
                                {.event = callbacks_.get(), .delivery = callbacks_.get()});
  if (!producer.ok()) {
    return producer.error();
  }
  producer_ = std::move(producer).value();
  known_topics_.clear();
  return Status::success();
}

// librdkafka 2.0.2 looks up a topic it has not produced to yet about once a second, so the first
// record to each output topic waited up to that long (launch -> first commit was 1.04-1.11 s for
// caselink-sync; librdkafka issue 3202 recommends asking for the topic's metadata first). Asked
// once per topic and producer, bounded (about what the lookup would have cost), and only a hint:
// when it fails, the produce goes on and librdkafka looks the topic up itself. Through the C API:
// a C++ Topic handle would leave its (then deleted) wrapper as the topic's opaque, which the
// produce by name reuses.
void TransactionalLoop::learn_topic(const std::string& topic) {
  if (known_topics_.count(topic) != 0) return;
  known_topics_.insert(topic);
  rd_kafka_topic_t* handle = rd_kafka_topic_new(producer_->c_ptr(), topic.c_str(), nullptr);
  if (handle == nullptr) return;
  const rd_kafka_metadata_t* metadata = nullptr;
  if (rd_kafka_metadata(producer_->c_ptr(), 0, handle, &metadata, kLearnTopicTimeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_metadata_destroy(metadata);
  }
  rd_kafka_topic_destroy(handle);
}

void TransactionalLoop::backoff(const std::atomic<bool>& stop, int attempt) {
  int64_t wait = loop_.retry_backoff_ms;
  for (int i = 1; i < attempt && wait < loop_.retry_backoff_max_ms; ++i) {
    wait *= 2;
  }
  wait = std::min(wait, loop_.retry_backoff_max_ms);
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait);
  while (!stop.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool TransactionalLoop::init_producer_with_retry(const std::atomic<bool>& stop) {
  for (int attempt = 1; !stop.load(); ++attempt) {
    ErrorHolder e{producer_->init_transactions(kInitTimeoutMs)};
    if (e.error == nullptr) {
      producer_ready_.store(true);
      connected_.store(true);
      observer_->broker_connected(true);
      update_readiness();
      if (attempt > 1) {
        log()->info("transactional producer '{}' initialized after {} attempts", transactional_id_, attempt);
      }
      return true;
    }
    const TxnAction action = classify_txn_error(flags_of(e.error), false);
    if (action == TxnAction::kRecreateProducer && e.error->is_fatal()) {
      log()->error("init_transactions failed fatally ({}); recreating the producer", e.text());
      producer_.reset();
      if (!make_producer(stop)) {
        return false;
      }
    } else {
      log()->warn("broker not reachable for init_transactions (attempt {}): {}; retrying with back-off", attempt,
                  e.text());
    }
    connected_.store(false);
    observer_->broker_connected(false);
    update_readiness();
    backoff(stop, attempt);
  }
  return false;
}

// Creates the producer, retrying with back-off until it exists or the loop stops.
bool TransactionalLoop::make_producer(const std::atomic<bool>& stop) {
  for (int attempt = 1; !stop.load(); ++attempt) {
    Status st = create_producer();
    if (st.ok()) {
      return true;
    }
    log()->error("cannot create producer (attempt {}): {}", attempt, st.error().describe());
    backoff(stop, attempt);
  }
  return false;
}

void TransactionalLoop::recreate_producer(const std::atomic<bool>& stop, const std::string& why, Outcome outcome) {
  log()->warn("recreating transactional producer '{}': {}", transactional_id_, why);
  producer_ready_.store(false);
  update_readiness();
  producer_.reset();
  txn_open_ = false;
  observer_->producer_recreated();
  // Offsets an idle revoke carried are the committed ones again: they match whatever the outcome,
  // so only the offsets this transaction advanced can tell it.
  std::map<TopicPartition, int64_t> carried = pending_offsets_;
  for (const auto& tp : carried_) {
    carried.erase(tp);
  }
  // init_transactions on the new producer completes or aborts whatever the old one left open,
  // so only after it does the group's committed offset tell the outcome.
  if (make_producer(stop) && init_producer_with_retry(stop) && outcome == Outcome::kUnknown) {
    outcome = find_commit_outcome(carried);
  }
  if (outcome == Outcome::kCommitted) {
    log()->info("the transaction whose commit was in doubt did commit; going on after it");
    finish_commit();
    rewind_to_committed();
    return;
  }
  after_abort("fatal");
  if (outcome == Outcome::kUnknown) {
    log()->warn("outcome of the last commit unknown: the handler rebuilds the state of {} partition(s)",
                assignment_.size());
    handler_.on_state_uncertain({assignment_.begin(), assignment_.end()});
  }
  note_failure(stop, why);
  rewind_to_committed();
}

TransactionalLoop::Outcome TransactionalLoop::find_commit_outcome(const std::map<TopicPartition, int64_t>& carried) {
  if (carried.empty() || !consumer_) {
    return Outcome::kUnknown;
  }
  std::vector<RdKafka::TopicPartition*> partitions;
  for (const auto& [tp, next] : carried) {
    partitions.push_back(RdKafka::TopicPartition::create(tp.topic, tp.partition));
  }
  const RdKafka::ErrorCode code = consumer_->committed(partitions, kTxnCallTimeoutMs);
  size_t committed = 0;
  for (const auto* p : partitions) {
    committed += p->err() == RdKafka::ERR_NO_ERROR && p->offset() == carried.at({p->topic(), p->partition()});
  }
  delete_all(partitions);
  if (code != RdKafka::ERR_NO_ERROR) {
    log()->warn("cannot read committed offsets to settle the last commit: {}", RdKafka::err2str(code));
    return Outcome::kUnknown;
  }
  // The transaction carried the offsets of every partition in it: all or none are committed.
  if (committed == carried.size()) {
    return Outcome::kCommitted;
  }
  return committed == 0 ? Outcome::kAborted : Outcome::kUnknown;
}

bool TransactionalLoop::begin_if_needed(const std::atomic<bool>& stop) {
  if (txn_open_) {
    return true;
  }
  if (!producer_) {
    return false;  // stopping: recreation gave up
  }
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    ErrorHolder e{producer_->begin_transaction()};
    if (e.error == nullptr) {
      opened_transaction();
      return true;
    }
    if (classify_txn_error(flags_of(e.error), false) != TxnAction::kRetry) {
      recreate_producer(stop, "begin_transaction: " + e.text());
      return false;
    }
  }
  recreate_producer(stop, "begin_transaction kept failing");
  return false;
}

// One attempt, nothing recreated on failure: for the idle revoke, inside the rebalance callback.
bool TransactionalLoop::begin_once() {
  if (!producer_) {
    return false;
  }
  ErrorHolder e{producer_->begin_transaction()};
  if (e.error != nullptr) {
    log()->warn("begin_transaction at the revoke failed ({}); the revoke stays unproven", e.text());
    return false;
  }
  opened_transaction();
  return true;
}

void TransactionalLoop::opened_transaction() {
  txn_open_ = true;
  txn_started_ = std::chrono::steady_clock::now();
  records_in_txn_ = 0;
  bytes_in_txn_ = 0;
}

std::optional<TransactionalLoop::ProduceFailure> TransactionalLoop::produce_all(
    const std::vector<OutgoingRecord>& records, const std::optional<InputKey>& input) {
  for (const OutgoingRecord& record : records) {
    for (;;) {
      RdKafka::ErrorCode code = faults_.produce ? faults_.produce(record) : RdKafka::ERR_NO_ERROR;
      if (code == RdKafka::ERR_NO_ERROR) {
        // Owned by the delivery report, which names the input when the broker refuses the record.
        auto* opaque = input ? new InputKey(*input) : nullptr;
        learn_topic(record.topic);
        code = produce(*producer_, record, opaque);
        if (code != RdKafka::ERR_NO_ERROR) {
          delete opaque;
        }
      }
      const ProduceAction action = classify_produce_error(code);
      if (action == ProduceAction::kOk) {
        produced_in_txn_[record.topic] += 1;
        bytes_in_txn_ += static_cast<int64_t>(record.key.size() + (record.value ? record.value->size() : 0));
        break;
      }
      if (action == ProduceAction::kPollAndRetry) {
        producer_->poll(50);
        continue;
      }
      log()->error("produce to {} failed: {}", record.topic, RdKafka::err2str(code));
      return ProduceFailure{action == ProduceAction::kInvalidRecord, record.topic, RdKafka::err2str(code)};
    }
  }
  return std::nullopt;
}

// What the handler decided, or the loop's own verdict for an input whose output Kafka refused.
HandlerResult TransactionalLoop::decide(const ConsumedRecord& record) {
  if (poisoned_.count({record.topic, record.partition, record.offset}) != 0) {
    return HandlerResult::reject("output.refused", "Kafka refused an output of this record (e.g. too large)");
  }
  try {
    return handler_.handle(record);
  } catch (const std::exception& e) {
    // Crash-vs-cope: input must never crash the service. A throwing handler is a bug,
    // but the record is parked on the DLQ with the reason and the loop goes on.
    log()->error("handler threw: {}", e.what());
    return HandlerResult::reject("handler.exception", e.what());
  }
}

void TransactionalLoop::process(const ConsumedRecord& record, const std::atomic<bool>& stop) {
  if (!begin_if_needed(stop)) {
    return;  // producer was recreated and inputs rewound; the record will come again
  }
  logging::ScopedEventContext context({record.key.value_or(""), find_header(record.headers, "ce_id").value_or(""),
                                       find_header(record.headers, "ce_type").value_or(""), record.topic,
                                       record.partition, record.offset});
  const auto started = std::chrono::steady_clock::now();
  HandlerResult result = decide(record);
  if (result.retry_later) {
    log()->warn("handler asked to retry later: {}", result.retry_reason);
    const bool backed_off = failures_in_a_row_ >= 1;  // abort_and_rewind backs off from the 2nd
    abort_and_rewind(stop, "retry requested: " + result.retry_reason);
    if (!backed_off) {
      backoff(stop, 1);
    }
    return;
  }
  std::vector<OutgoingRecord> outputs = std::move(result.outputs);
  if (result.dead_letter) {
    log()->warn("dead-lettering record: {}: {}", result.dead_letter->error_class, result.dead_letter->message);
    outputs.push_back(make_dlq_record(record, dlq_context_, *result.dead_letter, clock_.now()));
  }
  const InputKey input{record.topic, record.partition, record.offset};
  if (const auto failed = produce_all(outputs, input)) {
    if (failed->topic == loop_.dlq_topic && result.dead_letter) {
      // Never dropped: the input stays uncommitted and is retried after a back-off.
      log()->error("cannot write the dead-letter record to {}: {}", failed->topic, failed->error);
      observer_->dlq_write_failed();
    } else if (failed->record_refused) {
      poisoned_.insert(input);
    }
    abort_and_rewind(stop, "an output to " + failed->topic + " could not be produced: " + failed->error);
    return;
  }
  if (result.dead_letter) {
    observer_->dead_lettered(result.dead_letter->error_class);
  }
  pending_offsets_[{record.topic, record.partition}] = record.offset + 1;
  carried_.erase({record.topic, record.partition});
  ++records_in_txn_;
  observer_->consumed(record.topic);
  observer_->processing_seconds(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (record.timestamp_ms >= 0) {
    const auto age = clock_.now() - TimePoint(std::chrono::milliseconds(record.timestamp_ms));
    observer_->event_age_seconds(record.topic, std::max(0.0, std::chrono::duration<double>(age).count()));
  }
}

bool TransactionalLoop::commit_due() const {
  if (!txn_open_) {
    return false;
  }
  if (records_in_txn_ >= loop_.commit_every_records || bytes_in_txn_ >= loop_.commit_every_bytes) {
    return true;
  }
  return std::chrono::steady_clock::now() - txn_started_ >= std::chrono::milliseconds(loop_.commit_every_ms);
}

// Returns false when the transaction was aborted or the producer recreated instead.
bool TransactionalLoop::send_offsets(const std::atomic<bool>& stop) {
  if (pending_offsets_.empty()) {
    return true;
  }
  std::vector<RdKafka::TopicPartition*> offsets;
  for (const auto& [tp, next] : pending_offsets_) {
    offsets.push_back(RdKafka::TopicPartition::create(tp.topic, tp.partition, next));
  }
  std::unique_ptr<RdKafka::ConsumerGroupMetadata> group(consumer_->groupMetadata());
  for (int attempt = 0;; ++attempt) {
    ErrorHolder e{producer_->send_offsets_to_transaction(offsets, group.get(), kTxnCallTimeoutMs)};
    const TxnAction action = classify_txn_error(flags_of(e.error), false);
    if (action == TxnAction::kRetry && attempt < kMaxRetries) {
      continue;
    }
    delete_all(offsets);
    if (action == TxnAction::kNone) {
      return true;
    }
    if (action == TxnAction::kAbortAndRewind) {
      abort_and_rewind(stop, "send_offsets_to_transaction: " + e.text());
    } else {
      recreate_producer(stop, "send_offsets_to_transaction: " + e.text());
    }
    return false;
  }
}

// commit_transaction with retries; kRetry never comes back (retries exhausted = unknown).
TxnAction TransactionalLoop::commit_transaction() {
  for (int attempt = 0;; ++attempt) {
    // An injected fault is an unclassified error (no retriable/abort/fatal flag).
    auto injected = [](RdKafka::ErrorCode code) {
      return std::make_pair(TxnErrorFlags{true, false, false, false, code}, "injected: " + RdKafka::err2str(code));
    };
    std::pair<TxnErrorFlags, std::string> outcome;
    if (const RdKafka::ErrorCode code = faults_.before_commit ? faults_.before_commit() : RdKafka::ERR_NO_ERROR) {
      outcome = injected(code);
    } else {
      ErrorHolder e{producer_->commit_transaction(kTxnCallTimeoutMs)};
      outcome = {flags_of(e.error), e.text()};
      if (const RdKafka::ErrorCode after = faults_.after_commit && !e.error ? faults_.after_commit()
                                                                           : RdKafka::ERR_NO_ERROR) {
        outcome = injected(after);
      }
    }
    const TxnAction action = classify_txn_error(outcome.first, true);
    if (action != TxnAction::kRetry) {
      if (action != TxnAction::kNone) {
        log()->error("commit_transaction failed ({}): {}", to_string(action), outcome.second);
      }
      return action;
    }
    if (attempt >= kMaxRetries) {
      log()->error("commit_transaction still failing after {} attempts: {}", attempt + 1, outcome.second);
      return TxnAction::kOutcomeUnknown;
    }
    log()->warn("commit_transaction retriable error (attempt {}): {}", attempt + 1, outcome.second);
  }
}

void TransactionalLoop::commit(const std::atomic<bool>& stop) {
  if (!txn_open_ || !producer_) {
    return;
  }
  if (output_refused_before_commit()) {
    // The messages in flight behind the refused one would hold abort_transaction for its
    // whole call timeout too, and purging them leaves a gap in the producer's sequence
    // numbers that fails its next transaction; a new producer (new epoch) has neither.
    producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
    recreate_producer(stop, "the broker refused an output of this transaction");
    return;
  }
  if (!send_offsets(stop)) {
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  switch (commit_transaction()) {
    case TxnAction::kNone:
    case TxnAction::kRetry:
      txn_open_ = false;
      observer_->commit_seconds(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      finish_commit();
      return;
    case TxnAction::kAbortAndRewind:
      abort_and_rewind(stop, "commit_transaction failed and must be aborted");
      return;
    case TxnAction::kRecreateProducer:
      recreate_producer(stop, "commit_transaction failed; nothing committed");
      return;
    case TxnAction::kOutcomeUnknown:
      recreate_producer(stop, "commit_transaction outcome unknown", Outcome::kUnknown);
      return;
  }
}

// librdkafka's commit_transaction would otherwise wait out its whole call timeout on the
// messages queued behind a refused one (measured: 30 s per refused attempt, librdkafka 2.0.2)
// before failing abortable. Waiting here costs nothing more: the commit flushes the same queue.
bool TransactionalLoop::output_refused_before_commit() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTxnCallTimeoutMs);
  while (!refused_in_txn_ && producer_->outq_len() > 0 && std::chrono::steady_clock::now() < deadline) {
    producer_->poll(10);
  }
  return refused_in_txn_;
}

void TransactionalLoop::finish_commit() {
  commits_.fetch_add(1);
  observer_->transaction("commit");
  for (const auto& [topic, count] : produced_in_txn_) {
    observer_->produced(topic, count);
  }
  produced_in_txn_.clear();
  pending_offsets_.clear();
  carried_.clear();
  poisoned_.clear();
  refused_in_txn_ = false;
  records_in_txn_ = 0;
  bytes_in_txn_ = 0;
  failures_in_a_row_ = 0;
  failing_.store(0);
  handler_.on_transaction_committed();
  update_readiness();
}

void TransactionalLoop::after_abort(const char* result) {
  aborts_.fetch_add(1);
  observer_->transaction(result);
  pending_offsets_.clear();
  carried_.clear();
  produced_in_txn_.clear();
  refused_in_txn_ = false;
  records_in_txn_ = 0;
  bytes_in_txn_ = 0;
  handler_.on_transaction_aborted();
}

// Counts a failed transaction; from the second in a row backs off, from the third the
// service reports not ready (readiness()).
void TransactionalLoop::note_failure(const std::atomic<bool>& stop, const std::string& why) {
  ++failures_in_a_row_;
  {
    std::lock_guard<std::mutex> lock(failure_mutex_);
    last_failure_ = why;
  }
  failing_.store(failures_in_a_row_);
  update_readiness();
  if (failures_in_a_row_ >= 2) {
    log()->warn("{} transactions in a row failed (last: {}); backing off before the next attempt",
                failures_in_a_row_, why);
    backoff(stop, failures_in_a_row_ - 1);
  }
}

void TransactionalLoop::abort_and_rewind(const std::atomic<bool>& stop, const std::string& why) {
  log()->warn("aborting transaction: {}", why);
  if (txn_open_) {
    ErrorHolder e{producer_->abort_transaction(kTxnCallTimeoutMs)};
    if (e.error != nullptr) {
      recreate_producer(stop, "abort_transaction: " + e.text());
      return;
    }
    txn_open_ = false;
  }
  after_abort("abort");
  note_failure(stop, why);
  rewind_to_committed();
}

void TransactionalLoop::rewind_to_committed() {
  if (!consumer_) {
    return;
  }
  std::vector<RdKafka::TopicPartition*> partitions;
  if (consumer_->assignment(partitions) != RdKafka::ERR_NO_ERROR || partitions.empty()) {
    delete_all(partitions);
    return;
  }
  const RdKafka::ErrorCode committed = consumer_->committed(partitions, kTxnCallTimeoutMs);
  if (committed != RdKafka::ERR_NO_ERROR) {
    // Without the committed offsets we cannot rewind safely: re-assigning makes librdkafka
    // fetch them itself before it reads on.
    log()->warn("committed() failed ({}); re-assigning to rewind", RdKafka::err2str(committed));
    for (auto* p : partitions) {
      p->set_offset(RdKafka::Topic::OFFSET_INVALID);
    }
  }
  const int64_t reset = loop_.auto_offset_reset == "earliest" ? RdKafka::Topic::OFFSET_BEGINNING
                                                              : RdKafka::Topic::OFFSET_END;
  bool need_reassign = committed != RdKafka::ERR_NO_ERROR;
  for (auto* p : partitions) {
    if (need_reassign) {
      break;
    }
    if (p->offset() < 0) {
      p->set_offset(reset);
    }
    const RdKafka::ErrorCode code = consumer_->seek(*p, 5000);
    if (code != RdKafka::ERR_NO_ERROR) {
      log()->warn("seek {}[{}] to {} failed ({}); re-assigning", p->topic(), p->partition(), p->offset(),
                  RdKafka::err2str(code));
      need_reassign = true;
    }
  }
  if (need_reassign) {
    for (auto* p : partitions) {
      if (committed == RdKafka::ERR_NO_ERROR && p->offset() < 0) {
        p->set_offset(reset);
      }
    }
    if (consumer_->rebalance_protocol() == "COOPERATIVE") {
      ErrorHolder unassign{consumer_->incremental_unassign(partitions)};
      ErrorHolder assign{consumer_->incremental_assign(partitions)};
      if (unassign.error || assign.error) {
        log()->error("re-assign failed: {} / {}", unassign.text(), assign.text());
      }
    } else if (const RdKafka::ErrorCode code = consumer_->assign(partitions); code != RdKafka::ERR_NO_ERROR) {
      log()->error("re-assign failed: {}", RdKafka::err2str(code));
    }
  }
  delete_all(partitions);
}

void TransactionalLoop::maybe_tick(const std::atomic<bool>& stop) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_tick_ < tick_interval_ || assignment_.empty()) {
    return;
  }
  last_tick_ = now;
  std::vector<OutgoingRecord> outputs = handler_.on_tick(clock_.now());
  if (outputs.empty()) {
    return;
  }
  if (!begin_if_needed(stop)) {
    return;
  }
  if (const auto failed = produce_all(outputs, std::nullopt)) {
    abort_and_rewind(stop, "a timer output to " + failed->topic + " could not be produced: " + failed->error);
  }
}

void TransactionalLoop::handle_assign(const std::vector<TopicPartition>& partitions) {
  for (const auto& tp : partitions) {
    assignment_.insert(tp);
  }
  assigned_count_.store(assignment_.size());
  log()->info("assigned {} partition(s), now holding {}", partitions.size(), assignment_.size());
  handler_.on_partitions_assigned(partitions);
}

void TransactionalLoop::handle_revoke(const std::vector<TopicPartition>& partitions, bool lost) {
  static const std::atomic<bool> never_stop{false};
  const std::atomic<bool>& stop = stop_ != nullptr ? *stop_ : never_stop;
  // Whether the group accepted this member's offsets just now: a transaction's offsets commit is
  // checked against the member's generation, so its success shows that no newer generation (no
  // other owner of these partitions) existed yet, and none can before this member rejoins.
  bool confirmed = false;
  if (lost || !producer_) {
    if (txn_open_) {
      // Someone else may own these partitions already; our transaction must not commit.
      abort_and_rewind(stop, lost ? "assignment lost" : "no producer to commit with");
    }
  } else {
    if (!stop.load()) {
      carry_committed_offsets(partitions);  // stopping: nothing to keep, no proof needed
    }
    const bool with_offsets = !pending_offsets_.empty();
    // Idle: a transaction of its own for the carried offsets, begun once; a producer that cannot
    // begin one is left to the next record's begin_if_needed (recreating it here, inside the
    // rebalance callback, could hold up the whole group's rebalance).
    if (txn_open_ || (with_offsets && begin_once())) {
      const uint64_t commits_before = commits_.load();
      commit(stop);
      confirmed = with_offsets && commits_.load() > commits_before;
    }
  }
  for (const auto& tp : partitions) {
    assignment_.erase(tp);
  }
  assigned_count_.store(assignment_.size());
  log()->info("revoked {} partition(s){}, now holding {}", partitions.size(), lost ? " (lost)" : "",
              assignment_.size());
  if (confirmed) {
    handler_.on_partitions_revoked(partitions);
  } else {
    handler_.on_partitions_lost(partitions);
  }
}

// A revoke that finds nothing of its partitions pending (no transaction open, or one holding only
// timer outputs) would have no offsets commit to show this member's generation: the partitions'
// committed offsets go into the revoke's transaction instead, committed again unchanged. Not the
// consumer's positions: a position can stand past a record consumed but not yet handled, and
// committing it would skip that record. A partition with nothing committed adds nothing.
void TransactionalLoop::carry_committed_offsets(const std::vector<TopicPartition>& partitions) {
  if (!consumer_) {
    return;
  }
  std::vector<RdKafka::TopicPartition*> wanted;
  for (const auto& tp : partitions) {
    if (pending_offsets_.find(tp) == pending_offsets_.end()) {
      wanted.push_back(RdKafka::TopicPartition::create(tp.topic, tp.partition));
    }
  }
  if (!wanted.empty() && consumer_->committed(wanted, kCommittedAtRevokeTimeoutMs) == RdKafka::ERR_NO_ERROR) {
    for (const RdKafka::TopicPartition* p : wanted) {
      if (p->err() == RdKafka::ERR_NO_ERROR && p->offset() >= 0) {
        pending_offsets_[{p->topic(), p->partition()}] = p->offset();
        carried_.insert({p->topic(), p->partition()});
      }
    }
  }
  delete_all(wanted);
}

// One turn of the loop: timers, one consume, delivery reports, a commit when due.
// Returns false on a fatal consumer error (stored in `fatal`).
bool TransactionalLoop::poll_once(const std::atomic<bool>& stop, std::string& fatal) {
  heartbeat_ns_.store(steady_now_ns());
  maybe_tick(stop);
  int timeout_ms = 100;
  if (txn_open_) {
    const auto left = std::chrono::milliseconds(loop_.commit_every_ms) -
                      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                            txn_started_);
    timeout_ms = static_cast<int>(std::clamp<int64_t>(left.count(), 0, 100));
  }
  if (faults_.fence_consumer && faults_.fence_consumer()) {
    rd_kafka_test_fatal_error(consumer_->c_ptr(), RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID, "injected fence");
  }
  std::unique_ptr<RdKafka::Message> message(consumer_->consume(timeout_ms));
  heartbeat_ns_.store(steady_now_ns());
  switch (classify_consume_error(message->err())) {
    case ConsumeAction::kRecord: {
      connected_.store(true);
      const ConsumedRecord record = to_consumed_record(*message);
      note_handed_out(record);
      process(record, stop);
      break;
    }
    case ConsumeAction::kIdle:
      break;
    case ConsumeAction::kTransient:
      if (std::chrono::steady_clock::now() - last_transient_log_ > std::chrono::seconds(5)) {
        log()->warn("consumer: {}", message->errstr());
        last_transient_log_ = std::chrono::steady_clock::now();
      }
      break;
    case ConsumeAction::kFatal:
      fatal = message->errstr();
      return false;
  }
  if (producer_) {
    producer_->poll(0);
  }
  if (commit_due()) {
    commit(stop);
  }
  return true;
}

// librdkafka makes a fenced static member (FENCED_INSTANCE_ID) fatal for its consumer, and 2.0.2
// answers a live member so after its group coordinator broker was killed (the chaos run of
// 2026-12-04, docs/reliability.md): the process would exit for a broker's fault. A new consumer
// with the same group.instance.id is what a restarted process makes; it joins as the static
// member again. The old consumer's generation is gone, so the open transaction cannot commit its
// offsets: it is aborted, and the handler hears that its partitions are lost, before the new
// consumer is assigned them (restore on assignment, as after a restart).
Status TransactionalLoop::replace_consumer(const std::atomic<bool>& stop, const std::string& fatal) {
  waker_.reset();  // it asks the old consumer
  std::unique_ptr<RdKafka::KafkaConsumer> old = std::move(consumer_);  // no rewind through it
  char reason[512] = {0};
  const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(old->c_ptr(), reason, sizeof(reason));
  // Whatever happens next, the old generation's transaction must not outlive this consumer: a
  // twin or a restarted process would otherwise wait for its timeout.
  if (!assignment_.empty()) {
    handle_revoke({assignment_.begin(), assignment_.end()}, /*lost=*/true);
  }
  if (txn_open_) {
    abort_and_rewind(stop, "the consumer had a fatal error");  // timer outputs without a partition
  }
  old->close();  // a consumer with a fatal error does not leave the group; it only stops
  old.reset();
  update_readiness();
  if (cause != RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID || loop_.group_instance_id.empty()) {
    return Error::fatal("consumer fatal error: " + fatal);
  }
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(consumer_fatals_, [&](auto t) { return now - t > std::chrono::minutes(10); });
  consumer_fatals_.push_back(now);
  if (consumer_fatals_.size() > kMaxConsumerReplacements) {
    return Error::fatal("static member fenced " + std::to_string(consumer_fatals_.size()) +
                        " times in 10 minutes (last: " + fatal +
                        "); another running instance may have the same group.instance.id '" +
                        loop_.group_instance_id + "' (loop.group_instance_id)");
  }
  log()->error("consumer fatal error: {}; replacing the consumer (group.instance.id '{}')", fatal,
               loop_.group_instance_id);
  if (Status st = create_consumer(); !st.ok()) {
    return st;
  }
  if (const RdKafka::ErrorCode code = consumer_->subscribe(loop_.input_topics); code != RdKafka::ERR_NO_ERROR) {
    return Error::fatal("subscribe failed after replacing the consumer: " + RdKafka::err2str(code));
  }
  consumer_replacements_.fetch_add(1);
  observer_->consumer_replaced();
  return Status::success();
}

Status TransactionalLoop::run(const std::atomic<bool>& stop) {
  stop_ = &stop;
  // `stop` may die before this loop does; a rebalance callback after run() must not read it.
  struct ForgetStop {
    const std::atomic<bool>*& stop;
    ~ForgetStop() { stop = nullptr; }
  } forget_stop{stop_};
  heartbeat_ns_.store(steady_now_ns());
  if (Status st = create_producer(); !st.ok()) {
    return st;
  }
  if (Status st = create_consumer(); !st.ok()) {
    return st;
  }
  log()->info("starting: group '{}'{}, transactional id '{}', inputs {}, commit every {} records / {} ms",
              loop_.group_id,
              loop_.group_instance_id.empty() ? "" : " (static member '" + loop_.group_instance_id + "')",
              transactional_id_, nlohmann::json(loop_.input_topics).dump(), loop_.commit_every_records,
              loop_.commit_every_ms);
  if (!init_producer_with_retry(stop)) {
    return Status::success();  // stopped before the broker was ever reachable
  }
  if (const RdKafka::ErrorCode code = consumer_->subscribe(loop_.input_topics); code != RdKafka::ERR_NO_ERROR) {
    return Error::invalid("subscribe failed: " + RdKafka::err2str(code), "loop.input_topics");
  }
  last_tick_ = std::chrono::steady_clock::now();
  std::string fatal;
  while (!stop.load()) {
    if (!poll_once(stop, fatal)) {
      if (Status st = replace_consumer(stop, fatal); !st.ok()) {
        log()->critical("{}", st.error().message);
        close_clients();
        producer_ready_.store(false);
        update_readiness();
        return st;
      }
    }
  }
  log()->info("stopping: committing the open transaction and leaving the group");
  commit(stop);
  if (producer_) {
    producer_->flush(5000);
  }
  close_clients();
  producer_ready_.store(false);
  update_readiness();
  log()->info("stopped after {} committed and {} aborted transactions", commits_.load(), aborts_.load());
  return Status::success();
}

}  // namespace caselink::kafka
