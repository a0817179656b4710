#include "services/lib/kafka/client.h"

namespace caselink::kafka {

ConsumedRecord to_consumed_record(RdKafka::Message& message) {
  ConsumedRecord record;
  record.topic = message.topic_name();
  record.partition = message.partition();
  record.offset = message.offset();
  const RdKafka::MessageTimestamp ts = message.timestamp();
  record.timestamp_ms = ts.type == RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE ? -1 : ts.timestamp;
  if (message.key_pointer() != nullptr) {
    record.key = std::string(static_cast<const char*>(message.key_pointer()), message.key_len());
  }
  if (message.payload() != nullptr) {
    record.value = std::string(static_cast<const char*>(message.payload()), message.len());
  }
  if (RdKafka::Headers* headers = message.headers()) {
    for (const RdKafka::Headers::Header& h : headers->get_all()) {
      std::string value;
      if (h.value() != nullptr) {
        value.assign(static_cast<const char*>(h.value()), h.value_size());
      }
      record.headers.emplace_back(h.key(), std::move(value));
    }
  }
  return record;
}

RdKafka::ErrorCode produce(RdKafka::Producer& producer, const OutgoingRecord& record, void* opaque) {
  RdKafka::Headers* headers = RdKafka::Headers::create();
  for (const auto& [key, value] : record.headers) {
    headers->add(key, value.data(), value.size());
  }
  void* payload = record.value ? const_cast<char*>(record.value->data()) : nullptr;
  const size_t len = record.value ? record.value->size() : 0;
  const RdKafka::ErrorCode code =
      producer.produce(record.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY, payload, len,
                       record.key.data(), record.key.size(), 0, headers, opaque);
  if (code != RdKafka::ERR_NO_ERROR) {
    delete headers;  // only on failure: on success librdkafka owns them
  }
  return code;
}

}  // namespace caselink::kafka
