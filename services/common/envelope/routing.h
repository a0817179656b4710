#pragma once
// Which topic an event goes to, by its payload: the one table of docs/topics.md §1 as code.
// Producers outside the services (caselink-ingress, the adapter SDK, the scenario) route with it,
// so an event type never lands on two topics depending on who sent it.

#include <string>
#include <string_view>

#include "caselink/v1/envelope.pb.h"
#include "services/common/core/result.h"

namespace caselink::envelope {

// The v1 topic for the payload set in `envelope` ("caselink.referral.v1", ...). An error
// (reason "envelope.unroutable_payload") for payloads that only services publish or that have no topic
// of their own: none set, Probe.
Result<std::string> topic_for(const caselink::v1::Envelope& envelope);

// The per-agency feedback topic (deploy/topics.yaml feedback_agencies.name_template).
std::string feedback_topic_for(std::string_view agency_id);

}  // namespace caselink::envelope
