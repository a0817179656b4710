// caselink-sync: folds every case event into one synchronized case state (snapshots, deadlines,
// mutual recognition, alerts), exactly once.
#include "services/daemons/sync/service.h"
#include "services/lib/envelope/topics.h"

int main(int argc, char** argv) {
  using namespace caselink;
  namespace topics = envelope::topics;
  return runtime::service_main<sync::Settings>(
      argc, argv,
      {.name = "caselink-sync",
       .description = "case-state synchronization, statutory deadlines, mutual recognition",
       .input_topics = {topics::kReferral, topics::kDecision, topics::kEvidenceReceipt,
                        topics::kRecommendation, topics::kAck, topics::kAdminPenalty},
       .defaults = [](runtime::CommonSettings& common) { sync::loop_defaults(&common.loop); },
       .bind = sync::bind,
       .make = sync::make_service});
}
