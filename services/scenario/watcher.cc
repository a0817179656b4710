#include "services/scenario/watcher.h"

#include <librdkafka/rdkafkacpp.h>

#include "services/common/core/uuid.h"
#include "services/common/envelope/codec.h"
#include "services/common/envelope/topics.h"

namespace caselink::scenario {

namespace {

const std::vector<std::string> kWatchedTopics = {envelope::topics::kCaseState, envelope::topics::kAlert,
                                                 envelope::topics::kEvidenceReceipt};

std::string set(RdKafka::Conf& conf, const std::string& key, const std::string& value) {
  std::string err;
  if (conf.set(key, value, err) != RdKafka::Conf::CONF_OK) return key + ": " + err;
  return {};
}

}  // namespace

Result<std::unique_ptr<CaseWatcher>> CaseWatcher::start(const std::string& bootstrap) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  for (const auto& [k, v] : std::map<std::string, std::string>{
           {"bootstrap.servers", bootstrap},
           // assign() only: the group id is required by the consumer API but no offsets are committed.
           {"group.id", "caselink-scenario-watch-" + new_uuid()},
           {"enable.auto.commit", "false"},
           {"isolation.level", "read_committed"},
           {"client.id", "caselink-scenario-watch"}}) {
    if (auto err = set(*conf, k, v); !err.empty()) return Error::invalid("watcher config: " + err);
  }
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer) return Error::unavailable("watcher consumer: " + err);

  // Start at each partition's current end (high watermark), asked explicitly: OFFSET_END would be
  // resolved only at the first fetch, after the player may already have caused new records.
  std::vector<RdKafka::TopicPartition*> assignment;
  for (const auto& topic : kWatchedTopics) {
    std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(consumer.get(), topic, nullptr, err));
    RdKafka::Metadata* raw = nullptr;
    if (consumer->metadata(false, handle.get(), &raw, 10000) != RdKafka::ERR_NO_ERROR || raw == nullptr) {
      return Error::unavailable("watcher: no metadata for " + topic + " (is the broker up and the topic spec applied?)");
    }
    std::unique_ptr<RdKafka::Metadata> md(raw);
    if (md->topics()->empty() || md->topics()->at(0)->err() != RdKafka::ERR_NO_ERROR) {
      return Error::unavailable("watcher: topic " + topic + " does not exist (run caselink-topics apply)");
    }
    for (const auto* p : *md->topics()->at(0)->partitions()) {
      int64_t low = 0;
      int64_t high = 0;
      if (consumer->query_watermark_offsets(topic, p->id(), &low, &high, 10000) != RdKafka::ERR_NO_ERROR) {
        return Error::unavailable("watcher: cannot read the end offset of " + topic);
      }
      assignment.push_back(RdKafka::TopicPartition::create(topic, p->id(), high));
    }
  }
  const auto assign_err = consumer->assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  if (assign_err != RdKafka::ERR_NO_ERROR) return Error::unavailable("watcher assign: " + RdKafka::err2str(assign_err));
  return std::unique_ptr<CaseWatcher>(new CaseWatcher(std::move(consumer)));
}

CaseWatcher::CaseWatcher(std::unique_ptr<RdKafka::KafkaConsumer> consumer) : consumer_(std::move(consumer)) {
  thread_ = std::thread([this] { run(); });
}

CaseWatcher::~CaseWatcher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  thread_.join();
  consumer_->close();
}

void CaseWatcher::run() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    std::unique_ptr<RdKafka::Message> msg(consumer_->consume(200));
    if (!msg || msg->err() != RdKafka::ERR_NO_ERROR || msg->payload() == nullptr) continue;
    apply(msg->topic_name(), std::string(static_cast<const char*>(msg->payload()), msg->len()));
  }
}

void CaseWatcher::apply(const std::string& topic, const std::string& value) {
  auto decoded = envelope::decode(value);
  if (!decoded.ok()) return;  // not ours to judge: the services dead-letter what they cannot read
  const v1::Envelope& env = decoded.value();
  std::lock_guard lock(mu_);
  WatchedCase& c = cases_[env.case_id()];
  if (topic == envelope::topics::kCaseState && env.has_case_state_snapshot()) {
    const auto& s = env.case_state_snapshot();
    c.applied_event_ids.insert(s.last_event_id());
    // Same version again = an acknowledgement folded in (recognition changes, version does not).
    if (!c.latest || s.version() >= c.latest->version()) c.latest = s;
  } else if (env.has_alert()) {
    c.alerts.push_back(env.alert());
  } else if (env.has_evidence_receipt()) {
    c.receipts[env.evidence_receipt().manifest_event_id()] = env;
  }
  changed_.notify_all();
}

bool CaseWatcher::wait(const std::string& case_id, const std::function<bool(const WatchedCase&)>& done,
                       std::chrono::milliseconds timeout, const std::function<bool(const WatchedCase&)>& failed) {
  std::unique_lock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const WatchedCase& c = cases_[case_id];
    if (done(c)) return true;
    if (failed && failed(c)) return false;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) return done(cases_[case_id]);
  }
}

WatchedCase CaseWatcher::snapshot_of(const std::string& case_id) const {
  std::lock_guard lock(mu_);
  auto it = cases_.find(case_id);
  return it == cases_.end() ? WatchedCase{} : it->second;
}

}  // namespace caselink::scenario
