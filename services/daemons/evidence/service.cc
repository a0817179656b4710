#include "services/daemons/evidence/service.h"

namespace caselink::evidence {

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& context, const Settings& settings) {
  return runtime::handler_bundle(make_handler(settings, context.clock, context.registry));
}

}  // namespace caselink::evidence
