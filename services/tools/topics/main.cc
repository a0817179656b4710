// caselink-topics: creates and updates the Kafka topics declared in deploy/topics.yaml.
#include <CLI/CLI.hpp>

#include <iostream>

#include "services/lib/kafka/settings.h"
#include "services/tools/topics/commands.h"

// --bootstrap defaults to CASELINK_KAFKA_BOOTSTRAP (KAFKA_BOOTSTRAP: deprecated alias, warns).
static std::string default_bootstrap(const std::string& fallback) {
  return caselink::kafka::bootstrap_from_environment().value_or(fallback);
}

int main(int argc, char** argv) {
  CLI::App app{"caselink-topics: applies the declarative topic spec (deploy/topics.yaml) to a Kafka cluster"};
  app.require_subcommand(1);

  caselink::topics::ApplyCommand apply;
  int64_t timeout_ms = apply.timeout.count();
  int replication_factor = 0;
  CLI::App* apply_cmd = app.add_subcommand(
      "apply", "Plan (CREATE / ADD_PARTITIONS / ALTER_CONFIGS / OK / ERROR), print, then apply. Exit 0: in line; "
               "1: errors; 2: --dry-run found changes");
  apply_cmd->add_option("--spec", apply.spec_path, "Topic spec file")->capture_default_str();
  apply_cmd->add_option("--bootstrap", apply.bootstrap, "Kafka bootstrap servers")
      ->capture_default_str();
  CLI::Option* rf_opt = apply_cmd->add_option("--replication-factor", replication_factor,
                                              "Override every topic's replication factor (3 on the 3-node cluster; "
                                              ">= 3 also sets min.insync.replicas=2)")
                            ->check(CLI::Range(1, 32767));
  apply_cmd->add_flag("--dry-run", apply.dry_run, "Print the plan and let the broker validate it; change nothing");
  apply_cmd->add_option("--timeout-ms", timeout_ms, "Per-request timeout (and for the post-apply check)")
      ->check(CLI::Range(1, 3600000))
      ->capture_default_str();
  apply_cmd->add_flag("-v,--verbose", apply.verbose, "Print librdkafka's log lines to stderr");
  apply_cmd->add_option("--client-config", apply.client_config,
                        "librdkafka properties file for TLS/SASL (kafka.sh client-config prints the admin's)")
      ->envname("CASELINK_KAFKA_CLIENT_CONFIG_FILE");

  // One command struct per subcommand: CLI11 applies an option's environment variable even for a
  // subcommand that was not invoked, so options shared between `plan` and `apply` would let
  // an environment variable overwrite the --bootstrap given to the one that was.
  caselink::topics::AclsCommand acls_of[2];
  int64_t acls_timeout_ms[2] = {acls_of[0].timeout.count(), acls_of[1].timeout.count()};
  CLI::App* acls_cmd = app.add_subcommand("acls", "Plan or apply the declarative ACL spec (deploy/acls.yaml)");
  acls_cmd->require_subcommand(1);
  CLI::App* acls_plan =
      acls_cmd->add_subcommand("plan", "Print CREATE / DELETE / OK / UNMANAGED; exit 0 in line, 2 changes");
  CLI::App* acls_apply = acls_cmd->add_subcommand("apply", "Plan, then create and delete until the cluster matches");
  CLI::App* acls_subs[2] = {acls_plan, acls_apply};
  apply.bootstrap = acls_of[0].bootstrap = acls_of[1].bootstrap = default_bootstrap(apply.bootstrap);
  for (int i = 0; i < 2; ++i) {
    CLI::App* sub = acls_subs[i];
    caselink::topics::AclsCommand& acls = acls_of[i];
    sub->add_option("--spec", acls.spec_path, "ACL spec file")->capture_default_str();
    sub->add_option("--bootstrap", acls.bootstrap, "Kafka bootstrap servers")
        ->capture_default_str();
    sub->add_option("--client-config", acls.client_config, "The admin's librdkafka properties (TLS/SASL)")
        ->envname("CASELINK_KAFKA_CLIENT_CONFIG_FILE");
    sub->add_option("--java-client-config", acls.java_client_config,
                    "The admin's Java client properties, for transactional-id ACLs (default: "
                    "<client-config stem>.java.properties when it exists)");
    sub->add_option("--kafka-libs", acls.kafka_libs, "Kafka's jars, for transactional-id ACLs (AclCommand)")
        ->envname("CASELINK_KAFKA_LIBS");
    sub->add_option("--timeout-ms", acls_timeout_ms[i], "Per-request timeout (and for the post-apply check)")
        ->check(CLI::Range(1, 3600000));
    sub->add_flag("-v,--verbose", acls.verbose, "Print librdkafka's log lines to stderr");
  }

  std::string list_spec = "deploy/topics.yaml";
  CLI::App* list_cmd = app.add_subcommand("list", "Print the spec's topic names, one per line (validates the spec)");
  list_cmd->add_option("--spec", list_spec, "Topic spec file")->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  if (*list_cmd) {
    return caselink::topics::run_list(list_spec, std::cout, std::cerr);
  }
  if (*acls_cmd) {
    const int chosen = *acls_apply ? 1 : 0;
    caselink::topics::AclsCommand& acls = acls_of[chosen];
    acls.apply = chosen == 1;
    acls.timeout = std::chrono::milliseconds(acls_timeout_ms[chosen]);
    return caselink::topics::run_acls(acls, std::cout, std::cerr);
  }
  apply.timeout = std::chrono::milliseconds(timeout_ms);
  if (*rf_opt) {
    apply.replication_factor = replication_factor;
  }
  return caselink::topics::run_apply(apply, std::cout, std::cerr);
}
