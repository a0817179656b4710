#pragma once
// Watches what the services make of the scenario's events: case state snapshots
// (caselink.case.state.v1), alerts (caselink.alert.v1) and evidence receipts
// (caselink.evidence.receipt.v1), read_committed, from the end of each partition as it was when
// the watcher started, so records of earlier runs are never mistaken for this run's.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/core/result.h"

#include "services/lib/kafka/settings.h"
#include "services/lib/kafka/topic_reader.h"

namespace caselink::scenario {

struct WatchedCase {
  std::optional<v1::CaseStateSnapshot> latest;   // highest version seen
  std::set<std::string> applied_event_ids;       // last_event_id of every snapshot seen
  std::vector<v1::Alert> alerts;
  std::map<std::string, v1::Envelope> receipts;  // by manifest event id
};

class CaseWatcher {
 public:
  // Follows the watched topics from their current end (the connection from `settings`).
  static Result<std::unique_ptr<CaseWatcher>> start(const kafka::KafkaSettings& settings);
  ~CaseWatcher();
  CaseWatcher(const CaseWatcher&) = delete;
  CaseWatcher& operator=(const CaseWatcher&) = delete;

  // Waits until `done(case)` holds for `case_id` or the timeout passes; returns whether it held.
  // Also returns early (false) when `failed(case)` holds, so a rejected event fails fast.
  bool wait(const std::string& case_id, const std::function<bool(const WatchedCase&)>& done,
            std::chrono::milliseconds timeout,
            const std::function<bool(const WatchedCase&)>& failed = nullptr);

  WatchedCase snapshot_of(const std::string& case_id) const;

 private:
  explicit CaseWatcher(std::unique_ptr<kafka::TopicReader> reader);
  void run();
  void apply(const std::string& topic, const std::string& value);

  std::unique_ptr<kafka::TopicReader> reader_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, WatchedCase> cases_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace caselink::scenario
