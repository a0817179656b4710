#include "services/tools/ctl/ops_replay_producer.h"

#include <librdkafka/rdkafkacpp.h>

#include <mutex>

#include "services/lib/kafka/client.h"
#include "services/lib/kafka/factory.h"

namespace caselink::ctl {

namespace {

// Delivery reports by record index (the produce opaque).
class Deliveries final : public RdKafka::DeliveryReportCb {
 public:
  void reset(size_t n) {
    const std::lock_guard<std::mutex> lock(mu_);
    results_.assign(n, kafka::Delivery{});
    errors_.clear();
  }
  void dr_cb(RdKafka::Message& message) override {
    const std::lock_guard<std::mutex> lock(mu_);
    const auto index = reinterpret_cast<uintptr_t>(message.msg_opaque());
    if (message.err() != RdKafka::ERR_NO_ERROR) {
      errors_ += message.topic_name() + ": " + message.errstr() + "; ";
    } else if (index < results_.size()) {
      results_[index] = {message.topic_name(), message.partition(), message.offset()};
    }
  }
  std::vector<kafka::Delivery> results() {
    const std::lock_guard<std::mutex> lock(mu_);
    return results_;
  }
  std::string errors() {
    const std::lock_guard<std::mutex> lock(mu_);
    return errors_;
  }

 private:
  std::mutex mu_;
  std::vector<kafka::Delivery> results_;
  std::string errors_;
};

std::string take_message(RdKafka::Error* error) {
  std::unique_ptr<RdKafka::Error> owned(error);
  return owned->str();
}

class KafkaReplayProducer final : public ReplayProducer {
 public:
  KafkaReplayProducer(std::unique_ptr<Deliveries> deliveries, std::unique_ptr<RdKafka::Producer> producer,
                      std::chrono::milliseconds timeout)
      : deliveries_(std::move(deliveries)), producer_(std::move(producer)), timeout_ms_(static_cast<int>(timeout.count())) {}

  Result<std::vector<kafka::Delivery>> write_transaction(const std::vector<OutgoingRecord>& records) override {
    deliveries_->reset(records.size());
    if (RdKafka::Error* e = producer_->begin_transaction()) return Error::unavailable("begin: " + take_message(e));
    for (size_t i = 0; i < records.size(); ++i) {
      const auto code = kafka::produce(*producer_, records[i], reinterpret_cast<void*>(static_cast<uintptr_t>(i)));
      if (code != RdKafka::ERR_NO_ERROR) return abort("produce to " + records[i].topic + ": " + RdKafka::err2str(code));
    }
    // Delivery reports are served by flush; a failed delivery makes commit_transaction fail
    // (abortable), so a commit that returns OK means every record is written.
    (void)producer_->flush(timeout_ms_);
    if (RdKafka::Error* e = producer_->commit_transaction(timeout_ms_)) {
      return abort("commit: " + take_message(e) + " " + deliveries_->errors());
    }
    return deliveries_->results();
  }

 private:
  Error abort(const std::string& why) {
    if (RdKafka::Error* e = producer_->abort_transaction(timeout_ms_)) {
      return Error::unavailable(why + "; abort: " + take_message(e));
    }
    return Error::unavailable(why + " (transaction aborted: nothing was written)");
  }

  std::unique_ptr<Deliveries> deliveries_;
  std::unique_ptr<RdKafka::Producer> producer_;
  int timeout_ms_;
};

}  // namespace

Result<std::unique_ptr<ReplayProducer>> ReplayProducer::create(const kafka::KafkaSettings& settings,
                                                               const std::string& transactional_id,
                                                               std::chrono::milliseconds timeout) {
  auto deliveries = std::make_unique<Deliveries>();
  auto made = kafka::make_producer(settings,
                                   {{"transactional.id", transactional_id},
                                    {"enable.idempotence", "true"},
                                    {"acks", "all"},
                                    {"partitioner", kafka::kCasePartitioner},
                                    {"client.id", "caselinkctl-replay"},
                                    {"log_level", "2"}},
                                   {nullptr, deliveries.get(), nullptr});
  if (!made.ok()) return made.error();
  std::unique_ptr<RdKafka::Producer> producer = std::move(made).value();
  if (RdKafka::Error* e = producer->init_transactions(static_cast<int>(timeout.count()))) {
    return Error::unavailable("init_transactions (" + transactional_id + "): " + take_message(e));
  }
  return std::unique_ptr<ReplayProducer>(
      std::make_unique<KafkaReplayProducer>(std::move(deliveries), std::move(producer), timeout));
}

}  // namespace caselink::ctl
