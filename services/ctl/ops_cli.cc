#include "services/ctl/ops_cli.h"

#include <cstdlib>
#include <iostream>

#include "services/admin/topic_admin.h"
#include "services/common/core/build_info.h"
#include "services/ctl/commands.h"
#include "services/ctl/ops_lag.h"
#include "services/ctl/ops_topics.h"

namespace caselink::ctl {

struct OpsCli::State {
  std::string client_config;
  OpsOptions options;
  CLI::App* topics = nullptr;
  TopicsRequest topics_request;
  CLI::App* lag = nullptr;
  LagRequest lag_request;
  std::vector<std::string> lag_groups;
  double lag_interval_s = 5;
};

namespace {

void add_json(CLI::App* sub, OpsOptions& options) {
  sub->add_flag("--json", options.json, "print JSON instead of a table");
}

}  // namespace

OpsCli::OpsCli(CLI::App& app, CLI::App& /*dlq*/) : s_(std::make_unique<State>()) {
  app.set_version_flag("--version", version_line("caselinkctl"), "print the version and exit");
  app.add_option("--client-config", s_->client_config,
                 "librdkafka properties file for TLS/SASL, as caselink-topics --client-config")
      ->envname("CASELINK_KAFKA_CLIENT_CONFIG");

  s_->topics = app.add_subcommand("topics", "every caselink topic: partitions, replication, end offsets, "
                                            "retention, and drift from the topic spec");
  s_->topics->add_option("topic", s_->topics_request.only, "only these topics (default: every caselink.* topic)");
  s_->topics->add_option("--spec", s_->topics_request.spec_path, "the topic spec to compare with")
      ->capture_default_str()
      ->envname("CASELINK_TOPICS_SPEC");
  add_json(s_->topics, s_->options);

  s_->lag = app.add_subcommand("lag", "per consumer group and partition: committed offset, end offset, lag, "
                                      "and a verdict from two samples (OK, FALLING_BEHIND, STALLED, STOPPED)");
  s_->lag->add_option("--group", s_->lag_groups, "only this group (repeatable; default: every group)");
  s_->lag->add_option("--interval", s_->lag_interval_s, "seconds between the two samples")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  add_json(s_->lag, s_->options);
}

OpsCli::~OpsCli() = default;

std::vector<CLI::App*> OpsCli::subcommands() const { return {s_->topics, s_->lag}; }

std::optional<int> OpsCli::run(const std::string& bootstrap, std::chrono::milliseconds timeout) {
  OpsOptions options = s_->options;
  options.kafka.bootstrap = bootstrap;
  options.timeout = timeout;
  if (!s_->client_config.empty()) {
    auto props = admin::load_client_properties(s_->client_config);
    if (!props.ok()) {
      std::cerr << "caselinkctl: " << props.error().message << "\n";
      return kUsage;
    }
    options.kafka.properties = props.value();
  }
  if (s_->topics->parsed()) return topics_command(s_->topics_request, options, std::cout, std::cerr);
  if (s_->lag->parsed()) {
    auto cluster = OpsCluster::create(options.kafka, options.timeout);
    if (!cluster.ok()) {
      std::cerr << "caselinkctl: " << cluster.error().message << "\n";
      return kBrokerError;
    }
    s_->lag_request.groups = s_->lag_groups;
    s_->lag_request.interval = std::chrono::milliseconds(static_cast<int64_t>(s_->lag_interval_s * 1000));
    return lag_command(s_->lag_request, *cluster.value(), options, std::cout, std::cerr);
  }
  return std::nullopt;
}

}  // namespace caselink::ctl
