#pragma once

// The API's policy, apart from HTTP: who may do what, how much, and what a POST /v1/events
// body becomes (refused, answered from the idempotency memory, or published). The Beast
// session (server.cc) only moves bytes and calls these; the policy is unit-tested without a
// socket (api_policy_test.cc), the whole path through the Publisher seam (server_test.cc).

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "caselink/v1/case_state.pb.h"
#include "services/lib/core/clock.h"
#include "services/daemons/ingress/api_error.h"
#include "services/daemons/ingress/auth.h"
#include "services/daemons/ingress/event_mapping.h"
#include "services/daemons/ingress/idempotency.h"
#include "services/daemons/ingress/publish_answer.h"
#include "services/daemons/ingress/rate_limiter.h"
#include "services/daemons/ingress/routing.h"
#include "services/daemons/ingress/settings.h"

namespace caselink::ingress {

inline constexpr size_t kMaxIdempotencyKeyLength = 255;

// What to do with a POST /v1/events body.
struct Admission {
  std::optional<ApiError> refused;     // answer this error
  std::optional<StoredAnswer> replay;  // answer this, remembered (Idempotent-Replayed: true)
  ParsedRequest request;               // otherwise: publish these events...
  std::string key;                     // ...under this claimed idempotency key ("" = none)
};

// The case as the ingress last read it from caselink.case.state.v1 (GET /v1/cases reads the
// same view); nullopt when it has not read the case.
using CaseLookup = std::function<std::optional<v1::CaseStateSnapshot>(const std::string& case_id)>;

class ApiPolicy {
 public:
  // `facts`: the fact catalogue POST /v1/events checks facts against (null = no check).
  // `cases`: the case state the authorization of event content is checked against (issue 15
  // §2; empty = no case known, only what each event shows itself is checked).
  ApiPolicy(const IngressSettings& settings, const Clock& clock, const standards::Catalogue* facts = nullptr,
            CaseLookup cases = {});

  // Sets `agency` from an `Authorization: Bearer <token>` header, or returns the 401.
  std::optional<ApiError> authenticate(std::string_view authorization, std::string* agency) const;
  // Takes `cost` from the agency's rate budget, or 429 with Retry-After.
  std::optional<ApiError> charge(const std::string& agency, double cost);

  // Validates the body, claims its idempotency key (the header, or a single event's own
  // event_id) and only then charges its events to the rate limit: a replay costs nothing. A
  // refusal after the claim releases the key.
  Admission admit(std::string_view body, const std::string& agency, std::string_view idempotency_header);

  // After the broker decided about every event of an admitted request: a request of which
  // something was stored is remembered with its answer; one of which nothing was stored is
  // forgotten (a retry publishes). Also used by a late report after a publish.timeout answer.
  void settle(const std::string& key, const PublishAnswer& answer);
  void release(const std::string& key);

  IdempotencyCache& idempotency() { return idempotency_; }

 private:
  std::optional<ApiError> claim(Admission& admission, const std::string& agency, std::string_view header);
  std::optional<ApiError> check_party_kind(const ParsedRequest& request, const std::string& party) const;
  // Every event must be a step the caller may take in its case as it stands (authz::check_case).
  std::optional<ApiError> check_case_rules(const ParsedRequest& request, const std::string& party) const;

  const IngressSettings& settings_;
  const Clock& clock_;
  const standards::Catalogue* facts_;
  CaseLookup cases_;
  TopicRouter router_;
  TokenAuthenticator auth_;
  RateLimiter limiter_;
  IdempotencyCache idempotency_;
};

}  // namespace caselink::ingress
