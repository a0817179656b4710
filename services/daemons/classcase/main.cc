// caselink-classcase: class-case supervision (类案监督). Groups supervision clues, overdue police
// filing reviews and penalty records by the models of rules/classcase/models.yaml, opens each
// class case exactly once and the 检察建议 its model asks for (docs/services/classcase.md).
#include "services/daemons/classcase/service.h"
#include "services/lib/envelope/topics.h"

int main(int argc, char** argv) {
  using namespace caselink;
  namespace topics = envelope::topics;
  return runtime::service_main<classcase::Settings>(
      argc, argv,
      {.name = "caselink-classcase",
       .description = "class-case supervision: supervision models over clues, alerts and penalty records",
       .input_topics = {topics::kAlert, topics::kAdminPenalty, topics::kClassCaseFacts},
       .defaults = [](runtime::CommonSettings& common) { classcase::loop_defaults(&common.loop); },
       .bind = classcase::bind,
       .make = classcase::make_service});
}
