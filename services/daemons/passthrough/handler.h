#pragma once

// caselink-passthrough: the no-op transactional passthrough. It copies every input record,
// untouched, to one output topic inside the shared exactly-once loop. It is the ceiling
// every caselink service is measured against (docs/performance.md) and the subject of the
// shared library's crash tests.

#include <string>

#include "services/lib/config/config.h"
#include "services/lib/envelope/topics.h"
#include "services/lib/kafka/record_handler.h"

namespace caselink::passthrough {

struct Settings {
  // Where every input record is copied.
  std::string output_topic = envelope::topics::kBenchOut;
  // When true, each value must be a valid v1 envelope; anything else is dead-lettered.
  // When false (the benchmark baseline) bytes are copied without looking at them.
  bool validate_envelopes = false;
};

void bind(config::ConfigBinder& binder, Settings* settings);

class PassthroughHandler final : public kafka::RecordHandler {
 public:
  explicit PassthroughHandler(Settings settings) : settings_(std::move(settings)) {}
  kafka::HandlerResult handle(const ConsumedRecord& record) override;

 private:
  Settings settings_;
};

}  // namespace caselink::passthrough
