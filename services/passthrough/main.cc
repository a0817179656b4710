// caselink-passthrough: copies every input record to one output topic, exactly once.
#include "services/passthrough/service.h"

int main(int argc, char** argv) {
  using namespace caselink;
  return runtime::service_main<passthrough::Settings>(
      argc, argv,
      {.name = "caselink-passthrough",
       .description = "no-op transactional passthrough (benchmark baseline, crash-test subject)",
       .input_topics = {"caselink.bench.in.v1"},
       .bind = passthrough::bind,
       .make = passthrough::make_service});
}
