#include "services/lib/http/admin_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

namespace caselink::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using namespace std::chrono_literals;
using Reply = bhttp::response<bhttp::string_body>;

// A tiny Beast client. Every operation is async with a deadline so a broken server fails the
// test instead of hanging it.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    stream_.expires_after(5s);
    stream_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  Reply send(bhttp::verb method, const std::string& target, bool keep_alive = true, std::string body = {}) {
    bhttp::request<bhttp::string_body> req(method, target, 11);
    req.set(bhttp::field::host, "127.0.0.1");
    req.keep_alive(keep_alive);
    if (!body.empty()) {
      req.body() = std::move(body);
      req.prepare_payload();
    }
    beast::error_code ec;
    stream_.expires_after(5s);
    bhttp::async_write(stream_, req, [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    if (ec) {
      throw std::runtime_error("client write: " + ec.message());
    }
    return read_reply();
  }

  Reply get(const std::string& target, bool keep_alive = true) {
    return send(bhttp::verb::get, target, keep_alive);
  }

  Reply read_reply() {
    Reply reply;
    beast::error_code ec;
    stream_.expires_after(5s);
    bhttp::async_read(stream_, buffer_, reply, [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    if (ec) {
      throw std::runtime_error("client read: " + ec.message());
    }
    return reply;
  }

  void write_raw(const std::string& bytes) {
    asio::write(stream_.socket(), asio::buffer(bytes));
  }

  // Waits (at most `limit`) for the server to close the connection; returns the read error
  // (eof / connection reset when the server closed it, timeout if it did not).
  beast::error_code wait_for_close(std::chrono::steady_clock::duration limit) {
    beast::error_code ec;
    char byte = 0;
    stream_.expires_after(limit);
    stream_.async_read_some(asio::buffer(&byte, 1), [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    return ec;
  }

 private:
  void run() {
    ioc_.restart();
    ioc_.run();
  }

  asio::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
};

std::string content_type(const Reply& r) {
  return std::string(r[bhttp::field::content_type]);
}

AdminServerOptions loopback(std::chrono::milliseconds read_timeout = 10'000ms) {
  AdminServerOptions o;
  o.bind_address = "127.0.0.1";
  o.port = 0;
  o.read_timeout = read_timeout;
  return o;
}

ReadinessCallback always_ready() {
  return [] { return ReadyState{true, ""}; };
}

class AdminHttpServerTest : public ::testing::Test {
 protected:
  metrics::Registry registry_;
};

TEST_F(AdminHttpServerTest, Healthz) {
  AdminHttpServer server(loopback(), always_ready(), registry_);
  const auto started = server.start();
  ASSERT_TRUE(started.ok()) << started.message;
  ASSERT_NE(started.port, 0);
  EXPECT_EQ(server.port(), started.port);

  Client client(started.port);
  const auto r = client.get("/healthz");
  EXPECT_EQ(r.result_int(), 200U);
  EXPECT_EQ(r.body(), "ok");
  EXPECT_EQ(content_type(r), "text/plain; charset=utf-8");
}

TEST_F(AdminHttpServerTest, ReadinessFlipsFrom503To200) {
  std::atomic<bool> ready{false};
  AdminHttpServer server(
      loopback(), [&] { return ReadyState{ready.load(), "waiting for partition assignment"}; }, registry_);
  const auto started = server.start();
  ASSERT_TRUE(started) << started.message;

  Client client(started.port);
  auto r = client.get("/readyz");
  EXPECT_EQ(r.result_int(), 503U);
  EXPECT_EQ(r.body(), "waiting for partition assignment");
  EXPECT_EQ(content_type(r), "text/plain; charset=utf-8");

  ready = true;
  r = client.get("/readyz");
  EXPECT_EQ(r.result_int(), 200U);
  EXPECT_EQ(r.body(), "ready");
}

TEST_F(AdminHttpServerTest, ReadinessWithoutReasonOrThrowing) {
  int calls = 0;
  AdminHttpServer server(
      loopback(),
      [&]() -> ReadyState {
        if (++calls == 1) {
          return ReadyState{false, ""};
        }
        throw std::runtime_error("boom");
      },
      registry_);
  const auto started = server.start();
  ASSERT_TRUE(started) << started.message;
  Client client(started.port);
  auto r = client.get("/readyz");
  EXPECT_EQ(r.result_int(), 503U);
  EXPECT_EQ(r.body(), "not ready");
  r = client.get("/readyz");
  EXPECT_EQ(r.result_int(), 503U);
  EXPECT_EQ(r.body(), "readiness check failed: boom");
}

TEST_F(AdminHttpServerTest, MetricsServesTheRegistry) {
  registry_.counter("caselink_test_total", "Test.", {"service"}).labels({"svc"}).inc(7);
  AdminHttpServer server(loopback(), always_ready(), registry_);
  const auto started = server.start();
  ASSERT_TRUE(started) << started.message;

  Client client(started.port);
  const auto r = client.get("/metrics");
  EXPECT_EQ(r.result_int(), 200U);
  EXPECT_EQ(content_type(r), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.body(), registry_.render());
  EXPECT_NE(r.body().find("caselink_test_total{service=\"svc\"} 7\n"), std::string::npos);
  // The query string does not affect routing.
  EXPECT_EQ(client.get("/metrics?x=1").result_int(), 200U);
}

TEST_F(AdminHttpServerTest, UnknownPathIs404AndNonGetIs405) {
  AdminHttpServer server(loopback(), always_ready(), registry_);
  const auto started = server.start();
  ASSERT_TRUE(started) << started.message;

  Client client(started.port);
  auto r = client.get("/nope");
  EXPECT_EQ(r.result_int(), 404U);
  EXPECT_EQ(r.body(), "not found");
  r = client.send(bhttp::verb::post, "/healthz", true, "x=1");
  EXPECT_EQ(r.result_int(), 405U);
  EXPECT_EQ(std::string(r[bhttp::field::allow]), "GET");
  r = client.send(bhttp::verb::delete_, "/metrics");
  EXPECT_EQ(r.result_int(), 405U);
  // The connection survives both.
  EXPECT_EQ(client.get("/healthz").result_int(), 200U);
}

TEST_F(AdminHttpServerTest, ExtraRoutes) {
  AdminHttpServer server(loopback(), always_ready(), registry_);
  server.add_route("/debug/config", [](const Request& req) {
    return Response{200, "application/json", "{\"query\":\"" + req.query + "\"}"};
  });
  server.add_route("/debug/broken", [](const Request&) -> Response { throw std::runtime_error("bad"); });
  EXPECT_THROW(server.add_route("/healthz", [](const Request&) { return Response{}; }), std::invalid_argument);
  EXPECT_THROW(server.add_route("no-slash", [](const Request&) { return Response{}; }), std::invalid_argument);
  EXPECT_THROW(server.add_route("/debug/config", [](const Request&) { return Response{}; }),
               std::invalid_argument);
  const auto started = server.start();
  ASSERT_TRUE(started) << started.message;
  EXPECT_THROW(server.add_route("/late", [](const Request&) { return Response{}; }), std::logic_error);

  Client client(started.port);
  auto r = client.get("/debug/config?verbose=1");
  EXPECT_EQ(r.result_int(), 200U);
  EXPECT_EQ(content_type(r), "application/json");
  EXPECT_EQ(r.body(), "{\"query\":\"verbose=1\"}");
  r = client.get("/debug/broken");
  EXPECT_EQ(r.result_int(), 500U);
  EXPECT_EQ(r.body(), "handler failed: bad");
}

TEST_F(AdminHttpServerTest, PrefixRoutesAndExtraHeaders) {
  AdminHttpServer server(loopback(), always_ready(), registry_);
  server.add_route("/api/cases/exact", [](const Request&) { return Response{200, "text/plain", "exact"}; });
  server.add_prefix_route("/api/", [](const Request& req) { return Response{200, "text/plain", "api " + req.path}; });
  server.add_prefix_route("/api/cases/", [](const Request& req) {
    return Response{200, "text/plain", req.path.substr(11), {{"X-Case", "yes"}}};
  });
  EXPECT_THROW(server.add_prefix_route("/api/cases", [](const Request&) { return Response{}; }), std::invalid_argument);
  EXPECT_THROW(server.add_prefix_route("/api/", [](const Request&) { return Response{}; }), std::invalid_argument);
  const auto started = server.start();
  ASSERT_TRUE(started) << started.message;
  EXPECT_THROW(server.add_prefix_route("/late/", [](const Request&) { return Response{}; }), std::logic_error);

  Client client(started.port);
  auto r = client.get("/api/cases/c-1?x=1");
  EXPECT_EQ(r.body(), "c-1");  // the longest prefix wins
  EXPECT_EQ(r["X-Case"], "yes");
  EXPECT_EQ(client.get("/api/cases/exact").body(), "exact");  // an exact route wins
  EXPECT_EQ(client.get("/api/ops").body(), "api /api/ops");
  EXPECT_EQ(client.get("/api/").result_int(), 404U);  // the prefix alone names nothing
}

TEST_F(AdminHttpServerTest, KeepAliveAndConnectionClose) {
  AdminHttpServer server(loopback(), always_ready(), registry_);
  const auto started = server.start();
  ASSERT_TRUE(started) << started.message;

  Client client(started.port);
  for (int i = 0; i < 5; ++i) {
    const auto r = client.get("/healthz");
    EXPECT_EQ(r.result_int(), 200U);
    EXPECT_TRUE(r.keep_alive());
  }
  const auto last = client.get("/healthz", /*keep_alive=*/false);
  EXPECT_EQ(last.result_int(), 200U);
  EXPECT_FALSE(last.keep_alive());
  const auto ec = client.wait_for_close(5s);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
}

TEST_F(AdminHttpServerTest, IdleClientIsDisconnectedAfterReadTimeout) {
  AdminHttpServer server(loopback(200ms), always_ready(), registry_);
  const auto started = server.start();
  ASSERT_TRUE(started) << started.message;

  Client idle(started.port);
  const auto begin = std::chrono::steady_clock::now();
  const auto ec = idle.wait_for_close(5s);
  const auto elapsed = std::chrono::steady_clock::now() - begin;
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, 3s);

  // The server is still serving others.
  Client other(started.port);
  EXPECT_EQ(other.get("/healthz").result_int(), 200U);
}

TEST_F(AdminHttpServerTest, SlowClientIsDisconnectedAfterReadTimeout) {
  AdminHttpServer server(loopback(300ms), always_ready(), registry_);
  const auto started = server.start();
  ASSERT_TRUE(started) << started.message;

  Client slow(started.port);
  slow.write_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // never finishes the header
  const auto ec = slow.wait_for_close(5s);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
}

TEST_F(AdminHttpServerTest, OversizedRequestsAreRejected) {
  AdminServerOptions options = loopback();
  options.max_body_bytes = 16;
  options.max_header_bytes = 512;
  AdminHttpServer server(options, always_ready(), registry_);
  const auto started = server.start();
  ASSERT_TRUE(started) << started.message;

  {
    Client client(started.port);
    const auto r = client.send(bhttp::verb::get, "/healthz", true, std::string(64, 'x'));
    EXPECT_EQ(r.result_int(), 413U);
    EXPECT_FALSE(r.keep_alive());
  }
  {
    Client client(started.port);
    client.write_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2048, 'y') + "\r\n\r\n");
    const auto r = client.read_reply();
    EXPECT_EQ(r.result_int(), 431U);
  }
  {
    Client client(started.port);
    client.write_raw("NOT-HTTP\r\n\r\n");
    const auto r = client.read_reply();
    EXPECT_EQ(r.result_int(), 400U);
  }
}

TEST_F(AdminHttpServerTest, ConnectionLimit) {
  AdminServerOptions options = loopback();
  options.max_connections = 1;
  AdminHttpServer server(options, always_ready(), registry_);
  const auto started = server.start();
  ASSERT_TRUE(started) << started.message;

  Client first(started.port);
  ASSERT_EQ(first.get("/healthz").result_int(), 200U);  // the server has accepted it
  Client second(started.port);
  const auto ec = second.wait_for_close(5s);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  EXPECT_EQ(first.get("/healthz").result_int(), 200U);
}

TEST_F(AdminHttpServerTest, StopIsIdempotentFreesThePortAndDropsOpenConnections) {
  AdminHttpServer server(loopback(60'000ms), always_ready(), registry_);
  const auto started = server.start();
  ASSERT_TRUE(started) << started.message;

  Client open_connection(started.port);
  ASSERT_EQ(open_connection.get("/healthz").result_int(), 200U);

  const auto begin = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 2s);  // did not wait for the read timeout
  server.stop();
  EXPECT_EQ(server.port(), 0);
  const auto ec = open_connection.wait_for_close(5s);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();

  // The port is free again.
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc);
  beast::error_code bind_ec;
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), started.port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint, bind_ec);
  EXPECT_FALSE(bind_ec) << bind_ec.message();

  // A stopped server does not start again.
  const auto again = server.start();
  EXPECT_FALSE(again.ok());
}

TEST_F(AdminHttpServerTest, StopWithoutStartAndDestructorStop) {
  {
    AdminHttpServer never_started(loopback(), always_ready(), registry_);
    never_started.stop();
    never_started.stop();
  }
  {
    AdminHttpServer running(loopback(), always_ready(), registry_);
    ASSERT_TRUE(running.start());
    Client client(running.port());
    ASSERT_EQ(client.get("/healthz").result_int(), 200U);
  }  // the destructor stops it
}

TEST_F(AdminHttpServerTest, StartErrorsAreValues) {
  AdminHttpServer first(loopback(), always_ready(), registry_);
  const auto started = first.start();
  ASSERT_TRUE(started) << started.message;

  const auto twice = first.start();
  EXPECT_FALSE(twice.ok());
  EXPECT_NE(twice.message.find("already started"), std::string::npos) << twice.message;

  AdminServerOptions same_port = loopback();
  same_port.port = started.port;
  AdminHttpServer second(same_port, always_ready(), registry_);
  const auto clash = second.start();
  ASSERT_FALSE(clash.ok());
  EXPECT_TRUE(clash.error == std::errc::address_in_use) << clash.error.message();
  EXPECT_NE(clash.message.find("127.0.0.1:" + std::to_string(started.port)), std::string::npos) << clash.message;

  AdminServerOptions bad_address = loopback();
  bad_address.bind_address = "not-an-ip";
  AdminHttpServer third(bad_address, always_ready(), registry_);
  const auto invalid = third.start();
  ASSERT_FALSE(invalid.ok());
  EXPECT_NE(invalid.message.find("not-an-ip"), std::string::npos) << invalid.message;
}

}  // namespace
}  // namespace caselink::http
