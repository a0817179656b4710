#pragma once

// Reading a changelog (compacted state topic) from the beginning to "now", for stateful
// services that rebuild their state when partitions are assigned.
//
// "Now" is the high watermark of each partition when the read starts, and the read is
// read_committed. A read_committed consumer reports end-of-partition at the last stable
// offset (LSO), which can lag the high watermark for two reasons:
//   * a transaction that committed moments ago: the broker answers EndTxn before it has
//     written the commit markers, so its records are committed but not yet readable — stopping
//     at the LSO would lose exactly the records this process (or the previous owner) just wrote;
//   * a transaction still open, e.g. of an instance killed mid-transaction: its records may
//     still commit (or will be aborted when transaction.timeout.ms expires).
// Either way the state is only known once the LSO has passed the watermark taken at the start,
// so that is what this waits for (bounded by `timeout`). The watermark is asked through a
// read_uncommitted handle: since librdkafka 1.7.1 a read_committed one answers the LSO. Records produced after the start are
// read too when they are already stable; they are never waited for.

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
