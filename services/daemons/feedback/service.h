#pragma once

// caselink-feedback's wiring for the composition root (services/lib/runtime): the handler and
// the changelog reader it restores its per-case state from, owned together by the bundle.

#include "services/lib/runtime/service_main.h"
#include "services/daemons/feedback/handler.h"

namespace caselink::feedback {

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& context, const Settings& settings);

}  // namespace caselink::feedback
