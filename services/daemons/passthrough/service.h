#pragma once

// caselink-passthrough's wiring for the composition root (services/lib/runtime).

#include "services/lib/runtime/service_main.h"
#include "services/daemons/passthrough/handler.h"

namespace caselink::passthrough {

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& context, const Settings& settings);

}  // namespace caselink::passthrough
