#pragma once

// One launch of a service binary, watched from outside the way an operator would see it: the
// service's consumer group's committed offsets, asked every 20 ms (one OffsetFetch per input
// topic), and the process's /proc status. Used by the benchmarks that start real binaries
// (caselink-sync-bench's service phase, caselink-services-bench).

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace caselink::bench {

struct LaunchSpec {
  std::string bootstrap;
  std::string binary;
  std::vector<std::string> args;  // e.g. {"--config", path}
  std::string log;                // the child's stdout and stderr
  std::string group;              // its consumer group
  std::vector<std::string> input_topics;
  int partitions = 6;             // of every input topic
  int64_t committed_before = 0;   // what the group had committed before the launch
  int64_t committed_target = 0;   // the launch is done when the group has committed this much
  std::chrono::seconds give_up{900};
  // The service's http.port_file: when set, these series of its /metrics are read at the end
  // (the first series of each name), e.g. jemalloc's view of the heap, caselink_heap_*_bytes
  // (services/lib/metrics/process_metrics.h).
  std::string admin_port_file;
  std::vector<std::string> metrics_at_end;
};

struct Launch {
  double first_commit_s = -1;  // launch -> the committed offsets first pass committed_before
  double all_s = -1;           // launch -> they reach committed_target
  int64_t committed_at_first = 0;
  // Inputs committed after the first commit / the time from it to the last one: the rate once
  // running, apart from the launch (as bench/peer).
  double events_per_s = 0;
  double rss_mb = -1, hwm_mb = -1;  // VmRSS at the end, VmHWM (the peak)
  double cpu_s = 0;                 // user + system seconds from launch to the last commit
  // LaunchSpec::metrics_at_end by name; a series the page did not have is absent.
  std::map<std::string, double> metrics;
};

// Starts the binary, watches it until its group has committed `committed_target`, reads its
// memory and CPU, then stops it with SIGTERM. Throws std::runtime_error naming the log when it
// exits early, does not get there within `give_up`, or does not stop cleanly within 30 s.
Launch launch_and_watch(const LaunchSpec& spec);

// User + system CPU seconds a running process has used (/proc/PID/stat); 0 when unreadable.
double cpu_seconds(int pid);

}  // namespace caselink::bench
