#pragma once

// What POST /v1/events answers once the broker has decided about its events, or the answer
// deadline passed first. Pure (no sockets, no Kafka), so every status decision is unit-tested.
//
//   single event:  202 {event_id, topic, partition, offset}  |  503 error + Retry-After
//   batch:         202 all stored | 207 some | 503 none, {"results":[...]} per event
//
// An event without a delivery report by the deadline is answered 503 `publish.timeout`: it
// may still be stored (the report is late, not negative), so the caller retries with the same
// Idempotency-Key / event_id.

#include <string>
#include <utility>
#include <vector>

#include "services/lib/core/result.h"
#include "services/lib/kafka/producer.h"
#include "services/daemons/ingress/event_mapping.h"

namespace caselink::ingress {

inline constexpr int kRetryAfterUnavailableSeconds = 5;

struct EventOutcome {
  bool decided = false;  // the delivery report arrived (or the producer refused at once)
  Result<kafka::Delivery> delivery = Error::unavailable("no acknowledgement yet");
};

struct PublishAnswer {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> refused_rules;  // one per event not stored (metrics)
  bool any_stored = false;                 // remember the answer for the idempotency key
};

PublishAnswer answer_publish(const ParsedRequest& request, const std::vector<EventOutcome>& outcomes);

}  // namespace caselink::ingress
