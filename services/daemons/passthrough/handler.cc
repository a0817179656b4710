#include "services/daemons/passthrough/handler.h"

#include "services/lib/kafka/decode.h"

namespace caselink::passthrough {

void bind(config::ConfigBinder& binder, Settings* s) {
  binder.bind("passthrough.output_topic", &s->output_topic, "Topic every input record is copied to");
  binder.bind("passthrough.validate_envelopes", &s->validate_envelopes,
              "Dead-letter records that are not valid v1 envelopes (false = copy bytes blindly)");
  binder.check([s]() -> Status {
    if (s->output_topic.empty()) {
      return Error::invalid("must be set", "passthrough.output_topic");
    }
    return Status::success();
  });
}

kafka::HandlerResult PassthroughHandler::handle(const ConsumedRecord& record) {
  if (settings_.validate_envelopes) {
    // Blind copies go wherever the input's partition is: the envelope is checked, the key is not.
    if (auto decoded = kafka::decode_record(record, kafka::KeyRule::kAny); !decoded.ok()) {
      return kafka::refuse(decoded.error());
    }
  }
  OutgoingRecord out{settings_.output_topic, record.key.value_or(""), record.value, record.headers};
  return kafka::HandlerResult::emit({std::move(out)});
}

}  // namespace caselink::passthrough
