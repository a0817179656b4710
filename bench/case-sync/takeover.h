#pragma once
// Takeover after kill -9 (issue 19): two caselink-sync processes share a group and hold open
// cases while new events keep arriving; one is killed with SIGKILL, and the benchmark measures
// the time from the kill until the survivor has processed an event that arrived after the kill
// on every partition the dead one held (its committed offset passes the partition's end at the
// kill). The killed one is started again and the next run kills the other.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace caselink::bench {

struct TakeoverOptions {
  std::string bootstrap;
  std::string rules_directory;
  std::string service_binary;  // caselink-sync
  int partitions = 6;
  int64_t cases = 10000;       // open cases loaded before the first kill
  // Events per open case loaded (1-4): each writes a state record, so 1 leaves one record per
  // case, as a compacted state topic holds; 4 leaves four (an active segment).
  int steps = 4;
  int runs = 3;
  int64_t rate = 100;          // new events per second while the runs last
  int64_t timeout_s = 180;     // per run: a takeover slower than this counts as failed
  // sync.standby_replicas: true for both; before each kill both instances' replicas are current
  // (at most 1,000 state records behind).
  bool standby = false;
  std::vector<std::pair<std::string, std::string>> kafka_properties;  // kafka.properties of both
  std::vector<std::pair<std::string, std::string>> loop_keys;         // loop.* keys of both
};

// Prints one line per run and a summary; 0, or 3 when a takeover did not happen in time.
int run_takeover(const TakeoverOptions& o);

}  // namespace caselink::bench
