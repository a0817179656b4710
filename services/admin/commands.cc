#include "services/admin/commands.h"

#include <algorithm>
#include <memory>
#include <mutex>

#include "services/admin/topic_admin.h"
#include "services/admin/topic_plan.h"
#include "services/admin/topic_spec.h"

namespace caselink::admin {
namespace {

constexpr std::chrono::milliseconds kVerifyInterval{200};

}  // namespace

int run_apply(const ApplyCommand& command, std::ostream& out, std::ostream& err) {
  Result<TopicsSpec, SpecProblems> spec = load_topics_spec(command.spec_path);
  if (spec && command.replication_factor) {
    spec = with_replication_factor(std::move(spec).value(), *command.replication_factor);
  }
  if (!spec) {
    err << to_string(spec.error()) << '\n';
    return static_cast<int>(Outcome::kFailed);
  }

  KafkaAdminConfig config;
  config.bootstrap = command.bootstrap;
  config.timeout = command.timeout;
  if (command.verbose) {
    config.log = [&err, mu = std::make_shared<std::mutex>()](int level, const std::string& line) {
      const std::lock_guard<std::mutex> lock(*mu);
      err << "librdkafka[" << level << "] " << line << '\n';
    };
  }
  Result<std::unique_ptr<TopicCluster>> cluster = make_kafka_topic_cluster(config);
  if (!cluster) {
    err << "error: " << cluster.error().message << '\n';
    return static_cast<int>(Outcome::kFailed);
  }

  ReconcileOptions options;
  options.dry_run = command.dry_run;
  options.verify_interval = kVerifyInterval;
  options.verify_attempts = static_cast<int>(std::max<int64_t>(1, command.timeout / kVerifyInterval));
  const ReconcileReport report = reconcile(spec.value(), *cluster.value(), options, out);
  if (!report.errors.empty()) {
    err << "caselink-topics: " << report.errors.size() << " problem(s); the cluster is not in line with "
        << command.spec_path << '\n';
  }
  return report.exit_code();
}

int run_list(const std::string& spec_path, std::ostream& out, std::ostream& err) {
  const Result<TopicsSpec, SpecProblems> spec = load_topics_spec(spec_path);
  if (!spec) {
    err << to_string(spec.error()) << '\n';
    return static_cast<int>(Outcome::kFailed);
  }
  for (const TopicSpec& t : spec.value().topics) {
    out << t.name << '\n';
  }
  return 0;
}

}  // namespace caselink::admin
