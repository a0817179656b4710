#pragma once
// caselink-console's wiring for the composition root (services/common/runtime): the read
// model, the follower that feeds it, the ops poller and the console's own HTTP server (pages
// and JSON API), started in that order and stopped in reverse.

#include "services/common/runtime/service_main.h"
#include "services/console/settings.h"

namespace caselink::console {

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& context, const ConsoleSettings& settings);

}  // namespace caselink::console
