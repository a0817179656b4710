#include "services/ingress/service.h"

#include "services/standards/engine/loader.h"

#include <CLI/CLI.hpp>

#include <fstream>
#include <memory>
#include <optional>
#include <iostream>
#include <thread>

#include "services/common/core/build_info.h"
#include "services/common/http/admin_server.h"
#include "services/common/kafka/producer.h"
#include "services/common/metrics/standard_metrics.h"
#include "services/common/runtime/stop_signal.h"
#include "services/evidence/local_blob_store.h"
#include "services/ingress/case_state.h"
#include "services/ingress/recovering_producer.h"
#include "services/ingress/server.h"
#include "services/ingress/settings.h"

namespace caselink::ingress {

namespace {

const std::string kName = "caselink-ingress";

struct CommandLine {
  std::string config_path;
  bool print_config = false;
  bool check_config = false;
};

// Parses argv; an exit code when the process should end here (--help, --version, a bad flag).
std::optional<int> parse_command_line(int argc, char** argv, CommandLine* cl) {
  CLI::App app{kName + " — HTTP/1.1 JSON API for agency systems that cannot speak Kafka"};
  app.add_option("-c,--config", cl->config_path, "YAML config file (keys: see --print-config)")->envname("CASELINK_CONFIG");
  app.add_flag("--print-config", cl->print_config, "Print every setting with its value and environment variable, then exit");
  app.add_flag("--check-config", cl->check_config, "Validate the configuration and exit (0 = valid)");
  app.set_version_flag("--version", version_line(kName),
                       "Print the version and the allocator this binary runs on, then exit");
  app.footer(
      "Public API on api.bind:api.port: POST /v1/events, PUT /v1/blobs/{sha256}, GET /v1/cases/{id}\n"
      "(docs/api/ingress.openapi.yaml). Admin endpoint on http.bind:http.port: /healthz, /readyz, /metrics.\n"
      "Tokens are configured hashed: auth.token_sha256.<agency>: $(printf %s TOKEN | sha256sum).\n"
      "Every setting can be overridden by an environment variable: key 'api.port' -> CASELINK_API_PORT.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return std::nullopt;
}

// Loads and validates the config; an exit code when the process should end here (bad config,
// --print-config, --check-config).
std::optional<int> load_settings(const CommandLine& cl, IngressSettings* settings) {
  *settings = default_settings();
  auto binder = config::ConfigBinder::load(cl.config_path);
  if (!binder.ok()) {
    std::cerr << kName << ": " << binder.error().message << "\n";
    return 2;
  }
  bind(*binder, settings);
  Status valid = binder->finish();
  if (cl.print_config) {
    std::cout << binder->describe();
  }
  if (!valid.ok()) {
    std::cerr << kName << ": " << valid.error().message << "\n";
    return 2;
  }
  if (cl.print_config || cl.check_config) {
    if (cl.check_config) {
      std::cout << kName << ": configuration " << binder->origin() << " is valid\n";
    }
    return 0;
  }
  if (Status st = logging::init(settings->log); !st.ok()) {
    std::cerr << kName << ": " << st.error().describe() << "\n";
    return 2;
  }
  return std::nullopt;
}

void write_port_file(const std::string& path, uint16_t port) {
  if (!path.empty()) {
    std::ofstream(path) << port << "\n";
  }
}

// The admin endpoint (/healthz, /readyz, /metrics); nullptr when it cannot start.
std::unique_ptr<http::AdminHttpServer> start_admin(const IngressSettings& settings, http::ReadinessCallback readiness,
                                                   metrics::Registry& registry) {
  auto log = logging::get("ingress");
  http::AdminServerOptions options;
  options.bind_address = settings.http.bind;
  options.port = static_cast<uint16_t>(settings.http.port);
  auto admin = std::make_unique<http::AdminHttpServer>(options, std::move(readiness), registry);
  http::StartResult started = admin->start();
  if (!started.ok()) {
    log->critical("cannot start the admin endpoint: {}", started.message);
    return nullptr;
  }
  log->info("{} admin endpoint on http://{}:{}/ (healthz, readyz, metrics)", kName, settings.http.bind, started.port);
  write_port_file(settings.http.port_file, started.port);
  return admin;
}

// Until SIGTERM/SIGINT; then every POST in flight is answered within kafka.message_timeout_ms
// (202 once acknowledged, 503 otherwise) and its answer written within api.write_timeout_ms:
// wait for those answers, not for a fixed time.
void serve_until_stopped(const IngressSettings& settings, IngressServer& server, RecoveringProducer& producer) {
  auto log = logging::get("ingress");
  std::atomic<bool>& stop = runtime::install_stop_signal_handlers();
  while (!stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  log->info("stopping: no new connections; answering the requests in flight");
  const auto bound = std::chrono::milliseconds(settings.kafka.message_timeout_ms + settings.api.write_timeout_ms);
  if (!server.drain(bound)) {
    log->warn("requests still in flight after {} ms; closing their connections", bound.count());
  }
  if (Status flushed = producer.flush(std::chrono::milliseconds(settings.kafka.message_timeout_ms)); !flushed.ok()) {
    log->warn("{}", flushed.error().describe());
  }
}

// The components in dependency order; returns the exit code.
int run_components(const IngressSettings& settings) {
  auto log = logging::get("ingress");
  log->info("{} starting", version_line(kName));
  SystemClock clock;
  metrics::Registry registry;
  metrics::ServiceMetrics service_metrics(registry, kName);

  auto blobs = evidence::LocalBlobStore::create(settings.blob_store_path);
  if (!blobs.ok()) {
    log->critical("blobs.path: {}", blobs.error().describe());
    return 2;
  }
  RecoveringProducer producer([&settings]() -> Result<std::unique_ptr<ProducerPort>> {
    auto made = kafka::make_idempotent_producer(settings.kafka, kName);
    if (!made.ok()) {
      return made.error();
    }
    return wrap(std::move(*made));
  });
  if (Status started = producer.start(); !started.ok()) {
    log->critical("{}", started.error().describe());
    return 2;
  }
  auto rules = standards::load_rule_set(settings.facts_rules_dir);
  if (!rules.ok()) {
    log->critical("facts.rules_dir: {}", rules.error().describe());
    return 2;
  }
  CaseStateView cases;
  CaseStateFollower follower(settings.kafka, settings.case_state_topic, kName, cases);
  follower.start();

  IngressServer server({settings, clock, registry,
                        [&producer](const OutgoingRecord& record, kafka::DeliveryCallback done) {
                          return producer.send_async(record, std::move(done));
                        },
                        **blobs, cases, &rules->catalogue});
  auto api_port = server.start();
  if (!api_port.ok()) {
    log->critical("{}", api_port.error().describe());
    return 2;
  }
  log->info("{} API on http://{}:{}/v1/ ({} threads)", kName, settings.api.bind, *api_port, settings.api.threads);
  write_port_file(settings.api.port_file, *api_port);

  auto readiness = [&]() -> http::ReadyState {
    // Not ready while the producer is broken beyond replacement or has no broker (issue 13 #3).
    if (ProducerHealth health = producer.health(); !health.ready) {
      return {false, health.reason};
    }
    if (!follower.caught_up()) {
      return {false, follower.status()};
    }
    return {true, ""};
  };
  registry.on_collect([&] {
    service_metrics.broker_connected().set(producer.health().broker_connected ? 1 : 0);
    service_metrics.ready().set(readiness().ready ? 1 : 0);
  });
  auto admin = start_admin(settings, readiness, registry);
  if (!admin) {
    return 2;
  }
  serve_until_stopped(settings, server, producer);
  server.stop();
  follower.stop();
  admin->stop();
  log->info("{} stopped cleanly", kName);
  return 0;
}

}  // namespace

int run_ingress(int argc, char** argv) {
  CommandLine cl;
  if (auto done = parse_command_line(argc, argv, &cl)) {
    return *done;
  }
  IngressSettings settings;
  if (auto done = load_settings(cl, &settings)) {
    return *done;
  }
  return run_components(settings);
}

}  // namespace caselink::ingress
