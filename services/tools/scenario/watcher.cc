#include "services/tools/scenario/watcher.h"

#include "services/lib/core/uuid.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/topics.h"

namespace caselink::scenario {

namespace {

const std::vector<std::string> kWatchedTopics = {envelope::topics::kCaseState, envelope::topics::kAlert,
                                                 envelope::topics::kEvidenceReceipt};

}  // namespace

Result<std::unique_ptr<CaseWatcher>> CaseWatcher::start(const kafka::KafkaSettings& settings) {
  kafka::TopicReaderOptions options;
  options.topics = kWatchedTopics;
  // Each partition's current end, asked explicitly: OFFSET_END would be resolved only at the
  // first fetch, after the player may already have caused new records.
  options.start = kafka::StartAt::end();
  options.client_id = "caselink-scenario-watch-" + new_uuid();
  options.timeout = std::chrono::milliseconds(10000);
  auto reader = kafka::TopicReader::open(settings, options);
  if (!reader.ok()) {
    return Error::unavailable("watcher: " + reader.error().message + " (is the broker up and the topic spec applied?)");
  }
  return std::unique_ptr<CaseWatcher>(new CaseWatcher(std::move(reader).value()));
}

CaseWatcher::CaseWatcher(std::unique_ptr<kafka::TopicReader> reader) : reader_(std::move(reader)) {
  thread_ = std::thread([this] { run(); });
}

CaseWatcher::~CaseWatcher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  thread_.join();
}

void CaseWatcher::run() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    // Errors are librdkafka's to retry; the player's step timeout bounds a broker that is gone.
    (void)reader_->poll(std::chrono::milliseconds(200), [this](const ConsumedRecord& r) {
      if (r.value) apply(r.topic, *r.value);
    });
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
