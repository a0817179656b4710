#pragma once

// The JSON edge of POST /v1/events: a request body in the proto3 JSON mapping of
// caselink.v1.Envelope (one event, or {"events":[...]}) becomes validated envelopes routed to
// their topics, or one ApiError naming the field and the rule it broke.
//
// What the server fills when the caller leaves it out: event_id (a new UUID), recorded_at
// (the server clock), schema_version (this build's version), producer_agency_id (the
// authenticated caller), event_type and correlation_id (envelope::seal). Everything is then
// checked by the shared envelope codec (envelope::validate), so the ingress never publishes
// an envelope that a consumer would dead-letter.
//
// A batch is validated as a whole: one bad event rejects the batch and nothing is published.
//
// Limits checked here (400 naming the field): nesting deeper than kMaxJsonDepth (json.too_deep,
// refused while parsing, before anything recurses over the document), numbers out of range
// (json.number_range), scalars of the wrong JSON type ("yes" for a boolean, an object for
// case_id: json.wrong_type), "NaN"/"Infinity" (json.invalid_value), occurred_at more than
// kMaxClockSkew after the server's clock (event.occurred_in_future). The value conventions of
// the contracts (finite, non-negative money, real `_date`s, times in 1677..2262) are
// envelope::validate's, the same code every consumer's decode runs (envelope.invalid_value).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/core/clock.h"
#include "services/daemons/ingress/api_error.h"
#include "services/daemons/ingress/routing.h"
#include "services/daemons/standards/engine/rule.h"

namespace caselink::ingress {

inline constexpr size_t kMaxJsonDepth = 32;
// How far occurred_at may lie after the server's clock (an agency's clock running fast).
inline constexpr std::chrono::seconds kMaxClockSkew{300};

struct ParsedEvent {
  caselink::v1::Envelope envelope;
  std::string topic;
  // SHA-256 (hex) of the event exactly as the caller sent it (re-serialized JSON, so
  // whitespace does not matter): the idempotency fingerprint.
  std::string fingerprint;
  // True when the caller set event_id (it then doubles as the idempotency key).
  bool event_id_from_caller = false;
};

struct ParsedRequest {
  bool batch = false;
  std::vector<ParsedEvent> events;
  std::string fingerprint;  // of the whole body (re-serialized JSON)
};

struct MappingOptions {
  const TopicRouter* router = nullptr;
  const Clock* clock = nullptr;
  size_t max_batch_events = 100;
  // The fact catalogue (rules/catalogue/facts.yaml): facts of a CaseReferral or an
  // AdministrativePenaltyReported with an unknown name, the wrong kind or the wrong unit are
  // refused with 422 (rule facts.catalogue) naming the field and the fact. Null = no check.
  const standards::Catalogue* facts = nullptr;
};

struct MappingOutcome {
  std::optional<ParsedRequest> request;
  std::optional<ApiError> error;
  bool ok() const { return request.has_value(); }
};

// `caller_agency` is the authenticated agency: events naming another producer_agency_id are
// refused with 403 (field producer_agency_id).
MappingOutcome parse_events(std::string_view body, const std::string& caller_agency, const MappingOptions& options);

}  // namespace caselink::ingress
