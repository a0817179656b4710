#include "services/console/ops_status.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "services/common/logging/logging.h"
#include "services/ctl/ops_cluster.h"

namespace caselink::console {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

Result<HttpUrl> parse_http_url(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return Error::invalid("'" + url + "' is not an http:// URL");
  const std::string rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  HttpUrl out;
  out.target = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = authority.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == authority.size()) {
    return Error::invalid("'" + url + "' names no host:port");
  }
  out.host = authority.substr(0, colon);
  out.port = authority.substr(colon + 1);
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);  // [::1]
  }
  return out;
}

ServiceProbe probe_readyz(const std::string& name, const std::string& url, std::chrono::milliseconds timeout) {
  ServiceProbe probe{name, url, false, 0, ""};
  auto parsed = parse_http_url(url);
  if (!parsed.ok()) {
    probe.detail = parsed.error().message;
    return probe;
  }
  try {
    boost::asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(timeout);
    stream.connect(resolver.resolve(parsed->host, parsed->port));
    bhttp::request<bhttp::empty_body> request{bhttp::verb::get, parsed->target, 11};
    request.set(bhttp::field::host, parsed->host);
    request.set(bhttp::field::connection, "close");
    bhttp::write(stream, request);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    bhttp::read(stream, buffer, response);
    probe.status = static_cast<int>(response.result_int());
    probe.ready = probe.status == 200;
    probe.detail = response.body().substr(0, 500);
  } catch (const std::exception& e) {
    probe.detail = std::string("no answer: ") + e.what();
  }
  return probe;
}

OpsPoller::OpsPoller(OpsSettings settings, kafka::KafkaSettings kafka, const Clock& clock)
    : settings_(std::move(settings)), kafka_(std::move(kafka)), clock_(clock) {}

OpsPoller::~OpsPoller() { stop(); }

void OpsPoller::start() {
  thread_ = std::thread([this] { run(); });
}

void OpsPoller::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

OpsSnapshot OpsPoller::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

bool OpsPoller::wait(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, d, [this] { return stopping_; });
}

void OpsPoller::take_round() {
  OpsSnapshot round;
  round.lag_interval = settings_.lag_interval;
  for (const auto& [name, url] : settings_.services) {
    round.services.push_back(probe_readyz(name, url, settings_.probe_timeout));
  }
  if (settings_.lag) {
    auto cluster = ctl::OpsCluster::create(kafka_, std::chrono::milliseconds(10000));
    if (!cluster.ok()) {
      round.lag_error = cluster.error().message;
    } else {
      ctl::LagRequest request;
      request.interval = settings_.lag_interval;
      request.wait = [this](std::chrono::milliseconds d) { wait(d); };
      auto rows = ctl::collect_lag(request, **cluster);
      if (rows.ok()) round.lag = std::move(rows).value();
      else round.lag_error = rows.error().message;
    }
  }
  round.taken_at = clock_.now();
  std::lock_guard lock(mutex_);
  latest_ = std::move(round);
}

void OpsPoller::run() {
  auto log = logging::get("console.ops");
  do {
    take_round();
    const auto snapshot = latest();
    if (!snapshot.lag_error.empty()) log->warn("consumer lag not read: {}", snapshot.lag_error);
  } while (wait(settings_.poll_interval));
}

}  // namespace caselink::console
