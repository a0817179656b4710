#pragma once

// The admin HTTP/1.1 endpoint every caselink service runs: GET /healthz, /readyz, /metrics
// (plus extra GET routes registered before start()). Boost.Beast stays inside admin_server.cc.
//
//   http::AdminHttpServer admin({.port = 9464}, [&] { return service.readiness(); }, registry);
//   auto started = admin.start();
//   if (!started) { /* started.message: "admin http: cannot bind 127.0.0.1:9464: Address already in use" */ }
//   ...
//   admin.stop();  // also done by the destructor
//
// Threading: the server runs its own io_context on one background thread. The readiness
// callback and route handlers run on that thread and must be thread-safe and quick (read
// atomics; never block). Do not call stop() from inside a handler.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "services/lib/metrics/registry.h"

namespace caselink::http {

struct ReadyState {
  bool ready = false;
  std::string reason;  // shown as the 503 body when not ready; "not ready" if empty
};
using ReadinessCallback = std::function<ReadyState()>;

struct Request {
  std::string path;   // target without the query string, e.g. "/debug/config"
  std::string query;  // after '?', undecoded; empty if none
};

struct Response {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Further response headers (e.g. Content-Security-Policy of a page); Server, Content-Type and
  // Cache-Control are always set by the server.
  std::vector<std::pair<std::string, std::string>> headers = {};
};
using RouteHandler = std::function<Response(const Request&)>;

inline constexpr const char* kPlainTextContentType = "text/plain; charset=utf-8";
inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

struct AdminServerOptions {
  std::string bind_address = "127.0.0.1";  // an IP address (v4 or v6), not a host name
  std::uint16_t port = 0;                  // 0 = ephemeral; start() returns the bound port
  // Deadline for receiving one whole request, including the idle wait on a keep-alive
  // connection: slow or half-open clients are disconnected when it expires.
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds write_timeout{10'000};
  std::size_t max_header_bytes = 8 * 1024;  // larger headers: 431, connection closed
  std::size_t max_body_bytes = 1024;        // larger bodies: 413, connection closed
  std::size_t max_connections = 32;         // further connections are closed at once
};

// Result of start(): the bound port, or an error with a message naming address:port.
struct [[nodiscard]] StartResult {
  std::uint16_t port = 0;
  std::error_code error;
  std::string message;

  [[nodiscard]] bool ok() const noexcept { return !error; }
  explicit operator bool() const noexcept { return ok(); }
};

class AdminHttpServer {
 public:
  AdminHttpServer(AdminServerOptions options, ReadinessCallback readiness, metrics::Registry& registry);
  ~AdminHttpServer();  // calls stop()
  AdminHttpServer(const AdminHttpServer&) = delete;
  AdminHttpServer& operator=(const AdminHttpServer&) = delete;

  // Adds a GET route (exact path match, query ignored for matching). Only before start():
  // afterwards throws std::logic_error. A path not starting with '/', a built-in path
  // (/healthz, /readyz, /metrics) or a duplicate throws std::invalid_argument.
  // An exception thrown by the handler becomes a 500 response.
  void add_route(const std::string& path, RouteHandler handler);

  // Adds a GET route for every path that starts with `prefix` (e.g. "/api/cases/" serves
  // "/api/cases/<id>"); an exact route wins, then the longest matching prefix. Same rules and
  // errors as add_route; `prefix` must also end with '/'.
  void add_prefix_route(const std::string& prefix, RouteHandler handler);

  // Binds, listens and starts the background thread. Errors (bad address, bind failure,
  // already started or stopped, invalid options) come back as values; the server can be
  // started again after a failed start().
  StartResult start();

  // Closes the acceptor and every open connection, then joins the thread. Idempotent.
  // After stop() the port is free and the server cannot be restarted.
  void stop() noexcept;

  // The bound port while running, else 0.
  [[nodiscard]] std::uint16_t port() const noexcept { return port_.load(); }

 private:
  // Throws as add_route documents (not idle, bad path, built-in path, no handler).
  void check_route(const std::string& path, const RouteHandler& handler);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<std::uint16_t> port_{0};
};

}  // namespace caselink::http
