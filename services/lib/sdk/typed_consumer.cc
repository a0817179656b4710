#include "services/lib/sdk/typed_consumer.h"

namespace caselink::sdk {

namespace pb = google::protobuf;

const pb::FieldDescriptor* TypedConsumer::payload_field(const pb::Descriptor& type) {
  const pb::OneofDescriptor* oneof = v1::Envelope::descriptor()->FindOneofByName("payload");
  for (int i = 0; i < oneof->field_count(); ++i) {
    if (oneof->field(i)->message_type() == &type) {
      return oneof->field(i);
    }
  }
  throw std::invalid_argument("TypedConsumer::on: " + type.full_name() +
                              " is not a payload of caselink.v1.Envelope (proto/caselink/v1/envelope.proto)");
}

kafka::HandlerResult TypedConsumer::handle(const ConsumedRecord& record) {
  auto envelope = kafka::decode_record(record, key_rule_);
  if (!envelope.ok()) {
    return kafka::refuse(envelope.error());
  }
  const auto found = callbacks_.find(static_cast<int>(envelope->payload_case()));
  if (found == callbacks_.end()) {
    ++skipped_;
    return kafka::HandlerResult::emit({});
  }
  ++dispatched_;
  return found->second(*envelope);
}

}  // namespace caselink::sdk
