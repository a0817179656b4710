#include "services/daemons/ingress/case_state.h"

#include <chrono>
#include <mutex>
#include <thread>

#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/topic_reader.h"
#include "services/lib/logging/logging.h"
#include "services/lib/signing/runtime.h"

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

std::unique_ptr<kafka::TopicReader> CaseStateFollower::open_reader() {
  kafka::TopicReaderOptions options;
  options.topics = {topic_};
  options.start = kafka::StartAt::beginning();
  // Caught up at the first end of every partition: the view serves what is committed now.
  options.end = kafka::EndAt::kStableNow;
  options.client_id = client_id_ + "-case-state";
  options.timeout = std::chrono::milliseconds(5000);
  auto backoff = std::chrono::milliseconds(200);
  while (!stop_.load()) {
    auto reader = kafka::TopicReader::open(kafka_, options);
    if (reader.ok()) return std::move(reader).value();
    if (reader.error().code == ErrorCode::kInvalid) {
      set_status("case state consumer: " + reader.error().message);
      logging::get("ingress.case_state")->error("cannot create the case state consumer: {}", reader.error().describe());
      return nullptr;
    }
    set_status("case state topic " + topic_ + " not reachable yet (" + reader.error().message + ")");
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
  return nullptr;
}

void CaseStateFollower::apply(const ConsumedRecord& record) {
  if (!record.value) {
    return;  // tombstone: v1 never writes them (docs/topics.md); nothing to apply
  }
  Status applied = view_.apply(*record.value);
  if (!applied.ok()) {
    skipped_.fetch_add(1);
    logging::get("ingress.case_state")
        ->warn("skipped {}[{}]@{}: {}", topic_, record.partition, record.offset, applied.error().describe());
  }
}

void CaseStateFollower::run() {
  auto log = logging::get("ingress.case_state");
  std::unique_ptr<kafka::TopicReader> reader = open_reader();
  if (!reader) return;
  set_status("reading case state from " + topic_);
  log->info("following {} ({} partitions) from the beginning", topic_, reader->end_offsets().size());
  while (!stop_.load()) {
    Status polled = reader->poll(std::chrono::milliseconds(200), [this](const ConsumedRecord& r) { apply(r); });
    if (!polled.ok()) log->warn("case state consumer: {}", polled.error().message);
    if (!caught_up_.load() && reader->at_end()) {
      caught_up_.store(true);
      set_status("");
      log->info("case state caught up: {} cases", view_.size());
    }
  }
}

}  // namespace caselink::ingress
