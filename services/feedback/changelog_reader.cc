#include "services/feedback/changelog_reader.h"

#include "services/common/kafka/read_to_end.h"
#include "services/common/logging/logging.h"

namespace caselink::feedback {

Result<std::vector<ChangelogRecord>> KafkaChangelogReader::read(const std::string& topic,
                                                               const std::vector<int32_t>& partitions) {
  std::vector<ChangelogRecord> out;
  kafka::ReadToEndRequest request{topic, partitions, client_id_ + "-restore", read_timeout_,
                                  [&topic](int32_t p, int64_t stable, int64_t end) {
                                    logging::get("feedback.restore")
                                        ->info("restoring {}[{}]: waiting for an open transaction (stable offset {}, "
                                               "end {})",
                                               topic, p, stable, end);
                                  }};
  const Status status = kafka::read_to_end(kafka_, request, [&out](const ConsumedRecord& r) {
    out.push_back(ChangelogRecord{r.key.value_or(std::string()), r.value});
  });
  if (!status.ok()) return status.error();
  return out;
}

}  // namespace caselink::feedback
