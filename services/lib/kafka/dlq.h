#pragma once

// Dead-letter records (kafka.md §5). A record that cannot be decoded, is invalid or is not
// authorized is copied untouched (key, value, headers) to the DLQ topic, inside the same
// transaction that commits its input offset, with dlq.* headers saying where it came from
// and why. The loop then moves on: a bad record never blocks its partition.

#include <cstddef>
#include <cstdint>
#include <string>

#include "services/lib/core/clock.h"
#include "services/lib/core/record.h"

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
// Set instead of copying a value too large for the DLQ topic: the value's size in bytes and
// its SHA-256 (hex). The original stays at dlq.original.topic/partition/offset until that
// topic's retention.
inline constexpr const char* kDlqValueOmitted = "dlq.value.omitted";
inline constexpr const char* kDlqValueSha256 = "dlq.value.sha256";

// The largest original value copied whole. The DLQ topic keeps the broker's default
// max.message.bytes (1 MiB, deploy/topics.yaml) and the headers need room: a larger copy would
// be refused by the broker and the input could never be dead-lettered, stalling its partition
// (a topic whose limit was raised by hand lets such records in).
inline constexpr size_t kDlqMaxCopiedValueBytes = 960 * 1024;

struct DlqContext {
  std::string dlq_topic;
  std::string service;
  std::string consumer_group;
  size_t max_copied_value_bytes = kDlqMaxCopiedValueBytes;
};

struct DlqReason {
  std::string error_class;  // stable, e.g. "envelope.unknown_type", "transition.not_allowed"
  std::string message;      // human-readable, names the field or rule
  int attempts = 1;
};

// Builds the dead-letter record for `original`. Pure; all header values are UTF-8 text. A
// value over context.max_copied_value_bytes is left out (null value, dlq.value.* headers).
// The key falls back to "" for a keyless original (the DLQ is not keyed by meaning).
OutgoingRecord make_dlq_record(const ConsumedRecord& original, const DlqContext& context, const DlqReason& reason,
                               TimePoint failed_at);

}  // namespace caselink::kafka
