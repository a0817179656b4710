#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

namespace caselink::testing {

struct HttpReply {
  int status = 0;     // 0 when the connection failed
  std::string body;
};

// A minimal blocking HTTP/1.1 GET to 127.0.0.1:port (Connection: close).
HttpReply http_get(uint16_t port, const std::string& path);

// The admin port a service's log names ("admin endpoint on http://127.0.0.1:PORT/") after byte
// `from` of the log (its latest start, for a log that appends); 0 before it does.
uint16_t admin_port_in_log(const std::string& log_path, std::streamoff from = 0);

// The value of the first series of `metric` in a Prometheus text page; -1 when absent.
double metric_value(const std::string& page, const std::string& metric);

// metric_value of the service whose log is `log_path`, scraped from its admin endpoint; -1 when
// the port is not in the log yet, the scrape fails or the metric is absent.
double scrape_metric(const std::string& log_path, const std::string& metric, std::streamoff from = 0);

}  // namespace caselink::testing
