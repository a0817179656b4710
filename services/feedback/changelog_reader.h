#pragma once

// The librdkafka implementation of ChangelogSource: kafka::read_to_end (a short-lived, assign-only
// read_committed consumer) over the given changelog partitions, from the beginning to the high
// watermark taken at the start, waiting for transactions still open there. Used from
// on_partitions_assigned.

#include <chrono>
#include <string>
#include <vector>

#include "services/common/kafka/settings.h"
#include "services/feedback/handler.h"

namespace caselink::feedback {

class KafkaChangelogReader final : public ChangelogSource {
 public:
  KafkaChangelogReader(kafka::KafkaSettings kafka, std::string client_id,
                       std::chrono::milliseconds read_timeout = std::chrono::seconds(120))
      : kafka_(std::move(kafka)), client_id_(std::move(client_id)), read_timeout_(read_timeout) {}

  Result<std::vector<ChangelogRecord>> read(const std::string& topic, const std::vector<int32_t>& partitions) override;

 private:
  kafka::KafkaSettings kafka_;
  std::string client_id_;
  std::chrono::milliseconds read_timeout_;
};

}  // namespace caselink::feedback
