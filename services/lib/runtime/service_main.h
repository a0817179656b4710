#pragma once

// The composition root: the only way a caselink daemon starts. Every main.cc is one definition:
//
//   int main(int argc, char** argv) {
//     return caselink::runtime::service_main<MySettings>(argc, argv, {
//         .name = "caselink-foo", .description = "...",
//         .input_topics = {"caselink.foo.v1"},        // empty: no transactional loop
//         .defaults = [](CommonSettings& c) { ... },   // optional
//         .bind = foo::bind,                           // the service's own keys
//         .make = foo::make_service});                 // -> ServiceBundle (component.h)
//   }
//
// Order of start-up: parse the command line, load and validate the whole config (exit 2
// with every bad key named), set up logging and metrics, build the bundle, start its
// components in order, start the transactional loop on the handler (when there is one), open
// the admin endpoint (/healthz, /readyz, /metrics), then wait for SIGTERM or SIGINT (or a loop
// that cannot run: exit 1). Shut-down runs in reverse: the loop stops intake, commits or
// aborts the open transaction and leaves the group; the components stop from last to first
// (an HTTP API drains its requests in flight); the admin endpoint closes; exit 0.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "services/lib/config/config.h"
#include "services/lib/core/clock.h"
#include "services/lib/kafka/settings.h"
#include "services/lib/logging/logging.h"
#include "services/lib/metrics/registry.h"
#include "services/lib/signing/runtime.h"
#include "services/lib/metrics/standard_metrics.h"
#include "services/lib/runtime/component.h"

namespace caselink::runtime {

struct HttpSettings {
  std::string bind = "127.0.0.1";
  int port = 0;             // 0 = ephemeral (the bound port is logged and written to port_file)
  std::string port_file;    // when set, the bound port is written here (for scripts and tests)
};

struct CommonSettings {
  logging::Settings log;
  HttpSettings http;
  kafka::KafkaSettings kafka;
  kafka::LoopSettings loop;  // bound (loop.*) only for a service with input topics
  signing::Settings signing;  // signing.*: sign what is emitted, verify what is consumed
};

// Binds log.*, http.*, kafka.* and, when `with_loop`, loop.*.
void bind(config::ConfigBinder& binder, CommonSettings* settings, bool with_loop = true);

// What a service's factory gets to work with.
struct ServiceContext {
  const std::string& name;
  const CommonSettings& common;
  const Clock& clock;
  metrics::Registry& registry;
  metrics::ServiceMetrics& service_metrics;
};

struct CoreDefinition {
  std::string name;
  std::string description;
  std::vector<std::string> input_topics;
  std::string help;  // appended to --help
  std::function<void(CommonSettings&)> defaults;
  std::function<void(config::ConfigBinder&)> bind;
  std::function<Result<ServiceBundle>(const ServiceContext&)> make;
};

// Runs a service; returns the process exit code (0 clean stop, 1 runtime failure, 2 bad
// command line, configuration or start-up).
int run_service(int argc, char** argv, const CoreDefinition& definition);

template <typename Extra>
struct ServiceDefinition {
  std::string name;
  std::string description;
  // The topics the transactional loop consumes (default of loop.input_topics; the loop's
  // consumer group defaults to `name`). Empty: the service has no loop and no loop.* keys.
  std::vector<std::string> input_topics;
  std::string help;
  std::function<void(CommonSettings&)> defaults;
  std::function<void(config::ConfigBinder&, Extra*)> bind;
  std::function<Result<ServiceBundle>(const ServiceContext&, const Extra&)> make;
};

template <typename Extra>
int service_main(int argc, char** argv, ServiceDefinition<Extra> definition) {
  auto extra = std::make_shared<Extra>();
  CoreDefinition core{std::move(definition.name), std::move(definition.description),
                      std::move(definition.input_topics), std::move(definition.help), std::move(definition.defaults),
                      nullptr, nullptr};
  core.bind = [extra, bind = definition.bind](config::ConfigBinder& binder) { bind(binder, extra.get()); };
  core.make = [extra, make = definition.make](const ServiceContext& context) { return make(context, *extra); };
  return run_service(argc, argv, core);
}

}  // namespace caselink::runtime
