#pragma once

// Reading a changelog (compacted state topic) from the beginning to "now", for stateful
// services that rebuild their state when partitions are assigned: a kafka::TopicReader
// (topic_reader.h) from the beginning with EndAt::kSettled — it waits for transactions open at
// the start instead of stopping at the last stable offset.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "services/lib/core/record.h"
#include "services/lib/core/result.h"
#include "services/lib/kafka/changelog_reader.h"
#include "services/lib/kafka/settings.h"

namespace RdKafka {
class Consumer;
}  // namespace RdKafka

namespace caselink::kafka {

struct ReadToEndRequest {
  std::string topic;
  std::vector<int32_t> partitions;
  std::string client_id;  // also the (never committed) group id librdkafka insists on
  std::chrono::milliseconds timeout{120000};
  // Called, at most every few seconds, while a partition waits for an open transaction.
  std::function<void(int32_t partition, int64_t stable_offset, int64_t end_offset)> on_waiting;
  // Partitions read from an offset instead of the beginning (kConflict when past the end).
  std::map<int32_t, int64_t> from;
  // A read-ahead bound (queued.min.messages, queued.max.messages.kbytes); empty: librdkafka's
  // defaults (100,000 records / 64 MB per partition). With a bound the reader wakes the fetcher
  // (TopicReaderOptions::wake_fetcher_every).
  std::map<std::string, std::string> read_ahead;
};

// Hands every committed record of the partitions to `visit`, in offset order per partition.
// Errors: kUnavailable when the watermarks cannot be read or the end is not reached in time.
Status read_to_end(const KafkaSettings& settings, const ReadToEndRequest& request,
                   const std::function<void(const ConsumedRecord&)>& visit);


// read_to_end with a short-lived, assign-only read_committed consumer per call. Logs (to logger
// `log_name`) while a partition waits for an open transaction. stable_offsets keeps one
// read_committed offsets handle (made at its first use), so a rebalance asks over a connection
// that is already open.
class KafkaChangelogReader final : public ChangelogReader {
 public:
  // `read_ahead`: as ReadToEndRequest::read_ahead.
  KafkaChangelogReader(KafkaSettings kafka, std::string client_id, std::chrono::milliseconds timeout,
                       std::string log_name, std::map<std::string, std::string> read_ahead = {});
  ~KafkaChangelogReader() override;
  Status read(const std::string& topic, const std::vector<int32_t>& partitions, const Visitor& visit) override;
  // Bounded by stable_offsets_timeout for all partitions together, not the restore timeout: it
  // is asked inside a rebalance, and an answer that does not come only costs a whole read later.
  Result<Offsets> stable_offsets(const std::string& topic, const std::vector<int32_t>& partitions) override;
  Status read_from(const std::string& topic, const Offsets& from, const Visitor& visit) override;

  static constexpr std::chrono::milliseconds stable_offsets_timeout{5000};

 private:
  ReadToEndRequest request(const std::string& topic, std::vector<int32_t> partitions);

  KafkaSettings kafka_;
  std::string client_id_;
  std::chrono::milliseconds timeout_;
  std::string log_name_;
  std::map<std::string, std::string> read_ahead_;
  std::unique_ptr<RdKafka::Consumer> stable_;  // read_committed: its "high" watermark is the LSO
};

}  // namespace caselink::kafka
