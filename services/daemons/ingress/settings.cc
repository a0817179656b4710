#include "services/daemons/ingress/settings.h"

#include <sys/resource.h>

#include <boost/asio/ip/address.hpp>

#include "services/daemons/ingress/party_policy.h"

#include "services/daemons/ingress/auth.h"

namespace caselink::ingress {

void common_defaults(runtime::CommonSettings& common) {
  common.http.port = 9306;
  common.kafka.message_timeout_ms = kProduceTimeoutMs;
  // With signing.key_dir set, the ingress signs each agency's events with the key it holds for
  // that agency, custodially in this name (docs/contracts/signing.md).
  common.signing.custodian = "caselink-ingress";
}

IngressSettings default_settings() {
  IngressSettings s;
  s.kafka.message_timeout_ms = kProduceTimeoutMs;
  return s;
}

namespace {
Status positive(int64_t value, const char* key) {
  if (value <= 0) {
    return Error::invalid("must be > 0, got " + std::to_string(value), key);
  }
  return Status::success();
}

// The public API's, limits', idempotency, auth, routing, case-state and blob keys.
void bind_api(config::ConfigBinder& b, IngressSettings* s) {
  b.bind("api.bind", &s->api.bind, "Address of the public JSON API");
  b.bind("api.port", &s->api.port, "Port of the public JSON API (0 = any free port)");
  b.bind("api.port_file", &s->api.port_file, "Write the bound API port to this file");
  b.bind("api.threads", &s->api.threads, "Threads running the API's io_context (fixed pool)");
  b.bind("api.header_timeout_ms", &s->api.header_timeout_ms, "Deadline for the request line and headers");
  b.bind("api.body_timeout_ms", &s->api.body_timeout_ms, "Deadline for the request body");
  b.bind("api.write_timeout_ms", &s->api.write_timeout_ms, "Deadline for writing a response");
  b.bind("api.idle_timeout_ms", &s->api.idle_timeout_ms, "Keep-alive connection idle before the next request");
  b.bind("api.max_body_bytes", &s->api.max_body_bytes, "Largest POST /v1/events body (else 413)");
  b.bind("api.max_blob_bytes", &s->api.max_blob_bytes, "Largest PUT /v1/blobs body (else 413)");
  b.bind("api.max_batch_events", &s->api.max_batch_events, "Most events in one batch (else 413)");
  b.bind("api.max_connections", &s->api.max_connections, "Open API connections; more are answered 503 http.too_many_connections and closed");
  b.bind("api.tls.enabled", &s->api.tls.enabled,
         "HTTPS (default); false = plain HTTP, allowed only on a loopback api.bind");
  b.bind("api.tls.cert_file", &s->api.tls.cert_file, "PEM server certificate chain (scripts/tls.sh)");
  b.bind("api.tls.key_file", &s->api.tls.key_file, "PEM private key of api.tls.cert_file");
  b.bind("api.tls.client_ca_file", &s->api.tls.client_ca_file,
         "Optional PEM CA: clients must present a certificate it signed (mutual TLS)");
  b.bind("api.tls.bind_tokens_to_certificates", &s->api.tls.bind_tokens_to_certificates,
         "A token is honoured only with a client certificate whose subject CN is the token's party (needs "
         "api.tls.client_ca_file)");
  b.bind("api.tls.handshake_timeout_ms", &s->api.tls.handshake_timeout_ms,
         "Deadline for the TLS handshake of a new connection");
  b.bind("limits.rate_per_second", &s->limits.rate_per_second, "Per-agency token bucket refill (events/s)");
  b.bind("limits.burst", &s->limits.burst, "Per-agency token bucket size (>= api.max_batch_events)");
  b.bind("idempotency.max_entries", &s->idempotency.max_entries, "Remembered answers (LRU beyond)");
  b.bind("idempotency.ttl_seconds", &s->idempotency.ttl_seconds, "How long an answer is remembered");
  b.bind("auth.token_sha256", &s->auth.token_sha256,
         "agency id -> SHA-256 hex of its bearer token (printf %s TOKEN | sha256sum)");
  b.bind("auth.read_all_agencies", &s->auth.read_all_agencies, "Agencies allowed to read every case");
  b.bind("auth.party_kinds", &s->auth.party_kinds,
         "party id -> agency | police | procuratorate | court (default agency): the events it may submit");
  b.bind("routing.topic_overrides", &s->topic_overrides, "default topic -> topic actually used (tests, staging)");
  b.bind("case_state.topic", &s->case_state_topic, "Compacted topic with the latest snapshot per case");
  b.bind("blobs.path", &s->blob_store_path, "Root of the local content-addressed evidence store");
  b.bind("blobs.public_key_file", &s->blob_public_key_file,
         "PEM X25519 public key of caselink-evidence: blobs are sealed to it at rest (empty = plaintext)");
  b.bind("facts.rules_dir", &s->facts_rules_dir,
         "Rule directory: facts of referrals and penalty records are checked against its catalogue/facts.yaml");

}

// The files themselves are read when the API starts (tls.h): here only what the keys say.
Status validate_tls(const ApiSettings& api) {
  if (!api.tls.enabled) {
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(api.bind, ec);
    if (ec || !address.is_loopback()) {
      return Error::invalid("plain HTTP (false) is allowed only on a loopback api.bind, not '" + api.bind +
                                "': configure api.tls.cert_file and api.tls.key_file",
                            "api.tls.enabled");
    }
    if (api.tls.bind_tokens_to_certificates) {
      return Error::invalid("needs HTTPS (api.tls.enabled: true) with api.tls.client_ca_file",
                            "api.tls.bind_tokens_to_certificates");
    }
    return Status::success();
  }
  if (api.tls.cert_file.empty()) {
    return Error::invalid("must be set while api.tls.enabled is true (the default; scripts/tls.sh makes one)",
                          "api.tls.cert_file");
  }
  if (api.tls.key_file.empty()) {
    return Error::invalid("must be set while api.tls.enabled is true", "api.tls.key_file");
  }
  if (api.tls.bind_tokens_to_certificates && api.tls.client_ca_file.empty()) {
    return Error::invalid("needs api.tls.client_ca_file (the CA whose client certificates name the parties)",
                          "api.tls.bind_tokens_to_certificates");
  }
  return Status::success();
}

// Every cross-key and range check, naming the key to fix.
Status validate(const IngressSettings* s) {
  if (s->api.port < 0 || s->api.port > 65535) {
    return Error::invalid("must be 0..65535", "api.port");
  }
  if (s->api.threads < 1 || s->api.threads > 64) {
    return Error::invalid("must be 1..64", "api.threads");
  }
  for (const auto& [value, key] : std::initializer_list<std::pair<int64_t, const char*>>{
           {s->api.header_timeout_ms, "api.header_timeout_ms"},
           {s->api.body_timeout_ms, "api.body_timeout_ms"},
           {s->api.write_timeout_ms, "api.write_timeout_ms"},
           {s->api.idle_timeout_ms, "api.idle_timeout_ms"},
           {s->api.max_body_bytes, "api.max_body_bytes"},
           {s->api.max_blob_bytes, "api.max_blob_bytes"},
           {s->api.max_batch_events, "api.max_batch_events"},
           {s->api.max_connections, "api.max_connections"},
           {s->api.tls.handshake_timeout_ms, "api.tls.handshake_timeout_ms"},
           {s->idempotency.max_entries, "idempotency.max_entries"},
           {s->idempotency.ttl_seconds, "idempotency.ttl_seconds"}}) {
    if (Status st = positive(value, key); !st.ok()) {
      return st;
    }
  }
  if (!(s->limits.rate_per_second > 0)) {
    return Error::invalid("must be > 0", "limits.rate_per_second");
  }
  if (s->limits.burst < static_cast<double>(s->api.max_batch_events)) {
    return Error::invalid("must be >= api.max_batch_events (" + std::to_string(s->api.max_batch_events) +
                              "), or a full batch could never pass",
                          "limits.burst");
  }
  if (s->auth.token_sha256.empty()) {
    return Error::invalid("no agency configured: nobody could call the API", "auth.token_sha256");
  }
  for (const auto& [agency, hex] : s->auth.token_sha256) {
    if (Status st = validate_token_hash(agency, hex); !st.ok()) {
      return st;
    }
  }
  if (s->case_state_topic.empty()) {
    return Error::invalid("must be set", "case_state.topic");
  }
  if (s->blob_store_path.empty()) {
    return Error::invalid("must be set", "blobs.path");
  }
  for (const auto& [party, kind] : s->auth.party_kinds) {
    if (!parse_party_kind(kind)) {
      return Error::invalid("'" + kind + "' is not agency, police, procuratorate or court", "auth.party_kinds." + party);
    }
  }
  if (s->facts_rules_dir.empty()) {
    return Error::invalid("must be set", "facts.rules_dir");
  }
  return validate_tls(s->api);
}

}  // namespace

Status check_descriptor_budget(int64_t max_connections, uint64_t open_file_limit) {
  const auto needed = static_cast<uint64_t>(max_connections) + static_cast<uint64_t>(kReservedDescriptors);
  if (max_connections > 0 && needed > open_file_limit) {
    return Error::invalid("needs " + std::to_string(needed) + " file descriptors with the " +
                              std::to_string(kReservedDescriptors) + " the process keeps for itself, but the open-file " +
                              "limit is " + std::to_string(open_file_limit) +
                              " (raise it with ulimit -n / LimitNOFILE=, or lower api.max_connections)",
                          "api.max_connections");
  }
  return Status::success();
}

uint64_t raise_open_file_limit() {
  struct rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return 0;
  }
  if (limit.rlim_cur < limit.rlim_max) {
    struct rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      limit = raised;
    }
  }
  return limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(limit.rlim_cur);
}

void bind(config::ConfigBinder& b, IngressSettings* s) {
  bind_api(b, s);
  b.check([s]() { return validate(s); });
}

}  // namespace caselink::ingress
