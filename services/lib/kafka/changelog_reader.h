#pragma once

// The restore seam of stateful services, in the handler seam (caselink_handler: no librdkafka),
// so pure handler libraries can hold one. The Kafka implementation is kafka::KafkaChangelogReader
// (read_to_end.h); unit tests pass a fake.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "services/lib/core/record.h"
#include "services/lib/core/result.h"

namespace caselink::kafka {

// The one restore seam of stateful services (caselink-sync's case state, caselink-feedback's
// changelog): whole partitions of a state topic, oldest first, to the end (read_to_end). The
// Kafka implementation is KafkaChangelogReader; unit tests pass a fake.
class ChangelogReader {
 public:
  using Visitor = std::function<void(const ConsumedRecord&)>;
  using Offsets = std::map<int32_t, int64_t>;  // partition -> offset
  virtual ~ChangelogReader() = default;
  virtual Status read(const std::string& topic, const std::vector<int32_t>& partitions, const Visitor& visit) = 0;

  // Catching up instead of reading again (caselink-sync keeps a revoked partition's state in case
  // the same rebalance gives it straight back). Both are optional: the defaults answer
  // kUnavailable, and a caller then reads the partition whole.
  //
  // Each partition's last stable offset now: every record below it is settled (committed or
  // aborted), so a state folded from everything this process committed is complete below it,
  // and a transaction still open (another owner's, a dead instance's) starts at or after it.
  virtual Result<Offsets> stable_offsets(const std::string& /*topic*/, const std::vector<int32_t>& /*partitions*/) {
    return Error::unavailable("this changelog reader cannot tell stable offsets");
  }
  // As read(), but each partition from the given offset. kConflict when an offset is past its
  // partition's end (the log was truncated or the topic recreated: read it whole instead).
  virtual Status read_from(const std::string& /*topic*/, const Offsets& /*from*/, const Visitor& /*visit*/) {
    return Error::unavailable("this changelog reader cannot read from an offset");
  }
};

}  // namespace caselink::kafka
