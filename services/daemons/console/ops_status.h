#pragma once
// The ops page's data: readiness of the other services (their /readyz), the consumer groups'
// lag (caselinkctl lag's collect_lag, linked, not copied) and, from the read model, the DLQ
// counts. Taken every ops.poll_interval_ms by OpsPoller on its own thread, so an HTTP request
// only copies the latest snapshot (admin_server.h: handlers must not block).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "services/lib/core/clock.h"
#include "services/lib/core/result.h"
#include "services/lib/kafka/settings.h"
#include "services/tools/ctl/ops_lag.h"

namespace caselink::console {

struct ServiceProbe {
  std::string name;
  std::string url;
  bool ready = false;
  int status = 0;      // HTTP status, 0 when there was no answer
  std::string detail;  // the /readyz body (a reason when not ready) or why it did not answer
};

struct OpsSnapshot {
  std::optional<TimePoint> taken_at;  // of the probes; nullopt until the first probes ended
  std::vector<ServiceProbe> services;
  // The lag is published apart from the probes: reading it can take much longer (a stalled
  // group's partitions are read to tell markers from records), and the probes must not wait.
  std::optional<TimePoint> lag_taken_at;
  std::vector<ctl::PartitionLag> lag;
  std::string lag_error;  // why the lag could not be read this round; empty when it was
  std::chrono::milliseconds lag_interval{0};
};

// An http://host:port/path URL split up; an error names what is wrong with it.
struct HttpUrl {
  std::string host;
  std::string port;
  std::string target;
};
Result<HttpUrl> parse_http_url(const std::string& url);

// GET `url` with an overall deadline; the probe of one service.
ServiceProbe probe_readyz(const std::string& name, const std::string& url, std::chrono::milliseconds timeout);

struct OpsSettings {
  std::map<std::string, std::string> services;  // name -> readyz URL
  std::chrono::milliseconds poll_interval{10000};
  std::chrono::milliseconds lag_interval{2000};
  std::chrono::milliseconds probe_timeout{2000};
  bool lag = true;
};

class OpsPoller {
 public:
  OpsPoller(OpsSettings settings, kafka::KafkaSettings kafka, const Clock& clock);
  ~OpsPoller();  // stop()
  OpsPoller(const OpsPoller&) = delete;
  OpsPoller& operator=(const OpsPoller&) = delete;

  void start();
  void stop();
  [[nodiscard]] OpsSnapshot latest() const;

 private:
  void run();
  void take_probes();
  void take_lag();
  // Waits `d` unless stop() comes first; false when stopping.
  bool wait(std::chrono::milliseconds d);

  OpsSettings settings_;
  kafka::KafkaSettings kafka_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  OpsSnapshot latest_;
  std::thread thread_;
};

}  // namespace caselink::console
