#pragma once
// Reads what the topics hold about one case: every record keyed by the case id on the case
// topics, as raw bytes and decoded envelopes. Since every producer partitions by the murmur2 hash
// of the key (librdkafka's murmur2_random = Java's default partitioner), only one partition per
// topic needs reading; `all_partitions` reads them all (for records produced otherwise).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "services/common/core/record.h"
#include "services/common/core/result.h"
#include "services/common/envelope/topics.h"
#include "services/common/kafka/settings.h"

namespace caselink::ctl {

// The case topics caselinkctl reads (docs/topics.md), state topic included.
const std::vector<std::string>& case_topics();
inline constexpr const char* kStateTopic = envelope::topics::kCaseState;
inline constexpr const char* kAlertTopic = envelope::topics::kAlert;
inline constexpr const char* kDlqTopic = envelope::topics::kDlq;

// Kafka's murmur2 (seed 0x9747b28c), as librdkafka and the Java client compute it.
uint32_t murmur2(std::string_view key);
// The partition a keyed record lands on: (murmur2(key) & 0x7fffffff) % partitions.
int32_t partition_for_key(std::string_view key, int32_t partitions);

struct CaseRecordRef {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  int64_t timestamp_ms = -1;  // the Kafka record timestamp (dlq tail orders by it)
  std::string key;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string raw;        // the record value as stored (hash-chain input)
  v1::Envelope envelope;  // decoded; records that do not decode are skipped and counted
};

struct CaseHistory {
  std::vector<CaseRecordRef> records;  // in topic order, then offset
  size_t undecodable = 0;
};

struct ReadOptions {
  std::string bootstrap = "127.0.0.1:9092";
  // Everything else of the connection (security: kafka.sasl_*, kafka.ssl_*, …); `bootstrap` wins.
  kafka::KafkaSettings kafka;
  bool all_partitions = false;
  std::chrono::milliseconds timeout{30000};
};

// Reads the case's records from every case topic up to the end as of now (read_committed).
// A consumed record as caselinkctl keeps it: the envelope decoded when it is one (else counted
// in `undecodable`, which may be null).
CaseRecordRef to_record_ref(const ConsumedRecord& record, size_t* undecodable);

Result<CaseHistory> read_case(const std::string& case_id, const ReadOptions& options);

// Reads whole topics up to their end (read_committed): every record, decoded where possible.
// `last_n` > 0 starts each partition n offsets before its end (dlq tail keeps the newest n).
Result<std::vector<CaseRecordRef>> read_topic(const std::string& topic, const ReadOptions& options, int64_t last_n = 0);

}  // namespace caselink::ctl
