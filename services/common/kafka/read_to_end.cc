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

}  // namespace

Status read_to_end(const KafkaSettings& settings, const ReadToEndRequest& request,
                   const std::function<void(const ConsumedRecord&)>& visit) {
  auto conf = make_conf(settings, {{"group.id", request.client_id},
                                   {"client.id", request.client_id},
                                   {"isolation.level", "read_committed"},
                                   {"enable.auto.commit", "false"},
                                   {"enable.auto.offset.store", "false"},
                                   {"enable.partition.eof", "true"},
                                   {"auto.offset.reset", "earliest"}});
  if (!conf.ok()) return conf.error();
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (!consumer) return Error::unavailable("reading " + request.topic + ": " + err);

  // The watermarks come from a read_uncommitted handle: since librdkafka 1.7.1 a query through
  // a read_committed one answers the LSO, i.e. exactly the offset we must not stop at.
  auto watermark_conf = make_conf(settings, {{"client.id", request.client_id + "-watermarks"},
                                             {"isolation.level", "read_uncommitted"}});
  if (!watermark_conf.ok()) return watermark_conf.error();
  std::unique_ptr<RdKafka::Consumer> watermarks(RdKafka::Consumer::create(watermark_conf->get(), err));
  if (!watermarks) return Error::unavailable("reading " + request.topic + ": " + err);

  const auto deadline = std::chrono::steady_clock::now() + request.timeout;
  std::map<int32_t, PartitionProgress> open;
  std::vector<RdKafka::TopicPartition*> assignment;
  for (int32_t p : request.partitions) {
    int64_t low = 0;
    int64_t high = 0;
    // Retried until the deadline: right after a topic is created or a leader moves, the broker
    // answers "not leader" for a while.
    RdKafka::ErrorCode rc = RdKafka::ERR_NO_ERROR;
    do {
      rc = watermarks->query_watermark_offsets(request.topic, p, &low, &high, 5000);
      if (rc != RdKafka::ERR_NO_ERROR) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    } while (rc != RdKafka::ERR_NO_ERROR && std::chrono::steady_clock::now() < deadline);
    if (rc != RdKafka::ERR_NO_ERROR) {
      RdKafka::TopicPartition::destroy(assignment);
      consumer->close();
      return Error::unavailable("reading " + request.topic + ": high watermark of partition " + std::to_string(p) +
                                ": " + RdKafka::err2str(rc));
    }
    if (high <= low) continue;  // empty (or compacted/deleted away): nothing to wait for
    assignment.push_back(RdKafka::TopicPartition::create(request.topic, p, RdKafka::Topic::OFFSET_BEGINNING));
    open[p].end = high;
  }
  if (!assignment.empty()) {
    const RdKafka::ErrorCode assigned = consumer->assign(assignment);
    RdKafka::TopicPartition::destroy(assignment);
    if (assigned != RdKafka::ERR_NO_ERROR) {
      consumer->close();
      return Error::unavailable("reading " + request.topic + ": assign: " + RdKafka::err2str(assigned));
    }
  }
  while (!open.empty()) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::string detail;
      for (const auto& [p, progress] : open) {
        detail += " " + std::to_string(p) + " (stable offset " + std::to_string(progress.stable) + " of " +
                  std::to_string(progress.end) + ")";
      }
      consumer->close();
      return Error::unavailable("reading " + request.topic + ": not at the end after " +
                                std::to_string(request.timeout.count()) + " ms; partition(s)" + detail +
                                " (an open transaction that neither commits nor times out holds the stable offset)");
    }
    std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
    auto it = open.end();
    switch (m->err()) {
      case RdKafka::ERR_NO_ERROR:
        visit(to_consumed_record(*m));
        // Readable at end-1 means everything before the start's watermark is settled.
        it = open.find(m->partition());
        if (it != open.end() && m->offset() + 1 >= it->second.end) open.erase(it);
        break;
      case RdKafka::ERR__PARTITION_EOF:
        // Reported again each time the LSO moves (also past commit markers alone).
        it = open.find(m->partition());
        if (it == open.end()) break;
        if (m->offset() >= it->second.end) {
          open.erase(it);
          break;
        }
        it->second.stable = m->offset();
        if (request.on_waiting &&
            std::chrono::steady_clock::now() - it->second.last_report > std::chrono::seconds(5)) {
          it->second.last_report = std::chrono::steady_clock::now();
          request.on_waiting(m->partition(), m->offset(), it->second.end);
        }
        break;
      case RdKafka::ERR__UNKNOWN_PARTITION:
      case RdKafka::ERR__UNKNOWN_TOPIC:
      case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART: {
        const std::string what = m->errstr();
        consumer->close();
        return Error::unavailable("reading " + request.topic + ": " + what);
      }
      default:
        break;  // timed out or transient (librdkafka retries); the deadline bounds us
    }
  }
  consumer->close();
  return Status::success();
}

}  // namespace caselink::kafka
