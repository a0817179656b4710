#pragma once

// Dead-letter records (kafka.md §5). A record that cannot be decoded, is invalid or is not
// authorized is copied untouched (key, value, headers) to the DLQ topic, inside the same
// transaction that commits its input offset, with dlq.* headers saying where it came from
// and why. The loop then moves on: a bad record never blocks its partition.

#include <cstdint>
#include <string>

#include "services/common/core/clock.h"
#include "services/common/core/record.h"

namespace caselink::kafka {

inline constexpr const char* kDlqOriginalTopic = "dlq.original.topic";
inline constexpr const char* kDlqOriginalPartition = "dlq.original.partition";
inline constexpr const char* kDlqOriginalOffset = "dlq.original.offset";
inline constexpr const char* kDlqOriginalTimestamp = "dlq.original.timestamp";
inline constexpr const char* kDlqConsumerGroup = "dlq.consumer.group";
inline constexpr const char* kDlqService = "dlq.service";
inline constexpr const char* kDlqErrorClass = "dlq.error.class";
inline constexpr const char* kDlqErrorMessage = "dlq.error.message";
inline constexpr const char* kDlqAttempts = "dlq.attempts";
inline constexpr const char* kDlqFailedAt = "dlq.failed.at";

struct DlqContext {
  std::string dlq_topic;
  std::string service;
  std::string consumer_group;
};

struct DlqReason {
  std::string error_class;  // stable, e.g. "envelope.unknown_type", "transition.not_allowed"
  std::string message;      // human-readable, names the field or rule
  int attempts = 1;
};

// Builds the dead-letter record for `original`. Pure; all header values are UTF-8 text.
// The key falls back to "" for a keyless original (the DLQ is not keyed by meaning).
OutgoingRecord make_dlq_record(const ConsumedRecord& original, const DlqContext& context, const DlqReason& reason,
                               TimePoint failed_at);

}  // namespace caselink::kafka
