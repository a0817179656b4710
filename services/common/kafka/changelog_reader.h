#pragma once

// The restore seam of stateful services, in the handler seam (caselink_handler: no librdkafka),
// so pure handler libraries can hold one. The Kafka implementation is kafka::KafkaChangelogReader
// (read_to_end.h); unit tests pass a fake.

#include <functional>
#include <string>
#include <vector>

#include "services/common/core/record.h"
#include "services/common/core/result.h"

namespace caselink::kafka {

// The one restore seam of stateful services (caselink-sync's case state, caselink-feedback's
// changelog): whole partitions of a state topic, oldest first, to the end (read_to_end). The
// Kafka implementation is KafkaChangelogReader; unit tests pass a fake.
class ChangelogReader {
 public:
  using Visitor = std::function<void(const ConsumedRecord&)>;
  virtual ~ChangelogReader() = default;
  virtual Status read(const std::string& topic, const std::vector<int32_t>& partitions, const Visitor& visit) = 0;
};

}  // namespace caselink::kafka
