#pragma once
// The two ways the scenario's parties reach Kafka: the adapter SDK (publish straight to Kafka
// with delivery confirmation) and the HTTPS ingress (for agency systems that cannot speak Kafka).
// Both answer only after the broker acknowledged the write.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/core/result.h"
#include "services/lib/http/client.h"

namespace caselink::scenario {

struct Published {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
};

class Channel {
 public:
  virtual ~Channel() = default;
  // Stores evidence bytes by content on behalf of `agency`; returns the SHA-256 hex.
  virtual Result<std::string> upload_blob(const std::string& agency, std::string_view bytes) = 0;
  // Publishes the sealed event as its producer agency.
  virtual Result<Published> publish(const v1::Envelope& event) = 0;
  // "sdk" or "ingress", for the progress lines.
  virtual const char* name() const = 0;
};

struct SdkChannelOptions {
  std::string bootstrap;
  std::string blob_dir;  // the evidence store caselink-evidence verifies against
  // scripts/keys.sh's directory: an agency with a key <dir>/<agency>/<agency>.k1.pem signs what
  // it publishes with it (empty: unsigned).
  std::string signing_key_dir;
  // caselink-evidence's X25519 public key: SDK uploads are sealed to it (empty: plaintext).
  std::string blob_public_key_file;
  // deploy/local/kafka.sh --secure's directory of per-principal client files: each party
  // connects with <dir>/<party id>.properties, so it publishes as itself and the broker's ACLs
  // (deploy/acls.yaml) apply to it. Empty: no credentials (a plaintext broker).
  std::string kafka_client_dir;
};
std::unique_ptr<Channel> make_sdk_channel(SdkChannelOptions options);

struct IngressChannelOptions {
  std::string host = "127.0.0.1";
  std::string port = "8080";
  std::map<std::string, std::string> tokens;  // agency id -> bearer token
  // HTTPS verified against tls.ca_file (the local CA, scripts/tls.sh); tls.enabled = false only
  // for an ingress configured with plain HTTP on loopback.
  http::ClientTls tls;
  int timeout_ms = 30000;
};
std::unique_ptr<Channel> make_ingress_channel(IngressChannelOptions options);

}  // namespace caselink::scenario
