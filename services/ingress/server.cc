#include "services/ingress/server.h"

#include <google/protobuf/util/json_util.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/optional.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "services/common/envelope/codec.h"
#include "services/common/logging/logging.h"
#include "services/common/metrics/standard_metrics.h"
#include "services/ingress/api_error.h"
#include "services/ingress/auth.h"
#include "services/ingress/event_mapping.h"
#include "services/ingress/idempotency.h"
#include "services/ingress/rate_limiter.h"
#include "services/ingress/routes.h"

namespace caselink::ingress {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using nlohmann::json;

namespace {

constexpr int kRetryAfterUnavailableSeconds = 5;
constexpr size_t kMaxHeaderBytes = 16 * 1024;
constexpr size_t kMaxIdempotencyKeyLength = 255;

std::string media_type(std::string_view content_type) {
  std::string out(content_type.substr(0, content_type.find(';')));
  out.erase(std::remove_if(out.begin(), out.end(), [](unsigned char c) { return std::isspace(c); }), out.end());
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

struct IngressServer::Impl {
  explicit Impl(IngressDependencies d)
      : deps(std::move(d)),
        router(deps.settings.topic_overrides),
        auth(*TokenAuthenticator::create(deps.settings.auth.token_sha256)),
        limiter(deps.settings.limits.rate_per_second, deps.settings.limits.burst, deps.clock),
        idempotency(static_cast<size_t>(deps.settings.idempotency.max_entries),
                    std::chrono::seconds(deps.settings.idempotency.ttl_seconds), deps.clock),
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
        acceptor(*ioc),
        open_connections(std::make_shared<std::atomic<int64_t>>(0)) {}

  void accept();

  IngressDependencies deps;
  TopicRouter router;
  TokenAuthenticator auth;
  RateLimiter limiter;
  IdempotencyCache idempotency;
  metrics::ServiceMetrics service_metrics;
  metrics::CounterFamily& requests;
  metrics::CounterFamily& rejected;
  metrics::Histogram& publish_duration;
  metrics::Counter& idempotency_hits;
  metrics::Gauge& open_connections_gauge;
  std::shared_ptr<net::io_context> ioc;
  tcp::acceptor acceptor;
  std::shared_ptr<std::atomic<int64_t>> open_connections;
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};
  std::atomic<bool> accepting_stopped{false};
  std::shared_ptr<spdlog::logger> log = logging::get("ingress.api");
};

namespace {

struct EventResult {
  bool done = false;
  Result<kafka::Delivery> delivery = Error::internal("not delivered");
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, IngressServer::Impl& impl)
      : stream_(std::move(socket)), impl_(impl), open_connections_(impl.open_connections) {
    open_connections_->fetch_add(1);
  }
  ~Session() { open_connections_->fetch_sub(1); }

  void start() { read_next(); }

 private:
  const ApiSettings& api() const { return impl_.deps.settings.api; }

  void read_next() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(static_cast<std::uint64_t>(std::max(api().max_body_bytes, api().max_blob_bytes)));
    stream_.expires_after(std::chrono::milliseconds(first_request_ ? api().header_timeout_ms : api().idle_timeout_ms));
    first_request_ = false;
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
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
    if (ec) {
      return reply_error(ApiError::bad_request("", "http.malformed", "malformed HTTP request: " + ec.message()), true);
    }
    started_ = std::chrono::steady_clock::now();
    const auto& request = parser_->get();
    match_ = match_route(std::string_view(request.method_string().data(), request.method_string().size()),
                         std::string_view(request.target().data(), request.target().size()));
    if (!match_.path_known) {
      return reply_error(ApiError::not_found("", "http.unknown_route",
                                             "no route " + std::string(request.target()) + " (see the OpenAPI document)"),
                         true);
    }
    if (match_.route == nullptr) {
      std::string allow;
      for (const auto& m : match_.allowed) {
        allow += (allow.empty() ? "" : ", ") + m;
      }
      allow_ = allow;
      return reply_error({405, "method_not_allowed", "", "http.method_not_allowed",
                          std::string(request.method_string()) + " is not allowed here; allowed: " + allow,
                          std::nullopt},
                         true);
    }
    route_label_ = route_label(*match_.route);
    if (match_.bad_encoding) {
      return reply_error(ApiError::bad_request("path", "http.path_encoding", "malformed %-escape in the path"), true);
    }
    const RouteId route = match_.route->id;
    const int64_t limit = route == RouteId::kPutBlob ? api().max_blob_bytes : api().max_body_bytes;
    if (auto length = parser_->content_length(); length && *length > static_cast<std::uint64_t>(limit)) {
      return reply_error(too_large(limit), true);
    }
    if (route != RouteId::kGetCase) {
      const std::string expected = route == RouteId::kPostEvents ? "application/json" : "application/octet-stream";
      const std::string given = media_type(std::string_view(request[http::field::content_type].data(),
                                                            request[http::field::content_type].size()));
      if (given != expected) {
        return reply_error({415, "unsupported_media_type", "Content-Type", "http.content_type",
                            "must be " + expected + ", got '" + given + "'", std::nullopt},
                           true);
      }
    }
    auto agency = impl_.auth.authenticate(
        std::string_view(request[http::field::authorization].data(), request[http::field::authorization].size()));
    if (!agency) {
      return reply_error(ApiError::unauthenticated(request[http::field::authorization].empty()
                                                       ? "missing Authorization: Bearer <token>"
                                                       : "unknown or malformed bearer token"),
                         true);
    }
    agency_ = *agency;
    if (route != RouteId::kPostEvents) {
      // Events are charged per event once the body says how many there are.
      if (auto refused = rate_limit(1)) {
        return reply_error(*refused, true);
      }
    }
    parser_->body_limit(static_cast<std::uint64_t>(limit));
    stream_.expires_after(std::chrono::milliseconds(api().body_timeout_ms));
    if (beast::iequals(request[http::field::expect], "100-continue") && !parser_->is_done()) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, request.version());
      http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code e, std::size_t) {
        if (e) {
          return self->close();
        }
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_body, shared_from_this()));
  }

  ApiError too_large(int64_t limit) const {
    return {413, "payload_too_large", "body", "http.body_too_large",
            "the body exceeds the limit of " + std::to_string(limit) + " bytes for " + route_label_, std::nullopt};
  }

  std::optional<ApiError> rate_limit(double cost) {
    const RateDecision decision = impl_.limiter.try_acquire(agency_, cost);
    if (decision.allowed) {
      return std::nullopt;
    }
    return ApiError{429, "rate_limited", "", "limits.rate",
                    "agency " + agency_ + " is over its rate limit (" +
                        std::to_string(impl_.deps.settings.limits.rate_per_second) + " events/s)",
                    decision.retry_after_seconds};
  }

  void on_body(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) {
      const int64_t limit = match_.route->id == RouteId::kPutBlob ? api().max_blob_bytes : api().max_body_bytes;
      return reply_error(too_large(limit), true);
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
    auto& request = parser_->get();
    MappingOptions options{&impl_.router, &impl_.deps.clock, static_cast<size_t>(api().max_batch_events)};
    MappingOutcome outcome = parse_events(request.body(), agency_, options);
    if (!outcome.ok()) {
      return reply_error(*outcome.error, false);
    }
    parsed_ = std::move(*outcome.request);
    if (auto refused = rate_limit(static_cast<double>(parsed_.events.size()))) {
      return reply_error(*refused, false);
    }
    // Idempotency: the header, or (one event, no header) the caller's event_id.
    const auto header = request["Idempotency-Key"];
    std::string key;
    std::string fingerprint = parsed_.fingerprint;
    if (!header.empty()) {
      if (header.size() > kMaxIdempotencyKeyLength) {
        return reply_error(ApiError::bad_request("Idempotency-Key", "idempotency.key_format",
                                                 "at most " + std::to_string(kMaxIdempotencyKeyLength) + " characters"),
                           false);
      }
      key = "key:" + std::string(header);
    } else if (!parsed_.batch && parsed_.events[0].event_id_from_caller) {
      key = "event:" + parsed_.events[0].envelope.event_id();
    }
    if (!key.empty()) {
      idempotency_key_ = agency_ + '\x1f' + key;
      Claim claim = impl_.idempotency.claim(idempotency_key_, fingerprint);
      switch (claim.kind) {
        case ClaimKind::kNew:
          break;
        case ClaimKind::kReplay:
          impl_.idempotency_hits.inc();
          idempotency_key_.clear();
          return reply(claim.answer->status, claim.answer->body, false, {{"Idempotent-Replayed", "true"}});
        case ClaimKind::kInProgress: {
          idempotency_key_.clear();
          ApiError e{409, "conflict", header.empty() ? "event_id" : "Idempotency-Key", "idempotency.in_progress",
                     "a request with this key is still being published; retry later", 1};
          return reply_error(e, false);
        }
        case ClaimKind::kMismatch:
          idempotency_key_.clear();
          return reply_error(
              ApiError::unprocessable(header.empty() ? "event_id" : "Idempotency-Key", "idempotency.key_reuse",
                                      "this key was already used for a different request body"),
              false);
      }
    }
    results_.assign(parsed_.events.size(), EventResult{});
    pending_ = 0;
    publish_started_ = std::chrono::steady_clock::now();
    auto self = shared_from_this();
    auto ioc = impl_.ioc;  // keeps the io_context alive for a late delivery report
    for (size_t i = 0; i < parsed_.events.size(); ++i) {
      const ParsedEvent& event = parsed_.events[i];
      OutgoingRecord record = envelope::to_record(event.envelope, event.topic);
      ++pending_;
      Status queued = impl_.deps.publish(record, [self, ioc, i](Result<kafka::Delivery> delivery) {
        net::post(self->stream_.get_executor(),
                  [self, i, delivery = std::move(delivery)]() mutable { self->on_delivered(i, std::move(delivery)); });
      });
      if (!queued.ok()) {
        --pending_;
        results_[i].done = true;
        results_[i].delivery = queued.error();
      }
    }
    if (pending_ == 0) {
      finish_publish();
    }
  }

  void on_delivered(size_t index, Result<kafka::Delivery> delivery) {
    impl_.publish_duration.observe(std::chrono::steady_clock::now() - publish_started_);
    if (delivery.ok()) {
      impl_.service_metrics.produced(delivery->topic).inc();
    }
    results_[index].done = true;
    results_[index].delivery = std::move(delivery);
    if (--pending_ == 0) {
      finish_publish();
    }
  }

  json accepted_json(size_t index) const {
    const kafka::Delivery& d = *results_[index].delivery;
    return json{{"event_id", parsed_.events[index].envelope.event_id()},
                {"topic", d.topic},
                {"partition", d.partition},
                {"offset", d.offset}};
  }

  ApiError publish_error(size_t index) const {
    const Error& e = results_[index].delivery.error();
    const std::string rule = e.code == ErrorCode::kUnavailable ? "publish.unavailable" : "publish.refused";
    return ApiError::unavailable(rule, "event " + parsed_.events[index].envelope.event_id() +
                                           " was not stored: " + e.message,
                                 kRetryAfterUnavailableSeconds);
  }

  void finish_publish() {
    size_t stored = 0;
    for (const auto& r : results_) {
      stored += r.delivery.ok() ? 1 : 0;
    }
    for (size_t i = 0; i < results_.size(); ++i) {
      const auto& e = parsed_.events[i].envelope;
      if (results_[i].delivery.ok()) {
        impl_.log->debug("accepted {} {} case {} from {} -> {}[{}]@{}", e.event_type(), e.event_id(), e.case_id(),
                         agency_, results_[i].delivery->topic, results_[i].delivery->partition,
                         results_[i].delivery->offset);
      } else {
        impl_.log->warn("not stored {} {} case {} from {}: {}", e.event_type(), e.event_id(), e.case_id(), agency_,
                        results_[i].delivery.error().message);
      }
    }
    unsigned status = 202;
    std::string body;
    if (!parsed_.batch) {
      if (stored == 1) {
        body = accepted_json(0).dump();
      } else {
        ApiError error = publish_error(0);
        release_key();
        return reply_error(error, false);
      }
    } else {
      json list = json::array();
      for (size_t i = 0; i < results_.size(); ++i) {
        json item;
        if (results_[i].delivery.ok()) {
          item = accepted_json(i);
          item["status"] = 202;
        } else {
          ApiError error = publish_error(i);
          impl_.rejected.labels({error.rule}).inc();
          item = json::parse(error.to_json());
          item["event_id"] = parsed_.events[i].envelope.event_id();
          item["status"] = 503;
        }
        item["index"] = i;
        list.push_back(std::move(item));
      }
      body = json{{"results", std::move(list)}}.dump();
      status = stored == results_.size() ? 202 : (stored == 0 ? 503 : 207);
      if (stored == 0) {
        release_key();
        return reply(status, body, false, {{"Retry-After", std::to_string(kRetryAfterUnavailableSeconds)}});
      }
    }
    if (!idempotency_key_.empty()) {
      impl_.idempotency.complete(idempotency_key_, StoredAnswer{status, body});
      idempotency_key_.clear();
    }
    reply(status, body, false);
  }

  void release_key() {
    if (!idempotency_key_.empty()) {
      impl_.idempotency.release(idempotency_key_);
      idempotency_key_.clear();
    }
  }

  // --- PUT /v1/blobs/{sha256} ------------------------------------------------------------

  void put_blob() {
    auto claimed = evidence::Sha256Digest::from_hex(match_.parameter);
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
                                                       evidence::sha256(body).hex()),
                           false);
      }
      return reply_error(ApiError::unavailable("blob.store_unavailable", stored.error().message, 5), false);
    }
    const bool created = !*existed;
    json answer{{"sha256", stored->hex()}, {"size_bytes", body.size()}, {"created", created}};
    reply(created ? 201 : 200, answer.dump(), false);
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
    const bool keep_alive = !close_after && request.keep_alive() && parser_->is_done();
    response->keep_alive(keep_alive);
    response->prepare_payload();
    stream_.expires_after(std::chrono::milliseconds(api().write_timeout_ms));
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response, keep_alive](beast::error_code ec, std::size_t) {
                        if (ec || !keep_alive) {
                          return self->close();
                        }
                        self->reset_request_state();
                        self->read_next();
                      });
  }

  void reset_request_state() {
    agency_.clear();
    allow_.clear();
    idempotency_key_.clear();
    parsed_ = ParsedRequest{};
    results_.clear();
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  IngressServer::Impl& impl_;
  std::shared_ptr<std::atomic<int64_t>> open_connections_;
  beast::flat_buffer buffer_;
  boost::optional<http::request_parser<http::string_body>> parser_;
  bool first_request_ = true;
  std::chrono::steady_clock::time_point started_;
  RouteMatch match_;
  std::string route_label_ = "unmatched";
  std::string agency_;
  std::string allow_;
  std::string idempotency_key_;
  ParsedRequest parsed_;
  std::vector<EventResult> results_;
  size_t pending_ = 0;
  std::chrono::steady_clock::time_point publish_started_;
};

}  // namespace

void IngressServer::Impl::accept() {
  acceptor.async_accept(net::make_strand(*ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (!stopped.load() && !accepting_stopped.load() && ec != net::error::operation_aborted) {
        log->warn("accept: {}", ec.message());
        accept();
      }
      return;
    }
    if (open_connections->load() >= deps.settings.api.max_connections) {
      rejected.labels({"http.too_many_connections"}).inc();
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<Session>(std::move(socket), *this)->start();
    }
    accept();
  });
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
    impl_->threads.emplace_back([ioc = impl_->ioc] { ioc->run(); });
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
  if (!impl_->threads.empty() && !impl_->accepting_stopped.exchange(true)) {
    std::promise<void> closed;
    auto done = closed.get_future();
    net::post(impl_->acceptor.get_executor(), [impl = impl_.get(), &closed] {
      beast::error_code ignored;
      impl->acceptor.close(ignored);
      closed.set_value();
    });
    done.wait_for(std::chrono::seconds(5));
  }
}

}  // namespace caselink::ingress
