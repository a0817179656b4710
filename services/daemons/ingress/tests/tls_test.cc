// HTTPS on the public API (issue 15 §5), in process and without a broker: certificates from the
// local CA that scripts/tls.sh makes (the one a --secure broker instance uses), the ingress's
// own client (services/lib/http/client.h), and raw sockets for the clients that misbehave.

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "services/lib/crypto/sha256.h"
#include "services/lib/http/client.h"
#include "services/daemons/evidence/local_blob_store.h"
#include "services/daemons/ingress/server.h"
#include "services/daemons/ingress/tls.h"

namespace caselink::ingress {
namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;

const std::string kToken = "tls-token";

std::string source_dir() {
  const char* dir = std::getenv("CASELINK_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

// scripts/tls.sh --ca CA --out OUT NAME: the certificate and key of NAME signed by CA.
bool issue(const fs::path& ca, const fs::path& out, const std::string& name) {
  const std::string command = "bash '" + source_dir() + "/scripts/tls.sh' --ca '" + ca.string() + "' --out '" +
                              out.string() + "' " + name + " >/dev/null";
  return std::system(command.c_str()) == 0;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ingress-tls-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(issue(dir_ / "ca", dir_ / "certs", "caselink-ingress")) << "scripts/tls.sh failed (openssl?)";
    blobs_.reset(evidence::LocalBlobStore::create(dir_ / "blobs")->release());
    settings_ = default_settings();
    settings_.api.port = 0;
    settings_.api.tls.cert_file = (dir_ / "certs/caselink-ingress.crt").string();
    settings_.api.tls.key_file = (dir_ / "certs/caselink-ingress.key").string();
    settings_.auth.token_sha256 = {{"tls-agency", crypto::sha256_hex(kToken)}};
  }
  void TearDown() override {
    server_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  Result<uint16_t> start() {
    server_ = std::make_unique<IngressServer>(IngressDependencies{
        settings_, clock_, registry_,
        [](const OutgoingRecord&, kafka::DeliveryCallback) { return Status(Error::unavailable("no broker here")); },
        *blobs_, cases_});
    auto port = server_->start();
    port_ = port.ok() ? *port : 0;
    return port;
  }

  http::ClientOptions client() const {
    http::ClientOptions o;
    o.port = std::to_string(port_);
    o.tls.ca_file = (dir_ / "ca/ca.crt").string();
    o.timeout = std::chrono::seconds(20);
    return o;
  }

  static http::ClientRequest get_case() {
    return {"GET", "/v1/cases/nobody", {{"Authorization", "Bearer " + kToken}}, ""};
  }

  // The refusal counter of `reason` moved. Beast closes a socket when its deadline passes and
  // then runs the handler that counts: wait for the count (bounded) rather than read it at once.
  bool counted(const std::string& reason) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (registry_.render().find("reason=\"" + reason + "\"") == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling interval
    }
    return true;
  }

  fs::path dir_;
  IngressSettings settings_;
  SystemClock clock_;
  mutable metrics::Registry registry_;
  std::unique_ptr<evidence::LocalBlobStore> blobs_;
  CaseStateView cases_;
  std::unique_ptr<IngressServer> server_;
  uint16_t port_ = 0;
};

// A raw TCP connection with a bounded blocking read (SO_RCVTIMEO): what the server sends until
// it closes, and whether it closed (rather than the wait running out).
struct RawReply {
  std::string bytes;
  bool closed_by_server = false;
};

RawReply raw_exchange(uint16_t port, const std::string& send) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  RawReply reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return reply;
  }
  struct timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (!send.empty()) {
    (void)::send(fd, send.data(), send.size(), MSG_NOSIGNAL);
  }
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      reply.bytes.append(buffer, static_cast<size_t>(n));
      continue;
    }
    reply.closed_by_server = n == 0 || errno == ECONNRESET;  // not EAGAIN: the 20 s ran out
    break;
  }
  ::close(fd);
  return reply;
}

TEST_F(TlsTest, AnHttpsRequestVerifiedAgainstTheLocalCaIsAnswered) {
  ASSERT_TRUE(start().ok());
  auto answer = http::call(client(), get_case());
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  EXPECT_EQ(answer->status, 404) << answer->body;
  EXPECT_NE(answer->body.find("case.unknown"), std::string::npos) << "an API answer, after authentication";
  EXPECT_TRUE(answer->tls_version == "TLSv1.3" || answer->tls_version == "TLSv1.2") << answer->tls_version;
}

TEST_F(TlsTest, KeepAliveRequestsShareOneHandshake) {
  ASSERT_TRUE(start().ok());
  auto connection = http::Connection::open(client());
  ASSERT_TRUE(connection.ok()) << connection.error().describe();
  for (int i = 0; i < 3; ++i) {
    auto answer = (*connection)->send(get_case());
    ASSERT_TRUE(answer.ok()) << answer.error().describe();
    EXPECT_EQ(answer->status, 404);
  }
}

TEST_F(TlsTest, AClientTrustingAnotherCaFailsTheHandshake) {
  ASSERT_TRUE(start().ok());
  ASSERT_TRUE(issue(dir_ / "other-ca", dir_ / "other", "someone-else"));
  http::ClientOptions o = client();
  o.tls.ca_file = (dir_ / "other-ca/ca.crt").string();
  auto answer = http::call(o, get_case());
  ASSERT_FALSE(answer.ok()) << "answered " << answer->status;
  EXPECT_EQ(answer.error().reason, "tls.handshake") << answer.error().describe();
  EXPECT_TRUE(http::call(client(), get_case()).ok()) << "the server serves clients that trust its CA";
}

// A server whose certificate names 127.0.0.1 is refused by a client that asked for another name.
TEST_F(TlsTest, AClientVerifiesTheNameInTheCertificate) {
  settings_.api.bind = "127.0.0.2";  // also loopback, but not in the certificate's subjectAltName
  ASSERT_TRUE(start().ok());
  http::ClientOptions o = client();
  o.host = "127.0.0.2";
  auto answer = http::call(o, get_case());
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().reason, "tls.handshake") << answer.error().describe();
}

TEST_F(TlsTest, PlainHttpToTheHttpsPortGetsNoApiAnswer) {
  ASSERT_TRUE(start().ok());
  RawReply reply = raw_exchange(port_, "GET /v1/cases/nobody HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken +
                                           "\r\n\r\n");
  EXPECT_TRUE(reply.closed_by_server);
  EXPECT_EQ(reply.bytes.find("HTTP/1."), std::string::npos) << "no HTTP answer over a non-TLS connection";
  EXPECT_EQ(reply.bytes.find("case.unknown"), std::string::npos);
  http::ClientOptions plain = client();
  plain.tls.enabled = false;
  auto answer = http::call(plain, get_case());
  EXPECT_FALSE(answer.ok()) << "the client too gets nothing: " << (answer.ok() ? answer->body : "");
  EXPECT_TRUE(counted("tls.handshake"));
}

// A client that connects and never says hello holds its connection until
// api.tls.handshake_timeout_ms, not longer; a client beside it is served meanwhile.
TEST_F(TlsTest, AStalledHandshakeIsDroppedAtItsDeadlineAndOthersAreServed) {
  settings_.api.tls.handshake_timeout_ms = 300;
  settings_.api.header_timeout_ms = 60000;  // so that only the handshake deadline can close it
  settings_.api.threads = 1;
  ASSERT_TRUE(start().ok());
  RawReply stalled;
  std::thread silent([&] { stalled = raw_exchange(port_, ""); });
  auto answer = http::call(client(), get_case());
  EXPECT_TRUE(answer.ok() && answer->status == 404) << "served while another client stalls";
  silent.join();
  EXPECT_TRUE(stalled.closed_by_server) << "dropped by the server, not by the test's 20 s wait";
  EXPECT_TRUE(counted("tls.handshake_timeout"));
}

// After the handshake the header deadline applies as over plain HTTP.
TEST_F(TlsTest, TheHeaderDeadlineStillAppliesAfterTheHandshake) {
  settings_.api.header_timeout_ms = 300;
  ASSERT_TRUE(start().ok());
  auto connection = http::Connection::open(client());
  ASSERT_TRUE(connection.ok()) << connection.error().describe();
  EXPECT_TRUE(counted("http.header_timeout"))
      << "a TLS connection that sends no request is dropped at api.header_timeout_ms";
  EXPECT_FALSE((*connection)->send(get_case()).ok()) << "the connection was closed";
}

TEST_F(TlsTest, ConnectionsBeyondMaxConnectionsAreClosedBeforeTheHandshake) {
  settings_.api.max_connections = 1;
  ASSERT_TRUE(start().ok());
  auto first = http::Connection::open(client());
  ASSERT_TRUE(first.ok()) << first.error().describe();
  ASSERT_TRUE((*first)->send(get_case()).ok());
  auto second = http::call(client(), get_case());
  EXPECT_FALSE(second.ok()) << "over the limit";
  EXPECT_TRUE(counted("http.too_many_connections"));
  EXPECT_TRUE((*first)->send(get_case()).ok()) << "the connection within the limit is unaffected";
}

TEST_F(TlsTest, WithAClientCaOnlyClientsWithItsCertificatesAreServed) {
  ASSERT_TRUE(issue(dir_ / "ca", dir_ / "clients", "agency-adapter"));
  settings_.api.tls.client_ca_file = (dir_ / "ca/ca.crt").string();
  ASSERT_TRUE(start().ok());
  auto anonymous = http::call(client(), get_case());
  EXPECT_FALSE(anonymous.ok() && anonymous->status == 404) << "served without a client certificate";
  http::ClientOptions o = client();
  o.tls.cert_file = (dir_ / "clients/agency-adapter.crt").string();
  o.tls.key_file = (dir_ / "clients/agency-adapter.key").string();
  auto answer = http::call(o, get_case());
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  EXPECT_EQ(answer->status, 404);
}

// Issue 15: with api.tls.bind_tokens_to_certificates a token is honoured only over a connection
// whose client certificate names the token's party, so a stolen token alone opens nothing.
TEST_F(TlsTest, ABoundTokenIsHonouredOnlyWithItsPartysCertificate) {
  ASSERT_TRUE(issue(dir_ / "ca", dir_ / "clients", "tls-agency"));
  ASSERT_TRUE(issue(dir_ / "ca", dir_ / "clients", "other-agency"));
  settings_.api.tls.client_ca_file = (dir_ / "ca/ca.crt").string();
  settings_.api.tls.bind_tokens_to_certificates = true;
  ASSERT_TRUE(start().ok());
  const auto with_certificate = [&](const std::string& name) {
    http::ClientOptions o = client();
    o.tls.cert_file = (dir_ / "clients" / (name + ".crt")).string();
    o.tls.key_file = (dir_ / "clients" / (name + ".key")).string();
    return http::call(o, get_case());
  };
  auto own = with_certificate("tls-agency");
  ASSERT_TRUE(own.ok()) << own.error().describe();
  EXPECT_EQ(own->status, 404) << "the token's own party's certificate: served (no such case)";
  auto other = with_certificate("other-agency");
  ASSERT_TRUE(other.ok()) << other.error().describe();
  EXPECT_EQ(other->status, 403);
  EXPECT_NE(other->body.find("auth.client_certificate"), std::string::npos) << other->body;
  EXPECT_NE(other->body.find("other-agency"), std::string::npos) << other->body;
}

// The server answers 413 from the Content-Length without reading the body, then closes: the
// answer must still reach a client that is busy writing that body over TLS.
TEST_F(TlsTest, AnOversizedBodyIsAnswered413) {
  settings_.api.max_body_bytes = 64 * 1024;
  ASSERT_TRUE(start().ok());
  auto answer = http::call(client(), {"POST", "/v1/events",
                                      {{"Authorization", "Bearer " + kToken}, {"Content-Type", "application/json"}},
                                      std::string(1 << 20, 'x')});
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  EXPECT_EQ(answer->status, 413) << answer->body;
}

TEST_F(TlsTest, AMissingCertificateFailsTheStartNamingTheFile) {
  settings_.api.tls.cert_file = (dir_ / "certs/missing.crt").string();
  auto port = start();
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.error().field, "api.tls.cert_file");
  EXPECT_NE(port.error().describe().find("missing.crt"), std::string::npos) << port.error().describe();
  EXPECT_NE(port.error().describe().find("No such file"), std::string::npos) << port.error().describe();
}

TEST_F(TlsTest, ACertificateFileThatIsNotPemFailsTheStartNamingTheFile) {
  std::ofstream(dir_ / "certs/garbage.crt") << "not a certificate\n";
  settings_.api.tls.cert_file = (dir_ / "certs/garbage.crt").string();
  auto port = start();
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.error().field, "api.tls.cert_file");
  EXPECT_NE(port.error().describe().find("garbage.crt"), std::string::npos) << port.error().describe();
}

TEST_F(TlsTest, AKeyOfAnotherCertificateFailsTheStart) {
  ASSERT_TRUE(issue(dir_ / "ca", dir_ / "other", "someone-else"));
  settings_.api.tls.key_file = (dir_ / "other/someone-else.key").string();
  auto port = start();
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.error().field, "api.tls.key_file");
  EXPECT_NE(port.error().describe().find("mismatch"), std::string::npos) << port.error().describe();
}

TEST(TlsContext, RefusesEverythingBelowTls12) {
  // The context's own floor, whatever a client offers (a modern client would not offer less).
  TlsSettings tls;
  const fs::path dir = fs::temp_directory_path() / ("ingress-tls-floor-" + std::to_string(::getpid()));
  ASSERT_TRUE(issue(dir / "ca", dir / "certs", "caselink-ingress"));
  tls.cert_file = (dir / "certs/caselink-ingress.crt").string();
  tls.key_file = (dir / "certs/caselink-ingress.key").string();
  auto ctx = make_server_tls_context(tls);
  ASSERT_TRUE(ctx.ok()) << ctx.error().describe();
  EXPECT_EQ(SSL_CTX_get_min_proto_version((*ctx)->native_handle()), TLS1_2_VERSION);
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

Status bind_yaml(const std::string& yaml, IngressSettings* s) {
  auto binder = config::ConfigBinder::parse(yaml, "t.yaml", "CASELINK_TEST_UNSET_",
                                            [](const std::string&) { return std::optional<std::string>(); });
  if (!binder.ok()) {
    return binder.error();
  }
  bind(*binder, s);
  return binder->finish();
}

const std::string kAuth = "auth: {token_sha256: {ga-330100: " + std::string(64, 'a') + "}}\n";

TEST(TlsSettingsCheck, HttpsIsTheDefaultAndNeedsACertificate) {
  IngressSettings s = default_settings();
  Status st = bind_yaml(kAuth, &s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().describe().find("api.tls.cert_file"), std::string::npos) << st.error().describe();
}

TEST(TlsSettingsCheck, PlainHttpOnlyOnALoopbackAddress) {
  IngressSettings s = default_settings();
  EXPECT_TRUE(bind_yaml(kAuth + "api: {bind: 127.0.0.1, tls: {enabled: false}}\n", &s).ok());
  Status st = bind_yaml(kAuth + "api: {bind: 0.0.0.0, tls: {enabled: false}}\n", &s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().describe().find("api.tls.enabled"), std::string::npos) << st.error().describe();
}

TEST(TlsSettingsCheck, BindingTokensToCertificatesNeedsAClientCa) {
  const std::string https = "api: {tls: {cert_file: s.crt, key_file: s.key, bind_tokens_to_certificates: true";
  IngressSettings s = default_settings();
  Status st = bind_yaml(kAuth + https + "}}\n", &s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().describe().find("api.tls.bind_tokens_to_certificates"), std::string::npos)
      << st.error().describe();
  s = default_settings();
  EXPECT_TRUE(bind_yaml(kAuth + https + ", client_ca_file: ca.crt}}\n", &s).ok());
  s = default_settings();
  st = bind_yaml(kAuth + "api: {bind: 127.0.0.1, tls: {enabled: false, bind_tokens_to_certificates: true}}\n", &s);
  ASSERT_FALSE(st.ok()) << "plain HTTP has no certificate to bind to";
  EXPECT_NE(st.error().describe().find("api.tls.bind_tokens_to_certificates"), std::string::npos)
      << st.error().describe();
}

}  // namespace
}  // namespace caselink::ingress
