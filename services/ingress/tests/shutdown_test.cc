// SIGTERM with requests in flight (issue 13 #7): the real caselink-ingress binary, whose
// producer points at a loopback port where nothing listens (no broker needed: every POST
// waits for kafka.message_timeout_ms), receives SIGTERM while POSTs are open. Each of them
// must be answered (503 here: nothing can be stored; never a dropped connection, never a 2xx),
// and the process must exit 0. On the way: /readyz is 503 naming the broker while there is none.

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include "services/common/crypto/sha256.h"
#include "services/ingress/event_mapping.h"
#include "tests/support/http_get.h"
#include "tests/support/kafka_test_env.h"

namespace caselink::ingress {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

unsigned post_event(uint16_t port, const std::string& case_id) {
  net::io_context ioc;
  net::ip::tcp::socket socket(ioc);
  beast::error_code ec;
  socket.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) {
    return 0;
  }
  struct timeval tv{60, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  http::request<http::string_body> request(http::verb::post, "/v1/events", 11);
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::authorization, "Bearer shutdown-token");
  request.set(http::field::content_type, "application/json");
  request.body() = R"({"case_id":")" + case_id + R"(","occurred_at":"2026-03-01T08:30:00Z","suspected_crime_reported":{}})";
  request.prepare_payload();
  http::write(socket, request, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response, ec);
  return ec ? 0 : response.result_int();
}

template <typename Condition>
bool eventually(Condition condition, std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling interval, not a wait for an event
  }
  return true;
}

uint16_t read_port(const std::filesystem::path& file) {
  std::ifstream in(file);
  int port = 0;
  in >> port;
  return static_cast<uint16_t>(port);
}

// The fact catalogue the ingress loads at start (facts.rules_dir): the source tree's rules.
std::string rules_dir() {
  const char* src = std::getenv("CASELINK_SOURCE_DIR");
  return std::string(src != nullptr ? src : ".") + "/rules";
}

TEST(IngressShutdown, SigtermAnswersEveryRequestInFlight) {
  const auto dir = std::filesystem::temp_directory_path() / ("ingress-shutdown-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream config(dir / "ingress.yaml");
    config << "kafka: {bootstrap: \"127.0.0.1:1\", message_timeout_ms: 4000}\n"
           << "api: {port: 0, port_file: \"" << (dir / "api.port").string() << "\"}\n"
           << "http: {port: 0, port_file: \"" << (dir / "http.port").string() << "\"}\n"
           << "auth: {token_sha256: {shutdown-agency: " << crypto::sha256_hex("shutdown-token") << "}}\n"
           << "blobs: {path: \"" << (dir / "blobs").string() << "\"}\n"
           << "log: {level: info}\n"
           << "facts: {rules_dir: \"" << rules_dir() << "\"}\n";
  }
  caselink::testing::ChildProcess ingress(CASELINK_INGRESS_BINARY, {"-c", (dir / "ingress.yaml").string()},
                                          (dir / "ingress.log").string());
  ASSERT_TRUE(eventually([&] { return read_port(dir / "api.port") != 0 && read_port(dir / "http.port") != 0; }))
      << "the ingress did not start; see " << (dir / "ingress.log");
  const uint16_t api = read_port(dir / "api.port");
  const uint16_t admin = read_port(dir / "http.port");

  // No broker: /readyz says so (503 with the reason), /healthz is still 200.
  auto ready = caselink::testing::http_get(admin, "/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_NE(ready.body.find("broker"), std::string::npos) << ready.body;
  EXPECT_EQ(caselink::testing::http_get(admin, "/healthz").status, 200);

  constexpr int kRequests = 3;
  std::vector<unsigned> statuses(kRequests, 0);
  std::vector<std::thread> clients;
  for (int i = 0; i < kRequests; ++i) {
    clients.emplace_back([&, i] { statuses[i] = post_event(api, "shutdown-" + std::to_string(i)); });
  }
  // All three connections are open (their requests are being read or published) before the
  // signal; a request read after it is answered 503 server.shutting_down, also an answer.
  ASSERT_TRUE(eventually([&] {
    return caselink::testing::http_get(admin, "/metrics").body.find("caselink_ingress_open_connections " +
                                                                    std::to_string(kRequests)) != std::string::npos;
  }));
  const int exit_status = ingress.terminate(std::chrono::seconds(30));
  for (auto& c : clients) {
    c.join();
  }
  EXPECT_EQ(exit_status, 0) << "see " << (dir / "ingress.log");
  for (int i = 0; i < kRequests; ++i) {
    EXPECT_EQ(statuses[i], 503u) << "request " << i << " (0 = no answer)";
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace
}  // namespace caselink::ingress
