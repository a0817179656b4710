#include "services/daemons/standards/history_follower.h"

#include "services/lib/kafka/topic_reader.h"
#include "services/lib/logging/logging.h"

namespace caselink::standards {

namespace {
std::shared_ptr<spdlog::logger> history_log() { return logging::get("standards.history"); }
constexpr std::chrono::milliseconds kPoll{200};
constexpr std::chrono::seconds kRetry{2};
constexpr std::chrono::seconds kOpenTimeout{10};  // bounds how long stop() can wait for an open
constexpr int kSkipsLogged = 10;                  // per reader; the rest are counted
}  // namespace

HistoryFollower::HistoryFollower(kafka::KafkaSettings kafka, std::string client_id, std::string topic,
                                 std::string writer, PenaltyHistory& history, metrics::Registry* registry)
    : kafka_(std::move(kafka)),
      client_id_(std::move(client_id)),
      topic_(std::move(topic)),
      writer_(std::move(writer)),
      history_(history) {
  if (registry != nullptr) {
    taken_ = &registry
                  ->counter("caselink_standards_penalty_history_followed_total",
                            "Records of the penalty history topic taken into the penalty history (other instances' "
                            "and older penalties; this instance's own come back too and change nothing).")
                  .get();
    skipped_ = &registry
                    ->counter("caselink_standards_penalty_history_skipped_total",
                              "Records of the penalty history topic not taken: undecodable, a bad or unknown "
                              "signature, or not written by caselink-standards (logged, the first ones).")
                    .get();
  }
}

HistoryFollower::~HistoryFollower() { stop(); }

Status HistoryFollower::check_topic() const {
  kafka::TopicReaderOptions options;
  options.topics = {topic_};
  options.start = kafka::StartAt::end();
  options.end = kafka::EndAt::kStableNow;
  options.client_id = client_id_ + "-check";
  options.timeout = kOpenTimeout;
  auto reader = kafka::TopicReader::open(kafka_, options);
  if (!reader.ok() && reader.error().code == ErrorCode::kNotFound) {
    return Error::invalid(reader.error().message + "; or set standards.history_topic to \"\" (off)",
                          "standards.history_topic");
  }
  return Status::success();
}

void HistoryFollower::start() {
  thread_ = std::thread([this] { run(); });
}

void HistoryFollower::stop() {
  stop_.store(true);
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool HistoryFollower::wait_caught_up(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [this] { return caught_up_ || stop_.load(); });
  return caught_up_;
}

void HistoryFollower::mark_caught_up() {
  {
    std::lock_guard lock(mutex_);
    caught_up_ = true;
  }
  changed_.notify_all();
}

// A broker that cannot be reached delays the history: the counts stay lower bounds meanwhile.
void HistoryFollower::run() {
  Positions positions;
  while (!stop_.load()) {
    positions = follow(positions);
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, kRetry, [this] { return stop_.load(); });  // before opening the reader again
  }
}

HistoryFollower::Positions HistoryFollower::follow(const Positions& from) {
  kafka::TopicReaderOptions options;
  options.topics = {topic_};
  options.start_offsets = from;
  options.end = kafka::EndAt::kStableNow;
  options.client_id = client_id_;
  options.timeout = kOpenTimeout;
  auto reader = kafka::TopicReader::open(kafka_, options);
  if (!reader.ok()) {
    history_log()->warn("penalty history: cannot read {}: {}; trying again in {} s", topic_,
                        reader.error().describe(), kRetry.count());
    // Offsets past a partition's end: the topic was recreated; read it again from the beginning.
    return reader.error().code == ErrorCode::kConflict ? Positions{} : from;
  }
  const auto started = std::chrono::steady_clock::now();
  size_t taken = 0;
  size_t skipped = 0;
  bool logged_end = false;
  while (!stop_.load()) {
    const Status polled = (*reader)->poll(kPoll, [&](const ConsumedRecord& record) {
      std::string why;
      if (history_.restore_record(record, writer_, &why)) {
        ++taken;
        if (taken_ != nullptr) taken_->inc();
        return;
      }
      if (skipped_ != nullptr) skipped_->inc();
      if (++skipped <= kSkipsLogged) {
        history_log()->warn("penalty history: record {}/{}@{} not taken: {}", record.topic, record.partition,
                            record.offset, why);
      }
    });
    if (!polled.ok()) {
      history_log()->warn("penalty history: reading {} stopped: {}; opening it again", topic_, polled.error().describe());
      break;
    }
    if ((*reader)->at_end() && !std::exchange(logged_end, true)) {
      mark_caught_up();
      history_log()->info("penalty history: read {} to its end: {} penalties taken, {} records skipped ({:.1f} s), "
                          "{} parties held",
                          topic_, taken, skipped,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                          history_.parties());
    }
  }
  return (*reader)->positions();
}

}  // namespace caselink::standards
