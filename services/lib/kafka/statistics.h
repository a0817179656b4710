#pragma once

// The parts of librdkafka's statistics (the JSON its statistics.interval.ms callback delivers,
// librdkafka STATISTICS.md) that an on-call person acts on: per broker the round-trip time and
// the requests waiting to be sent or answered, the client's queue depths, and per assigned
// partition the consumer lag and the fetch queue. Parsed here, without a broker, so the
// metrics exporter (runtime/metrics_observer) only maps fields to gauges.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "services/lib/core/result.h"

namespace caselink::kafka {

struct BrokerStatistics {
  std::string name;          // "host:port/nodeid", as librdkafka names it
  int32_t node_id = -1;
  bool up = false;           // state == "UP"
  double rtt_avg_seconds = 0;  // over the last statistics window; 0 when no request was answered
  double rtt_p99_seconds = 0;
  int64_t outbuf_requests = 0;   // queued, not yet sent
  int64_t waitresp_requests = 0;  // sent, waiting for the broker's answer
};

struct PartitionStatistics {
  std::string topic;
  int32_t partition = -1;
  int64_t consumer_lag = -1;         // -1 when unknown (not assigned, no committed offset yet)
  int64_t fetch_queue_messages = 0;  // fetched, not yet handed to the application
};

struct ClientStatistics {
  std::string type;             // "producer" | "consumer"
  int64_t queue_messages = 0;   // msg_cnt: messages in the producer queues (producer only)
  int64_t queue_bytes = 0;      // msg_size
  int64_t reply_queue_events = 0;  // replyq: events waiting to be served by poll()
  std::vector<BrokerStatistics> brokers;        // real brokers only (no bootstrap placeholders)
  std::vector<PartitionStatistics> partitions;  // real partitions only (no -1 "UA" partition)

  [[nodiscard]] bool any_broker_up() const;
};

// Parses one statistics document. A document that is not JSON, or not an object, is an error;
// a missing field keeps its default (librdkafka versions differ in what they emit).
Result<ClientStatistics> parse_statistics(std::string_view json_text);

}  // namespace caselink::kafka
