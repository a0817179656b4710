#pragma once
// caselink-console's own settings (console.*, web.*, ops.*); the common ones (kafka.*, http.*
// for the admin endpoint, log.*, signing.*) come from service_main. Every key:
// caselink-console --print-config; docs/services/console.md explains them.

#include <map>
#include <string>

#include "services/lib/config/config.h"
#include "services/lib/core/result.h"

namespace caselink::console {

struct ConsoleSettings {
  // The pages and the API are served on the admin endpoint (http.bind, http.port: GET only, with
  // /healthz, /readyz, /metrics). Loopback only: the console has no authentication or TLS yet
  // (issue 18 leaves HTTPS to the security work), so a non-loopback http.bind needs
  // console.allow_non_loopback: true, said on purpose.
  bool allow_non_loopback = false;
  // Pages, script and style from this directory instead of the copies compiled in (editing
  // the pages without rebuilding); empty = compiled in.
  std::string assets_dir;
  // Apache ECharts, installed by scripts/setup.sh with npm; read once at start.
  std::string echarts_js = ".local/web/node_modules/echarts/dist/echarts.min.js";
  // name -> readiness URL of the services the ops page shows.
  std::map<std::string, std::string> ops_services;
  int64_t ops_poll_interval_ms = 10000;
  int64_t ops_lag_interval_ms = 2000;
  int64_t ops_probe_timeout_ms = 2000;
  bool ops_lag = true;
};

// True for 127.0.0.0/8 and ::1 (and their IPv4-mapped form); false for anything else,
// unparsable text included.
bool is_loopback_address(const std::string& address);

// The bind rule: `address` (http.bind) is loopback, or allow_non_loopback is set.
Status check_bind(const std::string& address, const ConsoleSettings& settings);

void bind(config::ConfigBinder& binder, ConsoleSettings* settings);

}  // namespace caselink::console
