#include "services/lib/kafka/read_to_end.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>

#include "services/lib/kafka/factory.h"
#include "services/lib/kafka/topic_reader.h"
#include "services/lib/logging/logging.h"

namespace caselink::kafka {

Status read_to_end(const KafkaSettings& settings, const ReadToEndRequest& request,
                   const std::function<void(const ConsumedRecord&)>& visit) {
  TopicReaderOptions options;
  for (int32_t p : request.partitions) options.partitions.emplace_back(request.topic, p);
  for (const auto& [p, offset] : request.from) options.start_offsets[{request.topic, p}] = offset;
  options.start = StartAt::beginning();
  options.end = EndAt::kSettled;
  options.client_id = request.client_id;
  options.timeout = request.timeout;
  options.properties = request.read_ahead;
  if (!request.read_ahead.empty()) options.wake_fetcher_every = kWakeFetcherEvery;
  if (request.on_waiting) {
    options.on_waiting = [&request](const TopicPartition& tp, int64_t stable, int64_t end) {
      request.on_waiting(tp.second, stable, end);
    };
  }
  return read_topics_to_end(settings, std::move(options), visit);
}

KafkaChangelogReader::KafkaChangelogReader(KafkaSettings kafka, std::string client_id,
                                           std::chrono::milliseconds timeout, std::string log_name,
                                           std::map<std::string, std::string> read_ahead)
    : kafka_(std::move(kafka)),
      client_id_(std::move(client_id)),
      timeout_(timeout),
      log_name_(std::move(log_name)),
      read_ahead_(std::move(read_ahead)) {}

KafkaChangelogReader::~KafkaChangelogReader() = default;

ReadToEndRequest KafkaChangelogReader::request(const std::string& topic, std::vector<int32_t> partitions) {
  return ReadToEndRequest{topic, std::move(partitions), client_id_, timeout_,
                          [this, topic](int32_t p, int64_t stable, int64_t end) {
                            logging::get(log_name_)->info(
                                "restoring {}[{}]: waiting for an open transaction (stable offset {}, end {})", topic,
                                p, stable, end);
                          },
                          {},
                          read_ahead_};
}

Status KafkaChangelogReader::read(const std::string& topic, const std::vector<int32_t>& partitions,
                                  const Visitor& visit) {
  return read_to_end(kafka_, request(topic, partitions), visit);
}

Status KafkaChangelogReader::read_from(const std::string& topic, const Offsets& from, const Visitor& visit) {
  std::vector<int32_t> partitions;
  for (const auto& [p, offset] : from) partitions.push_back(p);
  ReadToEndRequest req = request(topic, std::move(partitions));
  req.from = from;
  return read_to_end(kafka_, req, visit);
}

Result<ChangelogReader::Offsets> KafkaChangelogReader::stable_offsets(const std::string& topic,
                                                                      const std::vector<int32_t>& partitions) {
  if (!stable_) {
    Properties role;
    role.insert_or_assign("client.id", client_id_ + "-stable");
    // A read_committed handle's "high" watermark is the last stable offset (librdkafka >= 1.7.1).
    role.insert_or_assign("isolation.level", "read_committed");
    auto handle = make_offsets_handle(kafka_, role);
    if (!handle.ok()) return handle.error();
    stable_ = std::move(handle).value();
  }
  Offsets stable;
  const auto deadline = std::chrono::steady_clock::now() + stable_offsets_timeout;
  for (int32_t p : partitions) {
    int64_t low = 0;
    int64_t high = 0;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const RdKafka::ErrorCode rc =
        stable_->query_watermark_offsets(topic, p, &low, &high, static_cast<int>(std::max<int64_t>(1, left.count())));
    if (rc != RdKafka::ERR_NO_ERROR) {
      return Error::unavailable("stable offset of " + topic + "[" + std::to_string(p) + "]: " + RdKafka::err2str(rc));
    }
    stable[p] = high;
  }
  return stable;
}

}  // namespace caselink::kafka
