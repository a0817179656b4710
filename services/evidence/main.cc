// caselink-evidence: verifies evidence manifests and answers each with a receipt.
#include "services/common/runtime/service_main.h"
#include "services/evidence/handler.h"

int main(int argc, char** argv) {
  using namespace caselink;
  return runtime::service_main<evidence::Settings>(
      argc, argv,
      {.name = "caselink-evidence",
       .description = "verifies evidence manifests against the blob store and the material lists; emits receipts",
       .defaults =
           [](runtime::CommonSettings& common) {
             common.loop.group_id = "caselink-evidence";
             common.loop.input_topics = {"caselink.evidence.manifest.v1"};
           },
       .bind = [](config::ConfigBinder& binder, evidence::Settings* s) { evidence::bind(binder, s); },
       .make_handler = [](const runtime::ServiceContext& context, const evidence::Settings& s)
           -> Result<std::unique_ptr<kafka::RecordHandler>> {
         auto handler = evidence::make_handler(s, context.clock, context.registry);
         if (!handler.ok()) {
           return handler.error();
         }
         return std::unique_ptr<kafka::RecordHandler>(std::move(*handler));
       }});
}
