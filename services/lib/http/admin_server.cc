#include "services/lib/http/admin_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

namespace caselink::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

class Session;

// Everything a connection needs; owned jointly by the server and its sessions so that no
// session ever points into a destroyed server. Fields below `sessions` are io-thread only.
struct Shared {
  Shared(AdminServerOptions opts, ReadinessCallback ready, metrics::Registry& reg)
      : options(std::move(opts)), readiness(std::move(ready)), registry(reg) {}

  const AdminServerOptions options;
  const ReadinessCallback readiness;
  metrics::Registry& registry;
  std::map<std::string, RouteHandler> routes;  // frozen at start()
  std::map<std::string, RouteHandler> prefix_routes;  // frozen at start()

  std::set<Session*> sessions;
  bool stopping = false;
};

Response text(unsigned status, std::string body) {
  return Response{status, kPlainTextContentType, std::move(body)};
}

std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

// The exact route for `path`, else the longest prefix route it starts with; null when none.
const RouteHandler* find_handler(const Shared& shared, const std::string& path) {
  if (const auto it = shared.routes.find(path); it != shared.routes.end()) {
    return &it->second;
  }
  const RouteHandler* best = nullptr;
  size_t best_length = 0;
  for (const auto& [prefix, handler] : shared.prefix_routes) {
    if (path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 && prefix.size() > best_length) {
      best = &handler;
      best_length = prefix.size();
    }
  }
  return best;
}

Response route(const Shared& shared, const Request& request) {
  if (request.path == "/healthz") {
    return text(200, "ok");
  }
  if (request.path == "/readyz") {
    if (!shared.readiness) {
      return text(200, "ready");
    }
    try {
      ReadyState state = shared.readiness();
      if (state.ready) {
        return text(200, "ready");
      }
      return text(503, state.reason.empty() ? "not ready" : std::move(state.reason));
    } catch (...) {
      return text(503, "readiness check failed: " + what_of(std::current_exception()));
    }
  }
  if (request.path == "/metrics") {
    try {
      return Response{200, kMetricsContentType, shared.registry.render()};
    } catch (...) {
      return text(500, "metrics rendering failed: " + what_of(std::current_exception()));
    }
  }
  const RouteHandler* handler = find_handler(shared, request.path);
  if (handler != nullptr) {
    try {
      return (*handler)(request);
    } catch (...) {
      return text(500, "handler failed: " + what_of(std::current_exception()));
    }
  }
  return text(404, "not found");
}

// One connection: read a request (under the read deadline), answer it, repeat while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)),
        shared_(std::move(shared)),
        buffer_(shared_->options.max_header_bytes + shared_->options.max_body_bytes) {}

  ~Session() { shared_->sessions.erase(this); }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    shared_->sessions.insert(this);
    do_read();
  }

  // Aborts pending operations; their handlers then release the session.
  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  void do_read() {
    if (shared_->stopping) {
      close();
      return;
    }
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.max_header_bytes));
    parser_->body_limit(static_cast<std::uint64_t>(shared_->options.max_body_bytes));
    stream_.expires_after(shared_->options.read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec == bhttp::error::body_limit) {
      return reply(text(413, "request body too large"), /*keep_alive=*/false);
    }
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      return reply(text(431, "request header fields too large"), /*keep_alive=*/false);
    }
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
      return close();  // client went away
    }
    if (ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
      return reply(text(400, "bad request"), /*keep_alive=*/false);
    }
    if (ec) {
      return close();  // timeout (slow or idle client), reset, or stop()
    }

    const auto& req = parser_->get();
    const bool keep_alive = req.keep_alive();
    if (req.method() != bhttp::verb::get) {
      return reply(text(405, "method not allowed"), keep_alive, /*allow_get=*/true);
    }
    const std::string_view target(req.target().data(), req.target().size());
    const auto q = target.find('?');
    Request request;
    request.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) {
      request.query = std::string(target.substr(q + 1));
    }
    reply(route(*shared_, request), keep_alive);
  }

  void reply(Response response, bool keep_alive, bool allow_get = false) {
    const unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    response_ = {};
    response_.version(version);
    response_.result(response.status);
    response_.set(bhttp::field::server, "caselink");
    response_.set(bhttp::field::content_type, response.content_type);
    response_.set(bhttp::field::cache_control, "no-store");
    if (allow_get) {
      response_.set(bhttp::field::allow, "GET");
    }
    for (const auto& [name, value] : response.headers) {
      response_.set(name, value);
    }
    response_.body() = std::move(response.body);
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    stream_.expires_after(shared_->options.write_timeout);
    bhttp::async_write(stream_, response_,
                       beast::bind_front_handler(&Session::on_write, shared_from_this(), keep_alive));
  }

  void on_write(bool keep_alive, beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) {
      return close();
    }
    if (!keep_alive) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      return close();
    }
    do_read();
  }

  beast::tcp_stream stream_;
  std::shared_ptr<Shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> response_;
};

std::string describe(const tcp::endpoint& endpoint) {
  std::ostringstream out;
  out << endpoint;  // "127.0.0.1:8080" or "[::1]:8080"
  return out.str();
}

}  // namespace

struct AdminHttpServer::Impl {
  enum class State { kIdle, kRunning, kStopped };

  Impl(AdminServerOptions options, ReadinessCallback readiness, metrics::Registry& registry)
      : shared(std::make_shared<Shared>(std::move(options), std::move(readiness), registry)) {}

  void do_accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (shared->stopping || ec == asio::error::operation_aborted) {
      return;
    }
    if (ec) {
      // E.g. out of file descriptors: back off briefly instead of spinning.
      retry_timer.expires_after(std::chrono::milliseconds(100));
      retry_timer.async_wait([this](beast::error_code timer_ec) {
        if (!timer_ec && !shared->stopping) {
          do_accept();
        }
      });
      return;
    }
    if (shared->sessions.size() >= shared->options.max_connections) {
      beast::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_both, ignored);
      socket.close(ignored);
    } else {
      std::make_shared<Session>(std::move(socket), shared)->start();
    }
    do_accept();
  }

  std::shared_ptr<Shared> shared;
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  asio::steady_timer retry_timer{ioc};
  std::thread thread;
  std::mutex lifecycle_mutex;
  State state = State::kIdle;
};

AdminHttpServer::AdminHttpServer(AdminServerOptions options, ReadinessCallback readiness,
                                 metrics::Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(readiness), registry)) {}

AdminHttpServer::~AdminHttpServer() {
  stop();
}

void AdminHttpServer::add_route(const std::string& path, RouteHandler handler) {
  check_route(path, handler);
  if (!impl_->shared->routes.emplace(path, std::move(handler)).second) {
    throw std::invalid_argument("admin http: route '" + path + "' is already registered");
  }
}

void AdminHttpServer::add_prefix_route(const std::string& prefix, RouteHandler handler) {
  check_route(prefix, handler);
  if (prefix.back() != '/') {
    throw std::invalid_argument("admin http: route prefix must end with '/', got '" + prefix + "'");
  }
  if (!impl_->shared->prefix_routes.emplace(prefix, std::move(handler)).second) {
    throw std::invalid_argument("admin http: route prefix '" + prefix + "' is already registered");
  }
}

void AdminHttpServer::check_route(const std::string& path, const RouteHandler& handler) {
  std::lock_guard lock(impl_->lifecycle_mutex);
  if (impl_->state != Impl::State::kIdle) {
    throw std::logic_error("admin http: add_route('" + path + "') must be called before start()");
  }
  if (path.empty() || path.front() != '/') {
    throw std::invalid_argument("admin http: route path must start with '/', got '" + path + "'");
  }
  if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
    throw std::invalid_argument("admin http: route '" + path + "' is built in");
  }
  if (!handler) {
    throw std::invalid_argument("admin http: route '" + path + "' has no handler");
  }
}

StartResult AdminHttpServer::start() {
  std::lock_guard lock(impl_->lifecycle_mutex);
  const auto& options = impl_->shared->options;
  const auto failure = [](std::error_code error, std::string message) {
    return StartResult{0, error, "admin http: " + std::move(message)};
  };
  if (impl_->state != Impl::State::kIdle) {
    return failure(std::make_error_code(std::errc::operation_not_permitted),
                   impl_->state == Impl::State::kRunning ? "already started" : "stopped; cannot restart");
  }
  if (options.read_timeout.count() <= 0 || options.write_timeout.count() <= 0) {
    return failure(std::make_error_code(std::errc::invalid_argument), "read_timeout and write_timeout must be > 0");
  }
  if (options.max_connections == 0) {
    return failure(std::make_error_code(std::errc::invalid_argument), "max_connections must be > 0");
  }

  beast::error_code ec;
  const auto address = asio::ip::make_address(options.bind_address, ec);
  if (ec) {
    return failure(std::make_error_code(std::errc::invalid_argument),
                   "invalid bind address '" + options.bind_address + "' (expected an IP address such as 127.0.0.1)");
  }
  const tcp::endpoint endpoint(address, options.port);
  auto& acceptor = impl_->acceptor;
  const auto bind_failure = [&](const char* step) {
    beast::error_code ignored;
    acceptor.close(ignored);
    return failure(ec, std::string("cannot ") + step + " " + describe(endpoint) + ": " + ec.message());
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) {
    return bind_failure("open socket for");
  }
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) {
    return bind_failure("set SO_REUSEADDR on");
  }
  acceptor.bind(endpoint, ec);
  if (ec) {
    return bind_failure("bind");
  }
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return bind_failure("listen on");
  }
  const auto bound = acceptor.local_endpoint(ec);
  if (ec) {
    return bind_failure("read the local address of");
  }

  impl_->do_accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->ioc.run(); });
  impl_->state = Impl::State::kRunning;
  port_.store(bound.port());
  return StartResult{bound.port(), {}, {}};
}

void AdminHttpServer::stop() noexcept {
  if (!impl_) {
    return;
  }
  std::lock_guard lock(impl_->lifecycle_mutex);
  if (impl_->state == Impl::State::kRunning) {
    Impl* impl = impl_.get();
    asio::post(impl->ioc, [impl] {
      impl->shared->stopping = true;
      beast::error_code ignored;
      impl->acceptor.close(ignored);
      impl->retry_timer.cancel();
      for (Session* session : impl->shared->sessions) {
        session->close();
      }
    });
    // Every pending operation is now aborted, so run() runs out of work and returns.
    impl->thread.join();
  }
  impl_->state = Impl::State::kStopped;
  port_.store(0);
}

}  // namespace caselink::http
