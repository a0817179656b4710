#pragma once

// caselink-sync's Kafka edge, apart from the pure handler library (caselink_sync links no
// librdkafka): the changelog reader (kafka::KafkaChangelogReader) and the defaults of the shared loop.

#include <map>
#include <memory>
#include <string>

#include "services/daemons/sync/handler.h"
#include "services/lib/kafka/settings.h"

namespace caselink::sync {

// caselink-sync's defaults for the shared loop (the config file can change each; its group
// and input topics come from its service definition, main.cc): range assignment (a case's
// partitions of every topic meet in one instance) and a read-ahead bounded for its memory budget.
void loop_defaults(kafka::LoopSettings* loop);

// The loop's read-ahead bound as librdkafka properties (queued.min.messages,
// queued.max.messages.kbytes), for the restore reader and the standby replicas' follower.
std::map<std::string, std::string> read_ahead_properties(const kafka::LoopSettings& loop);

// The state topic's reader: kafka::KafkaChangelogReader (assign-only, read_committed, no commits),
// with `read_ahead` (empty: librdkafka's, 64 MB per partition).
std::unique_ptr<kafka::ChangelogReader> make_kafka_state_reader(const kafka::KafkaSettings& kafka, std::string client_id,
                                                                int64_t timeout_ms,
                                                                std::map<std::string, std::string> read_ahead = {});

}  // namespace caselink::sync
