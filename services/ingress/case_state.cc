#include "services/ingress/case_state.h"

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "services/common/envelope/codec.h"
#include "services/common/kafka/client.h"
#include "services/common/logging/logging.h"
#include "services/common/signing/runtime.h"

namespace caselink::ingress {

Status CaseStateView::apply(std::string_view value) {
  auto envelope = envelope::decode(value);
  if (!envelope.ok()) {
    return envelope.error();
  }
  // With signing.verify: required only a snapshot signed by its producer (caselink-sync) is
  // served: a record forged straight onto the state topic is skipped.
  if (Status signature = signing::verify_if_installed(*envelope); !signature.ok()) {
    return signature.error();
  }
  if (!envelope->has_case_state_snapshot()) {
    return Error::invalid("not a CaseStateSnapshot but " + envelope->event_type(), "payload", envelope::kTypeMismatch);
  }
  caselink::v1::CaseStateSnapshot snapshot = envelope->case_state_snapshot();
  if (snapshot.case_id().empty()) {
    snapshot.set_case_id(envelope->case_id());
  }
  apply(snapshot);
  return Status::success();
}

void CaseStateView::apply(const caselink::v1::CaseStateSnapshot& snapshot) {
  if (snapshot.version() == 0) {
    // caselink-sync's placeholder for a case it has never seen, carrying parked early events
    // (docs/services/case-sync.md): no case exists yet, so GET /v1/cases/{id} stays 404.
    return;
  }
  std::unique_lock lock(mutex_);
  auto it = cases_.find(snapshot.case_id());
  if (it == cases_.end()) {
    cases_.emplace(snapshot.case_id(), snapshot);
  } else if (snapshot.version() >= it->second.version()) {
    // >=: a re-sent snapshot of the same version replaces the old copy (same content).
    it->second = snapshot;
  }
}

std::optional<caselink::v1::CaseStateSnapshot> CaseStateView::find(const std::string& case_id) const {
  std::shared_lock lock(mutex_);
  auto it = cases_.find(case_id);
  if (it == cases_.end()) {
    return std::nullopt;
  }
  return it->second;
}

size_t CaseStateView::size() const {
  std::shared_lock lock(mutex_);
  return cases_.size();
}

CaseStateFollower::CaseStateFollower(kafka::KafkaSettings kafka, std::string topic, std::string client_id,
                                     CaseStateView& view)
    : kafka_(std::move(kafka)), topic_(std::move(topic)), client_id_(std::move(client_id)), view_(view) {}

CaseStateFollower::~CaseStateFollower() { stop(); }

void CaseStateFollower::start() {
  thread_ = std::thread([this] { run(); });
}

void CaseStateFollower::stop() {
  stop_.store(true);
  if (thread_.joinable()) {
    thread_.join();
  }
}

std::string CaseStateFollower::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

void CaseStateFollower::set_status(std::string status) {
  std::lock_guard lock(status_mutex_);
  status_ = std::move(status);
}

int CaseStateFollower::wait_for_partitions(RdKafka::KafkaConsumer& consumer) {
  int partitions = 0;
  auto backoff = std::chrono::milliseconds(200);
  std::string err;
  while (!stop_.load() && partitions == 0) {
    std::unique_ptr<RdKafka::Topic> topic(RdKafka::Topic::create(&consumer, topic_, nullptr, err));
    RdKafka::Metadata* raw = nullptr;
    const RdKafka::ErrorCode code = consumer.metadata(false, topic.get(), &raw, 5000);
    std::unique_ptr<RdKafka::Metadata> metadata(raw);
    if (code == RdKafka::ERR_NO_ERROR && metadata && !metadata->topics()->empty() &&
        metadata->topics()->front()->err() == RdKafka::ERR_NO_ERROR) {
      partitions = static_cast<int>(metadata->topics()->front()->partitions()->size());
    }
    if (partitions == 0) {
      set_status("case state topic " + topic_ + " not reachable yet (" + RdKafka::err2str(code) + ")");
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }
  return stop_.load() ? 0 : partitions;
}

void CaseStateFollower::handle(const RdKafka::Message& message, std::set<int32_t>& not_at_end) {
  auto log = logging::get("ingress.case_state");
  switch (message.err()) {
    case RdKafka::ERR_NO_ERROR: {
      if (message.payload() == nullptr) {
        break;  // tombstone: v1 never writes them (docs/topics.md); nothing to apply
      }
      Status applied = view_.apply(std::string_view(static_cast<const char*>(message.payload()), message.len()));
      if (!applied.ok()) {
        skipped_.fetch_add(1);
        log->warn("skipped {}[{}]@{}: {}", topic_, message.partition(), message.offset(), applied.error().describe());
      }
      break;
    }
    case RdKafka::ERR__PARTITION_EOF:
      if (!caught_up_.load()) {
        not_at_end.erase(message.partition());
        if (not_at_end.empty()) {
          caught_up_.store(true);
          set_status("");
          log->info("case state caught up: {} cases", view_.size());
        }
      }
      break;
    case RdKafka::ERR__TIMED_OUT:
      break;
    default:
      log->warn("case state consumer: {}", message.errstr());
      break;
  }
}

void CaseStateFollower::run() {
  auto log = logging::get("ingress.case_state");
  // librdkafka's KafkaConsumer needs a group.id even when it only assigns; nothing is committed.
  auto conf = kafka::make_conf(kafka_, {{"group.id", client_id_ + ".case-state"},
                                        {"client.id", client_id_ + "-case-state"},
                                        {"isolation.level", "read_committed"},
                                        {"enable.auto.commit", "false"},
                                        {"enable.auto.offset.store", "false"},
                                        {"enable.partition.eof", "true"},
                                        {"auto.offset.reset", "earliest"}});
  if (!conf.ok()) {
    set_status("case state consumer: " + conf.error().message);
    log->error("cannot configure the case state consumer: {}", conf.error().describe());
    return;
  }
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (!consumer) {
    set_status("case state consumer: " + err);
    log->error("cannot create the case state consumer: {}", err);
    return;
  }
  const int partitions = wait_for_partitions(*consumer);
  if (partitions == 0) {
    consumer->close();
    return;
  }
  std::vector<RdKafka::TopicPartition*> assignment;
  std::set<int32_t> not_at_end;
  for (int p = 0; p < partitions; ++p) {
    assignment.push_back(RdKafka::TopicPartition::create(topic_, p, RdKafka::Topic::OFFSET_BEGINNING));
    not_at_end.insert(p);
  }
  consumer->assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  set_status("reading case state from " + topic_);
  log->info("following {} ({} partitions) from the beginning", topic_, partitions);
  while (!stop_.load()) {
    std::unique_ptr<RdKafka::Message> message(consumer->consume(200));
    handle(*message, not_at_end);
  }
  consumer->close();
}

}  // namespace caselink::ingress
