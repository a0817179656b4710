#include "services/daemons/passthrough/service.h"

namespace caselink::passthrough {

Result<runtime::ServiceBundle> make_service(const runtime::ServiceContext& /*context*/, const Settings& settings) {
  return runtime::handler_bundle(std::make_unique<PassthroughHandler>(settings));
}

}  // namespace caselink::passthrough
