#pragma once

// One small HTTP/1.1 client for whoever calls caselink-ingress from this repository (the
// scenario, the tests, the benchmark): HTTPS by default, verifying the server's certificate
// against a CA file and the host it was asked for; plain HTTP only when told. Every step
// (connect, handshake, write, read) is bounded by the one timeout. Beast stays in client.cc.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "services/lib/core/result.h"

namespace caselink::http {

struct ClientTls {
  bool enabled = true;
  std::string ca_file;    // PEM: the CA the server's certificate must chain to (required)
  std::string cert_file;  // optional client certificate (a server with api.tls.client_ca_file)
  std::string key_file;   // its private key
};

struct ClientOptions {
  std::string host = "127.0.0.1";  // also the name (IP or DNS) the certificate must carry
  std::string port;
  ClientTls tls;
  std::chrono::milliseconds timeout{30000};
};

struct ClientRequest {
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  std::string tls_version;  // "TLSv1.3", "TLSv1.2"; empty over plain HTTP
};

// A connection that stays open for several requests (keep-alive). Errors carry a reason:
// "http.connect", "tls.handshake" (untrusted or wrong certificate, no TLS on the other side),
// "http.io" (write/read failed or timed out).
class Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const ClientOptions& options);
  virtual ~Connection() = default;
  virtual Result<ClientResponse> send(const ClientRequest& request) = 0;
};

// open + one request + close.
Result<ClientResponse> call(const ClientOptions& options, const ClientRequest& request);

}  // namespace caselink::http
