#pragma once

// Reading a changelog (compacted state topic) from the beginning to "now", for stateful
// services that rebuild their state when partitions are assigned: a kafka::TopicReader
// (topic_reader.h) from the beginning with EndAt::kSettled — it waits for transactions open at
// the start instead of stopping at the last stable offset.

#include <chrono>
#include <functional>
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

}  // namespace caselink::kafka
