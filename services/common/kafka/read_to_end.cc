#include "services/common/kafka/read_to_end.h"

#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <memory>
#include <thread>

#include "services/common/kafka/client.h"

namespace caselink::kafka {

namespace {

struct PartitionProgress {
  int64_t end = 0;           // high watermark when the read started
  int64_t stable = -1;       // last end-of-partition offset reported (the LSO), -1 before any
  std::chrono::steady_clock::time_point last_report{};
};

using Progress = std::map<int32_t, PartitionProgress>;

struct Readers {
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;  // read_committed, assigned by hand
  std::unique_ptr<RdKafka::Consumer> watermarks;      // read_uncommitted, for the high watermarks
};

Result<Readers> make_readers(const KafkaSettings& settings, const ReadToEndRequest& request) {
  auto conf = make_conf(settings, {{"group.id", request.client_id},
                                   {"client.id", request.client_id},
                                   {"isolation.level", "read_committed"},
                                   {"enable.auto.commit", "false"},
                                   {"enable.auto.offset.store", "false"},
                                   {"enable.partition.eof", "true"},
                                   {"auto.offset.reset", "earliest"}});
  if (!conf.ok()) return conf.error();
  std::string err;
  Readers readers;
  readers.consumer.reset(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (!readers.consumer) return Error::unavailable("reading " + request.topic + ": " + err);
  // The watermarks come from a read_uncommitted handle: since librdkafka 1.7.1 a query through
  // a read_committed one answers the LSO, i.e. exactly the offset we must not stop at.
  auto watermark_conf = make_conf(settings, {{"client.id", request.client_id + "-watermarks"},
                                             {"isolation.level", "read_uncommitted"}});
  if (!watermark_conf.ok()) return watermark_conf.error();
  readers.watermarks.reset(RdKafka::Consumer::create(watermark_conf->get(), err));
  if (!readers.watermarks) return Error::unavailable("reading " + request.topic + ": " + err);
  return readers;
}

// Takes each partition's high watermark and assigns the non-empty partitions from the
// beginning; returns what is left to read.
Result<Progress> assign_from_start(Readers& readers, const ReadToEndRequest& request,
                                   std::chrono::steady_clock::time_point deadline) {
  Progress open;
  std::vector<RdKafka::TopicPartition*> assignment;
  for (int32_t p : request.partitions) {
    int64_t low = 0;
    int64_t high = 0;
    // Retried until the deadline: right after a topic is created or a leader moves, the broker
    // answers "not leader" for a while.
    RdKafka::ErrorCode rc = RdKafka::ERR_NO_ERROR;
    do {
      rc = readers.watermarks->query_watermark_offsets(request.topic, p, &low, &high, 5000);
      if (rc != RdKafka::ERR_NO_ERROR) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    } while (rc != RdKafka::ERR_NO_ERROR && std::chrono::steady_clock::now() < deadline);
    if (rc != RdKafka::ERR_NO_ERROR) {
      RdKafka::TopicPartition::destroy(assignment);
      return Error::unavailable("reading " + request.topic + ": high watermark of partition " + std::to_string(p) +
                                ": " + RdKafka::err2str(rc));
    }
    if (high <= low) continue;  // empty (or compacted/deleted away): nothing to wait for
    assignment.push_back(RdKafka::TopicPartition::create(request.topic, p, RdKafka::Topic::OFFSET_BEGINNING));
    open[p].end = high;
  }
  if (!assignment.empty()) {
    const RdKafka::ErrorCode assigned = readers.consumer->assign(assignment);
    RdKafka::TopicPartition::destroy(assignment);
    if (assigned != RdKafka::ERR_NO_ERROR) {
      return Error::unavailable("reading " + request.topic + ": assign: " + RdKafka::err2str(assigned));
    }
  }
  return open;
}

Error not_at_end(const ReadToEndRequest& request, const Progress& open) {
  std::string detail;
  for (const auto& [p, progress] : open) {
    detail += " " + std::to_string(p) + " (stable offset " + std::to_string(progress.stable) + " of " +
              std::to_string(progress.end) + ")";
  }
  return Error::unavailable("reading " + request.topic + ": not at the end after " +
                            std::to_string(request.timeout.count()) + " ms; partition(s)" + detail +
                            " (an open transaction that neither commits nor times out holds the stable offset)");
}

// End of partition: reported again each time the LSO moves (also past commit markers alone).
void on_partition_eof(const RdKafka::Message& m, Progress& open, const ReadToEndRequest& request) {
  auto it = open.find(m.partition());
  if (it == open.end()) return;
  if (m.offset() >= it->second.end) {
    open.erase(it);
    return;
  }
  it->second.stable = m.offset();
  if (request.on_waiting && std::chrono::steady_clock::now() - it->second.last_report > std::chrono::seconds(5)) {
    it->second.last_report = std::chrono::steady_clock::now();
    request.on_waiting(m.partition(), m.offset(), it->second.end);
  }
}

// Reads until every partition in `open` passed its watermark or the deadline passed.
Status read_until_settled(RdKafka::KafkaConsumer& consumer, Progress& open, const ReadToEndRequest& request,
                          std::chrono::steady_clock::time_point deadline,
                          const std::function<void(const ConsumedRecord&)>& visit) {
  while (!open.empty()) {
    if (std::chrono::steady_clock::now() > deadline) return not_at_end(request, open);
    std::unique_ptr<RdKafka::Message> m(consumer.consume(200));
    switch (m->err()) {
      case RdKafka::ERR_NO_ERROR: {
        visit(to_consumed_record(*m));
        // Readable at end-1 means everything before the start's watermark is settled.
        auto it = open.find(m->partition());
        if (it != open.end() && m->offset() + 1 >= it->second.end) open.erase(it);
        break;
      }
      case RdKafka::ERR__PARTITION_EOF:
        on_partition_eof(*m, open, request);
        break;
      case RdKafka::ERR__UNKNOWN_PARTITION:
      case RdKafka::ERR__UNKNOWN_TOPIC:
      case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART:
        return Error::unavailable("reading " + request.topic + ": " + m->errstr());
      default:
        break;  // timed out or transient (librdkafka retries); the deadline bounds us
    }
  }
  return Status::success();
}

}  // namespace

Status read_to_end(const KafkaSettings& settings, const ReadToEndRequest& request,
                   const std::function<void(const ConsumedRecord&)>& visit) {
  auto readers = make_readers(settings, request);
  if (!readers.ok()) return readers.error();
  const auto deadline = std::chrono::steady_clock::now() + request.timeout;
  auto open = assign_from_start(*readers, request, deadline);
  Status result = open.ok() ? read_until_settled(*readers->consumer, *open, request, deadline, visit)
                            : Status(open.error());
  readers->consumer->close();
  return result;
}

}  // namespace caselink::kafka
