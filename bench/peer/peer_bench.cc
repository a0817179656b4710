// caselink's no-op passthrough against its Kafka Streams peer (issue 19): the same broker, the
// same input, the same commit interval, and which of the two runs first alternates by round.
//
// Each run is a fresh consumer group that reads the same N-record input topic from its start and
// copies it, exactly once, to an output topic of its own. Both processes are measured from the
// outside, the same way:
//   first commit  launch -> the group's committed offsets first move (process start, group join,
//                 first transaction: what a restart costs before any work is done)
//   events/s      inputs committed after that first commit / the time from it to the last one
//   peak RSS      VmHWM of the process (for the peer, the JVM itself)
//   CPU           user + system seconds the process used from launch to the last commit, and per
//                 100,000 events: what the work costs, apart from how the machine shares its cores
// caselink-passthrough runs as an operator would run it with its defaults: no config file, the
// environment naming only the broker, group, topics and commit interval (`--caselink-env K=V`
// adds more, e.g. to try another commit policy). The peer is bench/streams-peer (exactly_once_v2).

#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include "services/lib/core/build_info.h"
#include "services/lib/kafka/producer.h"
#include "tests/support/kafka_test_env.h"

namespace caselink {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct Options {
  std::string bootstrap = "127.0.0.1:9092";
  int64_t records = 200000;
  int partitions = 6;
  int rounds = 3;
  int value_bytes = 300;
  int64_t commit_ms = 100;
  std::string passthrough = "build/bin/caselink-passthrough";
  std::string peer_classpath;
  std::string work = ".local/bench-peer";
  std::vector<std::string> caselink_env;
};

struct Measured {
  int round = 0;
  std::string who;
  double first_commit_s = 0;
  double all_committed_s = 0;
  double events_per_s = 0;
  double peak_rss_mb = 0;
  double cpu_s = 0;
};

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

void produce_input(const Options& o, const std::string& topic) {
  kafka::KafkaSettings settings;
  settings.bootstrap = o.bootstrap;
  settings.properties["linger.ms"] = "5";
  auto producer = kafka::make_idempotent_producer(settings, "peer-bench-producer");
  if (!producer.ok()) {
    throw std::runtime_error(producer.error().describe());
  }
  std::atomic<int64_t> failed{0};
  std::string value(static_cast<size_t>(o.value_bytes), 'x');
  for (int64_t i = 0; i < o.records; ++i) {
    std::snprintf(value.data(), value.size(), "%012lld", static_cast<long long>(i));
    const OutgoingRecord record{topic, "case-" + std::to_string(i % 10007), value, {}};
    while (!(*producer)->send_async(record, [&failed](Result<kafka::Delivery> r) {
                          if (!r.ok()) failed.fetch_add(1);
                        }).ok()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // local queue full
    }
  }
  if (!(*producer)->flush(std::chrono::minutes(5)).ok() || failed.load() != 0) {
    throw std::runtime_error(std::to_string(failed.load()) + " input records not acknowledged");
  }
}

// Starts argv with this process's environment minus every CASELINK_ variable (so a caller's
// settings cannot leak into a run meant to show the defaults) plus `env`; output to `log`.
pid_t launch(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& log) {
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "CASELINK_", 9) != 0) {
      environment.emplace_back(*e);
    }
  }
  environment.insert(environment.end(), env.begin(), env.end());
  std::vector<char*> args;
  std::vector<char*> envp;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  for (const auto& e : environment) {
    envp.push_back(const_cast<char*>(e.c_str()));
  }
  args.push_back(nullptr);
  envp.push_back(nullptr);
  const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw std::runtime_error("cannot write " + log + ": " + std::strerror(errno));
  }
  const pid_t pid = fork();
  if (pid == 0) {  // only async-signal-safe calls from here
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    execvpe(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(fd);
  if (pid < 0) {
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  return pid;
}

// SIGTERM, then SIGKILL when it has not exited within a minute.
void stop_process(pid_t pid) {
  kill(pid, SIGTERM);
  const auto start = SteadyClock::now();
  while (waitpid(pid, nullptr, WNOHANG) == 0) {
    if (seconds_since(start) > 60) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

double peak_rss_mb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      return std::stod(line.substr(6)) / 1024.0;
    }
  }
  return 0;
}

// User + system CPU seconds of a running process (/proc/PID/stat fields 14 and 15).
double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t after_name = text.rfind(')');  // the command name may hold spaces
  if (after_name == std::string::npos) {
    return 0;
  }
  std::istringstream fields(text.substr(after_name + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) {
      ticks += std::stod(field);
    }
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}


// Launches one process for `group` and watches the group's committed offsets every 20 ms.
Measured measure(const Options& o, const std::string& in, const std::string& group, const std::string& who,
                 const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  testing::CommittedOffsetsView view(o.bootstrap, group);
  const std::string log = o.work + "/" + group + ".log";
  const auto launched = SteadyClock::now();
  const pid_t pid = launch(argv, env, log);
  Measured m{.who = who};
  int64_t at_first = 0;
  double peak = 0;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    peak = std::max(peak, peak_rss_mb(pid));
    if (waitpid(pid, nullptr, WNOHANG) == pid) {
      throw std::runtime_error(who + " exited before it was done; see " + log);
    }
    const int64_t committed = view.total(in, o.partitions);
    if (committed > 0 && at_first == 0) {
      m.first_commit_s = seconds_since(launched);
      at_first = committed;
    }
    if (committed >= o.records) {
      m.all_committed_s = seconds_since(launched);
      break;
    }
    if (seconds_since(launched) > 900) {
      stop_process(pid);
      throw std::runtime_error(who + " did not finish in 15 minutes; see " + log);
    }
  }
  m.peak_rss_mb = std::max(peak, peak_rss_mb(pid));
  m.cpu_s = cpu_seconds(pid);
  const double span = m.all_committed_s - m.first_commit_s;
  m.events_per_s = span > 0 ? static_cast<double>(o.records - at_first) / span : 0;
  stop_process(pid);
  return m;
}

Measured run_caselink(const Options& o, int round, const std::string& in) {
  const std::string group = testing::unique_name("peer.caselink");
  const std::string out = group + ".out";
  (void)testing::create_topics(o.bootstrap, {out}, o.partitions);
  std::vector<std::string> env = {"CASELINK_KAFKA_BOOTSTRAP=" + o.bootstrap, "CASELINK_LOOP_GROUP_ID=" + group,
                                  "CASELINK_LOOP_INPUT_TOPICS=" + in, "CASELINK_PASSTHROUGH_OUTPUT_TOPIC=" + out,
                                  "CASELINK_LOOP_COMMIT_EVERY_MS=" + std::to_string(o.commit_ms),
                                  "CASELINK_HTTP_PORT=0"};
  env.insert(env.end(), o.caselink_env.begin(), o.caselink_env.end());
  Measured m = measure(o, in, group, "caselink-passthrough", {o.passthrough}, env);
  m.round = round;
  return m;
}

Measured run_peer(const Options& o, int round, const std::string& in) {
  const std::string group = testing::unique_name("peer.streams");
  const std::string out = group + ".out";
  (void)testing::create_topics(o.bootstrap, {out}, o.partitions);
  Measured m = measure(o, in, group, "Kafka Streams peer",
                       {"java", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", o.peer_classpath,
                        "org.caselink.bench.StreamsPeer", o.bootstrap, group, in, out, std::to_string(o.commit_ms),
                        o.work + "/" + group + ".state"},
                       {});
  m.round = round;
  return m;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void report(const Options& o, const std::vector<Measured>& runs) {
  std::cout << std::fixed << "records=" << o.records << " partitions=" << o.partitions << " value_bytes="
            << o.value_bytes << " commit interval " << o.commit_ms << " ms (both)";
  for (const auto& kv : o.caselink_env) {
    std::cout << " " << kv;
  }
  std::cout << "\n| round | process | launch → first commit | launch → all committed | events/s | peak RSS | CPU | CPU per 100k events |\n"
            << "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const auto& m : runs) {
    std::cout << "| " << m.round << " | " << m.who << " | " << std::setprecision(2) << m.first_commit_s << " s | "
              << m.all_committed_s << " s | " << std::setprecision(0) << m.events_per_s << " | " << m.peak_rss_mb
              << " MB | " << std::setprecision(1) << m.cpu_s << " s | " << std::setprecision(2)
              << m.cpu_s * 100000.0 / static_cast<double>(o.records) << " s |\n";
  }
  std::vector<double> ratios;
  for (size_t i = 0; i + 1 < runs.size(); i += 2) {
    const Measured& a = runs[i].who == "caselink-passthrough" ? runs[i] : runs[i + 1];
    const Measured& b = runs[i].who == "caselink-passthrough" ? runs[i + 1] : runs[i];
    ratios.push_back(b.events_per_s > 0 ? a.events_per_s / b.events_per_s : 0);
  }
  std::sort(ratios.begin(), ratios.end());
  std::cout << std::setprecision(2) << "caselink / peer events/s per round: min " << ratios.front() << ", median "
            << median(ratios) << ", max " << ratios.back() << "\n";
}

}  // namespace
}  // namespace caselink

int main(int argc, char** argv) {
  using namespace caselink;
  Options o;
  CLI::App app{"caselink-passthrough against a Kafka Streams exactly_once_v2 no-op peer, same broker, same run"};
  app.add_option("--bootstrap", o.bootstrap, "Broker");
  app.add_option("--records", o.records, "Input records")->check(CLI::PositiveNumber);
  app.add_option("--partitions", o.partitions, "Partitions of the input and output topics");
  app.add_option("--rounds", o.rounds, "Rounds (each runs both; the order alternates)")->check(CLI::PositiveNumber);
  app.add_option("--value-bytes", o.value_bytes, "Bytes per record value");
  app.add_option("--commit-ms", o.commit_ms, "Commit interval of both (loop.commit_every_ms, commit.interval.ms)");
  app.add_option("--passthrough", o.passthrough, "The caselink-passthrough binary");
  app.add_option("--peer-classpath", o.peer_classpath, "Classpath of bench/streams-peer")->required();
  app.add_option("--work", o.work, "Directory for the processes' logs and the peer's state");
  app.add_option("--caselink-env", o.caselink_env, "Extra K=V for caselink-passthrough's environment");
  CLI11_PARSE(app, argc, argv);
  std::cerr << version_line("caselink-peer-bench") << "\n";
  std::filesystem::create_directories(o.work);
  const std::string in = testing::unique_name("peer.in");
  try {
    if (Status st = testing::create_topics(o.bootstrap, {in}, o.partitions); !st.ok()) {
      throw std::runtime_error("cannot create " + in + ": " + st.error().describe());
    }
    std::cerr << "[peer] producing " << o.records << " records to " << in << "\n";
    produce_input(o, in);
    std::vector<Measured> runs;
    for (int round = 1; round <= o.rounds; ++round) {
      const bool caselink_first = round % 2 == 1;
      for (int i = 0; i < 2; ++i) {
        std::cerr << "[peer] round " << round << ": " << ((i == 0) == caselink_first ? "caselink" : "Streams peer")
                  << "\n";
        runs.push_back((i == 0) == caselink_first ? run_caselink(o, round, in) : run_peer(o, round, in));
      }
    }
    report(o, runs);
  } catch (const std::exception& e) {
    std::cerr << "peer benchmark failed: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
