#include "services/daemons/ingress/server.h"

#include <google/protobuf/util/json_util.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/optional.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <future>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "services/lib/envelope/codec.h"
#include "services/lib/logging/logging.h"
#include "services/lib/metrics/standard_metrics.h"
#include "services/daemons/ingress/api_error.h"
#include "services/daemons/ingress/api_policy.h"
#include "services/daemons/ingress/event_mapping.h"
#include "services/daemons/ingress/publish_answer.h"
#include "services/daemons/ingress/routes.h"
#include "services/daemons/ingress/tls.h"

namespace caselink::ingress {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
namespace ssl = net::ssl;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using nlohmann::json;

namespace {

constexpr size_t kMaxHeaderBytes = 16 * 1024;
// After an answer sent before its request's body was read: how long and how much of the rest
// of the body is read and discarded before the connection is closed (Session::linger_then_close).
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kLingerBytes = 64 << 20;
// After accept() failed for want of file descriptors (EMFILE/ENFILE), wait this long before the
// next accept: retrying at once would spin a thread at 100 % while nothing can be accepted.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

// The whole answer to a connection over api.max_connections, as bytes: it is written once,
// without waiting, and the connection closed, so a refusal costs no session and no timer.
std::string too_many_connections_answer(int64_t max_connections) {
  const ApiError error = ApiError::unavailable(
      "http.too_many_connections",
      "the server holds its limit of " + std::to_string(max_connections) + " open connections; retry", 1);
  const std::string body = error.to_json();
  return "HTTP/1.1 503 Service Unavailable\r\nServer: caselink-ingress\r\nContent-Type: application/json\r\n"
         "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string media_type(std::string_view content_type) {
  std::string out(content_type.substr(0, content_type.find(';')));
  out.erase(std::remove_if(out.begin(), out.end(), [](unsigned char c) { return std::isspace(c); }), out.end());
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Requests between their complete header and the end of writing their answer (drain()).
class RequestsInFlight {
 public:
  void started() {
    std::lock_guard lock(mutex_);
    ++count_;
  }
  void finished() {
    std::lock_guard lock(mutex_);
    if (--count_ == 0) {
      none_.notify_all();
    }
  }
  bool wait_none(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return none_.wait_for(lock, timeout, [&] { return count_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable none_;
  int64_t count_ = 0;
};

}  // namespace

struct IngressServer::Impl {
  explicit Impl(IngressDependencies d)
      : deps(std::move(d)),
        policy(deps.settings, deps.clock, deps.facts,
               [&cases = deps.cases](const std::string& id) { return cases.find(id); }),
        service_metrics(deps.registry, "caselink-ingress"),
        requests(deps.registry.counter("caselink_ingress_requests_total", "API requests answered, by route and status.",
                                       {"route", "status"})),
        rejected(deps.registry.counter("caselink_ingress_rejected_total",
                                       "API requests refused, by the rule they broke.", {"reason"})),
        publish_duration(deps.registry
                             .histogram("caselink_ingress_publish_duration_seconds",
                                        "From handing an event to the producer to the broker's acknowledgement.")
                             .get()),
        idempotency_hits(deps.registry
                             .counter("caselink_ingress_idempotency_hits_total",
                                      "Requests answered from the idempotency memory (nothing published).")
                             .get()),
        open_connections_gauge(
            deps.registry.gauge("caselink_ingress_open_connections", "Open API connections.").get()),
        ioc(std::make_shared<net::io_context>(deps.settings.api.threads)),
        acceptor(net::make_strand(*ioc)),
        accept_retry(acceptor.get_executor()),
        open_connections(std::make_shared<std::atomic<int64_t>>(0)) {}

  void accept();
  // On the acceptor's strand: the handling of one accept() outcome.
  void on_accepted(beast::error_code ec, tcp::socket socket);
  void refuse_connection(tcp::socket& socket);

  IngressDependencies deps;
  const std::string refusal = too_many_connections_answer(deps.settings.api.max_connections);
  ApiPolicy policy;
  metrics::ServiceMetrics service_metrics;
  metrics::CounterFamily& requests;
  metrics::CounterFamily& rejected;
  metrics::Histogram& publish_duration;
  metrics::Counter& idempotency_hits;
  metrics::Gauge& open_connections_gauge;
  std::shared_ptr<net::io_context> ioc;
  tcp::acceptor acceptor;  // on its own strand: accept handlers and close() never overlap
  net::steady_timer accept_retry;  // on the acceptor's strand (kAcceptRetryDelay)
  std::shared_ptr<std::atomic<int64_t>> open_connections;
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};
  std::atomic<bool> accepting_stopped{false};
  std::atomic<bool> draining{false};
  // Shared with the sessions: a session may be destroyed after the server (a late delivery
  // report holds it), and must not reach into a destroyed Impl then.
  std::shared_ptr<RequestsInFlight> in_flight = std::make_shared<RequestsInFlight>();
  std::shared_ptr<spdlog::logger> log = logging::get("ingress.api");
  // api.tls.*, loaded by start(); null = plain HTTP. Lives as long as the io threads (joined
  // in stop()), and an SSL object holds its own reference to the OpenSSL context.
  std::shared_ptr<ssl::context> tls;
};

namespace {

// One POST /v1/events from the claim of its key to the last delivery report. Shared by the
// delivery callbacks and the deadline timer, so a report that arrives after the answer (or
// after the connection moved on to its next request) still settles the idempotency key.
// Only touched on the connection's strand.
struct Publication {
  ParsedRequest request;
  std::vector<EventOutcome> outcomes;
  size_t pending = 0;
  std::string key;  // the claimed idempotency key, "" when none
  bool answered = false;
  std::chrono::steady_clock::time_point started;
};

// One connection: Stream is beast::tcp_stream (plain HTTP, api.tls.enabled: false) or
// TlsStream (HTTPS). Deadlines are set on the TCP layer under both.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  Session(Stream stream, IngressServer::Impl& impl)
      : stream_(std::move(stream)),
        impl_(impl),
        open_connections_(impl.open_connections),
        in_flight_count_(impl.in_flight),
        publish_deadline_(stream_.get_executor()) {
    open_connections_->fetch_add(1);
  }
  ~Session() {
    finish_request();
    open_connections_->fetch_sub(1);
  }

  void start() {
    guarded([&] {
      if constexpr (kTls) {
        // A client that stalls the handshake holds a connection slot until this deadline only;
        // the header deadline starts after it.
        tcp_layer().expires_after(std::chrono::milliseconds(api().tls.handshake_timeout_ms));
        stream_.async_handshake(ssl::stream_base::server, guard(&Session::on_handshake));
      } else {
        read_next();
      }
    });
  }

 private:
  using std::enable_shared_from_this<Session<Stream>>::shared_from_this;

  const ApiSettings& api() const { return impl_.deps.settings.api; }
  beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream_); }

  // A failed handshake (plain HTTP to this port, a client that does not trust our CA, no
  // client certificate when one is required, a stall) gets no HTTP answer: there is no
  // channel to send one on.
  void on_handshake(beast::error_code ec) {
    if (!ec) {
      if constexpr (kTls) {
        peer_name_ = peer_common_name(stream_.native_handle());
      }
      return read_next();
    }
    impl_.rejected.labels({ec == beast::error::timeout ? "tls.handshake_timeout" : "tls.handshake"}).inc();
    impl_.log->debug("TLS handshake refused: {}", ec.message());
    close();
  }

  // --- the session boundary ------------------------------------------------------------------
  // Whatever a handler throws (a bug, a library surprise, memory) is answered 500 and the
  // connection closed. It never reaches io_context::run(), so no request can end the process.

  template <typename Fn>
  void guarded(Fn&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      on_exception(e.what());
    } catch (...) {
      on_exception("unknown exception");
    }
  }

  template <typename... Args>
  std::function<void(Args...)> guard(void (Session::*method)(Args...)) {
    return [self = shared_from_this(), method](Args... args) {
      self->guarded([&] { (self.get()->*method)(args...); });
    };
  }

  void on_exception(const std::string& what) noexcept {
    try {
      impl_.log->error("{} failed: {}", route_label_, what);
      if (replying_) {
        return close();
      }
      reply_error({500, "internal", "", "internal.exception", "the server failed while answering this request",
                   std::nullopt},
                  true);
    } catch (...) {
      close();
    }
  }

  // --- reading a request -----------------------------------------------------------------------

  void read_next() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    // No body limit yet: Beast would refuse a large Content-Length while reading the header
    // (a 400 "body limit exceeded"); check_header answers 413 with the route's own limit.
    // (Not boost::none: Beast 1.74 compares `len > none` as true and refuses every body.)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    tcp_layer().expires_after(std::chrono::milliseconds(first_request_ ? api().header_timeout_ms : api().idle_timeout_ms));
    first_request_ = false;
    http::async_read_header(stream_, buffer_, *parser_, guard(&Session::on_header));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec) {
      return on_header_error(ec);
    }
    started_ = std::chrono::steady_clock::now();
    start_request();
    if (impl_.draining.load()) {
      return reply_error(ApiError::unavailable("server.shutting_down",
                                               "the server is shutting down; retry (another instance)",
                                               kRetryAfterUnavailableSeconds),
                         true);
    }
    if (auto refused = check_header()) {
      return reply_error(*refused, true);
    }
    const auto& request = parser_->get();
    parser_->body_limit(static_cast<std::uint64_t>(body_limit()));
    tcp_layer().expires_after(std::chrono::milliseconds(api().body_timeout_ms));
    if (beast::iequals(request[http::field::expect], "100-continue") && !parser_->is_done()) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, request.version());
      http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code e, std::size_t) {
        if (e) {
          return self->close();
        }
        self->guarded([&] { self->read_body(); });
      });
      return;
    }
    read_body();
  }

  void on_header_error(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::eof) {
      return close();
    }
    if (ec == beast::error::timeout) {
      // A client that sends nothing (or too slowly) gets no answer: the connection is dropped.
      impl_.rejected.labels({"http.header_timeout"}).inc();
      return close();
    }
    route_label_ = "unmatched";
    if (ec == http::error::header_limit) {
      return reply_error({431, "invalid_request", "", "http.header_too_large",
                          "request headers exceed " + std::to_string(kMaxHeaderBytes) + " bytes", std::nullopt},
                         true);
    }
    reply_error(ApiError::bad_request("", "http.malformed", "malformed HTTP request: " + ec.message()), true);
  }

  // Route, size, media type, token and (for routes other than events) rate: everything that
  // can be decided before the body is read. The body of a refused request is never read.
  std::optional<ApiError> check_header() {
    const auto& request = parser_->get();
    match_ = match_route(std::string_view(request.method_string().data(), request.method_string().size()),
                         std::string_view(request.target().data(), request.target().size()));
    route_label_ = "unmatched";
    if (!match_.path_known) {
      return ApiError::not_found("", "http.unknown_route",
                                 "no route " + std::string(request.target()) + " (see the OpenAPI document)");
    }
    if (match_.route == nullptr) {
      for (const auto& m : match_.allowed) {
        allow_ += (allow_.empty() ? "" : ", ") + m;
      }
      return ApiError{405, "method_not_allowed", "", "http.method_not_allowed",
                      std::string(request.method_string()) + " is not allowed here; allowed: " + allow_, std::nullopt};
    }
    route_label_ = route_label(*match_.route);
    if (match_.bad_encoding) {
      return ApiError::bad_request("path", "http.path_encoding", "malformed %-escape in the path");
    }
    if (auto length = parser_->content_length(); length && *length > static_cast<std::uint64_t>(body_limit())) {
      return too_large();
    }
    if (auto refused = check_media_type()) {
      return refused;
    }
    const auto authorization = request[http::field::authorization];
    if (auto refused =
            impl_.policy.authenticate(std::string_view(authorization.data(), authorization.size()), &agency_)) {
      return refused;
    }
    if (auto refused = check_certificate_binding()) {
      return refused;
    }
    // Events are charged per event once the body says how many there are (and a replay is free).
    return match_.route->id == RouteId::kPostEvents ? std::nullopt : impl_.policy.charge(agency_, 1);
  }

  // api.tls.bind_tokens_to_certificates: a token is the party's only over a connection whose
  // verified client certificate names the same party, so a stolen token alone is not enough.
  std::optional<ApiError> check_certificate_binding() const {
    if (!api().tls.bind_tokens_to_certificates || peer_name_ == agency_) {
      return std::nullopt;
    }
    return ApiError::forbidden("Authorization", "auth.client_certificate",
                               "the token is " + agency_ + "'s but the client certificate names '" + peer_name_ +
                                   "' (api.tls.bind_tokens_to_certificates: a token is honoured only with its "
                                   "party's certificate)");
  }

  std::optional<ApiError> check_media_type() const {
    const RouteId route = match_.route->id;
    if (route == RouteId::kGetCase) {
      return std::nullopt;
    }
    const std::string expected = route == RouteId::kPostEvents ? "application/json" : "application/octet-stream";
    const auto header = parser_->get()[http::field::content_type];
    const std::string given = media_type(std::string_view(header.data(), header.size()));
    if (given == expected) {
      return std::nullopt;
    }
    return ApiError{415, "unsupported_media_type", "Content-Type", "http.content_type",
                    "must be " + expected + ", got '" + given + "'", std::nullopt};
  }

  int64_t body_limit() const {
    return match_.route != nullptr && match_.route->id == RouteId::kPutBlob ? api().max_blob_bytes
                                                                            : api().max_body_bytes;
  }

  ApiError too_large() const {
    return {413, "payload_too_large", "body", "http.body_too_large",
            "the body exceeds the limit of " + std::to_string(body_limit()) + " bytes for " + route_label_,
            std::nullopt};
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_, guard(&Session::on_body));
  }

  void on_body(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) {
      return reply_error(too_large(), true);
    }
    if (ec == beast::error::timeout) {
      impl_.rejected.labels({"http.body_timeout"}).inc();
      return close();
    }
    if (ec) {
      return close();
    }
    switch (match_.route->id) {
      case RouteId::kPostEvents: return post_events();
      case RouteId::kPutBlob: return put_blob();
      case RouteId::kGetCase: return get_case();
    }
  }

  // --- POST /v1/events -------------------------------------------------------------------

  void post_events() {
    const auto header = parser_->get()["Idempotency-Key"];
    Admission admission =
        impl_.policy.admit(parser_->get().body(), agency_, std::string_view(header.data(), header.size()));
    if (admission.refused) {
      return reply_error(*admission.refused, false);
    }
    if (admission.replay) {
      impl_.idempotency_hits.inc();
      return reply(admission.replay->status, admission.replay->body, false, {{"Idempotent-Replayed", "true"}});
    }
    auto publication = std::make_shared<Publication>();
    publication->request = std::move(admission.request);
    publication->key = std::move(admission.key);
    publish(publication);
  }

  void publish(const std::shared_ptr<Publication>& pub) {
    const size_t n = pub->request.events.size();
    pub->outcomes.assign(n, EventOutcome{});
    pub->pending = n;
    pub->started = std::chrono::steady_clock::now();
    auto self = shared_from_this();
    auto ioc = impl_.ioc;  // keeps the io_context alive for a late delivery report
    for (size_t i = 0; i < n; ++i) {
      const ParsedEvent& event = pub->request.events[i];
      Status queued = impl_.deps.publish(envelope::to_record(event.envelope, event.topic),
                                         [self, ioc, pub, i](Result<kafka::Delivery> delivery) {
                                           net::post(self->stream_.get_executor(), [self, pub, i,
                                                                                    d = std::move(delivery)]() mutable {
                                             self->guarded([&] { self->on_delivered(pub, i, std::move(d)); });
                                           });
                                         });
      if (!queued.ok()) {
        pub->outcomes[i] = {true, queued.error()};
        --pub->pending;
      }
    }
    if (pub->pending == 0) {
      return answer(pub);
    }
    // librdkafka reports within message.timeout.ms, but not always promptly after it; the
    // caller is answered by then whatever the producer does.
    publish_deadline_.expires_after(std::chrono::milliseconds(impl_.deps.settings.kafka.message_timeout_ms));
    publish_deadline_.async_wait([self, pub](beast::error_code ec) {
      if (!ec && !pub->answered) {
        self->guarded([&] { self->answer(pub); });
      }
    });
  }

  void on_delivered(const std::shared_ptr<Publication>& pub, size_t index, Result<kafka::Delivery> delivery) {
    impl_.publish_duration.observe(std::chrono::steady_clock::now() - pub->started);
    if (delivery.ok()) {
      impl_.service_metrics.produced(delivery->topic).inc();
    }
    pub->outcomes[index] = {true, std::move(delivery)};
    if (--pub->pending > 0) {
      return;
    }
    if (pub->answered) {
      // Answered 503 at the deadline; the key stayed in progress until now.
      return settle_key(*pub, answer_publish(pub->request, pub->outcomes));
    }
    publish_deadline_.cancel();
    answer(pub);
  }

  void answer(const std::shared_ptr<Publication>& pub) {
    pub->answered = true;
    PublishAnswer a = answer_publish(pub->request, pub->outcomes);
    for (size_t i = 0; i < pub->outcomes.size(); ++i) {
      const auto& e = pub->request.events[i].envelope;
      const EventOutcome& o = pub->outcomes[i];
      if (o.decided && o.delivery.ok()) {
        impl_.log->debug("accepted {} {} case {} from {} -> {}[{}]@{}", e.event_type(), e.event_id(), e.case_id(),
                         agency_, o.delivery->topic, o.delivery->partition, o.delivery->offset);
      } else {
        impl_.log->warn("not stored {} {} case {} from {}: {}", e.event_type(), e.event_id(), e.case_id(), agency_,
                        o.decided ? o.delivery.error().message : "no acknowledgement in time");
      }
    }
    for (const std::string& rule : a.refused_rules) {
      impl_.rejected.labels({rule}).inc();
    }
    if (pub->pending == 0) {
      settle_key(*pub, a);
    }
    reply(a.status, a.body, false, a.headers);
  }

  // Remembers a (partly) stored request's answer under its key, forgets a key of which
  // nothing was stored (ApiPolicy::settle).
  void settle_key(Publication& pub, const PublishAnswer& a) {
    impl_.policy.settle(pub.key, a);
    pub.key.clear();
  }

  // --- PUT /v1/blobs/{sha256} ------------------------------------------------------------

  void put_blob() {
    auto claimed = crypto::Sha256Digest::from_hex(match_.parameter);
    if (!claimed.ok()) {
      return reply_error(ApiError::bad_request("sha256", "blob.digest_format", claimed.error().message), false);
    }
    const std::string& body = parser_->get().body();
    auto existed = impl_.deps.blobs.exists(*claimed);
    if (!existed.ok()) {
      return reply_error(ApiError::unavailable("blob.store_unavailable", existed.error().message, 5), false);
    }
    // The store hashes while it writes; on a local disk this blocks this thread for one
    // write+fsync (documented in docs/services/ingress.md).
    auto stored = impl_.deps.blobs.put(body, *claimed);
    if (!stored.ok()) {
      if (stored.error().code == ErrorCode::kInvalid) {
        return reply_error(ApiError::unprocessable("sha256", "blob.digest_mismatch",
                                                   "the path names " + claimed->hex() + " but the body's SHA-256 is " +
                                                       crypto::sha256(body).hex()),
                           false);
      }
      return reply_error(ApiError::unavailable("blob.store_unavailable", stored.error().message, 5), false);
    }
    const bool created = !*existed;
    json answer{{"sha256", stored->hex()}, {"size_bytes", body.size()}, {"created", created}};
    reply(created ? 201 : 200, dump_json(answer), false);
  }

  // --- GET /v1/cases/{id} ----------------------------------------------------------------

  void get_case() {
    auto snapshot = impl_.deps.cases.find(match_.parameter);
    if (!snapshot) {
      return reply_error(ApiError::not_found("id", "case.unknown",
                                             "no synchronized state for case '" + match_.parameter + "'"),
                         false);
    }
    const auto& readers = impl_.deps.settings.auth.read_all_agencies;
    bool allowed = std::find(readers.begin(), readers.end(), agency_) != readers.end();
    for (const auto& party : snapshot->parties()) {
      allowed = allowed || party.party_id() == agency_;
    }
    if (!allowed) {
      const std::string rule = snapshot->parties().empty() ? "case.no_parties" : "case.not_a_party";
      return reply_error(ApiError::forbidden("id", rule,
                                             "agency " + agency_ + " is not a party of case '" + match_.parameter + "'"),
                         false);
    }
    std::string body;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    auto status = google::protobuf::util::MessageToJsonString(*snapshot, &body, options);
    if (!status.ok()) {
      return reply_error({500, "internal", "", "internal.json", std::string(status.message()), std::nullopt}, false);
    }
    reply(200, body, false);
  }

  // --- answers ---------------------------------------------------------------------------

  void reply_error(const ApiError& error, bool close_after) {
    impl_.rejected.labels({error.rule}).inc();
    std::vector<std::pair<std::string, std::string>> headers;
    if (error.retry_after_seconds) {
      headers.emplace_back("Retry-After", std::to_string(*error.retry_after_seconds));
    }
    if (error.status == 405 && !allow_.empty()) {
      headers.emplace_back("Allow", allow_);
    }
    reply(error.status, error.to_json(), close_after, headers);
  }

  void reply(unsigned status, std::string body, bool close_after,
             const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    impl_.requests.labels({route_label_, std::to_string(status)}).inc();
    const auto& request = parser_->get();
    auto response = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status),
                                                                        request.version() ? request.version() : 11);
    response->set(http::field::server, "caselink-ingress");
    response->set(http::field::content_type, "application/json");
    for (const auto& [name, value] : headers) {
      response->set(name, value);
    }
    response->body() = std::move(body);
    // A body we did not read cannot be skipped safely: close the connection after answering.
    // While draining, every answer closes its connection.
    const bool keep_alive = !close_after && request.keep_alive() && parser_->is_done() && !impl_.draining.load();
    response->keep_alive(keep_alive);
    response->prepare_payload();
    tcp_layer().expires_after(std::chrono::milliseconds(api().write_timeout_ms));
    replying_ = true;
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response, keep_alive](beast::error_code ec, std::size_t) {
                        self->finish_request();
                        if (!ec && !keep_alive && !self->parser_->is_done()) {
                          return self->linger_then_close();
                        }
                        if (ec || !keep_alive) {
                          return self->close();
                        }
                        self->guarded([&] {
                          self->reset_request_state();
                          self->read_next();
                        });
                      });
  }

  void reset_request_state() {
    replying_ = false;
    agency_.clear();
    allow_.clear();
    route_label_ = "unmatched";
  }

  // In flight from a complete header to the end of writing its answer (IngressServer::drain).
  void start_request() {
    if (!in_flight_) {
      in_flight_ = true;
      in_flight_count_->started();
    }
  }
  void finish_request() {
    if (in_flight_) {
      in_flight_ = false;
      in_flight_count_->finished();
    }
  }

  // An answer sent before the request's body was read (413, 401, ...): closing at once, with
  // the body's bytes unread, makes the kernel send a reset, and a client still writing that body
  // (the rule under TLS, where writing is slower) loses the answer with its receive buffer. So
  // end our direction (FIN after the answer) and read and discard what the client still sends,
  // for at most kLingerTime and kLingerBytes, then close.
  void linger_then_close() {
    beast::error_code ignored;
    tcp_layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
    tcp_layer().expires_after(kLingerTime);
    linger_buffer_ = std::make_unique<std::array<char, 16384>>();
    discard_some(0);
  }

  void discard_some(size_t discarded) {
    tcp_layer().async_read_some(net::buffer(*linger_buffer_),
                                [self = shared_from_this(), discarded](beast::error_code ec, std::size_t n) {
                                  if (ec || discarded + n >= kLingerBytes) {
                                    return self->close();
                                  }
                                  self->discard_some(discarded + n);
                                });
  }

  void close() {
    beast::error_code ignored;
    // Under TLS no close_notify is sent: the answer's Content-Length frames it, and a peer
    // that stalls a TLS shut-down could otherwise hold the connection.
    tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp_layer().socket().close(ignored);
  }

  Stream stream_;
  IngressServer::Impl& impl_;
  std::shared_ptr<std::atomic<int64_t>> open_connections_;
  std::shared_ptr<RequestsInFlight> in_flight_count_;
  beast::flat_buffer buffer_;
  boost::optional<http::request_parser<http::string_body>> parser_;
  bool first_request_ = true;
  bool replying_ = false;  // a response is being written: a late failure can only close
  std::chrono::steady_clock::time_point started_;
  RouteMatch match_;
  std::string route_label_ = "unmatched";
  std::string agency_;
  std::string peer_name_;  // subject CN of the client certificate (TLS with api.tls.client_ca_file)
  std::string allow_;
  bool in_flight_ = false;
  net::steady_timer publish_deadline_;
  std::unique_ptr<std::array<char, 16384>> linger_buffer_;  // linger_then_close() only
};

}  // namespace

void IngressServer::Impl::accept() {
  // The handler runs on the acceptor's strand, like the close() in stop_accepting(): it sees
  // accepting_stopped after a close and never re-arms a closed acceptor.
  acceptor.async_accept(net::make_strand(*ioc),
                        [this](beast::error_code ec, tcp::socket socket) { on_accepted(ec, std::move(socket)); });
}

void IngressServer::Impl::on_accepted(beast::error_code ec, tcp::socket socket) {
  if (stopped.load() || accepting_stopped.load()) {
    beast::error_code ignored;
    socket.close(ignored);
    return;
  }
  if (ec == net::error::no_descriptors || ec.value() == ENFILE) {
    // Out of descriptors (the limit is checked at start, but other processes share ENFILE):
    // the pending connection stays in the listen backlog until one is free.
    rejected.labels({"http.no_descriptors"}).inc();
    log->warn("accept: {}; retrying in {} ms", ec.message(), kAcceptRetryDelay.count());
    accept_retry.expires_after(kAcceptRetryDelay);
    accept_retry.async_wait([this](beast::error_code timer_ec) {
      if (!timer_ec && !stopped.load() && !accepting_stopped.load()) {
        accept();
      }
    });
    return;
  }
  if (ec) {
    if (ec != net::error::operation_aborted) {
      log->warn("accept: {}", ec.message());
      accept();
    }
    return;
  }
  if (open_connections->load() >= deps.settings.api.max_connections) {
    refuse_connection(socket);
  } else if (tls) {
    std::make_shared<Session<TlsStream>>(TlsStream(beast::tcp_stream(std::move(socket)), *tls), *this)->start();
  } else {
    std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), *this)->start();
  }
  accept();
}

void IngressServer::Impl::refuse_connection(tcp::socket& socket) {
  rejected.labels({"http.too_many_connections"}).inc();
  requests.labels({"unmatched", "503"}).inc();
  beast::error_code ignored;
  // A fresh socket's send buffer holds the few hundred bytes: one write that never waits. A
  // client that already sent its request may see a reset instead (its bytes were never read).
  // Under TLS the 503 could only be sent after a handshake, the very cost the limit protects
  // against: the connection is closed unanswered (the counter above still says why).
  if (!tls) {
    socket.non_blocking(true, ignored);
    socket.write_some(net::buffer(refusal), ignored);
  }
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
}

IngressServer::IngressServer(IngressDependencies deps) : impl_(std::make_shared<Impl>(std::move(deps))) {
  // The gauge lives in the registry and the counter is shared, so the hook outlives nothing.
  impl_->deps.registry.on_collect([connections = impl_->open_connections, gauge = &impl_->open_connections_gauge] {
    gauge->set(static_cast<double>(connections->load()));
  });
}

IngressServer::~IngressServer() { stop(); }

Result<uint16_t> IngressServer::start() {
  const ApiSettings& api = impl_->deps.settings.api;
  if (Status budget = check_descriptor_budget(api.max_connections, raise_open_file_limit()); !budget.ok()) {
    return budget.error();
  }
  if (api.tls.enabled) {
    auto context = make_server_tls_context(api.tls);
    if (!context.ok()) {
      return context.error();
    }
    impl_->tls = std::move(*context);
  }
  beast::error_code ec;
  const auto address = net::ip::make_address(api.bind, ec);
  if (ec) {
    return Error::invalid("api.bind: '" + api.bind + "' is not an IP address", "api.bind");
  }
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(api.port));
  const std::string where = api.bind + ":" + std::to_string(api.port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    return Error::unavailable("api: cannot listen on " + where + ": " + ec.message());
  }
  const uint16_t port = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  for (int i = 0; i < api.threads; ++i) {
    impl_->threads.emplace_back([ioc = impl_->ioc, log = impl_->log] {
      // Sessions catch their own exceptions (Session::guarded); this is the last line, so that
      // nothing thrown on an io thread can terminate the process.
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (const std::exception& e) {
          log->error("io thread: {}", e.what());
        }
      }
    });
  }
  return port;
}

void IngressServer::stop() {
  if (!impl_ || impl_->stopped.exchange(true)) {
    return;
  }
  stop_accepting();
  impl_->ioc->stop();
  for (auto& thread : impl_->threads) {
    if (thread.joinable()) {
      thread.join();
    }
  }
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
}

void IngressServer::stop_accepting() {
  if (impl_->accepting_stopped.exchange(true)) {
    return;
  }
  if (impl_->threads.empty()) {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    return;
  }
  // The promise is shared with the handler: if the wait below gives up, a late handler still
  // writes to a live promise. The handler holds only a weak reference to the server.
  auto closed = std::make_shared<std::promise<void>>();
  auto done = closed->get_future();
  net::post(impl_->acceptor.get_executor(), [weak = std::weak_ptr<Impl>(impl_), closed] {
    if (auto impl = weak.lock()) {
      beast::error_code ignored;
      impl->accept_retry.cancel();
      impl->acceptor.close(ignored);
    }
    closed->set_value();
  });
  if (done.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    impl_->log->warn("the API acceptor did not close within 5 s");
  }
}

bool IngressServer::drain(std::chrono::milliseconds timeout) {
  impl_->draining.store(true);
  stop_accepting();
  return impl_->in_flight->wait_none(timeout);
}

}  // namespace caselink::ingress
