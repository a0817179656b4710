// caselink-passthrough: copies every input record to one output topic, exactly once.
#include "services/common/runtime/service_main.h"
#include "services/passthrough/handler.h"

int main(int argc, char** argv) {
  using namespace caselink;
  return runtime::service_main<passthrough::Settings>(
      argc, argv,
      {.name = "caselink-passthrough",
       .description = "no-op transactional passthrough (benchmark baseline, crash-test subject)",
       .defaults =
           [](runtime::CommonSettings& common) {
             common.loop.group_id = "caselink-passthrough";
             common.loop.input_topics = {"caselink.bench.in.v1"};
           },
       .bind = [](config::ConfigBinder& binder, passthrough::Settings* s) { passthrough::bind(binder, s); },
       .make_handler = [](const runtime::ServiceContext&, const passthrough::Settings& s)
           -> Result<std::unique_ptr<kafka::RecordHandler>> {
         return std::unique_ptr<kafka::RecordHandler>(std::make_unique<passthrough::PassthroughHandler>(s));
       }});
}
