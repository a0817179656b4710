// caselinkctl conformance against the real broker: the SDK's example adapters (example 1 submits a
// referral, example 3 acknowledges feedback exactly once) pass the kit, and a deliberately broken
// adapter (tests/broken_adapter.cc) fails it with exactly the checks its defects break. Every
// run is on sandbox topics (kPrefix + the production names): the broken records and the kit's
// redelivered feedback never reach the caselink.* topics the client suites read whole.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "services/lib/envelope/routing.h"
#include "services/lib/envelope/topics.h"
#include "services/tools/ctl/commands.h"
#include "services/tools/ctl/tests/run_ctl.h"

namespace caselink::ctl {
namespace {

constexpr const char* kPrefix = "sandbox.";

std::string env_or_fail(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : std::string("/nonexistent/") + name;
}

// The broker credentials for a client example adapter, in the Python example's option (the Java
// one takes the Python example's options): the file the environment names
// (CASELINK_KAFKA_CLIENT_CONFIG_FILE on the test command's secured broker), none on a plaintext one.
std::string client_config_option() {
  const std::string file = testing::kafka_client_config_file();
  return file.empty() ? std::string() : " --client-config " + file;
}

class ConformanceKit : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = testing::kafka_bootstrap();
    if (!b) GTEST_SKIP() << "CASELINK_KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
    bootstrap_ = *b;
    std::vector<std::string> topics = {std::string(kPrefix) + envelope::topics::kDlq};
    for (const std::string& topic : envelope::event_topics()) topics.push_back(kPrefix + topic);
    for (const char* agency : {"sthjj-330100", "rsj-330100"}) {
      topics.push_back(kPrefix + envelope::feedback_topic_for(agency));
    }
    Status created = testing::create_topics(bootstrap_, topics, 3);
    ASSERT_TRUE(created.ok()) << created.error().describe();
  }
  // Runs the kit; stdout (the JSON report) only, the adapters' output goes to stderr.
  nlohmann::json run_kit(const std::string& args, int* status) {
    CtlRun r = run_ctl("conformance --bootstrap " + bootstrap_ + " --rules-dir " + CASELINK_RULES_DIR +
                           " --json --topic-prefix " + kPrefix + " " + args,
                       false);
    *status = r.status;
    auto json = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(json.is_discarded()) << r.out;
    return json;
  }
  static std::map<std::string, std::string> verdicts(const nlohmann::json& report) {
    std::map<std::string, std::string> out;
    for (const auto& check : report.at("checks")) out[check.at("name")] = check.at("verdict");
    return out;
  }
  // A client example adapter (one command): every check passes (no signature), and it sent the
  // referral and one acknowledgement (its client deduplicates the redelivered feedback).
  void expect_example_adapter_passes(const std::string& adapter) {
    int status = -1;
    const auto report = run_kit(
        "--agency sthjj-330100 --ack-deadline 2m --time-bound 3m --adapter-cmd '" + adapter + "'", &status);
    EXPECT_EQ(status, 0) << report.dump(2);
    EXPECT_EQ(report.value("events", 0), 2) << "the referral and one acknowledgement";
    for (const auto& [name, verdict] : verdicts(report)) {
      EXPECT_EQ(verdict, name == "signature" ? "NOT RUN" : "PASS") << name << "\n" << report.dump(2);
    }
  }
  std::string bootstrap_;
};

TEST_F(ConformanceKit, TheSdkExampleAdaptersPass) {
  const std::string blobs = testing::unique_name("/tmp/conformance-blobs");
  std::filesystem::create_directories(blobs);
  const std::string submit = env_or_fail("CONFORMANCE_SUBMIT_BIN") +
                             " --bootstrap {bootstrap} --agency {agency} --case-id {case_id} --topic-prefix {topic_prefix}"
                             " --blob-dir " + blobs;
  // Its own group (reads the topic from the start, acknowledging older feedback too); it ends
  // after 20 s without feedback to acknowledge.
  const std::string ack = env_or_fail("CONFORMANCE_ACK_BIN") +
                          " --bootstrap {bootstrap} --agency {agency} --group conformance-{case_id} "
                          "--topic-prefix {topic_prefix} --idle-timeout-ms 20000";
  int status = -1;
  const auto report = run_kit("--agency sthjj-330100 --ack-deadline 2m --time-bound 4m --adapter-cmd '" + submit +
                                  "' --adapter-cmd '" + ack + "'",
                              &status);
  EXPECT_EQ(status, 0) << report.dump(2);
  EXPECT_TRUE(report.value("passed", false)) << report.dump(2);
  EXPECT_EQ(report.value("events", 0), 4) << "manifest, referral and one acknowledgement sent twice";
  for (const auto& [name, verdict] : verdicts(report)) {
    EXPECT_EQ(verdict, name == "signature" ? "NOT RUN" : "PASS") << name << "\n" << report.dump(2);
  }
  std::filesystem::remove_all(blobs);
}

// clients/python/examples/agency_adapter.py: a referral and acknowledgements written from the
// contracts alone with confluent-kafka and the client package, in the venv scripts/setup.sh makes.
TEST_F(ConformanceKit, ThePythonExampleAdapterPasses) {
  const std::string python = env_or_fail("CONFORMANCE_PYTHON");
  if (!std::filesystem::exists(python)) GTEST_SKIP() << python << " missing: run scripts/setup.sh (clients venv)";
  const std::string adapter = python + " " + std::string(CASELINK_SOURCE_ROOT) +
                              "/clients/python/examples/agency_adapter.py --bootstrap {bootstrap} --agency {agency} "
                              "--case-id {case_id} --group conformance-py-{case_id} --topic-prefix {topic_prefix} "
                              "--idle-timeout 15" +
                              client_config_option();
  expect_example_adapter_passes(adapter);
}

// clients/java's AgencyAdapter: the same adapter with kafka-clients and the Java client, run from
// the classes the clients_java_classes fixture compiled. Skipped only when Java is not installed:
// with Java, a missing classpath (the fixture did not build) fails.
TEST_F(ConformanceKit, TheJavaExampleAdapterPasses) {
  const std::string java = env_or_fail("CONFORMANCE_JAVA");
  if (!std::filesystem::exists(java)) GTEST_SKIP() << "java not installed (" << java << ")";
  std::ifstream classpath_file(env_or_fail("CONFORMANCE_JAVA_CLASSPATH"));
  std::string classpath;
  ASSERT_TRUE(std::getline(classpath_file, classpath) && !classpath.empty())
      << env_or_fail("CONFORMANCE_JAVA_CLASSPATH") << " missing: the clients_java_classes fixture did not build";
  const std::string adapter = java + " -cp " + classpath +
                              " org.caselink.client.example.AgencyAdapter --bootstrap {bootstrap} --agency {agency} "
                              "--case-id {case_id} --group conformance-java-{case_id} --topic-prefix {topic_prefix} "
                              "--idle-timeout 15" +
                              client_config_option();
  expect_example_adapter_passes(adapter);
}

TEST_F(ConformanceKit, ABrokenAdapterFailsWithTheRightChecksNamed) {
  const std::string broken = env_or_fail("CONFORMANCE_BROKEN_BIN") + " {bootstrap} {agency} {case_id} {topic_prefix}";
  int status = -1;
  const auto report =
      run_kit("--agency rsj-330100 --ack-deadline 10s --time-bound 2m --adapter-cmd '" + broken + "'", &status);
  EXPECT_EQ(status, kNonConformant) << report.dump(2);
  EXPECT_FALSE(report.value("passed", true));
  std::set<std::string> failed;
  std::set<std::string> passed;
  for (const auto& [name, verdict] : verdicts(report)) {
    if (verdict == "FAIL") failed.insert(name);
    if (verdict == "PASS") passed.insert(name);
  }
  EXPECT_EQ(failed, (std::set<std::string>{"record.key", "cloudevents.headers", "role.payload", "facts.catalogue",
                                           "retry.idempotent", "feedback.acknowledged"}))
      << report.dump(2);
  EXPECT_EQ(passed, (std::set<std::string>{"envelope.decode", "envelope.fields", "record.topic",
                                           "script.expected_events"}))
      << report.dump(2);
  // The sandbox held: nothing of this case on the production topics it wrote to (read to the end).
  const std::string case_id = report.value("case_id", "");
  ASSERT_FALSE(case_id.empty());
  for (const std::string topic : {envelope::topics::kReferral, envelope::topics::kEvidenceManifest,
                                  envelope::topics::kDecision}) {
    for (const ConsumedRecord& r : testing::read_topic(bootstrap_, topic, testing::Isolation::kReadUncommitted, 0,
                                                       std::chrono::seconds(60))) {
      EXPECT_EQ(r.value.value_or("").find(case_id), std::string::npos) << "a sandbox record on " << topic;
    }
  }
}

TEST_F(ConformanceKit, NoAdapterAtAllFailsTheScript) {
  int status = -1;
  const auto report = run_kit("--agency rsj-330100 --time-bound 5s --adapter-cmd true", &status);
  EXPECT_EQ(status, kNonConformant) << report.dump(2);
  EXPECT_EQ(verdicts(report).at("script.expected_events"), "FAIL");
  EXPECT_EQ(verdicts(report).at("feedback.acknowledged"), "NOT RUN");
}

}  // namespace
}  // namespace caselink::ctl
