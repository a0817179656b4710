// Fuzz target: the JSON edge of POST /v1/events (services/daemons/ingress/event_mapping.h) — the body
// of a request an agency system sends, before and after authentication. Every body gets either
// parsed events or one ApiError, and that error serializes to the JSON the client receives.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "services/daemons/ingress/event_mapping.h"
#include "services/daemons/ingress/routing.h"

namespace {

const caselink::ingress::TopicRouter& router() {
  static const caselink::ingress::TopicRouter instance;
  return instance;
}

const caselink::Clock& fixed_clock() {
  // 2026-12-01T00:00:00Z: fixed, so a run is reproducible.
  static const caselink::ManualClock instance{caselink::TimePoint(std::chrono::seconds(1796083200))};
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace caselink::ingress;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  MappingOptions options;
  options.router = &router();
  options.clock = &fixed_clock();
  const MappingOutcome outcome = parse_events(body, "sthjj-330100", options);
  if (outcome.error) {
    (void)outcome.error->to_json();
  }
  return 0;
}
