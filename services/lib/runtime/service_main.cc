#include "services/lib/runtime/service_main.h"

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <optional>

#include "services/lib/core/build_info.h"
#include "services/lib/http/admin_server.h"
#include "services/lib/metrics/process_metrics.h"
#include "services/lib/metrics/standard_metrics.h"
#include "services/lib/runtime/lifecycle.h"
#include "services/lib/runtime/metrics_observer.h"
#include "services/lib/runtime/stop_signal.h"

namespace caselink::runtime {

void bind(config::ConfigBinder& binder, CommonSettings* s, bool with_loop) {
  binder.bind("log.level", &s->log.level, "trace|debug|info|warn|error|critical|off");
  binder.bind("log.format", &s->log.format, "text | json (JSON lines with case_id, event_id, ...)");
  binder.bind("http.bind", &s->http.bind, "Address of the admin endpoint (/healthz, /readyz, /metrics)");
  binder.bind("http.port", &s->http.port, "Port of the admin endpoint (0 = any free port)");
  binder.bind("http.port_file", &s->http.port_file, "Write the bound admin port to this file");
  binder.check([s]() -> Status {
    if (s->http.port < 0 || s->http.port > 65535) {
      return Error::invalid("must be 0..65535", "http.port");
    }
    return Status::success();
  });
  kafka::bind(binder, &s->kafka);
  if (with_loop) {
    kafka::bind(binder, &s->loop, &s->kafka);
  }
  signing::bind(binder, &s->signing);
}

namespace {

struct CommandLine {
  std::string config_path;
  bool print_config = false;
  bool check_config = false;
};

// Parses argv; returns an exit code when the process ends here (--help, --version, bad usage).
std::optional<int> parse_command_line(int argc, char** argv, const CoreDefinition& definition, CommandLine& cli) {
  CLI::App app{definition.name + " — " + definition.description};
  app.add_option("-c,--config", cli.config_path, "YAML config file (keys: see --print-config)")
      ->envname("CASELINK_CONFIG");
  app.add_flag("--print-config", cli.print_config,
               "Print every setting with its value and environment variable, then exit");
  app.add_flag("--check-config", cli.check_config, "Validate the configuration and exit (0 = valid)");
  app.set_version_flag("--version", version_line(definition.name),
                       "Print the version and the allocator this binary runs on, then exit");
  std::string footer = definition.help.empty() ? "" : definition.help + "\n";
  footer +=
      "Every setting can be overridden by an environment variable: key 'http.port' -> CASELINK_HTTP_PORT.\n"
      "Admin endpoint: GET /healthz, /readyz, /metrics on http.bind:http.port.\n";
  footer += definition.input_topics.empty()
                ? "Stops cleanly on SIGTERM or SIGINT (in-flight work is finished first)."
                : "Stops cleanly on SIGTERM or SIGINT (commits or aborts the open transaction, leaves the group).";
  app.footer(footer);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return std::nullopt;
}

// Loads and validates the whole configuration into `common` (and the service's own settings);
// returns an exit code when the process ends here (printed, checked, or invalid: exit 2).
std::optional<int> load_configuration(const CoreDefinition& definition, const CommandLine& cli,
                                      CommonSettings& common) {
  common.log.service = definition.name;
  const bool with_loop = !definition.input_topics.empty();
  if (with_loop) {
    common.loop.group_id = definition.name;
    common.loop.input_topics = definition.input_topics;
  }
  if (definition.defaults) {
    definition.defaults(common);
  }
  auto binder = config::ConfigBinder::load(cli.config_path);
  if (!binder.ok()) {
    std::cerr << definition.name << ": " << binder.error().message << "\n";
    return 2;
  }
  bind(*binder, &common, with_loop);
  if (definition.bind) {
    definition.bind(*binder);
  }
  Status valid = binder->finish();
  if (cli.print_config) {
    std::cout << binder->describe();
  }
  if (!valid.ok()) {
    std::cerr << definition.name << ": " << valid.error().message << "\n";
    return 2;
  }
  if (cli.check_config) {
    std::cout << definition.name << ": configuration " << binder->origin() << " is valid\n";
  }
  if (cli.print_config || cli.check_config) {
    return 0;
  }
  return std::nullopt;
}

// Starts the admin endpoint (/healthz, /readyz, /metrics); false when it cannot bind.
bool start_admin(http::AdminHttpServer& admin, const CoreDefinition& definition, const HttpSettings& settings) {
  auto log = logging::get("runtime");
  http::StartResult started = admin.start();
  if (!started.ok()) {
    log->critical("cannot start the admin endpoint: {}", started.message);
    return false;
  }
  log->info("{} admin endpoint on http://{}:{}/ (healthz, readyz, metrics)", definition.name, settings.bind,
            started.port);
  if (!settings.port_file.empty()) {
    std::ofstream(settings.port_file) << started.port << "\n";
  }
  return true;
}

// The bundle's components, then the loop on its handler (when the service consumes topics).
// Checks the definition against the bundle: a broken invariant of the service's own code.
std::optional<int> add_loop(const CoreDefinition& definition, ServiceBundle& bundle,
                            std::unique_ptr<kafka::TransactionalLoop>& loop, const CommonSettings& common,
                            MetricsLoopObserver& observer, const Clock& clock, StopWaiter& waiter) {
  auto log = logging::get("runtime");
  if ((bundle.handler != nullptr) != !definition.input_topics.empty()) {
    log->critical("{}: a record handler needs input topics and input topics need a handler", definition.name);
    return 2;
  }
  if (bundle.handler) {
    loop = std::make_unique<kafka::TransactionalLoop>(common.kafka, common.loop, definition.name, *bundle.handler,
                                                      &observer, clock);
    bundle.components.push_back(loop_component(*loop, waiter));
  }
  return std::nullopt;
}

// Builds and runs the service from a loaded configuration; returns the exit code.
int run_components(const CoreDefinition& definition, const CommonSettings& common) {
  auto log = logging::get("runtime");
  log->info("{} starting", version_line(definition.name));
  SystemClock clock;
  metrics::Registry registry;
  metrics::register_process_metrics(registry);
  metrics::ServiceMetrics service_metrics(registry, definition.name);
  MetricsLoopObserver observer(service_metrics);
  auto signer = signing::Runtime::create(common.signing, &registry);
  if (!signer.ok()) {
    log->critical("cannot start: {}", signer.error().describe());
    return 2;
  }
  // Installed before the bundle is made and removed after its components stop: every envelope
  // the service emits or consumes passes the same policy (envelope::to_record, kafka::decode_record).
  signing::ScopedInstall signing_policy(*signer);
  log->info("signing: verify={} registry={} key_dir={}", common.signing.verify,
            common.signing.registry_file.empty() ? "-" : common.signing.registry_file,
            common.signing.key_dir.empty() ? "-" : common.signing.key_dir);
  log->info("kafka: {}, {}", common.kafka.bootstrap, kafka::describe_connection(common.kafka));
  StopWaiter waiter(install_stop_signal_handlers());
  auto bundle = definition.make(ServiceContext{definition.name, common, clock, registry, service_metrics});
  if (!bundle.ok()) {
    log->critical("cannot start: {}", bundle.error().describe());
    return 2;
  }
  std::unique_ptr<kafka::TransactionalLoop> loop;  // destroyed before the bundle's handler
  if (auto exit_code = add_loop(definition, *bundle, loop, common, observer, clock, waiter)) {
    return *exit_code;
  }
  Lifecycle lifecycle(bundle->components);
  if (Status started = lifecycle.start(); !started.ok()) {
    log->critical("cannot start: {}", started.error().describe());
    return 2;
  }
  http::AdminServerOptions http_options;
  http_options.bind_address = common.http.bind;
  http_options.port = static_cast<uint16_t>(common.http.port);
  http::AdminHttpServer admin(http_options, [&lifecycle] { return lifecycle.readiness(); }, registry);
  if (bundle->admin_routes) {
    bundle->admin_routes(admin);
  }
  if (!start_admin(admin, definition, common.http)) {
    return 2;
  }
  std::optional<Error> failure = waiter.wait();
  log->info("stopping");
  lifecycle.stop();
  admin.stop();
  if (failure) {
    log->critical("stopped with an error: {}", failure->describe());
    return 1;
  }
  log->info("{} stopped cleanly", definition.name);
  return 0;
}

}  // namespace

// Start-up in dependency order (command line, config, logging), then the components; see
// service_main.h for the order and the shut-down in reverse.
int run_service(int argc, char** argv, const CoreDefinition& definition) {
  CommandLine cli;
  if (auto exit_code = parse_command_line(argc, argv, definition, cli)) {
    return *exit_code;
  }
  CommonSettings common;
  if (auto exit_code = load_configuration(definition, cli, common)) {
    return *exit_code;
  }
  if (Status st = logging::init(common.log); !st.ok()) {
    std::cerr << definition.name << ": " << st.error().describe() << "\n";
    return 2;
  }
  return run_components(definition, common);
}

}  // namespace caselink::runtime
