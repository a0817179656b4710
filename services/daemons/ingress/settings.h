#pragma once

// Typed configuration of caselink-ingress (deploy/config/ingress.yaml), with defaults in the
// struct and every check naming its key. `api.*` is the public JSON API; `log.*`, `http.*` (the
// admin endpoint: /healthz, /readyz, /metrics) and `kafka.*` are bound once, by the runtime,
// as in every caselink service.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "services/lib/config/config.h"
#include "services/lib/envelope/topics.h"
#include "services/lib/kafka/settings.h"
#include "services/lib/runtime/service_main.h"

namespace caselink::ingress {

// HTTPS on the public API (issue 15 §5). On by default; plain HTTP only with enabled: false,
// and only on a loopback api.bind (tests, benchmarks, a TLS-terminating proxy on the same host):
// bearer tokens and evidence must not cross a network in clear text.
struct TlsSettings {
  bool enabled = true;
  std::string cert_file;       // PEM: the server certificate, then any intermediates
  std::string key_file;        // PEM private key of that certificate (mode 0600)
  std::string client_ca_file;  // set: every client must present a certificate this CA signed
  // Each bearer token is honoured only over a connection whose client certificate names the
  // token's party (subject CN); needs client_ca_file (issue 15: tokens bound to mTLS identities).
  bool bind_tokens_to_certificates = false;
  int64_t handshake_timeout_ms = 5000;  // a client that stalls the handshake is dropped then
};

struct ApiSettings {
  std::string bind = "127.0.0.1";
  int port = 8080;                    // 0 = any free port (tests)
  std::string port_file;              // write the bound API port here
  int threads = 2;                    // fixed pool running the io_context
  int64_t header_timeout_ms = 5000;   // whole header must arrive within this
  int64_t body_timeout_ms = 15000;    // whole body must arrive within this
  int64_t write_timeout_ms = 10000;
  int64_t idle_timeout_ms = 30000;    // keep-alive connection waiting for its next request
  int64_t max_body_bytes = 1 << 20;   // POST /v1/events; larger: 413
  int64_t max_blob_bytes = 16 << 20;  // PUT /v1/blobs/{sha256}; larger: 413
  int64_t max_batch_events = 100;
  int64_t max_connections = 1024;     // more are answered 503 http.too_many_connections and closed
  TlsSettings tls;
};

struct LimitSettings {
  double rate_per_second = 500;  // events (or requests) per second per agency, on average
  double burst = 1000;           // bucket size; must hold a full batch
};

struct IdempotencySettings {
  int64_t max_entries = 100000;
  int64_t ttl_seconds = 86400;
};

struct AuthSettings {
  // agency id -> SHA-256 hex of its bearer token (printf %s TOKEN | sha256sum).
  std::map<std::string, std::string> token_sha256;
  // Agencies that may read every case (e.g. a procuratorate's supervision desk).
  std::vector<std::string> read_all_agencies;
  // party id -> kind (agency | police | procuratorate | court); a party not listed is an
  // agency. The kind decides the events the party may submit (party_policy.h, issue 20 #8).
  std::map<std::string, std::string> party_kinds;
};

struct IngressSettings {
  // The runtime's kafka.* settings, copied in by make_service (not bound here): the publish
  // deadline of a request is kafka.message_timeout_ms.
  kafka::KafkaSettings kafka;
  ApiSettings api;
  LimitSettings limits;
  IdempotencySettings idempotency;
  AuthSettings auth;
  std::map<std::string, std::string> topic_overrides;  // default topic -> topic used
  std::string case_state_topic = envelope::topics::kCaseState;
  std::string blob_store_path = ".local/evidence-store";
  // X25519 public key PUT /v1/blobs seals blobs to (docs/services/evidence.md "Blobs at rest").
  // Empty: blobs are stored in plaintext (development; logged at start).
  std::string blob_public_key_file;
  // Rule directory whose catalogue/facts.yaml the facts of referrals and penalty records are
  // checked against (issue 20 #10; the check caselink-standards applies). Loaded at start.
  std::string facts_rules_dir = "rules";
};

// A shorter produce timeout than the common one: an HTTP caller waits for it.
inline constexpr int64_t kProduceTimeoutMs = 10000;

// The runtime's settings as the ingress defaults them: admin port 9306, kProduceTimeoutMs.
void common_defaults(runtime::CommonSettings& common);

// The ingress settings with the common defaults applied to `kafka` (tests).
IngressSettings default_settings();

void bind(config::ConfigBinder& binder, IngressSettings* settings);

// File descriptors the process needs besides its API connections: the producer's and the
// case-state follower's broker sockets, the admin endpoint and its clients, log and blob files.
inline constexpr int64_t kReservedDescriptors = 256;

// api.max_connections must fit the open-file limit with kReservedDescriptors to spare: otherwise
// accept() fails with EMFILE under load and a refusal can no longer be answered. Pure (tests).
Status check_descriptor_budget(int64_t max_connections, uint64_t open_file_limit);

// Raises the soft RLIMIT_NOFILE to the hard one (all an unprivileged process may) and returns
// the soft limit in force afterwards.
uint64_t raise_open_file_limit();

}  // namespace caselink::ingress
