#pragma once

// Which topic an accepted event goes to. The type -> topic table itself is shared
// (services/lib/envelope/routing.h, envelope::topic_for, the table of docs/topics.md as code);
// the ingress adds two things of its own:
//   - a policy: payloads that only caselink services produce (evidence receipts, standards
//     assessments, case-state snapshots, alerts) are refused from HTTP callers, who must not be
//     able to forge them;
//   - topic overrides (config routing.topic_overrides), so tests and benchmarks can publish to
//     topics of their own.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/core/result.h"

namespace caselink::ingress {

// Reason of the error for a payload callers may not submit.
inline constexpr const char* kServiceOnlyType = "ingress.service_only_type";

// True for payload types that only caselink services publish.
bool is_service_only(std::string_view event_type);

class TopicRouter {
 public:
  // `overrides` maps a default topic name to the one actually used (tests, staging prefixes).
  explicit TopicRouter(std::map<std::string, std::string> overrides = {});

  // The topic for this (sealed, valid) envelope, or an error naming event_type: a service-only
  // payload (kServiceOnlyType) or one with no topic (envelope.unroutable_payload).
  Result<std::string> topic_for(const caselink::v1::Envelope& envelope) const;

 private:
  std::map<std::string, std::string> overrides_;
};

}  // namespace caselink::ingress
