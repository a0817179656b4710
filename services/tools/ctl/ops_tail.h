#pragma once
// `caselinkctl tail <topic>`: the records of a topic as JSON lines, the decoded envelope first
// (proto3 JSON, field names as in the .proto), then where the record is (topic, partition,
// offset, timestamp), its key and headers. read_committed, no consumer group (kafka::TopicReader).
// Records that are not envelopes (the feedback-loop changelog, a dead letter that never
// decoded) come with "envelope": null and their value as text when it is UTF-8 JSON, else its
// size. `--follow` keeps reading after the end until SIGINT/SIGTERM or --limit records.

#include <atomic>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "services/lib/kafka/topic_reader.h"
#include "services/tools/ctl/case_history.h"
#include "services/tools/ctl/ops.h"

namespace caselink::ctl {

// Parses --from: "beginning", "end", "offset:N" (every partition from N), "time:<RFC 3339>",
// "last:N". nullopt when malformed.
std::optional<kafka::StartAt> parse_start(const std::string& text);

struct TailRequest {
  std::string topic;
  kafka::StartAt start = kafka::StartAt::beginning();
  std::string case_id;     // only records of this case (key or envelope case id)
  std::string event_type;  // only this event type: "FilingDecision" or "caselink.v1.FilingDecision"
  bool follow = false;
  int64_t limit = 0;  // > 0: stop after this many records printed
  // Set (e.g. by a signal handler) to end --follow.
  const std::atomic<bool>* stop = nullptr;
};

// One JSON line for a record (no newline).
std::string tail_line(const CaseRecordRef& record);

// Exit: kOk, kNotFound (no such topic), kBrokerError.
int tail_command(const TailRequest& request, const OpsOptions& options, std::ostream& out, std::ostream& err);

}  // namespace caselink::ctl
