#pragma once

// The caselink-topics subcommands, as functions main.cc calls once the command line is parsed.
// They return the process exit code and write the plan/result to `out`, problems to `err`.

#include <chrono>
#include <optional>
#include <ostream>
#include <string>

namespace caselink::topics {

struct ApplyCommand {
  std::string spec_path = "deploy/topics.yaml";
  std::string bootstrap = "127.0.0.1:9092";
  std::optional<int> replication_factor;  // --replication-factor: overrides every topic
  bool dry_run = false;
  std::chrono::milliseconds timeout{30000};
  bool verbose = false;  // librdkafka log lines on `err`
  std::string client_config;  // --client-config: librdkafka properties (TLS/SASL); empty: none
};

// caselink-topics acls plan|apply.
struct AclsCommand {
  std::string spec_path = "deploy/acls.yaml";
  std::string bootstrap = "127.0.0.1:9092";
  bool apply = false;                // false: plan
  std::string client_config;         // the admin's librdkafka properties (kafka.sh client-config)
  std::string java_client_config;    // empty: <client_config stem>.java.properties if it exists
  std::string kafka_libs;            // Kafka's jars, for transactional-id ACLs
  std::chrono::milliseconds timeout{30000};
  bool verbose = false;
};

// 0: the cluster matches the spec; 1: invalid spec, unreachable broker, plan error or a
// failed change; 2: --dry-run found changes to make.
int run_apply(const ApplyCommand& command, std::ostream& out, std::ostream& err);

// 0: the cluster's ACLs match the spec; 1: invalid spec, unreachable broker or a failed
// change; 2: plan found changes to make.
int run_acls(const AclsCommand& command, std::ostream& out, std::ostream& err);

// Prints the spec's topic names, one per line. 0, or 1 if the spec is invalid.
int run_list(const std::string& spec_path, std::ostream& out, std::ostream& err);

}  // namespace caselink::topics
