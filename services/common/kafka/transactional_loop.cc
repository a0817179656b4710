#include "services/common/kafka/transactional_loop.h"

#include <librdkafka/rdkafkacpp.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "services/common/kafka/client.h"
#include "services/common/kafka/errors.h"
#include "services/common/logging/logging.h"

namespace caselink::kafka {

namespace {

constexpr int kTxnCallTimeoutMs = 30000;
constexpr int kInitTimeoutMs = 10000;
constexpr int kMaxRetries = 5;

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
class TransactionalLoop::Callbacks : public RdKafka::RebalanceCb, public RdKafka::EventCb {
 public:
  explicit Callbacks(TransactionalLoop* loop) : loop_(loop) {}

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
    auto stats = nlohmann::json::parse(json_text, nullptr, false);
    if (stats.is_discarded()) {
      return;
    }
    bool any_up = false;
    if (stats.contains("brokers")) {
      for (const auto& [name, broker] : stats["brokers"].items()) {
        if (broker.value("nodeid", -1) >= 0 && broker.value("state", "") == "UP") {
          any_up = true;
        }
      }
    }
    loop_->connected_.store(any_up);
    loop_->observer_->broker_connected(any_up);
    if (stats.contains("topics")) {
      for (const auto& [topic, t] : stats["topics"].items()) {
        if (!t.contains("partitions")) {
          continue;
        }
        for (const auto& [pid, p] : t["partitions"].items()) {
          const int32_t partition = std::stoi(pid);
          const int64_t lag = p.value("consumer_lag", int64_t{-1});
          if (partition >= 0 && lag >= 0) {
            loop_->observer_->consumer_lag(topic, partition, lag);
          }
        }
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

TransactionalLoop::~TransactionalLoop() {
  // Producer before consumer: nothing may still reference the consumer's group metadata.
  producer_.reset();
  if (consumer_) {
    consumer_->close();
    consumer_.reset();
  }
}

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
  return {true, "ready"};
}

void TransactionalLoop::update_readiness() { observer_->ready(readiness().ready); }

Status TransactionalLoop::create_consumer() {
  auto conf = make_conf(kafka_, {{"group.id", loop_.group_id},
                                 {"client.id", service_ + "-consumer-" + loop_.instance_id},
                                 {"isolation.level", "read_committed"},
                                 {"enable.auto.commit", "false"},
                                 {"enable.auto.offset.store", "false"},
                                 {"auto.offset.reset", loop_.auto_offset_reset},
                                 {"partition.assignment.strategy", loop_.partition_assignment_strategy},
                                 {"enable.partition.eof", "false"},
                                 {"queued.min.messages", std::to_string(loop_.prefetch_messages)},
                                 {"queued.max.messages.kbytes", std::to_string(loop_.prefetch_kbytes)},
                                 {"statistics.interval.ms", std::to_string(kafka_.statistics_interval_ms)}});
  if (!conf.ok()) {
    return conf.error();
  }
  std::string err;
  (*conf)->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(callbacks_.get()), err);
  (*conf)->set("event_cb", static_cast<RdKafka::EventCb*>(callbacks_.get()), err);
  consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (!consumer_) {
    return Error::invalid("cannot create consumer: " + err);
  }
  return Status::success();
}

Status TransactionalLoop::create_producer() {
  auto conf = make_conf(kafka_, {{"client.id", service_ + "-producer-" + loop_.instance_id},
                                 {"transactional.id", transactional_id_},
                                 {"partitioner", kCasePartitioner},
                                 {"enable.idempotence", "true"},
                                 {"acks", "all"},
                                 {"message.timeout.ms", std::to_string(kafka_.message_timeout_ms)},
                                 {"transaction.timeout.ms", std::to_string(loop_.transaction_timeout_ms)}});
  if (!conf.ok()) {
    return conf.error();
  }
  std::string err;
  producer_.reset(RdKafka::Producer::create(conf->get(), err));
  if (!producer_) {
    return Error::invalid("cannot create producer: " + err);
  }
  return Status::success();
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
      if (Status st = create_producer(); !st.ok()) {
        log()->critical("cannot recreate producer: {}", st.error().describe());
        return false;
      }
    } else {
      log()->warn("broker not reachable for init_transactions (attempt {}): {}; retrying with back-off", attempt,
                  e.text());
    }
    observer_->broker_connected(false);
    backoff(stop, attempt);
  }
  return false;
}

void TransactionalLoop::recreate_producer(const std::atomic<bool>& stop, const std::string& why) {
  log()->warn("recreating transactional producer '{}': {}", transactional_id_, why);
  producer_ready_.store(false);
  update_readiness();
  producer_.reset();
  txn_open_ = false;
  after_abort("fatal");
  observer_->producer_recreated();
  for (int attempt = 1; !stop.load(); ++attempt) {
    if (Status st = create_producer(); st.ok()) {
      break;
    } else {
      log()->error("cannot create producer: {}", st.error().describe());
      backoff(stop, attempt);
    }
  }
  if (producer_) {
    init_producer_with_retry(stop);
  }
  rewind_to_committed();
}

bool TransactionalLoop::begin_if_needed(const std::atomic<bool>& stop) {
  if (txn_open_) {
    return true;
  }
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    ErrorHolder e{producer_->begin_transaction()};
    if (e.error == nullptr) {
      txn_open_ = true;
      txn_started_ = std::chrono::steady_clock::now();
      records_in_txn_ = 0;
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

bool TransactionalLoop::produce_all(const std::vector<OutgoingRecord>& records) {
  for (const OutgoingRecord& record : records) {
    for (;;) {
      const RdKafka::ErrorCode code = produce(*producer_, record);
      const ProduceAction action = classify_produce_error(code);
      if (action == ProduceAction::kOk) {
        produced_in_txn_[record.topic] += 1;
        break;
      }
      if (action == ProduceAction::kPollAndRetry) {
        producer_->poll(50);
        continue;
      }
      log()->error("produce to {} failed: {}", record.topic, RdKafka::err2str(code));
      return false;
    }
  }
  return true;
}

void TransactionalLoop::process(const ConsumedRecord& record, const std::atomic<bool>& stop) {
  if (!begin_if_needed(stop)) {
    return;  // producer was recreated and inputs rewound; the record will come again
  }
  logging::ScopedEventContext context({record.key.value_or(""), find_header(record.headers, "ce_id").value_or(""),
                                       find_header(record.headers, "ce_type").value_or(""), record.topic,
                                       record.partition, record.offset});
  const auto started = std::chrono::steady_clock::now();
  HandlerResult result;
  const auto poison_key = std::make_tuple(record.topic, record.partition, record.offset);
  if (poisoned_.count(poison_key) != 0) {
    result = HandlerResult::reject("output.refused", "Kafka refused an output of this record (e.g. too large)");
  } else {
    try {
      result = handler_.handle(record);
    } catch (const std::exception& e) {
      // Crash-vs-cope: input must never crash the service. A throwing handler is a bug,
      // but the record is parked on the DLQ with the reason and the loop goes on.
      log()->error("handler threw: {}", e.what());
      result = HandlerResult::reject("handler.exception", e.what());
    }
  }
  if (result.retry_later) {
    log()->warn("handler asked to retry later: {}", result.retry_reason);
    abort_and_rewind(stop, "retry requested: " + result.retry_reason);
    backoff(stop, 1);
    return;
  }
  std::vector<OutgoingRecord> outputs = std::move(result.outputs);
  if (result.dead_letter) {
    log()->warn("dead-lettering record: {}: {}", result.dead_letter->error_class, result.dead_letter->message);
    outputs.push_back(make_dlq_record(record, dlq_context_, *result.dead_letter, clock_.now()));
  }
  if (!produce_all(outputs)) {
    poisoned_.insert(poison_key);
    abort_and_rewind(stop, "an output of the record could not be produced");
    return;
  }
  if (result.dead_letter) {
    observer_->dead_lettered(result.dead_letter->error_class);
  }
  pending_offsets_[{record.topic, record.partition}] = record.offset + 1;
  ++records_in_txn_;
  observer_->consumed(record.topic);
  observer_->processing_seconds(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

bool TransactionalLoop::commit_due() const {
  if (!txn_open_) {
    return false;
  }
  if (records_in_txn_ >= loop_.commit_every_records) {
    return true;
  }
  return std::chrono::steady_clock::now() - txn_started_ >= std::chrono::milliseconds(loop_.commit_every_ms);
}

void TransactionalLoop::commit(const std::atomic<bool>& stop) {
  if (!txn_open_) {
    return;
  }
  if (!pending_offsets_.empty()) {
    std::vector<RdKafka::TopicPartition*> offsets;
    for (const auto& [tp, next] : pending_offsets_) {
      offsets.push_back(RdKafka::TopicPartition::create(tp.topic, tp.partition, next));
    }
    std::unique_ptr<RdKafka::ConsumerGroupMetadata> group(consumer_->groupMetadata());
    for (int attempt = 0;; ++attempt) {
      ErrorHolder e{producer_->send_offsets_to_transaction(offsets, group.get(), kTxnCallTimeoutMs)};
      const TxnAction action = classify_txn_error(flags_of(e.error), false);
      if (action == TxnAction::kNone) {
        break;
      }
      if (action == TxnAction::kRetry && attempt < kMaxRetries) {
        continue;
      }
      delete_all(offsets);
      if (action == TxnAction::kAbortAndRewind) {
        abort_and_rewind(stop, "send_offsets_to_transaction: " + e.text());
      } else {
        recreate_producer(stop, "send_offsets_to_transaction: " + e.text());
      }
      return;
    }
    delete_all(offsets);
  }
  for (int attempt = 0;; ++attempt) {
    ErrorHolder e{producer_->commit_transaction(kTxnCallTimeoutMs)};
    const TxnAction action = classify_txn_error(flags_of(e.error), true);
    if (action == TxnAction::kNone) {
      break;
    }
    if (action == TxnAction::kRetry && attempt < kMaxRetries) {
      log()->warn("commit_transaction retriable error (attempt {}): {}", attempt + 1, e.text());
      continue;
    }
    if (action == TxnAction::kAbortAndRewind) {
      abort_and_rewind(stop, "commit_transaction: " + e.text());
    } else {
      recreate_producer(stop, "commit_transaction: " + e.text());
    }
    return;
  }
  txn_open_ = false;
  commits_.fetch_add(1);
  observer_->transaction("commit");
  for (const auto& [topic, count] : produced_in_txn_) {
    observer_->produced(topic, count);
  }
  produced_in_txn_.clear();
  pending_offsets_.clear();
  poisoned_.clear();
  records_in_txn_ = 0;
  handler_.on_transaction_committed();
}

void TransactionalLoop::after_abort(const char* result) {
  aborts_.fetch_add(1);
  observer_->transaction(result);
  pending_offsets_.clear();
  produced_in_txn_.clear();
  records_in_txn_ = 0;
  handler_.on_transaction_aborted();
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
  if (!produce_all(outputs)) {
    abort_and_rewind(stop, "a timer output could not be produced");
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
  if (txn_open_) {
    if (lost) {
      // Someone else may own these partitions already; our transaction must not commit.
      abort_and_rewind(*stop_, "assignment lost");
    } else {
      commit(*stop_);
    }
  }
  for (const auto& tp : partitions) {
    assignment_.erase(tp);
  }
  assigned_count_.store(assignment_.size());
  log()->info("revoked {} partition(s){}, now holding {}", partitions.size(), lost ? " (lost)" : "",
              assignment_.size());
  handler_.on_partitions_revoked(partitions);
}

Status TransactionalLoop::run(const std::atomic<bool>& stop) {
  stop_ = &stop;
  if (Status st = create_producer(); !st.ok()) {
    return st;
  }
  if (Status st = create_consumer(); !st.ok()) {
    return st;
  }
  log()->info("starting: group '{}', transactional id '{}', inputs {}, commit every {} records / {} ms",
              loop_.group_id, transactional_id_, nlohmann::json(loop_.input_topics).dump(),
              loop_.commit_every_records, loop_.commit_every_ms);
  if (!init_producer_with_retry(stop)) {
    return Status::success();  // stopped before the broker was ever reachable
  }
  if (const RdKafka::ErrorCode code = consumer_->subscribe(loop_.input_topics); code != RdKafka::ERR_NO_ERROR) {
    return Error::invalid("subscribe failed: " + RdKafka::err2str(code), "loop.input_topics");
  }
  last_tick_ = std::chrono::steady_clock::now();
  auto last_transient_log = std::chrono::steady_clock::time_point{};
  while (!stop.load()) {
    maybe_tick(stop);
    int timeout_ms = 100;
    if (txn_open_) {
      const auto left = std::chrono::milliseconds(loop_.commit_every_ms) -
                        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                              txn_started_);
      timeout_ms = static_cast<int>(std::clamp<int64_t>(left.count(), 0, 100));
    }
    std::unique_ptr<RdKafka::Message> message(consumer_->consume(timeout_ms));
    switch (classify_consume_error(message->err())) {
      case ConsumeAction::kRecord:
        connected_.store(true);
        process(to_consumed_record(*message), stop);
        break;
      case ConsumeAction::kIdle:
        break;
      case ConsumeAction::kTransient:
        if (std::chrono::steady_clock::now() - last_transient_log > std::chrono::seconds(5)) {
          log()->warn("consumer: {}", message->errstr());
          last_transient_log = std::chrono::steady_clock::now();
        }
        break;
      case ConsumeAction::kFatal:
        log()->critical("consumer fatal error: {}", message->errstr());
        return Error::fatal("consumer fatal error: " + message->errstr());
    }
    producer_->poll(0);
    if (commit_due()) {
      commit(stop);
    }
  }
  log()->info("stopping: committing the open transaction and leaving the group");
  commit(stop);
  consumer_->close();
  producer_->flush(5000);
  producer_ready_.store(false);
  update_readiness();
  log()->info("stopped after {} committed and {} aborted transactions", commits_.load(), aborts_.load());
  return Status::success();
}

}  // namespace caselink::kafka
