#pragma once
// Which topic an event goes to, by its payload: the one table of docs/topics.md §1 as code.
// Producers outside the services (caselink-ingress, the adapter SDK, the scenario) route with it,
// so an event type never lands on two topics depending on who sent it.

#include <string>
#include <string_view>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/core/result.h"
#include "services/lib/envelope/topics.h"

namespace caselink::envelope {

// The topics agencies and services publish events of a case to (every topic topic_for answers
// but the case-state and alert topics, which only services write, and caselink-classcase's
// topics, keyed by class case or group rather than by a case), in docs/topics.md order.
const std::vector<std::string>& event_topics();

// The v1 topic for the payload set in `envelope` ("caselink.referral.v1", ...). An error
// (reason "envelope.unroutable_payload") for payloads that only services publish or that have no topic
// of their own: none set, Probe.
Result<std::string> topic_for(const caselink::v1::Envelope& envelope);

}  // namespace caselink::envelope
