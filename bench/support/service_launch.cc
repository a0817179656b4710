#include "bench/support/service_launch.h"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "bench/support/proc_status.h"
#include "tests/support/http_get.h"
#include "tests/support/kafka_test_env.h"

namespace caselink::bench {
namespace {

using Steady = std::chrono::steady_clock;

double seconds_since(Steady::time_point start) { return std::chrono::duration<double>(Steady::now() - start).count(); }

int64_t committed(testing::CommittedOffsetsView& view, const LaunchSpec& spec) {
  int64_t total = 0;
  for (const auto& topic : spec.input_topics) total += view.total(topic, spec.partitions);
  return total;
}

}  // namespace

double cpu_seconds(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  const std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t after_name = text.rfind(')');  // the command name may hold spaces
  if (after_name == std::string::npos || after_name + 2 > text.size()) return 0;
  std::istringstream fields(text.substr(after_name + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);  // utime, stime
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

namespace {

// LaunchSpec::metrics_at_end from the service's /metrics (none when it does not answer).
void read_metrics(const LaunchSpec& spec, Launch& l) {
  if (spec.admin_port_file.empty()) return;
  int port = 0;
  std::ifstream(spec.admin_port_file) >> port;
  if (port <= 0 || port > 65535) return;
  const testing::HttpReply reply = testing::http_get(static_cast<uint16_t>(port), "/metrics");
  if (reply.status != 200) return;
  for (const auto& name : spec.metrics_at_end) {
    const double value = testing::metric_value(reply.body, name);
    if (value >= 0) l.metrics[name] = value;
  }
}

}  // namespace

Launch launch_and_watch(const LaunchSpec& spec) {
  testing::CommittedOffsetsView view(spec.bootstrap, spec.group);
  // Asked once before the launch: the view's first answer waits for its group coordinator to be
  // found (about a second), which would otherwise be counted into the first commit.
  (void)committed(view, spec);
  Launch l;
  const auto launched = Steady::now();
  testing::ChildProcess child(spec.binary, spec.args, spec.log);
  while (seconds_since(launched) < static_cast<double>(spec.give_up.count()) && child.running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const int64_t now_committed = committed(view, spec);
    if (now_committed > spec.committed_before && l.first_commit_s < 0) {
      l.first_commit_s = seconds_since(launched);
      l.committed_at_first = now_committed;
    }
    if (now_committed >= spec.committed_target) {
      l.all_s = seconds_since(launched);
      break;
    }
  }
  if (l.all_s < 0) {
    throw std::runtime_error(spec.binary + " did not commit all " + std::to_string(spec.committed_target) +
                             " inputs (see " + spec.log + ")");
  }
  l.cpu_s = cpu_seconds(child.pid());
  const std::string status = "/proc/" + std::to_string(child.pid()) + "/status";
  l.rss_mb = status_mb(status, "VmRSS");
  l.hwm_mb = status_mb(status, "VmHWM");
  read_metrics(spec, l);
  const double running_s = l.all_s - l.first_commit_s;
  if (running_s > 0) l.events_per_s = static_cast<double>(spec.committed_target - l.committed_at_first) / running_s;
  if (child.terminate(std::chrono::seconds(30)) != 0) {
    throw std::runtime_error(spec.binary + " did not stop cleanly (see " + spec.log + ")");
  }
  return l;
}

}  // namespace caselink::bench
