#include "services/daemons/console/ops_status.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "services/lib/logging/logging.h"
#include "services/tools/ctl/ops_cluster.h"

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

void OpsPoller::take_probes() {
  std::vector<ServiceProbe> services;
  for (const auto& [name, url] : settings_.services) {
    services.push_back(probe_readyz(name, url, settings_.probe_timeout));
  }
  std::lock_guard lock(mutex_);
  latest_.services = std::move(services);
  latest_.taken_at = clock_.now();
}

void OpsPoller::take_lag() {
  std::vector<ctl::PartitionLag> lag;
  std::string error;
  auto cluster = ctl::OpsCluster::create(kafka_, std::chrono::milliseconds(10000));
  if (!cluster.ok()) {
    error = cluster.error().message;
  } else {
    ctl::LagRequest request;
    request.interval = settings_.lag_interval;
    request.wait = [this](std::chrono::milliseconds d) { wait(d); };
    auto rows = ctl::collect_lag(request, **cluster);
    if (rows.ok()) lag = std::move(rows).value();
    else error = rows.error().message;
  }
  if (!error.empty()) logging::get("console.ops")->warn("consumer lag not read: {}", error);
  std::lock_guard lock(mutex_);
  latest_.lag_interval = settings_.lag_interval;
  latest_.lag_error = std::move(error);
  if (latest_.lag_error.empty()) latest_.lag = std::move(lag);  // keep the last good rows otherwise
  latest_.lag_taken_at = clock_.now();
}

void OpsPoller::run() {
  do {
    take_probes();
    if (settings_.lag) take_lag();
  } while (wait(settings_.poll_interval));
}

}  // namespace caselink::console
