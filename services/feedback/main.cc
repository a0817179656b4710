// caselink-feedback: routes decisions and results to the originating agency's feedback topic
// and raises alerts for unacknowledged feedback (filing deadlines are caselink-sync's).
#include "services/feedback/service.h"

int main(int argc, char** argv) {
  using namespace caselink;
  return runtime::service_main<feedback::Settings>(
      argc, argv,
      {.name = "caselink-feedback",
       .description = "routes decisions to each agency's feedback topic; alerts on missing acks",
       .input_topics = {"caselink.decision.v1", "caselink.evidence.receipt.v1", "caselink.standards.assessment.v1",
                        "caselink.referral.v1", "caselink.ack.v1"},
       // Per-case state spans several input topics: co-partitioned assignment.
       .defaults = [](runtime::CommonSettings& common) { common.loop.partition_assignment_strategy = "range"; },
       .bind = feedback::bind,
       .make = feedback::make_service});
}
