#pragma once

// caselink-sync's wiring for the composition root (services/lib/runtime): loads the deadline
// rules and the organ registry, builds the engine, the state reader and the handler, and hands
// them to the runtime as one bundle.

#include "services/daemons/sync/kafka_edge.h"
#include "services/lib/runtime/service_main.h"

namespace caselink::sync {

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& context, const Settings& settings);

}  // namespace caselink::sync
