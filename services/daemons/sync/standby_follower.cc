#include "services/daemons/sync/standby_follower.h"

#include "services/lib/kafka/topic_reader.h"
#include "services/lib/logging/logging.h"

namespace caselink::sync {

namespace {
std::shared_ptr<spdlog::logger> standby_log() { return logging::get("sync.standby"); }
constexpr std::chrono::milliseconds kPoll{200};
constexpr std::chrono::seconds kRetry{2};
constexpr std::chrono::seconds kAskBehind{2};
}  // namespace

StandbyFollower::StandbyFollower(kafka::KafkaSettings kafka, std::string client_id, std::string state_topic,
                                 StandbyReplicas& replicas, metrics::Registry* registry, std::string service,
                                 std::map<std::string, std::string> read_ahead)
    : kafka_(std::move(kafka)),
      client_id_(std::move(client_id)),
      topic_(std::move(state_topic)),
      read_ahead_(std::move(read_ahead)),
      replicas_(replicas),
      service_(std::move(service)) {
  if (registry != nullptr) {
    cases_gauge_ = &registry->gauge("caselink_sync_standby_cases",
                                    "Cases of other instances' partitions folded by the standby replicas.", {"service"});
    behind_gauge_ = &registry->gauge(
        "caselink_sync_standby_behind_records",
        "State records between the standby replicas' position and the followed partitions' high watermarks "
        "(an open transaction's records count), asked every 2 s; -1 when the broker did not answer.",
        {"service"});
    partitions_gauge_ = &registry->gauge("caselink_sync_standby_partitions",
                                         "State partitions the standby replicas follow.", {"service"});
  }
}

StandbyFollower::~StandbyFollower() { stop(); }

void StandbyFollower::start() {
  thread_ = std::thread([this] { run(); });
}

void StandbyFollower::stop() {
  stop_.store(true);
  replicas_.stop();
  if (thread_.joinable()) thread_.join();
}

void StandbyFollower::publish(int64_t behind, size_t partitions) {
  if (cases_gauge_ == nullptr) return;
  cases_gauge_->labels({service_}).set(static_cast<double>(replicas_.case_count()));
  behind_gauge_->labels({service_}).set(static_cast<double>(behind));
  partitions_gauge_->labels({service_}).set(static_cast<double>(partitions));
}

void StandbyFollower::run() {
  while (!stop_.load() && !resolve_partitions()) replicas_.wait_for_change(replicas_.generation(), kRetry);
  while (!stop_.load()) {
    const StandbyReplicas::Plan plan = replicas_.plan();
    if (plan.from.empty()) publish(0, 0);
    if (plan.from.empty()) {
      replicas_.wait_for_change(plan.generation, kRetry);
      continue;
    }
    if (!follow(plan)) {
      publish(-1, plan.from.size());  // not following: never shown as current
      replicas_.wait_for_change(plan.generation, kRetry);
    }
  }
}

bool StandbyFollower::resolve_partitions() {
  kafka::TopicReaderOptions options;
  options.topics = {topic_};
  options.start = kafka::StartAt::end();
  options.end = kafka::EndAt::kStableNow;
  options.client_id = client_id_;
  options.timeout = std::chrono::seconds(5);
  auto reader = kafka::TopicReader::open(kafka_, options);
  if (!reader.ok()) {
    standby_log()->warn("standby replicas: cannot read the partitions of {} ({}); trying again", topic_,
                        reader.error().describe());
    return false;
  }
  replicas_.partition_count(static_cast<int32_t>((*reader)->end_offsets().size()));
  return true;
}

void StandbyFollower::log_caught_up(const StandbyReplicas::Plan& plan,
                                    std::chrono::steady_clock::time_point started) const {
  std::string partitions;
  for (const auto& [p, offset] : plan.from) partitions += (partitions.empty() ? "" : ",") + std::to_string(p);
  standby_log()->info(
      "standby replicas caught up: {} case(s) of partition(s) {} of {} in {} ms", replicas_.case_count(), partitions,
      topic_,
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
}

bool StandbyFollower::follow(const StandbyReplicas::Plan& plan) {
  kafka::TopicReaderOptions options;
  for (const auto& [p, offset] : plan.from) {
    options.partitions.emplace_back(topic_, p);
    options.start_offsets[{topic_, p}] = offset;
  }
  options.end = kafka::EndAt::kStableNow;
  options.client_id = client_id_;
  options.properties = read_ahead_;
  options.wake_fetcher_every = kafka::kWakeFetcherEvery;
  // Short: open() waits this long for a broker that does not answer, and stop() joins this thread.
  options.timeout = std::chrono::seconds(5);
  auto reader = kafka::TopicReader::open(kafka_, options);
  if (!reader.ok()) {
    standby_log()->warn("standby replicas: cannot follow {} partition(s) of {} ({}); trying again", plan.from.size(),
                        topic_, reader.error().describe());
    return false;
  }
  const auto started = std::chrono::steady_clock::now();
  auto asked = started - kAskBehind;
  bool reported = false;
  while (!stop_.load() && replicas_.generation() == plan.generation) {
    const Status polled =
        (*reader)->poll(kPoll, [this, &plan](const ConsumedRecord& r) { replicas_.apply(plan.generation, r); });
    if (!polled.ok()) {
      standby_log()->warn("standby replicas: following {} failed ({}); opening again", topic_, polled.error().describe());
      return false;
    }
    for (const auto& [tp, position] : (*reader)->positions()) replicas_.advance(plan.generation, tp.second, position);
    if (!reported && (*reader)->at_end()) {
      reported = true;
      log_caught_up(plan, started);
    }
    if (std::chrono::steady_clock::now() - asked >= kAskBehind) {
      asked = std::chrono::steady_clock::now();
      const auto behind = (*reader)->behind(std::chrono::seconds(1));
      publish(behind.ok() ? *behind : -1, plan.from.size());
    }
  }
  return true;
}

}  // namespace caselink::sync
