// caselink-standards: threshold assessments of referrals and penalty records, supervision clues.
#include "services/daemons/standards/service.h"
#include "services/lib/envelope/topics.h"

int main(int argc, char** argv) {
  using namespace caselink;
  namespace topics = envelope::topics;
  return runtime::service_main<standards::Settings>(
      argc, argv,
      {.name = "caselink-standards",
       .description = "assesses referrals and penalty records against versioned criminal thresholds",
       .input_topics = {topics::kReferral, topics::kAdminPenalty},
       .bind = standards::bind,
       .make = standards::make_service});
}
