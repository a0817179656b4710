#pragma once

// caselink-evidence's wiring for the composition root (services/common/runtime): the handler,
// built from the blob store and the material lists (evidence::make_handler).

#include "services/common/runtime/service_main.h"
#include "services/evidence/handler.h"

namespace caselink::evidence {

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& context, const Settings& settings);

}  // namespace caselink::evidence
