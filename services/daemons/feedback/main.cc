// caselink-feedback: routes decisions and results to the originating agency's feedback topic
// and raises alerts for unacknowledged feedback (filing deadlines are caselink-sync's).
#include "services/daemons/feedback/service.h"
#include "services/lib/envelope/topics.h"

int main(int argc, char** argv) {
  using namespace caselink;
  namespace topics = envelope::topics;
  return runtime::service_main<feedback::Settings>(
      argc, argv,
      {.name = "caselink-feedback",
       .description = "routes decisions to each agency's feedback topic; alerts on missing acks",
       .input_topics = {topics::kDecision, topics::kEvidenceReceipt, topics::kStandardsAssessment,
                        topics::kReferral, topics::kAck},
       // Per-case state spans several input topics: co-partitioned assignment.
       .defaults = [](runtime::CommonSettings& common) { common.loop.partition_assignment_strategy = "range"; },
       .bind = feedback::bind,
       .make = feedback::make_service});
}
