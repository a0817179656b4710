// caselink-evidence: verifies evidence manifests and answers each with a receipt.
#include "services/daemons/evidence/service.h"
#include "services/lib/envelope/topics.h"

int main(int argc, char** argv) {
  using namespace caselink;
  namespace topics = envelope::topics;
  return runtime::service_main<evidence::Settings>(
      argc, argv,
      {.name = "caselink-evidence",
       .description = "verifies evidence manifests against the blob store and the material lists; emits receipts",
       .input_topics = {topics::kEvidenceManifest},
       .bind = evidence::bind,
       .make = evidence::make_service});
}
