#include "services/lib/kafka/dlq.h"

#include "services/lib/crypto/sha256.h"

namespace caselink::kafka {

namespace {
// Header values are UTF-8 text; keep messages one line and bounded so UIs show them.
std::string one_line(std::string text, size_t limit = 1000) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  if (text.size() > limit) {
    text.resize(limit);
    text += "...";
  }
  return text;
}
}  // namespace

OutgoingRecord make_dlq_record(const ConsumedRecord& original, const DlqContext& context, const DlqReason& reason,
                               TimePoint failed_at) {
  OutgoingRecord record;
  record.topic = context.dlq_topic;
  record.key = original.key.value_or("");
  const bool too_large = original.value && original.value->size() > context.max_copied_value_bytes;
  record.value = too_large ? std::nullopt : original.value;
  record.headers = original.headers;  // original headers first, untouched
  record.headers.emplace_back(kDlqOriginalTopic, original.topic);
  record.headers.emplace_back(kDlqOriginalPartition, std::to_string(original.partition));
  record.headers.emplace_back(kDlqOriginalOffset, std::to_string(original.offset));
  record.headers.emplace_back(kDlqOriginalTimestamp, std::to_string(original.timestamp_ms));
  record.headers.emplace_back(kDlqConsumerGroup, context.consumer_group);
  record.headers.emplace_back(kDlqService, context.service);
  record.headers.emplace_back(kDlqErrorClass, reason.error_class);
  record.headers.emplace_back(kDlqErrorMessage, one_line(reason.message));
  record.headers.emplace_back(kDlqAttempts, std::to_string(reason.attempts));
  record.headers.emplace_back(kDlqFailedAt, format_rfc3339(failed_at));
  if (too_large) {
    record.headers.emplace_back(kDlqValueOmitted, std::to_string(original.value->size()));
    record.headers.emplace_back(kDlqValueSha256, crypto::sha256_hex(*original.value));
  }
  return record;
}

}  // namespace caselink::kafka
