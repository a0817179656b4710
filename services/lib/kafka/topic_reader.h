#pragma once

// kafka::TopicReader: the one way to read topics outside a consumer group (issue 12 §2).
// Assign-only (no group membership, nothing committed), read_committed, from the beginning, an
// offset, a time, the last n records or the end, of whole topics or of given partitions; then
// either up to the high watermarks taken when it opened ("read to end", then stop) or on
// (follow: keep polling after the end).
//
// The end is each partition's high watermark when the reader opens, asked through a
// read_uncommitted handle (since librdkafka 1.7.1 a read_committed one answers the last stable
// offset, LSO). A read_committed consumer reports end-of-partition at the LSO, which can lag the
// high watermark for two reasons:
//   * a transaction that committed moments ago: the broker answers EndTxn before it has written
//     the commit markers, so its records are committed but not yet readable — stopping at the LSO
//     would lose exactly the records this process (or the previous owner) just wrote;
//   * a transaction still open, e.g. of an instance killed mid-transaction: its records may still
//     commit (or will be aborted when transaction.timeout.ms expires).
// `EndAt::kSettled` (restores of state) therefore waits until the LSO has passed the watermark;
// `EndAt::kStableNow` (inspection: "what is committed now") stops at the first end-of-partition.
// Records of aborted transactions are never handed out. Records produced after the open are
// handed out when they are already stable; they are never waited for.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "services/lib/core/record.h"
#include "services/lib/core/result.h"
#include "services/lib/kafka/fetch_waker.h"
#include "services/lib/kafka/settings.h"

namespace RdKafka {
class KafkaConsumer;
class Consumer;
class Message;
}  // namespace RdKafka

namespace caselink::kafka {

// Where each partition is read from.
struct StartAt {
  enum class Kind { kBeginning, kEnd, kOffset, kTime, kLast };
  Kind kind = Kind::kBeginning;
  int64_t value = 0;  // kOffset: the offset; kTime: ms since the epoch; kLast: how many records

  static StartAt beginning() { return {}; }
  // The high watermark taken at open (asked explicitly, not resolved at the first fetch): a
  // follower sees exactly what is written after open() returned.
  static StartAt end() { return {Kind::kEnd, 0}; }
  static StartAt offset(int64_t offset) { return {Kind::kOffset, offset}; }
  // The first record with a timestamp at or after `ms` (the end when there is none).
  static StartAt time(int64_t ms) { return {Kind::kTime, ms}; }
  // n records before the end (at most from the beginning).
  static StartAt last(int64_t n) { return {Kind::kLast, n}; }
};

// What "the end" of a partition is (see the file comment).
enum class EndAt {
  kSettled,    // the high watermark at open, once every transaction before it is settled
  kStableNow,  // the first end-of-partition: what is committed now; open transactions not waited for
};

using TopicPartition = std::pair<std::string, int32_t>;

struct TopicReaderOptions {
  // Whole topics (every partition, from the metadata) …
  std::vector<std::string> topics;
  // … and/or exact partitions.
  std::vector<TopicPartition> partitions;
  StartAt start = StartAt::beginning();
  // Exact start offsets of some partitions, overriding `start` for them. An offset past the
  // partition's high watermark is kConflict at open (the log was truncated or the topic recreated).
  std::map<TopicPartition, int64_t> start_offsets;
  EndAt end = EndAt::kSettled;
  // client.id, and the (never committed) group id librdkafka's consumer API insists on.
  std::string client_id = "caselink-reader";
  // Bounds open() (metadata, watermarks: retried while a new topic has no leader yet) and
  // read_to_end().
  std::chrono::milliseconds timeout{120000};
  // An all-brokers-down error ends poll() with kUnavailable (command-line tools) instead of
  // being waited out (services: librdkafka reconnects by itself).
  bool fail_when_brokers_down = false;
  // Extra librdkafka properties of this reader (e.g. log_level for a command-line tool, or a
  // read-ahead bound: queued.min.messages, queued.max.messages.kbytes).
  std::map<std::string, std::string> properties;
  // For a bounded read-ahead (the restore of a changelog, caselink-sync's standby follower: use
  // kWakeFetcherEvery): a FetchWaker (fetch_waker.h) asks for the offsets of the partitions
  // records were handed out of, then waits this long before it asks again: one round per answer
  // (~15 ms on a busy broker thread, at most 200 ms) plus this. 0: never (for an unbounded
  // read-ahead).
  std::chrono::milliseconds wake_fetcher_every{0};
  // Called, at most every few seconds per partition, while kSettled waits for an open transaction.
  std::function<void(const TopicPartition&, int64_t stable_offset, int64_t end_offset)> on_waiting;
};

using RecordVisitor = std::function<void(const ConsumedRecord&)>;

class TopicReader {
 public:
  // Creates the clients (through the factory), resolves partitions, watermarks and start
  // offsets, and assigns. kNotFound names a topic that does not exist; kUnavailable when the
  // broker does not answer within options.timeout.
  static Result<std::unique_ptr<TopicReader>> open(const KafkaSettings& settings, TopicReaderOptions options);
  ~TopicReader();
  TopicReader(const TopicReader&) = delete;
  TopicReader& operator=(const TopicReader&) = delete;

  // Waits up to `timeout` for records and hands what arrived (in offset order per partition) to
  // `visit`. Errors: kUnavailable when a topic or partition vanished, or (fail_when_brokers_down)
  // no broker is reachable.
  Status poll(std::chrono::milliseconds timeout, const RecordVisitor& visit);

  // True once every partition was read up to its end (see EndAt). Following readers keep
  // calling poll() after that.
  bool at_end() const { return open_.empty(); }

  // poll() until at_end(); kUnavailable naming the partitions still short of their end after
  // options.timeout.
  Status read_to_end(const RecordVisitor& visit);

  // The partitions read and their end offsets (high watermarks at open).
  const std::map<TopicPartition, int64_t>& end_offsets() const { return ends_; }

  // For followers. Each partition's offset below which everything readable was handed out: the
  // offset it was assigned from, then the last record's offset + 1, or the offset of the last
  // end-of-partition when that is later (past aborted records and commit markers).
  const std::map<TopicPartition, int64_t>& positions() const { return positions_; }
  // Records between the positions and the partitions' high watermarks now (asked of the broker;
  // an open transaction's records and commit markers count, so a current follower shows a few),
  // summed. kUnavailable when the broker does not answer within `timeout`.
  Result<int64_t> behind(std::chrono::milliseconds timeout);

 private:
  struct Progress {
    int64_t end = 0;      // high watermark at open
    int64_t stable = -1;  // last end-of-partition offset reported (the LSO), -1 before any
    std::chrono::steady_clock::time_point last_report{};
  };
  TopicReader() = default;
  Status resolve(const KafkaSettings& settings);
  Status assign(std::chrono::steady_clock::time_point deadline);
  Status handle(RdKafka::Message& message, const RecordVisitor& visit);
  void on_partition_eof(const RdKafka::Message& message);

  TopicReaderOptions options_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;  // read_committed, assigned by hand
  std::unique_ptr<RdKafka::Consumer> watermarks_;     // read_uncommitted, for the high watermarks
  std::vector<TopicPartition> partitions_;
  std::map<TopicPartition, int64_t> ends_;
  std::map<TopicPartition, Progress> open_;  // partitions not at their end yet
  std::map<TopicPartition, int64_t> positions_;
  std::unique_ptr<FetchWaker> waker_;    // with options.wake_fetcher_every
  std::set<TopicPartition> handed_out_;  // partitions with records handed out in this poll
};

// open() + read_to_end() in one call.
Status read_topics_to_end(const KafkaSettings& settings, TopicReaderOptions options, const RecordVisitor& visit);

}  // namespace caselink::kafka
