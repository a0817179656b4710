#pragma once
// caselink-console's wiring for the composition root (services/lib/runtime): the read
// model, the follower that feeds it and the ops poller (started in that order, stopped in
// reverse), and the pages and JSON API as routes of the admin endpoint (http.bind, http.port).

#include "services/lib/runtime/service_main.h"
#include "services/daemons/console/settings.h"

namespace caselink::console {

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& context, const ConsoleSettings& settings);

}  // namespace caselink::console
