#include "services/daemons/console/follower.h"

#include "services/lib/envelope/topics.h"
#include "services/lib/kafka/topic_reader.h"
#include "services/lib/logging/logging.h"
#include "services/tools/ctl/case_history.h"

namespace caselink::console {

std::vector<std::string> console_topics() {
  std::vector<std::string> topics = ctl::case_topics();
  topics.emplace_back(ctl::kDlqTopic);
  topics.emplace_back(envelope::topics::kClassCase);
  return topics;
}

Follower::Follower(kafka::KafkaSettings kafka, std::string client_id, ReadModel& model)
    : kafka_(std::move(kafka)), client_id_(std::move(client_id)), model_(model) {}

Follower::~Follower() { stop(); }

void Follower::start() {
  thread_ = std::thread([this] { run(); });
}

void Follower::stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

std::string Follower::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

void Follower::set_status(std::string status) {
  std::lock_guard lock(status_mutex_);
  status_ = std::move(status);
}

// Retried with back-off while the broker or a topic is not there yet (the console may start
// before the topics are applied); null when stopped first or the settings are invalid.
std::unique_ptr<kafka::TopicReader> Follower::open_reader() {
  kafka::TopicReaderOptions options;
  options.topics = console_topics();
  options.start = kafka::StartAt::beginning();
  options.end = kafka::EndAt::kStableNow;  // ready at what is committed now
  options.client_id = client_id_ + "-reader";
  options.timeout = std::chrono::milliseconds(5000);
  auto backoff = std::chrono::milliseconds(200);
  auto log = logging::get("console.follower");
  while (!stop_.load()) {
    auto reader = kafka::TopicReader::open(kafka_, options);
    if (reader.ok()) return std::move(reader).value();
    set_status("topics not readable yet: " + reader.error().message);
    if (reader.error().code == ErrorCode::kInvalid) {
      log->error("cannot create the topic reader: {}", reader.error().describe());
      return nullptr;
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
  return nullptr;
}

void Follower::run() {
  auto log = logging::get("console.follower");
  std::unique_ptr<kafka::TopicReader> reader = open_reader();
  if (!reader) return;
  set_status("reading the case topics and the DLQ");
  log->info("following {} partitions of {} topics from the beginning", reader->end_offsets().size(),
            console_topics().size());
  const auto visit = [this](const ConsumedRecord& record) {
    size_t undecodable = 0;
    ctl::CaseRecordRef ref = ctl::to_record_ref(record, &undecodable);
    if (undecodable > 0 && ref.topic != ctl::kDlqTopic) {
      model_.count_undecodable();  // a dead letter need not decode to be counted
      return;
    }
    model_.apply(ref);
  };
  while (!stop_.load()) {
    Status polled = reader->poll(std::chrono::milliseconds(200), visit);
    if (!polled.ok()) log->warn("topic reader: {}", polled.error().message);
    if (!caught_up_.load() && reader->at_end()) {
      caught_up_.store(true);
      set_status("");
      log->info("caught up: {} cases, {} records", model_.case_count(), model_.records_applied());
    }
  }
}

}  // namespace caselink::console
