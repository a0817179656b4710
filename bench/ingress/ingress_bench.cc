// Load generator for a running caselink-ingress (second process, loopback, keep-alive
// connections), with a baseline measured in the same invocation:
//
//   saturate  C connections POST single events (or, with --batch N, batches of N) back to back
//             for D seconds: accepted events/s
//   latency   the same at a fixed target rate (default 50% of the saturated rate), open loop:
//             each request is timed from when it was scheduled, so a stalled server is not
//             hidden by the client slowing down (no coordinated omission); p50/p99
//   direct    the same envelopes produced straight to Kafka through the shared
//             IdempotentProducer (acks=all), with the same number in flight: events/s
//
// Only 202 counts as accepted; any other status is counted and reported.
//
// With --ca the ingress is spoken to over HTTPS (verified); with --ca and --plain-port the
// same phases run against an HTTPS and a plain-HTTP ingress in one invocation and the ratios
// are printed (scripts/bench.sh ingress-tls; docs/performance.md "TLS on the ingress"). With
// --signed-port as well, a third ingress (HTTPS, signing every event custodially with Ed25519)
// is compared with the HTTPS one and the plain one: the cost of custodial signing, and of TLS
// and signing together.

#include <CLI/CLI.hpp>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "services/lib/core/build_info.h"
#include "services/lib/core/clock.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/topics.h"
#include "services/lib/kafka/producer.h"
#include "services/lib/logging/logging.h"
#include "services/daemons/ingress/event_mapping.h"
#include "services/daemons/ingress/routing.h"

namespace caselink {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using Steady = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string token = "demo-token-sthjj-330100";
  std::string agency = "sthjj-330100";
  int connections = 64;
  double seconds = 10;
  double rate = 0;           // latency phase target; 0 = half the saturated rate
  std::string bootstrap = "127.0.0.1:9092";
  std::string topic = envelope::topics::kBenchIn;  // direct phase; match the ingress's routing
  bool skip_direct = false;
  int batch = 1;  // events per request: 1 = a single event, N = {"events": [...N]}
};

std::string event_body(int connection, uint64_t n) {
  return R"({"case_id":"bench-)" + std::to_string(connection) + "-" + std::to_string(n % 1000) +
         R"(","occurred_at":"2026-03-01T08:30:00Z","suspected_crime_reported":{"summary":"load test event, about the size of a small real report"}})";
}

// Request `n` of connection `connection`: one event, or a batch of `batch` of them.
std::string request_body(int connection, uint64_t n, int batch) {
  if (batch <= 1) return event_body(connection, n);
  std::string body = R"({"events":[)";
  for (int i = 0; i < batch; ++i) {
    if (i > 0) body += ',';
    body += event_body(connection, n * static_cast<uint64_t>(batch) + static_cast<uint64_t>(i));
  }
  return body + "]}";
}

struct PhaseResult {
  uint64_t accepted = 0;
  std::map<unsigned, uint64_t> other_status;
  uint64_t connection_errors = 0;
  std::vector<double> latencies_ms;
  double seconds = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

// Where a phase sends: the ingress's port, over TLS when `tls` is set (verified against --ca).
struct Target {
  std::string name;  // "https" / "http"
  int port = 0;
  std::shared_ptr<ssl::context> tls;
};

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Connects (and, under TLS, verifies the certificate for the host and handshakes). False on
// failure.
template <class Stream>
net::awaitable<bool> connect(Stream& stream, const Options& o, const Target& target) {
  try {
    co_await beast::get_lowest_layer(stream).async_connect(
        net::ip::tcp::endpoint(net::ip::make_address(o.host), static_cast<unsigned short>(target.port)),
        net::use_awaitable);
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(stream.native_handle()), o.host.c_str());
      co_await stream.async_handshake(ssl::stream_base::client, net::use_awaitable);
    }
  } catch (const std::exception&) {
    co_return false;
  }
  co_return true;
}

// Makes a new connection in `stream`; false (counted as a connection error) when it fails.
template <class Stream>
net::awaitable<bool> connect_new(std::optional<Stream>& stream, const Options& o, const Target& target,
                          net::any_io_executor executor, PhaseResult& result, std::mutex& mutex) {
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    stream.emplace(executor, *target.tls);
  } else {
    stream.emplace(executor);
  }
  if (co_await connect(*stream, o, target)) co_return true;
  std::lock_guard lock(mutex);
  ++result.connection_errors;
  co_return false;
}

// One client. interval == 0: back to back; else open loop at one request per interval, timed
// from the scheduled send. per_connection == 0: one keep-alive connection for the phase; N: a
// new connection (and TLS handshake) every N requests, its cost inside the request's latency.
template <class Stream>
net::awaitable<void> client_loop(const Options& o, const Target& target, int id, Steady::time_point end,
                                 Steady::duration interval, Steady::time_point first_slot, int per_connection,
                                 PhaseResult& result, std::mutex& mutex) {
  auto executor = co_await net::this_coro::executor;
  std::optional<Stream> stream;
  int used = 0;
  beast::flat_buffer buffer;
  Steady::time_point slot = first_slot;
  net::steady_timer timer(executor);
  // A keep-alive connection is made before the first slot: the phase measures requests on open
  // connections, not the storm of handshakes at its start (the connection-per-request phase
  // measures those). At most a second before it: the ingress drops a connection that sends
  // nothing for api.header_timeout_ms (5 s).
  if (per_connection == 0) {
    if (first_slot - Steady::now() > std::chrono::seconds(1)) {
      timer.expires_at(first_slot - std::chrono::seconds(1));
      co_await timer.async_wait(net::use_awaitable);
    }
    if (!co_await connect_new(stream, o, target, executor, result, mutex)) co_return;
  }
  if (interval.count() == 0 && first_slot > Steady::now()) {  // back to back from the phase's start
    timer.expires_at(first_slot);
    co_await timer.async_wait(net::use_awaitable);
  }
  for (uint64_t n = 0;; ++n) {
    Steady::time_point start = Steady::now();
    if (interval.count() > 0) {
      if (slot > start) {
        timer.expires_at(slot);
        co_await timer.async_wait(net::use_awaitable);
      }
      start = slot;
      slot += interval;
    }
    if (Steady::now() >= end) break;
    if (!stream) {
      buffer.clear();
      used = 0;
      if (!co_await connect_new(stream, o, target, executor, result, mutex)) co_return;
    }
    http::request<http::string_body> request(http::verb::post, "/v1/events", 11);
    request.set(http::field::host, o.host);
    request.set(http::field::authorization, "Bearer " + o.token);
    request.set(http::field::content_type, "application/json");
    request.body() = request_body(id, n, o.batch);
    request.prepare_payload();
    http::response<http::string_body> response;
    try {
      co_await http::async_write(*stream, request, net::use_awaitable);
      co_await http::async_read(*stream, buffer, response, net::use_awaitable);
    } catch (const std::exception&) {
      std::lock_guard lock(mutex);
      ++result.connection_errors;
      co_return;
    }
    const double ms = std::chrono::duration<double, std::milli>(Steady::now() - start).count();
    if (per_connection > 0 && ++used >= per_connection) {
      beast::error_code ignored;
      beast::get_lowest_layer(*stream).socket().close(ignored);
      stream.reset();
    }
    std::lock_guard lock(mutex);
    if (response.result_int() == 202) {  // every event of the request stored
      result.accepted += static_cast<uint64_t>(o.batch);
      result.latencies_ms.push_back(ms);
    } else {
      ++result.other_status[response.result_int()];
    }
  }
}

PhaseResult http_phase(const Options& o, const Target& target, double rate, int per_connection = 0) {
  net::io_context ioc(1);
  PhaseResult result;
  std::mutex mutex;
  // Time for the keep-alive connections to be made before the first slot (about 2 ms of CPU per
  // TLS handshake on each side here); a slot that comes before its connection is ready is timed
  // from the slot all the same.
  const auto start = Steady::now() + std::chrono::milliseconds(100 + (per_connection == 0 ? 5 * o.connections : 0));
  const auto end = start + std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(o.seconds));
  Steady::duration interval{0};
  if (rate > 0) {
    // rate is in events: each connection sends one request (o.batch events) per interval.
    interval = std::chrono::duration_cast<Steady::duration>(
        std::chrono::duration<double>(o.connections * o.batch / rate));
  }
  for (int c = 0; c < o.connections; ++c) {
    // Stagger the connections' slots evenly over one interval.
    const auto first = start + (interval.count() > 0 ? interval * c / o.connections : Steady::duration{0});
    if (target.tls) {
      net::co_spawn(ioc, client_loop<TlsStream>(o, target, c, end, interval, first, per_connection, result, mutex),
                    net::detached);
    } else {
      net::co_spawn(ioc,
                    client_loop<beast::tcp_stream>(o, target, c, end, interval, first, per_connection, result, mutex),
                    net::detached);
    }
  }
  ioc.run();
  // Not below 0: when every client failed to connect, the phase ends before its start.
  result.seconds = std::max(0.0, std::chrono::duration<double>(Steady::now() - start).count());
  return result;
}

// The same envelopes (what the ingress would build) straight through the shared producer, with
// as many in flight as the HTTP phase had events in flight (connections x batch).
double direct_phase(const Options& o) {
  kafka::KafkaSettings settings;
  settings.bootstrap = o.bootstrap;
  auto producer = kafka::make_idempotent_producer(settings, "caselink-ingress-bench");
  if (!producer.ok()) {
    std::cerr << "direct: " << producer.error().describe() << "\n";
    return 0;
  }
  ingress::TopicRouter router;
  SystemClock clock;
  ingress::MappingOptions mapping{&router, &clock, 1};
  std::mutex mutex;
  std::condition_variable cv;
  int in_flight = 0;
  uint64_t acked = 0;
  uint64_t failed = 0;
  const auto start = Steady::now();
  const auto end = start + std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(o.seconds));
  for (uint64_t n = 0; Steady::now() < end; ++n) {
    {
      std::unique_lock lock(mutex);
      cv.wait(lock, [&] { return in_flight < o.connections * o.batch; });
      ++in_flight;
    }
    // Map each event like the ingress does, so the baseline includes building the envelope.
    auto parsed = ingress::parse_events(event_body(static_cast<int>(n % static_cast<uint64_t>(o.connections)), n),
                                        o.agency, mapping);
    OutgoingRecord record = envelope::to_record(parsed.request->events[0].envelope, o.topic);
    Status queued = (*producer)->send_async(record, [&](Result<kafka::Delivery> r) {
      std::lock_guard lock(mutex);
      --in_flight;
      (r.ok() ? acked : failed) += 1;
      cv.notify_one();
    });
    if (!queued.ok()) {
      std::lock_guard lock(mutex);
      --in_flight;
      ++failed;
    }
  }
  (void)(*producer)->flush(std::chrono::seconds(30));
  const double seconds = std::chrono::duration<double>(Steady::now() - start).count();
  if (failed > 0) std::cerr << "direct: " << failed << " failed deliveries\n";
  return static_cast<double>(acked) / seconds;
}

void print(const std::string& name, const PhaseResult& r) {
  std::cout << std::fixed << std::setprecision(0) << name << ": accepted " << r.accepted << " in " << std::setprecision(1)
            << r.seconds << " s = " << std::setprecision(0) << static_cast<double>(r.accepted) / r.seconds
            << " events/s; latency p50 " << std::setprecision(2) << percentile(r.latencies_ms, 0.50) << " ms, p99 "
            << percentile(r.latencies_ms, 0.99) << " ms, max " << percentile(r.latencies_ms, 1.0) << " ms";
  for (const auto& [status, count] : r.other_status) std::cout << "; HTTP " << status << " x" << count;
  if (r.connection_errors > 0) std::cout << "; connection errors " << r.connection_errors;
  std::cout << "\n";
}

double rate_of(const PhaseResult& r) { return r.seconds > 0 ? static_cast<double>(r.accepted) / r.seconds : 0; }

// The client's TLS context: TLS 1.2 at least, the server's certificate verified against --ca.
std::shared_ptr<ssl::context> client_tls(const std::string& ca_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_verify_mode(ssl::verify_peer);
  ctx->load_verify_file(ca_file);
  return ctx;
}

// The cost of TLS (issue 15, Performance): the same phases against an HTTPS and a plain-HTTP
// ingress (same config, same broker) in one invocation, plain first in each pair: keep-alive
// saturation, latency at one common rate (half the lower saturated rate), and a connection per
// request (a full handshake each: no session resumption in this client). A short warm-up of
// both comes first.
void compare_tls(const Options& o, const Target& https, const Target& plain) {
  const std::string c = std::to_string(o.connections) + " connections";
  // Warm-up, not reported: the ingresses' producers, the broker's partitions, the caches.
  Options warm = o;
  warm.seconds = std::min(2.0, o.seconds);
  (void)http_phase(warm, plain, 0);
  (void)http_phase(warm, https, 0);
  const PhaseResult sat_plain = http_phase(o, plain, 0);
  print("http  saturate (" + c + ", keep-alive)", sat_plain);
  const PhaseResult sat_tls = http_phase(o, https, 0);
  print("https saturate (" + c + ", keep-alive)", sat_tls);
  const double target = o.rate > 0 ? o.rate : std::min(rate_of(sat_plain), rate_of(sat_tls)) / 2;
  std::ostringstream at;
  at << std::fixed << std::setprecision(0) << " latency at " << target << " events/s target";
  const PhaseResult lat_plain = http_phase(o, plain, target);
  print("http " + at.str(), lat_plain);
  const PhaseResult lat_tls = http_phase(o, https, target);
  print("https" + at.str(), lat_tls);
  const PhaseResult new_plain = http_phase(o, plain, 0, 1);
  print("http  saturate (" + c + ", a new connection per request)", new_plain);
  const PhaseResult new_tls = http_phase(o, https, 0, 1);
  print("https saturate (" + c + ", a new connection + full handshake per request)", new_tls);
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0; };
  std::cout << std::fixed << std::setprecision(2) << "== https/http: keep-alive events/s "
            << ratio(rate_of(sat_tls), rate_of(sat_plain)) << ", p50 "
            << ratio(percentile(lat_tls.latencies_ms, 0.5), percentile(lat_plain.latencies_ms, 0.5)) << ", p99 "
            << ratio(percentile(lat_tls.latencies_ms, 0.99), percentile(lat_plain.latencies_ms, 0.99))
            << "; connection per request events/s " << ratio(rate_of(new_tls), rate_of(new_plain)) << " ==\n";
}

// The cost of custodial signing (issue 15, Performance): keep-alive saturation and latency at one
// common rate (half the lowest saturated rate) against the HTTPS ingress without signing keys,
// the same with the agency's custodial key held (every accepted event signed), and plain HTTP.
void compare_signing(const Options& o, const Target& https, const Target& signed_https, const Target& plain) {
  const std::string c = std::to_string(o.connections) + " connections";
  Options warm = o;
  warm.seconds = std::min(2.0, o.seconds);
  (void)http_phase(warm, signed_https, 0);
  const PhaseResult sat_plain = http_phase(o, plain, 0);
  print("http          saturate (" + c + ", keep-alive)", sat_plain);
  const PhaseResult sat_tls = http_phase(o, https, 0);
  print("https         saturate (" + c + ", keep-alive)", sat_tls);
  const PhaseResult sat_signed = http_phase(o, signed_https, 0);
  print("https+signing saturate (" + c + ", keep-alive)", sat_signed);
  const double target =
      o.rate > 0 ? o.rate : std::min({rate_of(sat_plain), rate_of(sat_tls), rate_of(sat_signed)}) / 2;
  std::ostringstream at;
  at << std::fixed << std::setprecision(0) << " latency at " << target << " events/s target";
  const PhaseResult lat_tls = http_phase(o, https, target);
  print("https        " + at.str(), lat_tls);
  const PhaseResult lat_signed = http_phase(o, signed_https, target);
  print("https+signing" + at.str(), lat_signed);
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0; };
  std::cout << std::fixed << std::setprecision(2) << "== https+signing/https: keep-alive events/s "
            << ratio(rate_of(sat_signed), rate_of(sat_tls)) << ", p50 "
            << ratio(percentile(lat_signed.latencies_ms, 0.5), percentile(lat_tls.latencies_ms, 0.5)) << ", p99 "
            << ratio(percentile(lat_signed.latencies_ms, 0.99), percentile(lat_tls.latencies_ms, 0.99))
            << "; https+signing/http (TLS and signing together): keep-alive events/s "
            << ratio(rate_of(sat_signed), rate_of(sat_plain)) << " ==\n";
}

}  // namespace
}  // namespace caselink

int main(int argc, char** argv) {
  using namespace caselink;
  Options o;
  std::string ca_file;
  int plain_port = 0;
  int signed_port = 0;
  CLI::App app{"caselink-ingress-bench — load generator for a running caselink-ingress, with a direct-produce baseline"};
  app.add_option("--host", o.host, "ingress API address");
  app.add_option("--port", o.port, "ingress API port");
  app.add_option("--ca", ca_file, "HTTPS: the PEM CA the ingress's certificate must chain to (else plain HTTP)");
  CLI::Option* plain = app.add_option("--plain-port", plain_port,
                                      "with --ca: a second ingress on plain HTTP; runs the TLS comparison instead "
                                      "of the usual phases");
  app.add_option("--signed-port", signed_port,
                 "with --ca and --plain-port: a third ingress on HTTPS that signs custodially; adds the signing "
                 "comparison")
      ->needs(plain);
  app.add_option("--token", o.token, "bearer token (demo token of sthjj-330100 by default)");
  app.add_option("--agency", o.agency, "agency of the token (producer_agency_id of the direct phase)");
  app.add_option("--connections", o.connections, "keep-alive connections (= in-flight records in the direct phase)");
  app.add_option("--seconds", o.seconds, "duration of each phase");
  app.add_option("--rate", o.rate, "latency-phase target events/s (0 = half the saturated rate)");
  app.add_option("--bootstrap", o.bootstrap, "broker for the direct phase");
  app.add_option("--topic", o.topic, "topic for the direct phase (where the ingress routes the bench events)");
  app.add_flag("--skip-direct", o.skip_direct, "skip the direct-produce baseline");
  app.add_option("--batch", o.batch, "events per request ({\"events\": [...]}; at most the ingress's api.max_batch_events)")
      ->check(CLI::Range(1, 10000));
  CLI11_PARSE(app, argc, argv);
  // Which allocator the numbers were made with (docs/performance.md).
  std::cerr << caselink::version_line("caselink-ingress-bench") << "\n";
  logging::Settings log;
  log.level = "warn";
  (void)logging::init(log);

  const Target main_target{ca_file.empty() ? "http" : "https", o.port, ca_file.empty() ? nullptr : client_tls(ca_file)};
  if (plain_port > 0 && main_target.tls) {
    compare_tls(o, main_target, {"http", plain_port, nullptr});
    if (signed_port > 0) {
      compare_signing(o, main_target, {"https+signing", signed_port, client_tls(ca_file)}, {"http", plain_port, nullptr});
    }
    return 0;
  }
  PhaseResult saturated = http_phase(o, main_target, 0);
  const std::string shape = std::to_string(o.connections) + " connections, " +
                            (o.batch > 1 ? "batches of " + std::to_string(o.batch) : std::string("single events"));
  print("saturate (" + shape + ", back to back)", saturated);
  const double max_rate = rate_of(saturated);
  if (max_rate <= 0) {
    std::cerr << "no event was accepted: is the ingress up and the token valid?\n";
    return 1;
  }
  const double target = o.rate > 0 ? o.rate : max_rate / 2;
  PhaseResult at_rate = http_phase(o, main_target, target);
  std::ostringstream label;
  label << std::fixed << std::setprecision(0) << "latency at " << target << " events/s target";
  print(label.str(), at_rate);
  if (!o.skip_direct) {
    const double direct = direct_phase(o);
    std::cout << std::fixed << std::setprecision(0) << "direct idempotent produce (" << o.connections * o.batch
              << " in flight): " << direct << " events/s; ingress/direct = " << std::setprecision(2)
              << (direct > 0 ? max_rate / direct : 0) << "\n";
  }
  return 0;
}
