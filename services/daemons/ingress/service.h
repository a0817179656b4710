#pragma once

// caselink-ingress's wiring for the composition root (services/lib/runtime): the blob store
// and the fact catalogue, then the components in dependency order — idempotent producer,
// case-state follower, public API — which the runtime starts in that order and, on SIGTERM or
// SIGINT, stops in reverse: the API stops accepting and answers its requests in flight (each
// POST within kafka.message_timeout_ms), the follower stops, the producer flushes.

#include "services/lib/runtime/service_main.h"
#include "services/daemons/ingress/settings.h"

namespace caselink::ingress {

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& context, const IngressSettings& settings);

}  // namespace caselink::ingress
