// caselink-standards: threshold assessments of referrals and penalty records, supervision clues.
#include "services/standards/service.h"

int main(int argc, char** argv) {
  using namespace caselink;
  return runtime::service_main<standards::Settings>(
      argc, argv,
      {.name = "caselink-standards",
       .description = "assesses referrals and penalty records against versioned criminal thresholds",
       .input_topics = {"caselink.referral.v1", "caselink.admin-penalty.v1"},
       .bind = standards::bind,
       .make = standards::make_service});
}
