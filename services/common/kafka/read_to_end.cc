#include "services/common/kafka/read_to_end.h"

#include "services/common/kafka/topic_reader.h"

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

}  // namespace caselink::kafka
