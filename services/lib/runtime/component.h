#pragma once

// What a service definition's factory hands the composition root (service_main.h): the record
// handler the transactional loop runs (optional), the objects the handler and the components
// use, and the components themselves — anything with a start and a stop (an HTTP API, a topic
// follower, a producer to flush, timers). The root starts the components in order, then the
// loop (one component among them, built from the handler), then the admin endpoint; on
// SIGTERM/SIGINT it stops them in reverse: the loop first (stop intake, commit or abort, leave
// the group), then the components from last to first, the admin endpoint last.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "services/lib/core/result.h"
#include "services/lib/http/admin_server.h"
#include "services/lib/kafka/record_handler.h"

namespace caselink::runtime {

struct Component {
  std::string name;
  // Before the admin endpoint opens; an error ends start-up (exit 2) after the components
  // already started were stopped in reverse. Absent: nothing to start.
  std::function<Status()> start;
  // On shut-down, in reverse start order: stop intake, drain in-flight work, close.
  std::function<void()> stop;
  // Feeds /readyz: the process is ready when every component is; absent = always ready.
  std::function<http::ReadyState()> readiness;
};

class ServiceBundle {
 public:
  ServiceBundle() = default;
  ServiceBundle(ServiceBundle&&) = default;
  ServiceBundle& operator=(ServiceBundle&&) = default;
  // Handler and components go before the objects they use, and those in reverse order of own().
  ~ServiceBundle() {
    components.clear();
    handler.reset();
    while (!owned_.empty()) {
      owned_.pop_back();
    }
  }

  // The bundle keeps `object` alive as long as the handler and the components; returns it.
  template <typename T>
  T& own(std::shared_ptr<T> object) {
    T& ref = *object;
    owned_.push_back(std::move(object));
    return ref;
  }
  template <typename T, typename... Args>
  T& make(Args&&... args) {
    return own(std::make_shared<T>(std::forward<Args>(args)...));
  }

  // Run by the transactional loop on the definition's input topics; null = no loop.
  std::unique_ptr<kafka::RecordHandler> handler;
  // Started in this order, stopped in reverse.
  std::vector<Component> components;
  // Extra GET routes on the admin endpoint, for a service whose whole interface is GET pages
  // (caselink-console): called once with the admin server before it opens. Null: none.
  std::function<void(http::AdminHttpServer&)> admin_routes;

 private:
  std::vector<std::shared_ptr<void>> owned_;
};

// A bundle that is only a record handler (stateless services).
template <typename Handler>
Result<ServiceBundle> handler_bundle(std::unique_ptr<Handler> handler) {
  ServiceBundle bundle;
  bundle.handler = std::move(handler);
  return bundle;
}
template <typename Handler>
Result<ServiceBundle> handler_bundle(Result<std::unique_ptr<Handler>> handler) {
  if (!handler.ok()) {
    return handler.error();
  }
  return handler_bundle(std::move(*handler));
}

}  // namespace caselink::runtime
