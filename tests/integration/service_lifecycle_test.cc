// A real service binary's lifecycle: it refuses a bad config naming the key, keeps retrying
// (not ready, not exiting, not spinning) while the broker is unreachable, becomes ready
// once connected and assigned, serves /metrics, and stops with exit 0 on SIGTERM.

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "tests/support/http_get.h"
#include "tests/support/kafka_test_env.h"

namespace caselink {
namespace {

namespace fs = std::filesystem;
const std::string kBinary = "bin/caselink-passthrough";

fs::path temp_dir() {
  fs::path dir = fs::temp_directory_path() / testing::unique_name("caselink-lifecycle");
  fs::create_directories(dir);
  return dir;
}

uint16_t wait_for_port_file(const fs::path& file) {
  for (int i = 0; i < 200; ++i) {
    std::ifstream in(file);
    int port = 0;
    if (in >> port && port > 0) {
      return static_cast<uint16_t>(port);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return 0;
}

std::string config(const std::string& bootstrap, const std::string& in, const std::string& out,
                   const fs::path& port_file) {
  return "kafka: {bootstrap: \"" + bootstrap + "\"}\n" + "loop: {group_id: " + testing::unique_name("lc") +
         ", input_topics: [" + in + "], retry_backoff_ms: 200, retry_backoff_max_ms: 1000}\n" +
         "passthrough: {output_topic: " + out + "}\n" + "http: {port: 0, port_file: \"" + port_file.string() + "\"}\n";
}

TEST(ServiceLifecycle, BadConfigIsRefusedNamingTheKey) {
  const fs::path dir = temp_dir();
  std::ofstream(dir / "bad.yaml") << "loop: {group_id: g, input_topics: [a], commit_every_records: many}\n"
                                  << "passthrough: {output_topicc: x}\n";
  const std::string log = (dir / "out.log").string();
  testing::ChildProcess child(testing::build_path(kBinary), {"--config", (dir / "bad.yaml").string()}, log);
  for (int i = 0; i < 100 && child.running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(child.running());
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("loop.commit_every_records: expected an integer, got 'many'"), std::string::npos) << text;
  EXPECT_NE(text.find("passthrough.output_topicc: unknown setting"), std::string::npos) << text;
  EXPECT_EQ(child.terminate(std::chrono::seconds(1)), 2);
}

// The allocator is chosen at link time (CASELINK_ALLOCATOR) but only the running process can
// tell whether it took: a linker that drops an unreferenced library leaves glibc malloc.
TEST(ServiceLifecycle, VersionNamesTheAllocatorTheBuildLinked) {
  const fs::path dir = temp_dir();
  const std::string log = (dir / "version.log").string();
  testing::ChildProcess child(testing::build_path(kBinary), {"--version"}, log);
  for (int i = 0; i < 100 && child.running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(child.running());
  EXPECT_EQ(child.terminate(std::chrono::seconds(1)), 0);
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string expected =
      std::string(CASELINK_EXPECTED_ALLOCATOR) == "jemalloc" ? "(jemalloc 5." : "(glibc malloc)";
  EXPECT_EQ(text.rfind("caselink-passthrough ", 0), 0u) << text;
  EXPECT_NE(text.find(expected), std::string::npos) << "expected " << expected << " in: " << text;
}

TEST(ServiceLifecycle, BrokerDownAtStartThenReadyThenCleanStop) {
  auto bootstrap = testing::kafka_bootstrap();
  if (!bootstrap) {
    GTEST_SKIP() << "CASELINK_KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
  }
  const fs::path dir = temp_dir();

  // 1. Nothing listens on this port: the service must stay up, retry, and say not ready.
  {
    std::ofstream(dir / "down.yaml") << config("127.0.0.1:1", "nowhere.in", "nowhere.out", dir / "down.port");
    const std::string log = (dir / "down.log").string();
    testing::ChildProcess child(testing::build_path(kBinary), {"--config", (dir / "down.yaml").string()}, log);
    const uint16_t port = wait_for_port_file(dir / "down.port");
    ASSERT_NE(port, 0) << "no admin port; see " << log;
    std::this_thread::sleep_for(std::chrono::seconds(3));
    ASSERT_TRUE(child.running()) << "the service exited while the broker was down; see " << log;
    EXPECT_EQ(testing::http_get(port, "/healthz").status, 200);
    const auto ready = testing::http_get(port, "/readyz");
    EXPECT_EQ(ready.status, 503);
    EXPECT_FALSE(ready.body.empty()) << "a not-ready answer must say why";
    // Not spinning: CPU time used while waiting stays small (a busy loop would burn ~3 s).
    struct rusage usage {};
    EXPECT_EQ(child.terminate(std::chrono::seconds(30)), 0) << "see " << log;
    getrusage(RUSAGE_CHILDREN, &usage);
    EXPECT_LT(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec, 2) << "the waiting service burned CPU";
    std::ifstream in(log);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("retrying with back-off"), std::string::npos) << "the wait must be logged clearly";
  }

  // 2. With the broker: ready, metrics served, clean stop.
  const std::string in = testing::unique_name("it.lc.in");
  const std::string out = testing::unique_name("it.lc.out");
  ASSERT_TRUE(testing::create_topics(*bootstrap, {in, out}, 2).ok());
  std::ofstream(dir / "up.yaml") << config(*bootstrap, in, out, dir / "up.port");
  const std::string log = (dir / "up.log").string();
  testing::ChildProcess child(testing::build_path(kBinary), {"--config", (dir / "up.yaml").string()}, log);
  const uint16_t port = wait_for_port_file(dir / "up.port");
  ASSERT_NE(port, 0) << "see " << log;
  int status = 0;
  for (int i = 0; i < 120 && status != 200; ++i) {
    status = testing::http_get(port, "/readyz").status;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_EQ(status, 200) << "never ready; see " << log;
  const auto metrics = testing::http_get(port, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  for (const char* name : {"caselink_transactions_total", "caselink_messages_consumed_total",
                           "caselink_dlq_messages_total", "caselink_processing_duration_seconds_bucket",
                           "caselink_ready{service=\"caselink-passthrough\"} 1",
                           "caselink_broker_connected{service=\"caselink-passthrough\"} 1"}) {
    EXPECT_NE(metrics.body.find(name), std::string::npos) << name << " missing from /metrics";
  }
  // Memory: from /proc always, jemalloc's own view when it serves malloc (the version line says).
  std::ifstream log_file(log);
  const std::string log_text((std::istreambuf_iterator<char>(log_file)), std::istreambuf_iterator<char>());
  std::vector<std::string> memory = {"process_resident_memory_bytes ", "caselink_process_resident_memory_peak_bytes "};
  if (log_text.find("(jemalloc ") != std::string::npos) {
    memory.insert(memory.end(), {"caselink_heap_allocated_bytes ", "caselink_heap_resident_bytes ",
                                 "caselink_heap_retained_bytes ", "caselink_heap_active_bytes "});
  }
  for (const auto& name : memory) {
    EXPECT_NE(metrics.body.find("\n" + name), std::string::npos) << name << "missing from /metrics";
    EXPECT_GT(testing::metric_value(metrics.body, name.substr(0, name.size() - 1)), 0) << name;
  }
  EXPECT_EQ(child.terminate(std::chrono::seconds(30)), 0) << "SIGTERM must exit 0; see " << log;
}

}  // namespace
}  // namespace caselink
