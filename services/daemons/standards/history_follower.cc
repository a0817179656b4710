#include "services/daemons/standards/history_follower.h"

#include <chrono>
#include <utility>

#include "services/lib/kafka/topic_reader.h"
#include "services/lib/logging/logging.h"

namespace caselink::standards {

namespace {
std::shared_ptr<spdlog::logger> history_log() { return logging::get("standards.history"); }
constexpr std::chrono::milliseconds kPoll{200};
constexpr std::chrono::seconds kRetry{2};
}  // namespace

HistoryFollower::HistoryFollower(kafka::KafkaSettings kafka, std::string client_id, std::string topic,
                                 std::shared_ptr<PenaltyInbox> inbox)
    : kafka_(std::move(kafka)), client_id_(std::move(client_id)), topic_(std::move(topic)), inbox_(std::move(inbox)) {}

HistoryFollower::~HistoryFollower() { stop(); }

void HistoryFollower::start() {
  thread_ = std::thread([this] { run(); });
}

Status HistoryFollower::check_topic() const {
  kafka::TopicReaderOptions options;
  options.topics = {topic_};
  options.start = kafka::StartAt::end();
  options.end = kafka::EndAt::kStableNow;
  options.client_id = client_id_ + "-check";
  options.timeout = std::chrono::seconds(30);
  auto reader = kafka::TopicReader::open(kafka_, options);
  if (!reader.ok() && reader.error().code == ErrorCode::kNotFound) {
    return Error::invalid(reader.error().message + "; or set standards.history_topic to \"\" (off)",
                          "standards.history_topic");
  }
  return Status::success();
}

bool HistoryFollower::wait_caught_up(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return caught_up_changed_.wait_for(lock, timeout, [this] { return caught_up_; });
}

void HistoryFollower::stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

// A broker that cannot be reached delays the history, never the loop: the counts stay lower bounds.
void HistoryFollower::run() {
  Positions positions;
  while (!stop_.load()) {
    positions = follow(positions);
    for (auto waited = std::chrono::milliseconds(0); waited < kRetry && !stop_.load(); waited += kPoll) {
      std::this_thread::sleep_for(kPoll);  // before opening the reader again
    }
  }
}

HistoryFollower::Positions HistoryFollower::follow(const Positions& from) {
  kafka::TopicReaderOptions options;
  options.topics = {topic_};
  options.start_offsets = from;
  options.end = kafka::EndAt::kStableNow;
  options.client_id = client_id_;
  options.timeout = std::chrono::seconds(30);
  auto reader = kafka::TopicReader::open(kafka_, options);
  if (!reader.ok()) {
    history_log()->warn("penalty history: cannot read {}: {}; trying again in {} s", topic_,
                        reader.error().describe(), kRetry.count());
    return from;
  }
  const auto started = std::chrono::steady_clock::now();
  size_t records = 0;
  bool logged_end = false;
  while (!stop_.load()) {
    const Status polled = (*reader)->poll(kPoll, [&](const ConsumedRecord& record) {
      ++records;
      inbox_->push(record);  // decoded and checked on the loop's thread (StandardsHandler)
    });
    if (!polled.ok()) {
      history_log()->warn("penalty history: reading {} stopped: {}; opening it again", topic_, polled.error().describe());
      break;
    }
    if ((*reader)->at_end() && !std::exchange(logged_end, true)) {
      {
        std::lock_guard lock(mutex_);
        caught_up_ = true;
      }
      caught_up_changed_.notify_all();
      history_log()->info("penalty history: read {} to its end: {} records handed over ({:.1f} s)", topic_, records,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
  }
  return (*reader)->positions();
}

}  // namespace caselink::standards
