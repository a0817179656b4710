#pragma once

// caselink-classcase's wiring for the composition root (services/lib/runtime): loads the
// models and the organ registry, builds the extractor, the state reader and the handler.

#include "services/daemons/classcase/handler.h"
#include "services/lib/kafka/settings.h"
#include "services/lib/runtime/service_main.h"

namespace caselink::classcase {

// caselink-classcase's defaults for the shared loop: range assignment, so partition p of the
// facts topic and of the input topics meet in one instance (not needed for correctness: the
// state is per facts partition; it keeps the assignment predictable).
void loop_defaults(kafka::LoopSettings* loop);

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& context, const Settings& settings);

}  // namespace caselink::classcase
