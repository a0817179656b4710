// FeedbackReader: the agency's feedback topic, read_committed, committed by hand.
#include <librdkafka/rdkafkacpp.h>

#include <utility>

#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/routing.h"
#include "services/lib/kafka/client.h"
#include "services/lib/kafka/errors.h"
#include "services/lib/kafka/factory.h"
#include "services/lib/kafka/settings.h"
#include "services/lib/logging/logging.h"
#include "services/lib/sdk/agency_client.h"
#include "services/lib/sdk/client_settings.h"
#include "services/lib/signing/runtime.h"

namespace caselink::sdk {

namespace {

// Upper bound of records one poll() fetches; the rest stay with librdkafka for the next call.
constexpr size_t kMaxBatch = 500;

std::string position(const ConsumedRecord& record) {
  return record.topic + "/" + std::to_string(record.partition) + "@" + std::to_string(record.offset);
}

Result<v1::Envelope> decode(const ConsumedRecord& record) {
  if (!record.value) {
    return Error::invalid("record " + position(record) + " has no value (tombstone), not an envelope", "value",
                          envelope::kUndecodable);
  }
  auto decoded = envelope::decode(*record.value);
  // With a signing runtime installed (signing::install, signing.verify: required) the feedback
  // must be signed by caselink-feedback, as a service's decode step checks (kafka/decode.h).
  Status signature = decoded.ok() ? signing::verify_if_installed(*decoded) : Status::success();
  if (!decoded.ok() || !signature.ok()) {
    Error error = decoded.ok() ? signature.error() : decoded.error();
    error.message = "record " + position(record) + ": " + error.message;
    return error;
  }
  return decoded;
}

}  // namespace

// Partitions taken away in a rebalance: their records not yet returned are dropped and their
// positions forgotten, so the new owner reads them again (at-least-once) instead of this
// reader committing for partitions it no longer holds.
class FeedbackReader::Rebalance final : public RdKafka::RebalanceCb {
 public:
  explicit Rebalance(FeedbackReader* reader) : reader_(reader) {}

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    const bool cooperative = consumer->rebalance_protocol() == "COOPERATIVE";
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      if (cooperative) {
        delete consumer->incremental_assign(partitions);
      } else {
        consumer->assign(partitions);
      }
      return;
    }
    std::vector<std::pair<std::string, int32_t>> revoked;
    for (const auto* tp : partitions) {
      revoked.emplace_back(tp->topic(), tp->partition());
    }
    reader_->forget_partitions(revoked);
    if (cooperative) {
      delete consumer->incremental_unassign(partitions);
    } else {
      consumer->unassign();
    }
  }

 private:
  FeedbackReader* reader_;
};

Result<std::unique_ptr<FeedbackReader>> FeedbackReader::create(ClientOptions options, std::string group_id) {
  if (Status valid = validate(options); !valid.ok()) {
    return valid.error();
  }
  if (group_id.empty()) {
    return Error::invalid("must be set: the agency adapter's consumer group, stable across restarts", "group_id");
  }
  auto connection = client_settings(options);
  if (!connection.ok()) {
    return connection.error();
  }
  kafka::KafkaSettings settings = std::move(connection).value();
  // Defaults the caller may override: a new group starts at the beginning, so feedback written
  // before the adapter's first start is not skipped; cooperative rebalances (kafka.md §2).
  settings.properties.emplace("auto.offset.reset", "earliest");
  settings.properties.emplace("partition.assignment.strategy", "cooperative-sticky");

  std::unique_ptr<FeedbackReader> reader(new FeedbackReader());
  reader->topic_ = options.topic_prefix + envelope::feedback_topic_for(options.agency_id);
  reader->rebalance_ = std::make_unique<Rebalance>(reader.get());
  // A group consumer (subscribe, commits by hand): the agency's adapter resumes where it left off.
  auto consumer = kafka::make_consumer(settings,
                                       {{"client.id", options.client_id},
                                        {"group.id", group_id},
                                        {"isolation.level", "read_committed"},
                                        {"enable.auto.commit", "false"},
                                        {"enable.auto.offset.store", "false"}},
                                       {.rebalance = reader->rebalance_.get()});
  if (!consumer.ok()) {
    Error error = consumer.error();
    if (error.field.rfind("kafka.properties.", 0) == 0) {
      error.field = "kafka_overrides." + error.field.substr(std::string("kafka.properties.").size());
    }
    return error;
  }
  reader->consumer_ = std::move(consumer).value();
  if (RdKafka::ErrorCode code = reader->consumer_->subscribe({reader->topic_}); code != RdKafka::ERR_NO_ERROR) {
    return Error::invalid("cannot subscribe to " + reader->topic_ + ": " + RdKafka::err2str(code));
  }
  return reader;
}

FeedbackReader::~FeedbackReader() {
  if (consumer_) {
    consumer_->close();
  }
}

void FeedbackReader::forget_partitions(const std::vector<std::pair<std::string, int32_t>>& partitions) {
  for (const auto& tp : partitions) {
    next_offsets_.erase(tp);
    std::erase_if(pending_, [&](const ConsumedRecord& r) { return r.topic == tp.first && r.partition == tp.second; });
  }
}

Status FeedbackReader::fetch(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    // One consume() even with a zero timeout, so poll(0ms) still serves what is buffered.
    std::unique_ptr<RdKafka::Message> message(consumer_->consume(static_cast<int>(std::max<int64_t>(0, left.count()))));
    const RdKafka::ErrorCode code = message->err();
    if (code == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART || code == RdKafka::ERR__UNKNOWN_TOPIC) {
      return Error::not_found("feedback topic " + topic_ +
                              " does not exist: is the agency listed under feedback_agencies in deploy/topics.yaml?");
    }
    switch (kafka::classify_consume_error(code)) {
      case kafka::ConsumeAction::kRecord:
        pending_.push_back(kafka::to_consumed_record(*message));
        // Take whatever else is already buffered, without waiting.
        while (pending_.size() < kMaxBatch) {
          std::unique_ptr<RdKafka::Message> more(consumer_->consume(0));
          if (more->err() != RdKafka::ERR_NO_ERROR) {
            break;
          }
          pending_.push_back(kafka::to_consumed_record(*more));
        }
        return Status::success();
      case kafka::ConsumeAction::kFatal:
        return Error::fatal("consumer of " + topic_ + " failed: " + message->errstr() + "; create a new reader");
      case kafka::ConsumeAction::kTransient:
        // librdkafka reconnects by itself (broker restart, transport error): log and keep waiting.
        logging::get("sdk.feedback")->warn("consuming {}: {}", topic_, message->errstr());
        break;
      case kafka::ConsumeAction::kIdle:
        break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::success();
    }
  }
}

Result<std::vector<v1::Envelope>> FeedbackReader::poll(std::chrono::milliseconds timeout) {
  if (pending_.empty()) {
    if (Status fetched = fetch(timeout); !fetched.ok()) {
      return fetched.error();
    }
  }
  std::vector<v1::Envelope> out;
  while (!pending_.empty()) {
    const ConsumedRecord& record = pending_.front();
    auto decoded = decode(record);
    if (!decoded.ok() && !out.empty()) {
      break;  // the good records first; the bad one is the next poll()'s answer
    }
    next_offsets_[{record.topic, record.partition}] = record.offset + 1;
    pending_.pop_front();
    if (!decoded.ok()) {
      return decoded.error();
    }
    out.push_back(std::move(*decoded));
  }
  return out;
}

Status FeedbackReader::commit() {
  if (next_offsets_.empty()) {
    return Status::success();
  }
  std::vector<RdKafka::TopicPartition*> offsets;
  for (const auto& [tp, next] : next_offsets_) {
    offsets.push_back(RdKafka::TopicPartition::create(tp.first, tp.second, next));
  }
  const RdKafka::ErrorCode code = consumer_->commitSync(offsets);
  std::string failed;
  for (auto* tp : offsets) {
    if (tp->err() != RdKafka::ERR_NO_ERROR && failed.empty()) {
      failed = tp->topic() + "/" + std::to_string(tp->partition()) + ": " + RdKafka::err2str(tp->err());
    }
  }
  RdKafka::TopicPartition::destroy(offsets);
  if (code != RdKafka::ERR_NO_ERROR || !failed.empty()) {
    // Nothing is lost: the records are read again after a restart or a rebalance.
    return Error::unavailable("commit on " + topic_ + " failed: " +
                              (failed.empty() ? RdKafka::err2str(code) : failed));
  }
  next_offsets_.clear();
  return Status::success();
}

}  // namespace caselink::sdk
