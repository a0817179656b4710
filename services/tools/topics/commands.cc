#include "services/tools/topics/commands.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "services/tools/topics/acl_plan.h"
#include "services/tools/topics/acl_spec.h"
#include "services/tools/topics/topic_admin.h"
#include "services/tools/topics/topic_plan.h"
#include "services/tools/topics/topic_spec.h"
#include "services/lib/kafka/properties_file.h"

namespace caselink::topics {
namespace {

constexpr std::chrono::milliseconds kVerifyInterval{200};

std::function<void(int, const std::string&)> log_to(std::ostream& err) {
  return [&err, mu = std::make_shared<std::mutex>()](int level, const std::string& line) {
    const std::lock_guard<std::mutex> lock(*mu);
    err << "librdkafka[" << level << "] " << line << '\n';
  };
}

// The client part of the admin config: bootstrap, timeout, --client-config, -v.
Result<KafkaAdminConfig> admin_config(const std::string& bootstrap, std::chrono::milliseconds timeout,
                                      const std::string& client_config, bool verbose, std::ostream& err) {
  KafkaAdminConfig config;
  config.bootstrap = bootstrap;
  config.timeout = timeout;
  if (verbose) {
    config.log = log_to(err);
  }
  if (!client_config.empty()) {
    Result<std::map<std::string, std::string>> properties = kafka::read_properties_file(client_config);
    if (!properties) {
      Error e = properties.error();
      e.message = "--client-config: " + e.message;
      return e;
    }
    config.properties = std::move(properties).value();
  }
  return config;
}

// kafka.sh writes NAME.java.properties beside NAME.properties.
std::string java_config_beside(const std::string& client_config) {
  const std::string suffix = ".properties";
  if (client_config.size() <= suffix.size() || !client_config.ends_with(suffix)) {
    return "";
  }
  const std::string candidate = client_config.substr(0, client_config.size() - suffix.size()) + ".java" + suffix;
  return std::ifstream(candidate).good() ? candidate : "";
}

// Prints "error: <message>" when `result` failed; true then.
template <typename T>
bool failed(const Result<T>& result, std::ostream& err) {
  if (!result) {
    err << "error: " << result.error().message << '\n';
    return true;
  }
  return false;
}

// The cluster of a command (its bootstrap, timeout, --client-config, -v; `adjust` may add to the
// config), made by `make`; nullptr after printing why it could not be made.
template <typename Cluster, typename Command, typename Adjust>
std::unique_ptr<Cluster> connect(const Command& command,
                                 Result<std::unique_ptr<Cluster>> (*make)(const KafkaAdminConfig&), Adjust adjust,
                                 std::ostream& err) {
  Result<KafkaAdminConfig> config =
      admin_config(command.bootstrap, command.timeout, command.client_config, command.verbose, err);
  if (failed(config, err)) {
    return nullptr;
  }
  adjust(config.value());
  Result<std::unique_ptr<Cluster>> cluster = make(config.value());
  if (failed(cluster, err)) {
    return nullptr;
  }
  return std::move(cluster).value();
}

// Prints the spec's problems when it did not load; true then.
template <typename Spec>
bool failed(const Result<Spec, SpecProblems>& spec, std::ostream& err) {
  if (!spec) {
    err << to_string(spec.error()) << '\n';
    return true;
  }
  return false;
}

// Reconcile options whose verification polls every kVerifyInterval for as long as --timeout.
template <typename Options>
Options verifying_for(std::chrono::milliseconds timeout) {
  Options options;
  options.verify_interval = kVerifyInterval;
  options.verify_attempts = static_cast<int>(std::max<int64_t>(1, timeout / kVerifyInterval));
  return options;
}

}  // namespace

int run_apply(const ApplyCommand& command, std::ostream& out, std::ostream& err) {
  Result<TopicsSpec, SpecProblems> spec = load_topics_spec(command.spec_path);
  if (spec && command.replication_factor) {
    spec = with_replication_factor(std::move(spec).value(), *command.replication_factor);
  }
  if (failed(spec, err)) {
    return static_cast<int>(Outcome::kFailed);
  }

  const std::unique_ptr<TopicCluster> cluster =
      connect<TopicCluster>(command, &make_kafka_topic_cluster, [](KafkaAdminConfig&) {}, err);
  if (cluster == nullptr) {
    return static_cast<int>(Outcome::kFailed);
  }

  auto options = verifying_for<ReconcileOptions>(command.timeout);
  options.dry_run = command.dry_run;
  const ReconcileReport report = reconcile(spec.value(), *cluster, options, out);
  if (!report.errors.empty()) {
    err << "caselink-topics: " << report.errors.size() << " problem(s); the cluster is not in line with "
        << command.spec_path << '\n';
  }
  return report.exit_code();
}

int run_acls(const AclsCommand& command, std::ostream& out, std::ostream& err) {
  const Result<AclSpec, SpecProblems> spec = load_acl_spec(command.spec_path);
  if (failed(spec, err)) {
    return static_cast<int>(Outcome::kFailed);
  }
  const auto acl_settings = [&command](KafkaAdminConfig& config) {
    config.kafka_libs = command.kafka_libs;
    config.java_client_config =
        command.java_client_config.empty() ? java_config_beside(command.client_config) : command.java_client_config;
  };
  const std::unique_ptr<AclCluster> cluster = connect<AclCluster>(command, &make_kafka_acl_cluster, acl_settings, err);
  if (cluster == nullptr) {
    return static_cast<int>(Outcome::kFailed);
  }
  auto options = verifying_for<AclReconcileOptions>(command.timeout);
  options.apply = command.apply;
  const AclReport report = reconcile_acls(spec.value(), *cluster, options, out);
  if (!report.errors.empty()) {
    // Each problem on its own line (the broker's error and its code), then the summary.
    for (const std::string& e : report.errors) {
      err << "error: " << e << '\n';
    }
    err << "caselink-topics acls: " << report.errors.size() << " problem(s); the cluster's ACLs are not in line with "
        << command.spec_path << '\n';
  }
  return report.exit_code();
}

int run_list(const std::string& spec_path, std::ostream& out, std::ostream& err) {
  const Result<TopicsSpec, SpecProblems> spec = load_topics_spec(spec_path);
  if (failed(spec, err)) {
    return static_cast<int>(Outcome::kFailed);
  }
  for (const TopicSpec& t : spec.value().topics) {
    out << t.name << '\n';
  }
  return 0;
}

}  // namespace caselink::topics
