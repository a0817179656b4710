#pragma once

// caselink-standards' wiring for the composition root (services/lib/runtime): loads and
// checks the rule set and the organ registry, and builds the handler, which reloads the rule
// set on SIGHUP (the runtime's reload signal).

#include "services/lib/runtime/service_main.h"
#include "services/daemons/standards/handler.h"

namespace caselink::standards {

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& context, const Settings& settings);

}  // namespace caselink::standards
