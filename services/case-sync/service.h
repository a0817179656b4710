#pragma once

// caselink-sync's wiring for the composition root (services/common/runtime): loads the deadline
// rules and the organ registry, builds the engine, the state reader and the handler, and hands
// them to the runtime as one bundle.

#include "services/case-sync/kafka_edge.h"
#include "services/common/runtime/service_main.h"

namespace caselink::sync {

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& context, const Settings& settings);

}  // namespace caselink::sync
