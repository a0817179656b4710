#pragma once

// caselink-evidence's wiring for the composition root (services/lib/runtime): the handler,
// built from the blob store and the material lists (evidence::make_handler).

#include "services/lib/runtime/service_main.h"
#include "services/daemons/evidence/handler.h"

namespace caselink::evidence {

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& context, const Settings& settings);

}  // namespace caselink::evidence
