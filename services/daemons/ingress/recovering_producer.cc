#include "services/daemons/ingress/recovering_producer.h"

#include "services/lib/logging/logging.h"

namespace caselink::ingress {

namespace {

class KafkaPort final : public ProducerPort {
 public:
  explicit KafkaPort(std::unique_ptr<kafka::IdempotentProducer> producer) : producer_(std::move(producer)) {}
  Status send_async(const OutgoingRecord& record, kafka::DeliveryCallback done) override {
    return producer_->send_async(record, std::move(done));
  }
  std::string fatal_error() const override { return producer_->fatal_error(); }
  bool broker_connected() const override { return producer_->broker_connected(); }
  Status flush(std::chrono::milliseconds timeout) override { return producer_->flush(timeout); }
  std::optional<kafka::ClientStatistics> statistics() const override { return producer_->statistics(); }

 private:
  std::unique_ptr<kafka::IdempotentProducer> producer_;
};

}  // namespace

std::unique_ptr<ProducerPort> wrap(std::unique_ptr<kafka::IdempotentProducer> producer) {
  return std::make_unique<KafkaPort>(std::move(producer));
}

RecoveringProducer::RecoveringProducer(Factory factory) : factory_(std::move(factory)) {}

RecoveringProducer::~RecoveringProducer() {
  std::vector<std::thread> closing;
  {
    std::lock_guard lock(mutex_);
    closing.swap(closing_);
  }
  for (auto& t : closing) {
    t.join();
  }
}

Status RecoveringProducer::start() {
  if (usable() == nullptr) {
    std::lock_guard lock(mutex_);
    return Error::unavailable("cannot create the producer: " + problem_);
  }
  return Status::success();
}

std::shared_ptr<ProducerPort> RecoveringProducer::usable() {
  std::lock_guard lock(mutex_);
  std::string why;
  if (producer_ != nullptr) {
    std::string fatal = producer_->fatal_error();
    if (fatal.empty()) {
      return producer_;
    }
    why = "the producer failed fatally (" + fatal + ")";
    logging::get("ingress")->error("{}; replacing it with a new producer", why);
    // Its destructor flushes (seconds): close it off the API threads.
    closing_.emplace_back([old = std::move(producer_)]() mutable { old.reset(); });
    producer_.reset();
  }
  auto made = factory_();
  if (!made.ok()) {
    problem_ = (why.empty() ? "" : why + "; ") + "creating a producer failed: " + made.error().message;
    return nullptr;
  }
  producer_ = std::shared_ptr<ProducerPort>(std::move(*made));
  ++generation_;
  if (generation_ > 1) {
    logging::get("ingress")->warn("producer replaced (generation {})", generation_);
  }
  problem_.clear();
  return producer_;
}

Status RecoveringProducer::send_async(const OutgoingRecord& record, kafka::DeliveryCallback done) {
  std::shared_ptr<ProducerPort> producer = usable();
  if (producer == nullptr) {
    std::lock_guard lock(mutex_);
    return Error::unavailable("no usable producer: " + problem_);
  }
  return producer->send_async(record, std::move(done));
}

ProducerHealth RecoveringProducer::health() {
  std::shared_ptr<ProducerPort> producer = usable();
  if (producer == nullptr) {
    std::lock_guard lock(mutex_);
    return {false, false, "no usable producer: " + problem_};
  }
  if (!producer->broker_connected()) {
    return {false, false, "no broker connection"};
  }
  return {true, true, ""};
}

Status RecoveringProducer::flush(std::chrono::milliseconds timeout) {
  std::shared_ptr<ProducerPort> producer;
  {
    std::lock_guard lock(mutex_);
    producer = producer_;
  }
  return producer == nullptr ? Status::success() : producer->flush(timeout);
}

std::optional<kafka::ClientStatistics> RecoveringProducer::statistics() const {
  std::shared_ptr<ProducerPort> producer;
  {
    std::lock_guard lock(mutex_);
    producer = producer_;
  }
  return producer == nullptr ? std::nullopt : producer->statistics();
}

int RecoveringProducer::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

}  // namespace caselink::ingress
