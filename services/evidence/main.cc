// caselink-evidence: verifies evidence manifests and answers each with a receipt.
#include "services/evidence/service.h"

int main(int argc, char** argv) {
  using namespace caselink;
  return runtime::service_main<evidence::Settings>(
      argc, argv,
      {.name = "caselink-evidence",
       .description = "verifies evidence manifests against the blob store and the material lists; emits receipts",
       .input_topics = {"caselink.evidence.manifest.v1"},
       .bind = evidence::bind,
       .make = evidence::make_service});
}
