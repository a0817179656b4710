// caselink-passthrough: copies every input record to one output topic, exactly once.
#include "services/daemons/passthrough/service.h"
#include "services/lib/envelope/topics.h"

int main(int argc, char** argv) {
  using namespace caselink;
  namespace topics = envelope::topics;
  return runtime::service_main<passthrough::Settings>(
      argc, argv,
      {.name = "caselink-passthrough",
       .description = "no-op transactional passthrough (benchmark baseline, crash-test subject)",
       .input_topics = {topics::kBenchIn},
       .bind = passthrough::bind,
       .make = passthrough::make_service});
}
