#pragma once

// Reading a changelog (compacted state topic) from the beginning to "now", for stateful
// services that rebuild their state when partitions are assigned: a kafka::TopicReader
// (topic_reader.h) from the beginning with EndAt::kSettled — it waits for transactions open at
// the start instead of stopping at the last stable offset.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "services/common/core/record.h"
#include "services/common/core/result.h"
#include "services/common/kafka/settings.h"

namespace caselink::kafka {

struct ReadToEndRequest {
  std::string topic;
  std::vector<int32_t> partitions;
  std::string client_id;  // also the (never committed) group id librdkafka insists on
  std::chrono::milliseconds timeout{120000};
  // Called, at most every few seconds, while a partition waits for an open transaction.
  std::function<void(int32_t partition, int64_t stable_offset, int64_t end_offset)> on_waiting;
};

// Hands every committed record of the partitions to `visit`, in offset order per partition.
// Errors: kUnavailable when the watermarks cannot be read or the end is not reached in time.
Status read_to_end(const KafkaSettings& settings, const ReadToEndRequest& request,
                   const std::function<void(const ConsumedRecord&)>& visit);

// The one restore seam of stateful services (caselink-sync's case state, caselink-feedback's
// changelog): whole partitions of a state topic, oldest first, to the end (read_to_end). The
// Kafka implementation is KafkaChangelogReader; unit tests pass a fake.
class ChangelogReader {
 public:
  using Visitor = std::function<void(const ConsumedRecord&)>;
  virtual ~ChangelogReader() = default;
  virtual Status read(const std::string& topic, const std::vector<int32_t>& partitions, const Visitor& visit) = 0;
};

// read_to_end with a short-lived, assign-only read_committed consumer per call. Logs (to logger
// `log_name`) while a partition waits for an open transaction.
class KafkaChangelogReader final : public ChangelogReader {
 public:
  KafkaChangelogReader(KafkaSettings kafka, std::string client_id, std::chrono::milliseconds timeout,
                       std::string log_name)
      : kafka_(std::move(kafka)),
        client_id_(std::move(client_id)),
        timeout_(timeout),
        log_name_(std::move(log_name)) {}
  Status read(const std::string& topic, const std::vector<int32_t>& partitions, const Visitor& visit) override;

 private:
  KafkaSettings kafka_;
  std::string client_id_;
  std::chrono::milliseconds timeout_;
  std::string log_name_;
};

}  // namespace caselink::kafka
