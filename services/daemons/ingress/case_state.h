#pragma once

// The synchronized case state served by GET /v1/cases/{id}: CaseStateView keeps, per case id,
// the snapshot with the highest version read from the compacted topic caselink.case.state.v1;
// CaseStateFollower is the background consumer that fills it (assign-only, read_committed,
// every partition from the beginning, no group, no commits: the whole topic is the state).

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "caselink/v1/case_state.pb.h"
#include "services/lib/core/record.h"
#include "services/lib/core/result.h"
#include "services/lib/kafka/settings.h"

namespace caselink::kafka {
class TopicReader;
}  // namespace caselink::kafka

namespace caselink::ingress {

class CaseStateView {
 public:
  // Applies one record value of the state topic (an Envelope carrying a CaseStateSnapshot).
  // Keeps it when its version is higher than the one held for that case. Returns an error for
  // a value that is not such an envelope (the caller counts and skips it).
  Status apply(std::string_view value);
  void apply(const caselink::v1::CaseStateSnapshot& snapshot);

  std::optional<caselink::v1::CaseStateSnapshot> find(const std::string& case_id) const;
  size_t size() const;

 private:
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, caselink::v1::CaseStateSnapshot> cases_;
};

class CaseStateFollower {
 public:
  CaseStateFollower(kafka::KafkaSettings kafka, std::string topic, std::string client_id, CaseStateView& view);
  ~CaseStateFollower();  // stop()
  CaseStateFollower(const CaseStateFollower&) = delete;
  CaseStateFollower& operator=(const CaseStateFollower&) = delete;

  void start();
  void stop();

  // True once every partition was read to its end at least once (the state is current).
  bool caught_up() const { return caught_up_.load(); }
  // Why it is not caught up (for /readyz); empty when it is.
  std::string status() const;
  uint64_t skipped_records() const { return skipped_.load(); }

 private:
  void run();
  void set_status(std::string status);
  // A reader of topic_ from the beginning, retried until the topic is there; null when stopped first.
  std::unique_ptr<kafka::TopicReader> open_reader();
  // Applies one record to the view.
  void apply(const ConsumedRecord& record);

  kafka::KafkaSettings kafka_;
  std::string topic_;
  std::string client_id_;
  CaseStateView& view_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> caught_up_{false};
  std::atomic<uint64_t> skipped_{0};
  mutable std::mutex status_mutex_;
  std::string status_ = "case state not read yet";
  std::thread thread_;
};

}  // namespace caselink::ingress
