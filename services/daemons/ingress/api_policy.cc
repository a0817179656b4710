#include "services/daemons/ingress/api_policy.h"

#include "services/daemons/ingress/party_policy.h"

namespace caselink::ingress {

ApiPolicy::ApiPolicy(const IngressSettings& settings, const Clock& clock, const standards::Catalogue* facts,
                     CaseLookup cases)
    : settings_(settings),
      clock_(clock),
      facts_(facts),
      cases_(std::move(cases)),
      router_(settings.topic_overrides),
      auth_(*TokenAuthenticator::create(settings.auth.token_sha256)),
      limiter_(settings.limits.rate_per_second, settings.limits.burst, clock),
      idempotency_(static_cast<size_t>(settings.idempotency.max_entries),
                   std::chrono::seconds(settings.idempotency.ttl_seconds), clock) {}

std::optional<ApiError> ApiPolicy::authenticate(std::string_view authorization, std::string* agency) const {
  if (auto found = auth_.authenticate(authorization)) {
    *agency = std::move(*found);
    return std::nullopt;
  }
  return ApiError::unauthenticated(authorization.empty() ? "missing Authorization: Bearer <token>"
                                                         : "unknown or malformed bearer token");
}

std::optional<ApiError> ApiPolicy::charge(const std::string& agency, double cost) {
  const RateDecision decision = limiter_.try_acquire(agency, cost);
  if (decision.allowed) {
    return std::nullopt;
  }
  return ApiError{429, "rate_limited", "", "limits.rate",
                  "agency " + agency + " is over its rate limit (" + std::to_string(settings_.limits.rate_per_second) +
                      " events/s)",
                  decision.retry_after_seconds};
}

// Every event of the request must be one the caller's party kind may send (party_policy.h).
std::optional<ApiError> ApiPolicy::check_party_kind(const ParsedRequest& request, const std::string& party) const {
  auto it = settings_.auth.party_kinds.find(party);
  const PartyKind kind =
      it == settings_.auth.party_kinds.end() ? PartyKind::kAgency : parse_party_kind(it->second).value_or(PartyKind::kAgency);
  for (size_t i = 0; i < request.events.size(); ++i) {
    const std::string& type = request.events[i].envelope.event_type();
    if (!may_send(kind, type)) {
      const std::string field = (request.batch ? "events[" + std::to_string(i) + "]." : std::string()) + "event_type";
      return ApiError::forbidden(field, "auth.party_kind",
                                 "a " + std::string(to_string(kind)) + " token (" + party + ") may not send " + type +
                                     "; a " + to_string(kind) + " may send: " + allowed_types(kind));
    }
  }
  return std::nullopt;
}

// The case rules of rules/roles/roles.yaml against the case as the ingress last read it. A case
// it has not read (or caselink-sync's version-0 placeholder of one not referred yet) is not known
// here: only what the event shows itself ("in its own name") is checked, caselink-sync decides
// the rest. No organ registry here: a procuratorate acting in a case that names none is left to
// caselink-sync too. The 403 names the rule: authz.<rule>.
std::optional<ApiError> ApiPolicy::check_case_rules(const ParsedRequest& request, const std::string& party) const {
  for (size_t i = 0; i < request.events.size(); ++i) {
    const v1::Envelope& event = request.events[i].envelope;
    std::optional<v1::CaseStateSnapshot> snapshot = cases_ ? cases_(event.case_id()) : std::nullopt;
    if (snapshot && snapshot->version() == 0) {
      snapshot.reset();
    }
    auto refused = authz::check_case(authz::RoleModel::builtin(), event, party, snapshot ? &*snapshot : nullptr,
                                     nullptr);
    if (refused) {
      const std::string field = (request.batch ? "events[" + std::to_string(i) + "]." : std::string()) + "case_id";
      return ApiError::forbidden(field, refused->code(), refused->message);
    }
  }
  return std::nullopt;
}

Admission ApiPolicy::admit(std::string_view body, const std::string& agency, std::string_view idempotency_header) {
  Admission admission;
  MappingOptions options{&router_, &clock_, static_cast<size_t>(settings_.api.max_batch_events), facts_};
  MappingOutcome outcome = parse_events(body, agency, options);
  if (!outcome.ok()) {
    admission.refused = std::move(outcome.error);
    return admission;
  }
  admission.request = std::move(*outcome.request);
  if (auto refused = check_party_kind(admission.request, agency)) {
    admission.refused = std::move(refused);
    return admission;
  }
  if (auto refused = claim(admission, agency, idempotency_header)) {
    admission.refused = std::move(refused);
    return admission;
  }
  if (admission.replay) {
    return admission;  // answered as the first time, whatever the case has become since
  }
  if (auto refused = check_case_rules(admission.request, agency)) {
    release(admission.key);
    admission.key.clear();
    admission.refused = std::move(refused);
    return admission;
  }
  // Charged only now: a replay publishes nothing and costs nothing.
  if (auto refused = charge(agency, static_cast<double>(admission.request.events.size()))) {
    release(admission.key);
    admission.key.clear();
    admission.refused = std::move(refused);
  }
  return admission;
}

std::optional<ApiError> ApiPolicy::claim(Admission& admission, const std::string& agency, std::string_view header) {
  const ParsedRequest& parsed = admission.request;
  std::string key;
  if (!header.empty()) {
    if (header.size() > kMaxIdempotencyKeyLength) {
      return ApiError::bad_request("Idempotency-Key", "idempotency.key_format",
                                   "at most " + std::to_string(kMaxIdempotencyKeyLength) + " characters");
    }
    key = "key:" + std::string(header);
  } else if (!parsed.batch && parsed.events[0].event_id_from_caller) {
    key = "event:" + parsed.events[0].envelope.event_id();
  }
  if (key.empty()) {
    return std::nullopt;
  }
  key = agency + '\x1f' + key;
  const std::string field = header.empty() ? "event_id" : "Idempotency-Key";
  Claim claim = idempotency_.claim(key, parsed.fingerprint);
  switch (claim.kind) {
    case ClaimKind::kNew:
      admission.key = std::move(key);
      return std::nullopt;
    case ClaimKind::kReplay:
      admission.replay = std::move(claim.answer);
      return std::nullopt;
    case ClaimKind::kInProgress:
      return ApiError{409, "conflict", field, "idempotency.in_progress",
                      "a request with this key is still being published; retry later", 1};
    case ClaimKind::kMismatch:
      return ApiError::unprocessable(field, "idempotency.key_reuse",
                                     "this key was already used for a different request body");
  }
  return std::nullopt;
}

void ApiPolicy::settle(const std::string& key, const PublishAnswer& answer) {
  if (key.empty()) {
    return;
  }
  if (answer.any_stored) {
    idempotency_.complete(key, StoredAnswer{answer.status, answer.body});
  } else {
    idempotency_.release(key);
  }
}

void ApiPolicy::release(const std::string& key) {
  if (!key.empty()) {
    idempotency_.release(key);
  }
}

}  // namespace caselink::ingress
