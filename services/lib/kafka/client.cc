#include "services/lib/kafka/client.h"

#include <librdkafka/rdkafka.h>

namespace caselink::kafka {

ConsumedRecord to_consumed_record(RdKafka::Message& message) {
  // Through the C API where the C++ one copies: topic_name() returns a new string, and
  // headers()->get_all() copies every header into a Header before this copies it again (a tenth
  // of a state restore went to this function).
  const rd_kafka_message_t* c = message.c_ptr();
  ConsumedRecord record;
  if (c->rkt != nullptr) record.topic = rd_kafka_topic_name(c->rkt);
  record.partition = c->partition;
  record.offset = c->offset;
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const int64_t ts = rd_kafka_message_timestamp(c, &type);
  record.timestamp_ms = type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts;
  if (c->key != nullptr) record.key.emplace(static_cast<const char*>(c->key), c->key_len);
  if (c->payload != nullptr) record.value.emplace(static_cast<const char*>(c->payload), c->len);
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(c, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR && headers != nullptr) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      record.headers.emplace_back(name, value != nullptr ? std::string(static_cast<const char*>(value), size) : "");
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
