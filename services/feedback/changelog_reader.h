#pragma once

// The librdkafka implementation of ChangelogSource: a short-lived, group-less (assign-only)
// read_committed consumer that reads the given changelog partitions from the beginning to the
// end of the committed data (partition EOF), then closes. Used from on_partitions_assigned.

#include <chrono>
#include <string>
#include <vector>

#include "services/common/kafka/settings.h"
#include "services/feedback/handler.h"

namespace caselink::feedback {

class KafkaChangelogReader final : public ChangelogSource {
 public:
  KafkaChangelogReader(kafka::KafkaSettings kafka, std::string client_id,
                       std::chrono::milliseconds read_timeout = std::chrono::seconds(60))
      : kafka_(std::move(kafka)), client_id_(std::move(client_id)), read_timeout_(read_timeout) {}

  Result<std::vector<ChangelogRecord>> read(const std::string& topic, const std::vector<int32_t>& partitions) override;

 private:
  kafka::KafkaSettings kafka_;
  std::string client_id_;
  std::chrono::milliseconds read_timeout_;
};

}  // namespace caselink::feedback
