#include "services/daemons/console/settings.h"

#include <boost/asio/ip/address.hpp>

namespace caselink::console {

bool is_loopback_address(const std::string& address) {
  boost::system::error_code ec;
  auto parsed = boost::asio::ip::make_address(address, ec);
  if (ec) return false;
  if (parsed.is_v6() && parsed.to_v6().is_v4_mapped()) {
    parsed = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, parsed.to_v6());
  }
  return parsed.is_loopback();
}

Status check_bind(const std::string& address, const ConsoleSettings& s) {
  if (is_loopback_address(address) || s.allow_non_loopback) return Status::success();
  return Error::invalid("http.bind " + address +
                            " is not a loopback address: the console has no authentication or TLS yet; set "
                            "console.allow_non_loopback: true only behind a proxy that adds both",
                        "http.bind");
}

void bind(config::ConfigBinder& b, ConsoleSettings* s) {
  b.bind("console.allow_non_loopback", &s->allow_non_loopback,
         "Allow a non-loopback http.bind (no authentication or TLS yet: only behind a proxy that adds both)");
  b.bind("web.assets_dir", &s->assets_dir, "Serve the pages from this directory instead of the compiled-in copies");
  b.bind("web.echarts_js", &s->echarts_js, "Apache ECharts' echarts.min.js (scripts/setup.sh installs it with npm)");
  b.bind("ops.services", &s->ops_services, "Service name -> its /readyz URL, shown on the ops page");
  b.bind("ops.poll_interval_ms", &s->ops_poll_interval_ms, "How often the ops page's data is taken");
  b.bind("ops.lag_interval_ms", &s->ops_lag_interval_ms, "Time between the two lag samples of one round");
  b.bind("ops.probe_timeout_ms", &s->ops_probe_timeout_ms, "Deadline of one /readyz probe");
  b.bind("ops.lag", &s->ops_lag, "Read the consumer groups' lag (caselinkctl lag) for the ops page");
  b.check([s]() -> Status {
    if (s->ops_poll_interval_ms < 1000) return Error::invalid("ops.poll_interval_ms must be >= 1000", "ops.poll_interval_ms");
    if (s->ops_lag_interval_ms < 100) return Error::invalid("ops.lag_interval_ms must be >= 100", "ops.lag_interval_ms");
    if (s->ops_probe_timeout_ms < 100) return Error::invalid("ops.probe_timeout_ms must be >= 100", "ops.probe_timeout_ms");
    return Status::success();
  });
}

}  // namespace caselink::console
