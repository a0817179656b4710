// SIGTERM with requests in flight (issue 13 #7): the real caselink-ingress binary, whose
// producer points at a loopback port where nothing listens (no broker needed: every POST
// waits for kafka.message_timeout_ms), receives SIGTERM while POSTs are open. Each of them
// must be answered (503 here: nothing can be stored; never a dropped connection, never a 2xx),
// and the process must exit 0. The API is HTTPS with a certificate from a local CA. On the way: /readyz is 503 naming the broker while there is none.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "services/lib/crypto/sha256.h"
#include "services/lib/http/client.h"
#include "services/daemons/ingress/event_mapping.h"
#include "tests/support/http_get.h"
#include "tests/support/kafka_test_env.h"

namespace caselink::ingress {
namespace {

// POSTs one event over HTTPS, trusting `ca_file`; the answer's status, 0 when none came.
unsigned post_event(uint16_t port, const std::string& ca_file, const std::string& case_id) {
  caselink::http::ClientOptions options;
  options.port = std::to_string(port);
  options.tls.ca_file = ca_file;
  options.timeout = std::chrono::seconds(60);
  auto answer = caselink::http::call(
      options, {"POST", "/v1/events",
                {{"Authorization", "Bearer shutdown-token"}, {"Content-Type", "application/json"}},
                R"({"case_id":")" + case_id + R"(","occurred_at":"2026-03-01T08:30:00Z","suspected_crime_reported":{}})"});
  return answer.ok() ? static_cast<unsigned>(answer->status) : 0;
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

std::string source_dir() {
  const char* src = std::getenv("CASELINK_SOURCE_DIR");
  return src != nullptr ? src : ".";
}

// The fact catalogue the ingress loads at start (facts.rules_dir): the source tree's rules.
std::string rules_dir() { return source_dir() + "/rules"; }

// The ingress's certificate from a local CA in dir/ca, as scripts/run.sh makes it.
bool issue_certificate(const std::filesystem::path& dir) {
  const std::string command = "bash '" + source_dir() + "/scripts/tls.sh' --ca '" + (dir / "ca").string() +
                              "' --out '" + (dir / "tls").string() + "' caselink-ingress >/dev/null";
  return std::system(command.c_str()) == 0;
}

// A config for the real binary; `tls` is the api.tls map.
void write_config(const std::filesystem::path& dir, const std::string& tls) {
  std::ofstream config(dir / "ingress.yaml");
  config << "kafka: {bootstrap: \"127.0.0.1:1\", message_timeout_ms: 4000}\n"
         << "api: {port: 0, port_file: \"" << (dir / "api.port").string() << "\", tls: " << tls << "}\n"
         << "http: {port: 0, port_file: \"" << (dir / "http.port").string() << "\"}\n"
         << "auth: {token_sha256: {shutdown-agency: " << crypto::sha256_hex("shutdown-token") << "}}\n"
         << "blobs: {path: \"" << (dir / "blobs").string() << "\"}\n"
         << "log: {level: info}\n"
         << "facts: {rules_dir: \"" << rules_dir() << "\"}\n";
}

std::string tls_map(const std::filesystem::path& dir, const std::string& cert_file) {
  return "{cert_file: \"" + cert_file + "\", key_file: \"" + (dir / "tls/caselink-ingress.key").string() + "\"}";
}

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(IngressShutdown, SigtermAnswersEveryRequestInFlight) {
  const auto dir = std::filesystem::temp_directory_path() / ("ingress-shutdown-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(issue_certificate(dir)) << "scripts/tls.sh failed";
  write_config(dir, tls_map(dir, (dir / "tls/caselink-ingress.crt").string()));
  const std::string ca_file = (dir / "ca/ca.crt").string();
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
    clients.emplace_back([&, i] { statuses[i] = post_event(api, ca_file, "shutdown-" + std::to_string(i)); });
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

// issue 15 §5: a certificate the ingress cannot read stops it at start, with the key and the
// file in the message, before it listens.
TEST(IngressStart, AMissingCertificateFailsTheStartWithAClearMessage) {
  const auto dir = std::filesystem::temp_directory_path() / ("ingress-no-cert-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(issue_certificate(dir)) << "scripts/tls.sh failed";
  write_config(dir, tls_map(dir, (dir / "tls/nowhere.crt").string()));
  caselink::testing::ChildProcess ingress(CASELINK_INGRESS_BINARY, {"-c", (dir / "ingress.yaml").string()},
                                          (dir / "ingress.log").string());
  ASSERT_TRUE(eventually([&] { return !ingress.running(); })) << "still running without its certificate";
  EXPECT_NE(ingress.terminate(std::chrono::seconds(1)), 0);
  const std::string log = read_all(dir / "ingress.log");
  EXPECT_NE(log.find("api.tls.cert_file"), std::string::npos) << log;
  EXPECT_NE(log.find((dir / "tls/nowhere.crt").string()), std::string::npos) << log;
  EXPECT_EQ(read_port(dir / "api.port"), 0) << "it never listened";
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace
}  // namespace caselink::ingress
