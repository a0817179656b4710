#include "services/ingress/service.h"

#include <CLI/CLI.hpp>

#include <fstream>
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

int run_ingress(int argc, char** argv) {
  const std::string name = "caselink-ingress";
  CLI::App app{name + " — HTTP/1.1 JSON API for agency systems that cannot speak Kafka"};
  std::string config_path;
  bool print_config = false;
  bool check_config = false;
  app.add_option("-c,--config", config_path, "YAML config file (keys: see --print-config)")->envname("CASELINK_CONFIG");
  app.add_flag("--print-config", print_config, "Print every setting with its value and environment variable, then exit");
  app.add_flag("--check-config", check_config, "Validate the configuration and exit (0 = valid)");
  app.set_version_flag("--version", version_line(name),
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

  IngressSettings settings = default_settings();
  auto binder = config::ConfigBinder::load(config_path);
  if (!binder.ok()) {
    std::cerr << name << ": " << binder.error().message << "\n";
    return 2;
  }
  bind(*binder, &settings);
  Status valid = binder->finish();
  if (print_config) {
    std::cout << binder->describe();
  }
  if (!valid.ok()) {
    std::cerr << name << ": " << valid.error().message << "\n";
    return 2;
  }
  if (print_config || check_config) {
    if (check_config) {
      std::cout << name << ": configuration " << binder->origin() << " is valid\n";
    }
    return 0;
  }
  if (Status st = logging::init(settings.log); !st.ok()) {
    std::cerr << name << ": " << st.error().describe() << "\n";
    return 2;
  }
  auto log = logging::get("ingress");
  log->info("{} starting", version_line(name));

  SystemClock clock;
  metrics::Registry registry;
  metrics::ServiceMetrics service_metrics(registry, name);

  auto blobs = evidence::LocalBlobStore::create(settings.blob_store_path);
  if (!blobs.ok()) {
    log->critical("blobs.path: {}", blobs.error().describe());
    return 2;
  }
  RecoveringProducer producer([&settings, &name]() -> Result<std::unique_ptr<ProducerPort>> {
    auto made = kafka::IdempotentProducer::create(settings.kafka, name);
    if (!made.ok()) {
      return made.error();
    }
    return wrap(std::move(*made));
  });
  if (Status started = producer.start(); !started.ok()) {
    log->critical("{}", started.error().describe());
    return 2;
  }
  CaseStateView cases;
  CaseStateFollower follower(settings.kafka, settings.case_state_topic, name, cases);
  follower.start();

  IngressServer server({settings, clock, registry,
                        [&producer](const OutgoingRecord& record, kafka::DeliveryCallback done) {
                          return producer.send_async(record, std::move(done));
                        },
                        **blobs, cases});
  auto api_port = server.start();
  if (!api_port.ok()) {
    log->critical("{}", api_port.error().describe());
    return 2;
  }
  log->info("{} API on http://{}:{}/v1/ ({} threads)", name, settings.api.bind, *api_port, settings.api.threads);
  if (!settings.api.port_file.empty()) {
    std::ofstream(settings.api.port_file) << *api_port << "\n";
  }

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
  http::AdminServerOptions admin_options;
  admin_options.bind_address = settings.http.bind;
  admin_options.port = static_cast<uint16_t>(settings.http.port);
  http::AdminHttpServer admin(admin_options, readiness, registry);
  http::StartResult admin_started = admin.start();
  if (!admin_started.ok()) {
    log->critical("cannot start the admin endpoint: {}", admin_started.message);
    return 2;
  }
  log->info("{} admin endpoint on http://{}:{}/ (healthz, readyz, metrics)", name, settings.http.bind,
            admin_started.port);
  if (!settings.http.port_file.empty()) {
    std::ofstream(settings.http.port_file) << admin_started.port << "\n";
  }

  std::atomic<bool>& stop = runtime::install_stop_signal_handlers();
  while (!stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  log->info("stopping: no new connections; answering the requests in flight");
  // Every POST in flight is answered within kafka.message_timeout_ms (202 once acknowledged,
  // 503 otherwise) and its answer written within api.write_timeout_ms; wait for those answers,
  // not for a fixed time.
  const auto bound = std::chrono::milliseconds(settings.kafka.message_timeout_ms + settings.api.write_timeout_ms);
  if (!server.drain(bound)) {
    log->warn("requests still in flight after {} ms; closing their connections", bound.count());
  }
  if (Status flushed = producer.flush(std::chrono::milliseconds(settings.kafka.message_timeout_ms)); !flushed.ok()) {
    log->warn("{}", flushed.error().describe());
  }
  server.stop();
  follower.stop();
  admin.stop();
  log->info("{} stopped cleanly", name);
  return 0;
}

}  // namespace caselink::ingress
