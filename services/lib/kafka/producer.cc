#include "services/lib/kafka/producer.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <future>

#include "services/lib/kafka/client.h"
#include "services/lib/kafka/factory.h"
#include "services/lib/logging/logging.h"

namespace caselink::kafka {

class IdempotentProducer::Callbacks : public RdKafka::DeliveryReportCb, public RdKafka::EventCb {
 public:
  explicit Callbacks(IdempotentProducer* owner) : owner_(owner), connected_(&owner->connected_) {}

  void dr_cb(RdKafka::Message& message) override {
    std::unique_ptr<DeliveryCallback> done(static_cast<DeliveryCallback*>(message.msg_opaque()));
    if (!done) {
      return;
    }
    if (message.err() != RdKafka::ERR_NO_ERROR) {
      (*done)(Error::unavailable("delivery to " + message.topic_name() + " failed: " + message.errstr()));
      return;
    }
    connected_->store(true);
    (*done)(Delivery{message.topic_name(), message.partition(), message.offset()});
  }

  void event_cb(RdKafka::Event& event) override {
    if (event.type() == RdKafka::Event::EVENT_ERROR) {
      if (event.err() == RdKafka::ERR__ALL_BROKERS_DOWN) {
        connected_->store(false);
      }
      logging::get("kafka.producer")->warn("librdkafka: {} ({})", event.str(), RdKafka::err2str(event.err()));
    } else if (event.type() == RdKafka::Event::EVENT_STATS) {
      auto stats = parse_statistics(event.str());
      if (!stats.ok()) {
        logging::get("kafka.producer")->warn("{}", stats.error().describe());
        return;
      }
      connected_->store(stats->any_broker_up());
      std::lock_guard lock(owner_->statistics_mutex_);
      owner_->statistics_ = std::move(*stats);
    }
  }

 private:
  IdempotentProducer* owner_;
  std::atomic<bool>* connected_;
};

Result<std::unique_ptr<IdempotentProducer>> IdempotentProducer::create(const KafkaSettings& settings,
                                                                       const std::string& client_id) {
  std::unique_ptr<IdempotentProducer> self(new IdempotentProducer());
  self->callbacks_ = std::make_unique<Callbacks>(self.get());
  auto producer = make_producer(settings,
                                {{"client.id", client_id},
                                 {"enable.idempotence", "true"},
                                 {"partitioner", kCasePartitioner},
                                 {"acks", "all"},
                                 {"message.timeout.ms", std::to_string(settings.message_timeout_ms)}},
                                {.event = self->callbacks_.get(), .delivery = self->callbacks_.get()});
  if (!producer.ok()) {
    return producer.error();
  }
  self->producer_ = std::move(producer).value();
  IdempotentProducer* raw = self.get();
  self->poller_ = std::thread([raw] {
    while (!raw->stop_.load()) {
      raw->producer_->poll(50);
    }
  });
  return self;
}

IdempotentProducer::~IdempotentProducer() {
  if (producer_) {
    producer_->flush(5000);
  }
  stop_.store(true);
  if (poller_.joinable()) {
    poller_.join();
  }
  if (producer_) {
    // Anything still queued fails now; callbacks run in this final poll.
    producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
    producer_->poll(0);
  }
}

Status IdempotentProducer::send_async(const OutgoingRecord& record, DeliveryCallback done) {
  auto* opaque = new DeliveryCallback(std::move(done));
  const RdKafka::ErrorCode code = produce(*producer_, record, opaque);
  if (code != RdKafka::ERR_NO_ERROR) {
    delete opaque;
    if (code == RdKafka::ERR__QUEUE_FULL) {
      return Error::unavailable("local producer queue is full");
    }
    return Error::invalid("produce to " + record.topic + " refused: " + RdKafka::err2str(code));
  }
  return Status::success();
}

Result<Delivery> IdempotentProducer::send(const OutgoingRecord& record) {
  auto promise = std::make_shared<std::promise<Result<Delivery>>>();
  auto future = promise->get_future();
  Status queued = send_async(record, [promise](Result<Delivery> r) { promise->set_value(std::move(r)); });
  if (!queued.ok()) {
    return queued.error();
  }
  return future.get();
}

Status IdempotentProducer::flush(std::chrono::milliseconds timeout) {
  const RdKafka::ErrorCode code = producer_->flush(static_cast<int>(timeout.count()));
  if (code != RdKafka::ERR_NO_ERROR) {
    return Error::unavailable("flush: " + RdKafka::err2str(code));
  }
  return Status::success();
}

void IdempotentProducer::raise_fatal_error_for_testing(const std::string& reason) {
  rd_kafka_test_fatal_error(producer_->c_ptr(), RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, reason.c_str());
}

std::optional<ClientStatistics> IdempotentProducer::statistics() const {
  std::lock_guard lock(statistics_mutex_);
  return statistics_;
}

std::string IdempotentProducer::fatal_error() const {
  std::string reason;
  if (producer_->fatal_error(reason) == RdKafka::ERR_NO_ERROR) {
    return {};
  }
  return reason.empty() ? "fatal error" : reason;
}

}  // namespace caselink::kafka
