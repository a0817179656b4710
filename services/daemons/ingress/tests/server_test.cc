// The whole HTTP server in process, without a broker: the Publisher seam is a FakeBroker that
// acknowledges at once, holds acknowledgements until the test releases them, or fails. What
// is checked here is the API's behaviour (status, rule, field, what was published), not
// Kafka's (that is it_ingress, on the real broker).

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "services/lib/crypto/sha256.h"
#include "services/lib/signing/envelope_signature.h"
#include "services/lib/signing/runtime.h"
#include "services/lib/signing/tests/test_keys.h"
#include "services/lib/envelope/codec.h"
#include "services/daemons/evidence/local_blob_store.h"
#include "services/daemons/ingress/event_mapping.h"
#include "services/daemons/ingress/server.h"

namespace caselink::ingress {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using nlohmann::json;

const std::string kToken = "fuzz-token";  // the corpus files authenticate with it

// The Publisher seam. kAck acknowledges inside publish(); kHold keeps every callback until
// release(); kFail answers "not stored". Thread-safe.
class FakeBroker {
 public:
  enum class Mode { kAck, kHold, kFail };

  Publisher publisher() {
    return [this](const OutgoingRecord& record, kafka::DeliveryCallback done) { return publish(record, std::move(done)); };
  }

  void set_mode(Mode mode) {
    std::lock_guard lock(mutex_);
    mode_ = mode;
  }

  // Records to this topic fail whatever the mode (one event of a batch failing).
  void fail_topic(const std::string& topic) {
    std::lock_guard lock(mutex_);
    fail_topic_ = topic;
  }

  size_t held() const {
    std::lock_guard lock(mutex_);
    return held_.size();
  }

  // Runs the held callbacks: stored (ok) or failed.
  void release(bool ok) {
    std::vector<std::pair<OutgoingRecord, kafka::DeliveryCallback>> held;
    {
      std::lock_guard lock(mutex_);
      held.swap(held_);
    }
    for (auto& [record, done] : held) {
      finish(record, done, ok);
    }
  }

  // Waits until `n` callbacks are held (bounded: false after 10 s).
  bool wait_held(size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return held_.size() >= n; });
  }

  size_t stored() const {
    std::lock_guard lock(mutex_);
    return stored_;
  }

  // The values of the records stored, in order.
  std::vector<std::string> values() const {
    std::lock_guard lock(mutex_);
    return values_;
  }

 private:
  Status publish(const OutgoingRecord& record, kafka::DeliveryCallback done) {
    std::unique_lock lock(mutex_);
    if (record.topic == fail_topic_) {
      lock.unlock();
      finish(record, done, false);
      return Status::success();
    }
    if (mode_ == Mode::kHold) {
      held_.emplace_back(record, std::move(done));
      changed_.notify_all();
      return Status::success();
    }
    const bool ok = mode_ == Mode::kAck;
    lock.unlock();
    finish(record, done, ok);
    return Status::success();
  }

  void finish(const OutgoingRecord& record, const kafka::DeliveryCallback& done, bool ok) {
    if (!ok) {
      done(Error::unavailable("fake broker: not stored"));
      return;
    }
    int64_t offset = 0;
    {
      std::lock_guard lock(mutex_);
      offset = static_cast<int64_t>(stored_++);
      values_.push_back(record.value.value_or(""));
    }
    done(kafka::Delivery{record.topic, 0, offset});
  }

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  Mode mode_ = Mode::kAck;
  std::string fail_topic_;
  std::vector<std::pair<OutgoingRecord, kafka::DeliveryCallback>> held_;
  size_t stored_ = 0;
  std::vector<std::string> values_;
};

struct Answer {
  unsigned status = 0;  // 0: the connection closed without an answer
  std::map<std::string, std::string> headers;
  std::string body;
  json error() const {
    json j = json::parse(body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"] : json();
  }
};

// Sends `bytes` as they are and reads one answer (SO_RCVTIMEO bounds the wait: a broken
// server fails the test instead of hanging it).
Answer send_raw(uint16_t port, const std::string& bytes) {
  net::io_context ioc;
  net::ip::tcp::socket socket(ioc);
  socket.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  struct timeval tv{20, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  beast::error_code ec;
  net::write(socket, net::buffer(bytes), ec);  // the server may close early (413 before the body)
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  http::read(socket, buffer, parser, ec);
  Answer answer;
  if (ec) {
    return answer;
  }
  answer.status = parser.get().result_int();
  for (const auto& field : parser.get()) {
    answer.headers[std::string(field.name_string())] = std::string(field.value());
  }
  answer.body = parser.get().body();
  return answer;
}

std::string post_request(const std::string& body, const std::map<std::string, std::string>& headers = {}) {
  std::string out = "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer " +
                    kToken + "\r\n";
  for (const auto& [k, v] : headers) {
    out += k + ": " + v + "\r\n";
  }
  return out + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string event(const std::string& case_id, const std::string& extra = "") {
  return R"({"case_id":")" + case_id + R"(","occurred_at":"2026-03-01T08:30:00Z")" + extra +
         R"(,"suspected_crime_reported":{}})";
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ingress-server-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    blobs_holder_.reset(evidence::LocalBlobStore::create(dir_)->release());
    blobs_ = blobs_holder_.get();
    settings_ = default_settings();
    settings_.api.port = 0;
    // Plain HTTP on loopback: this file tests the API over raw sockets; HTTPS is tls_test.cc.
    settings_.api.tls.enabled = false;
    settings_.auth.token_sha256 = {{"fuzz-agency", crypto::sha256_hex(kToken)}};
    settings_.limits = {100000, 100000};
  }
  void TearDown() override {
    server_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  uint16_t start() {
    server_ = std::make_unique<IngressServer>(
        IngressDependencies{settings_, clock_, registry_, broker_.publisher(), *blobs_, cases_});
    auto port = server_->start();
    EXPECT_TRUE(port.ok()) << port.error().describe();
    port_ = port.ok() ? *port : 0;
    return port_;
  }

  Answer post(const std::string& body, const std::map<std::string, std::string>& headers = {}) {
    return send_raw(port_, post_request(body, headers));
  }

  std::filesystem::path dir_;
  IngressSettings settings_;
  SystemClock clock_;
  metrics::Registry registry_;
  FakeBroker broker_;
  std::unique_ptr<evidence::LocalBlobStore> blobs_holder_;
  evidence::LocalBlobStore* blobs_ = nullptr;
  CaseStateView cases_;
  std::unique_ptr<IngressServer> server_;
  uint16_t port_ = 0;
};

// --- issue 13 A–F: the crash corpus --------------------------------------------------------

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct Expected {
  unsigned status;
  std::string rule;
  std::string field;
};

// What each named corpus file must be answered with. Files not listed (added by a fuzzer)
// must only be answered without taking the server down.
const std::map<std::string, Expected>& expectations() {
  static const std::map<std::string, Expected> table = {
      {"target_ff.http", {404, "http.unknown_route", ""}},
      {"method_ff.http", {400, "http.malformed", ""}},
      {"content_type_ff_no_token.http", {415, "http.content_type", "Content-Type"}},
      {"authorization_ff.http", {401, "auth.bearer_token", "Authorization"}},
      {"no_token.http", {401, "auth.bearer_token", "Authorization"}},
      {"body_invalid_utf8.http", {400, "json.syntax", ""}},
      {"case_path_pct_ff.http", {404, "case.unknown", "id"}},
      {"case_path_raw_ff.http", {404, "case.unknown", "id"}},
      {"number_1e400.http", {400, "json.number_range", "case_referral.prior_fine_paid_yuan"}},
      {"deep_nesting.http", {400, "json.too_deep", "x[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"}},
      {"case_id_object.http", {400, "json.wrong_type", "case_id"}},
      {"blob_17mib.http", {413, "http.body_too_large", "body"}},
      {"negative_money.http", {400, "envelope.invalid_value", "case_referral.prior_fine_paid_yuan"}},
      {"nan_amount.http", {400, "json.invalid_value", "case_referral.prior_fine_paid_yuan"}},
      {"yes_boolean.http", {400, "json.wrong_type", "case_referral.penalty_already_imposed"}},
      {"act_date_not_a_date.http", {400, "envelope.invalid_value", "case_referral.act_date"}},
      {"occurred_at_9999.http", {400, "json.timestamp_format", "occurred_at"}},
      {"occurred_at_0001.http", {400, "json.timestamp_format", "occurred_at"}},
      {"idempotency_key_ff.http", {202, "", ""}},
  };
  return table;
}

TEST_F(ServerTest, EveryCorpusRequestIsAnsweredAndTheServerLivesOn) {
  start();
  const std::filesystem::path corpus = CASELINK_INGRESS_CORPUS;
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    if (entry.path().extension() != ".http") {
      continue;
    }
    ++files;
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    Answer answer = send_raw(port_, read_file(entry.path()));
    ASSERT_NE(answer.status, 0u) << "no answer";
    // Every answer is valid JSON, whatever bytes the request carried.
    EXPECT_FALSE(json::parse(answer.body, nullptr, false).is_discarded()) << answer.body;
    auto expected = expectations().find(name);
    if (expected == expectations().end()) {
      continue;
    }
    EXPECT_EQ(answer.status, expected->second.status) << answer.body;
    if (!expected->second.rule.empty()) {
      EXPECT_EQ(answer.error()["rule"], expected->second.rule) << answer.body;
      EXPECT_EQ(answer.error()["field"], expected->second.field) << answer.body;
    }
  }
  EXPECT_EQ(files, expectations().size()) << "a named corpus file is missing";
  // Still serving.
  EXPECT_EQ(post(event("after-the-corpus")).status, 202u);
}

// Custodial signing (docs/services/ingress.md): with the agency's key in signing.key_dir, the
// published envelope is signed with it and says the ingress held the key.
TEST_F(ServerTest, SignsAcceptedEventsCustodiallyWithTheAgencysKey) {
  signing::Settings s;
  s.key_dir = (dir_ / "keys").string();
  s.registry_file = signing::testing::write_keys(dir_ / "keys", {{"fuzz-agency.custodial.k1", "fuzz-agency", ""}});
  s.custodian = "caselink-ingress";
  auto runtime = signing::Runtime::create(s, nullptr);
  ASSERT_TRUE(runtime.ok()) << runtime.error().describe();
  signing::ScopedInstall installed(*runtime);
  start();
  ASSERT_EQ(post(event("signed-1")).status, 202u);
  ASSERT_EQ(broker_.values().size(), 1u);
  auto published = envelope::decode(broker_.values()[0]);
  ASSERT_TRUE(published.ok());
  EXPECT_EQ(published->signature_key_id(), "fuzz-agency.custodial.k1");
  EXPECT_EQ(published->signature_mode(), v1::SIGNATURE_MODE_CUSTODIAL);
  EXPECT_EQ(published->signature_custodian(), "caselink-ingress");
  auto registry = signing::KeyRegistry::load(s.registry_file);
  ASSERT_TRUE(registry.ok());
  auto failure = signing::verify(*published, *registry);
  EXPECT_FALSE(failure.has_value()) << failure->detail;
}

// F: a 17 MiB blob is a 413 naming the blob limit, also when it is only announced.
TEST_F(ServerTest, OversizedBlobIs413NotMalformed) {
  start();
  const std::string request = "PUT /v1/blobs/" + std::string(64, 'a') +
                              " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken +
                              "\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                              std::to_string(17 << 20) + "\r\n\r\n";
  Answer answer = send_raw(port_, request);
  EXPECT_EQ(answer.status, 413u) << answer.body;
  EXPECT_EQ(answer.error()["rule"], "http.body_too_large");
  EXPECT_NE(answer.error()["message"].get<std::string>().find(std::to_string(settings_.api.max_blob_bytes)),
            std::string::npos);
}

// --- idempotency and rate limit (issue 13 #8, coverage) ---------------------------------------

// A replay publishes nothing, so it costs nothing: it used to be charged before the key was
// looked up and could get 429.
TEST_F(ServerTest, ReplayOfAnAcceptedRequestIsNotChargedToTheRateLimit) {
  settings_.limits = {0.001, 1};  // one event, practically no refill
  start();
  Answer first = post(event("rate-1"), {{"Idempotency-Key", "rate-key"}});
  ASSERT_EQ(first.status, 202u) << first.body;
  Answer replay = post(event("rate-1"), {{"Idempotency-Key", "rate-key"}});
  EXPECT_EQ(replay.status, 202u) << replay.body;
  EXPECT_EQ(replay.headers["Idempotent-Replayed"], "true");
  EXPECT_EQ(replay.body, first.body);
  EXPECT_EQ(post(event("rate-2")).status, 429u) << "a new request is still limited";
  EXPECT_EQ(broker_.stored(), 1u);
}

// While the first request holds the key, a retry is told 409; once the first was answered
// 503 the key is released and the retry publishes.
TEST_F(ServerTest, KeyInFlightIs409AndReleasedAfterA503) {
  start();
  broker_.set_mode(FakeBroker::Mode::kHold);
  Answer first;
  std::thread client([&] { first = post(event("k-1"), {{"Idempotency-Key", "k"}}); });
  ASSERT_TRUE(broker_.wait_held(1));
  Answer during = post(event("k-1"), {{"Idempotency-Key", "k"}});
  EXPECT_EQ(during.status, 409u) << during.body;
  EXPECT_EQ(during.error()["rule"], "idempotency.in_progress");
  EXPECT_EQ(during.headers["Retry-After"], "1");
  broker_.release(false);
  client.join();
  EXPECT_EQ(first.status, 503u) << first.body;
  EXPECT_EQ(first.error()["rule"], "publish.unavailable");
  broker_.set_mode(FakeBroker::Mode::kAck);
  Answer retry = post(event("k-1"), {{"Idempotency-Key", "k"}});
  EXPECT_EQ(retry.status, 202u) << retry.body;
  EXPECT_EQ(retry.headers.count("Idempotent-Replayed"), 0u) << "published, not replayed";
  EXPECT_EQ(broker_.stored(), 1u);
}

// A partly stored batch (207) is remembered: the retry gets the same 207 and publishes nothing.
TEST_F(ServerTest, PartlyStoredBatchIsReplayedAs207) {
  start();
  broker_.fail_topic("caselink.recommendation.v1");
  const std::string recommendation =
      R"({"case_id":"b-1","occurred_at":"2026-03-01T08:30:00Z","recommendation_replied":{}})";
  const std::string batch = R"({"events":[)" + event("b-1") + "," + recommendation + "]}";
  Answer first = post(batch, {{"Idempotency-Key", "batch-key"}});
  ASSERT_EQ(first.status, 207u) << first.body;
  EXPECT_EQ(broker_.stored(), 1u);
  Answer replay = post(batch, {{"Idempotency-Key", "batch-key"}});
  EXPECT_EQ(replay.status, 207u);
  EXPECT_EQ(replay.body, first.body);
  EXPECT_EQ(replay.headers["Idempotent-Replayed"], "true");
  EXPECT_EQ(broker_.stored(), 1u);
}

// The idempotency memory is per process (docs/services/ingress.md "Several replicas: sticky
// routing is required"): a retry that reaches the same instance publishes nothing, one that
// reaches another instance publishes again. This pins the documented behaviour the
// requirement rests on.
TEST_F(ServerTest, IdempotencyIsPerInstanceSoReplicasNeedStickyRouting) {
  start();
  IngressServer other({settings_, clock_, registry_, broker_.publisher(), *blobs_, cases_});
  auto other_port = other.start();
  ASSERT_TRUE(other_port.ok());
  ASSERT_EQ(post(event("sticky-1"), {{"Idempotency-Key", "sticky"}}).status, 202u);
  Answer same = post(event("sticky-1"), {{"Idempotency-Key", "sticky"}});
  EXPECT_EQ(same.headers["Idempotent-Replayed"], "true");
  EXPECT_EQ(broker_.stored(), 1u) << "sticky: the retry is answered from memory";
  Answer elsewhere = send_raw(*other_port, post_request(event("sticky-1"), {{"Idempotency-Key", "sticky"}}));
  EXPECT_EQ(elsewhere.status, 202u);
  EXPECT_EQ(elsewhere.headers.count("Idempotent-Replayed"), 0u);
  EXPECT_EQ(broker_.stored(), 2u) << "not sticky: published twice";
  other.stop();
}

// --- F: the answer deadline ------------------------------------------------------------------

// A delivery report that does not come is answered 503 at kafka.message_timeout_ms (the
// broker still holds the record when the answer arrives: the deadline answered, not a report).
// The key stays in flight until the late report, which then decides what a retry gets.
TEST_F(ServerTest, NoAcknowledgementByTheDeadlineIs503AndTheLateReportSettlesTheKey) {
  settings_.kafka.message_timeout_ms = 300;
  start();
  broker_.set_mode(FakeBroker::Mode::kHold);
  Answer first = post(event("late-1"), {{"Idempotency-Key", "late"}});
  EXPECT_EQ(first.status, 503u) << first.body;
  EXPECT_EQ(first.error()["rule"], "publish.timeout");
  EXPECT_FALSE(first.headers["Retry-After"].empty());
  EXPECT_EQ(broker_.held(), 1u) << "answered by the deadline, before any report";
  EXPECT_EQ(post(event("late-1"), {{"Idempotency-Key", "late"}}).status, 409u);
  broker_.release(true);  // stored after all
  Answer retry;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    retry = post(event("late-1"), {{"Idempotency-Key", "late"}});
  } while (retry.status == 409u && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(retry.status, 202u) << retry.body;
  EXPECT_EQ(retry.headers["Idempotent-Replayed"], "true");
  EXPECT_EQ(broker_.stored(), 1u);
}

// --- #7: shut-down answers every request in flight ------------------------------------------

bool refuses_connections(uint16_t port) {
  net::io_context ioc;
  net::ip::tcp::socket socket(ioc);
  beast::error_code ec;
  socket.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  return ec == net::error::connection_refused;
}

TEST_F(ServerTest, DrainAnswersEveryRequestInFlightThenReturns) {
  start();
  broker_.set_mode(FakeBroker::Mode::kHold);
  std::vector<Answer> answers(3);
  std::vector<std::thread> clients;
  for (size_t i = 0; i < answers.size(); ++i) {
    clients.emplace_back([&, i] { answers[i] = post(event("drain-" + std::to_string(i))); });
  }
  ASSERT_TRUE(broker_.wait_held(3));
  std::atomic<int> drained{-1};
  std::thread stopper([&] { drained = server_->drain(std::chrono::seconds(20)) ? 1 : 0; });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!refuses_connections(port_) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_TRUE(refuses_connections(port_)) << "drain() stops accepting first";
  EXPECT_EQ(drained.load(), -1) << "drain() waits for the requests in flight";
  broker_.release(true);
  for (auto& c : clients) {
    c.join();
  }
  stopper.join();
  EXPECT_EQ(drained.load(), 1);
  for (const Answer& a : answers) {
    EXPECT_EQ(a.status, 202u) << a.body;
  }
  EXPECT_EQ(broker_.stored(), 3u);
  server_->stop();
}

// --- coverage the docs claim (issue 13): limits and timeouts of the HTTP edge ----------------

// One connection the test drives step by step (keep-alive, Expect, partial bodies).
class Connection {
 public:
  explicit Connection(uint16_t port) : socket_(ioc_) {
    socket_.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    struct timeval tv{20, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void send(const std::string& bytes) { net::write(socket_, net::buffer(bytes)); }
  int native_handle() { return socket_.native_handle(); }
  Answer read() {
    http::response_parser<http::string_body> parser;
    beast::error_code ec;
    http::read(socket_, buffer_, parser, ec);
    Answer answer;
    if (!ec) {
      answer.status = parser.get().result_int();
      for (const auto& field : parser.get()) {
        answer.headers[std::string(field.name_string())] = std::string(field.value());
      }
      answer.body = parser.get().body();
    }
    return answer;
  }
  // True when the server closed the connection (EOF) rather than answering.
  bool closed_by_server() {
    char byte = 0;
    beast::error_code ec;
    const size_t n = socket_.read_some(net::buffer(&byte, 1), ec);
    return n == 0 && (ec == net::error::eof || ec == net::error::connection_reset);
  }

 private:
  net::io_context ioc_;
  net::ip::tcp::socket socket_;
  beast::flat_buffer buffer_;
};

std::string header_lines(const std::string& extra, const std::string& target = "/v1/events") {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer " +
         kToken + "\r\n" + extra;
}

// Waits for `condition` (bounded: false after 10 s).
template <typename Condition>
bool eventually(Condition condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::yield();
  }
  return true;
}

std::string metric(const std::string& reason) {
  return "caselink_ingress_rejected_total{reason=\"" + reason + "\"} 1";
}

TEST_F(ServerTest, HeadersOverTheLimitAre431) {
  start();
  Answer answer = send_raw(port_, header_lines("X-Filler: " + std::string(20 * 1024, 'a') + "\r\n\r\n"));
  EXPECT_EQ(answer.status, 431u) << answer.body;
  EXPECT_EQ(answer.error()["rule"], "http.header_too_large");
}

TEST_F(ServerTest, ChunkedBodyOverTheLimitIs413WhileReading) {
  settings_.api.max_body_bytes = 1024;
  start();
  std::string request = header_lines("Transfer-Encoding: chunked\r\n\r\n");
  for (int i = 0; i < 4; ++i) {
    request += "200\r\n" + std::string(0x200, ' ') + "\r\n";  // 4 x 512 bytes, no Content-Length
  }
  request += "0\r\n\r\n";
  Answer answer = send_raw(port_, request);
  EXPECT_EQ(answer.status, 413u) << answer.body;
  EXPECT_EQ(answer.error()["rule"], "http.body_too_large");
}

TEST_F(ServerTest, ExpectContinueIsAnsweredBeforeTheBodyAndOnlyWhenTheHeaderPasses) {
  start();
  const std::string body = event("continue-1");
  Connection ok(port_);
  ok.send(header_lines("Expect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
  EXPECT_EQ(ok.read().status, 100u);
  ok.send(body);
  EXPECT_EQ(ok.read().status, 202u);

  Connection refused(port_);
  refused.send("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  Answer answer = refused.read();
  EXPECT_EQ(answer.status, 401u) << "refused from the header, the body is never asked for";
  EXPECT_EQ(broker_.stored(), 1u);
}

TEST_F(ServerTest, ASlowBodyIsCutOffAtTheBodyTimeout) {
  settings_.api.body_timeout_ms = 200;
  start();
  Connection slow(port_);
  slow.send(header_lines("Content-Length: 100\r\n\r\n") + "{\"case_id\"");
  EXPECT_TRUE(slow.closed_by_server());
  // Beast closes the socket when the deadline passes, then runs the handler that counts it.
  EXPECT_TRUE(eventually([&] { return registry_.render().find(metric("http.body_timeout")) != std::string::npos; }));
  EXPECT_EQ(broker_.stored(), 0u);
}

TEST_F(ServerTest, AnIdleKeepAliveConnectionIsClosedAtTheIdleTimeout) {
  settings_.api.idle_timeout_ms = 200;
  start();
  Connection idle(port_);
  const std::string body = event("idle-1");
  idle.send(header_lines("Content-Length: " + std::to_string(body.size()) + "\r\n\r\n") + body);
  EXPECT_EQ(idle.read().status, 202u);
  EXPECT_TRUE(idle.closed_by_server()) << "no next request within api.idle_timeout_ms";
}

TEST_F(ServerTest, ConnectionsBeyondMaxConnectionsAre503AndClosedAtOnce) {
  settings_.api.max_connections = 1;
  start();
  Connection first(port_);
  first.send("GET /v1/cases/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken + "\r\n\r\n");
  EXPECT_EQ(first.read().status, 404u);  // the first connection is open and served
  Connection second(port_);
  Answer refused = second.read();
  EXPECT_EQ(refused.status, 503u) << "the refusal is answered, not a silent close";
  EXPECT_EQ(refused.error()["rule"], "http.too_many_connections");
  EXPECT_EQ(refused.headers["Retry-After"], "1");
  EXPECT_TRUE(second.closed_by_server());
  EXPECT_NE(registry_.render().find(metric("http.too_many_connections")), std::string::npos);
  first.send("GET /v1/cases/y HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken + "\r\n\r\n");
  EXPECT_EQ(first.read().status, 404u) << "the connection within the limit is unaffected";
}

// A client that sends its header a byte at a time never holds a thread and is dropped at
// api.header_timeout_ms (a whole-header deadline, not one per read); a client beside it is served.
TEST_F(ServerTest, AClientTricklingItsHeaderIsDroppedAtTheHeaderTimeoutAndOthersAreServed) {
  settings_.api.header_timeout_ms = 300;
  settings_.api.threads = 1;  // the trickler and the other client share the one thread
  start();
  Connection slow(port_);
  const std::string header = header_lines("Content-Length: 2\r\n\r\n");
  std::atomic<bool> closed{false};
  std::atomic<size_t> sent{0};
  std::thread trickle([&] {
    // The pause is the client's behaviour under test (a byte every 20 ms: the header takes > 3 s).
    for (size_t i = 0; i < header.size() && !closed.load(); ++i) {
      if (::send(slow.native_handle(), header.data() + i, 1, MSG_NOSIGNAL) != 1) {
        return;
      }
      sent.store(i + 1);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  Answer other = send_raw(port_, "GET /v1/cases/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken + "\r\n\r\n");
  EXPECT_EQ(other.status, 404u) << "served while the slow client trickles";
  EXPECT_TRUE(slow.closed_by_server());
  closed.store(true);
  const size_t sent_when_closed = sent.load();
  trickle.join();
  EXPECT_LT(sent_when_closed, header.size()) << "dropped before its header was complete";
  EXPECT_TRUE(eventually([&] { return registry_.render().find(metric("http.header_timeout")) != std::string::npos; }));
  EXPECT_EQ(broker_.stored(), 0u);
}

TEST(DescriptorBudget, MaxConnectionsMustFitTheOpenFileLimitWithTheReserve) {
  EXPECT_TRUE(check_descriptor_budget(1024, 1024 + kReservedDescriptors).ok());
  Status refused = check_descriptor_budget(1024, 1024);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().field, "api.max_connections");
  EXPECT_NE(refused.error().message.find("open-file limit is 1024"), std::string::npos) << refused.error().message;
  EXPECT_GE(raise_open_file_limit(), 1u);
}

TEST_F(ServerTest, StartRefusesMaxConnectionsBeyondTheOpenFileLimit) {
  settings_.api.max_connections = 1LL << 40;
  server_ = std::make_unique<IngressServer>(
      IngressDependencies{settings_, clock_, registry_, broker_.publisher(), *blobs_, cases_});
  auto port = server_->start();
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.error().field, "api.max_connections");
}

// While draining, a request on a connection that was already open is answered 503 (and the
// connection closed), not left waiting and not published.
TEST_F(ServerTest, DuringDrainANewRequestOnAnOpenConnectionIs503) {
  start();
  broker_.set_mode(FakeBroker::Mode::kHold);
  Connection open(port_);
  open.send("GET /v1/cases/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken + "\r\n\r\n");
  ASSERT_EQ(open.read().status, 404u);  // keep-alive: the connection stays open
  Answer held;
  std::thread client([&] { held = post(event("drain-held")); });
  ASSERT_TRUE(broker_.wait_held(1));
  std::thread stopper([&] { (void)server_->drain(std::chrono::seconds(20)); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!refuses_connections(port_) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  const std::string body = event("drain-late");
  open.send(header_lines("Content-Length: " + std::to_string(body.size()) + "\r\n\r\n") + body);
  Answer late = open.read();
  EXPECT_EQ(late.status, 503u) << late.body;
  EXPECT_EQ(late.error()["rule"], "server.shutting_down");
  broker_.release(true);
  client.join();
  stopper.join();
  EXPECT_EQ(held.status, 202u) << held.body;
  EXPECT_EQ(broker_.stored(), 1u);
}

}  // namespace
}  // namespace caselink::ingress

namespace caselink::ingress {
namespace {

// Issue 15 §2 through the whole HTTP path and the Publisher seam: a step in a case the caller
// has no part in is 403 naming the rule, nothing reaches the broker, and the case stays closed
// to the caller's GET.
TEST_F(ServerTest, AnOutsidersStepInAnotherAgencysCaseIs403NamingTheRuleAndNothingIsPublished) {
  v1::CaseStateSnapshot victim;
  victim.set_case_id("victim-1");
  victim.set_version(2);
  auto* party = victim.add_parties();
  party->set_party_id("sthjj-330100");
  party->set_role(v1::PARTY_ROLE_REFERRING_AGENCY);
  cases_.apply(victim);
  start();
  Answer closed = post(R"({"case_id":"victim-1","occurred_at":"2026-03-01T08:30:00Z","case_closed":{}})");
  EXPECT_EQ(closed.status, 403u) << closed.body;
  EXPECT_NE(closed.body.find(R"("rule":"authz.case_party")"), std::string::npos) << closed.body;
  EXPECT_EQ(broker_.stored(), 0u);
  Answer read = send_raw(port_, "GET /v1/cases/victim-1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken +
                                    "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(read.status, 403u) << read.body;
}

}  // namespace
}  // namespace caselink::ingress
