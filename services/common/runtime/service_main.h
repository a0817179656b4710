#pragma once

// The composition root shared by every loop-based service, so each main.cc is a few lines:
//
//   int main(int argc, char** argv) {
//     return caselink::runtime::service_main<MySettings>(argc, argv, {
//         .name = "caselink-foo", .description = "...",
//         .defaults = [](CommonSettings& c) { c.loop.group_id = "caselink-foo"; ... },
//         .bind = [](config::ConfigBinder& b, MySettings* s) { ... },
//         .make_handler = [](const ServiceContext& ctx, const MySettings& s) { ... }});
//   }
//
// Order of start-up: parse the command line, load and validate the whole config (exit 2
// with every bad key named), set up logging, metrics and the handler, start the admin HTTP
// endpoint (/healthz, /readyz, /metrics), then run the transactional loop until SIGTERM or
// SIGINT. Shut-down runs in reverse: stop intake, commit or abort the open transaction,
// leave the group, stop HTTP, exit 0.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "services/common/config/config.h"
#include "services/common/core/clock.h"
#include "services/common/kafka/settings.h"
#include "services/common/kafka/transactional_loop.h"
#include "services/common/logging/logging.h"
#include "services/common/metrics/registry.h"
#include "services/common/signing/runtime.h"

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
  kafka::LoopSettings loop;
  signing::Settings signing;  // signing.*: sign what is emitted, verify what is consumed
};

void bind(config::ConfigBinder& binder, CommonSettings* settings);

// What a handler factory gets to work with.
struct ServiceContext {
  const CommonSettings& common;
  const Clock& clock;
  metrics::Registry& registry;
};

struct CoreDefinition {
  std::string name;
  std::string description;
  std::function<void(CommonSettings&)> defaults;
  std::function<void(config::ConfigBinder&)> bind;
  std::function<Result<std::unique_ptr<kafka::RecordHandler>>(const ServiceContext&)> make_handler;
};

// Runs a service; returns the process exit code (0 clean stop, 1 runtime failure, 2 bad
// command line or configuration).
int run_service(int argc, char** argv, const CoreDefinition& definition);

template <typename Extra>
struct ServiceDefinition {
  std::string name;
  std::string description;
  std::function<void(CommonSettings&)> defaults;
  std::function<void(config::ConfigBinder&, Extra*)> bind;
  std::function<Result<std::unique_ptr<kafka::RecordHandler>>(const ServiceContext&, const Extra&)> make_handler;
};

template <typename Extra>
int service_main(int argc, char** argv, ServiceDefinition<Extra> definition) {
  auto extra = std::make_shared<Extra>();
  CoreDefinition core;
  core.name = definition.name;
  core.description = definition.description;
  core.defaults = definition.defaults;
  core.bind = [extra, bind = definition.bind](config::ConfigBinder& binder) { bind(binder, extra.get()); };
  core.make_handler = [extra, make = definition.make_handler](const ServiceContext& context) {
    return make(context, *extra);
  };
  return run_service(argc, argv, core);
}

}  // namespace caselink::runtime
