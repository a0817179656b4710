#include "services/common/kafka/read_to_end.h"

#include "services/common/kafka/topic_reader.h"
#include "services/common/logging/logging.h"

namespace caselink::kafka {

Status read_to_end(const KafkaSettings& settings, const ReadToEndRequest& request,
                   const std::function<void(const ConsumedRecord&)>& visit) {
  TopicReaderOptions options;
  for (int32_t p : request.partitions) options.partitions.emplace_back(request.topic, p);
  options.start = StartAt::beginning();
  options.end = EndAt::kSettled;
  options.client_id = request.client_id;
  options.timeout = request.timeout;
  if (request.on_waiting) {
    options.on_waiting = [&request](const TopicPartition& tp, int64_t stable, int64_t end) {
      request.on_waiting(tp.second, stable, end);
    };
  }
  return read_topics_to_end(settings, std::move(options), visit);
}

Status KafkaChangelogReader::read(const std::string& topic, const std::vector<int32_t>& partitions,
                                  const Visitor& visit) {
  ReadToEndRequest request{topic, partitions, client_id_, timeout_,
                           [this, &topic](int32_t p, int64_t stable, int64_t end) {
                             logging::get(log_name_)->info(
                                 "restoring {}[{}]: waiting for an open transaction (stable offset {}, end {})", topic,
                                 p, stable, end);
                           }};
  return read_to_end(kafka_, request, visit);
}

}  // namespace caselink::kafka
