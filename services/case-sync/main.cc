// caselink-sync: folds every case event into one synchronized case state (snapshots, deadlines,
// mutual recognition, alerts), exactly once.
#include "services/case-sync/service.h"

int main(int argc, char** argv) {
  using namespace caselink;
  return runtime::service_main<sync::Settings>(
      argc, argv,
      {.name = "caselink-sync",
       .description = "case-state synchronization, statutory deadlines, mutual recognition",
       .input_topics = {"caselink.referral.v1", "caselink.decision.v1", "caselink.evidence.receipt.v1",
                        "caselink.recommendation.v1", "caselink.ack.v1", "caselink.admin-penalty.v1"},
       .defaults = [](runtime::CommonSettings& common) { sync::loop_defaults(&common.loop); },
       .bind = sync::bind,
       .make = sync::make_service});
}
