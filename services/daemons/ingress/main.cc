// caselink-ingress: the HTTP/1.1 JSON API for agency systems that cannot speak Kafka.
#include "services/daemons/ingress/service.h"

int main(int argc, char** argv) {
  using namespace caselink;
  return runtime::service_main<ingress::IngressSettings>(
      argc, argv,
      {.name = "caselink-ingress",
       .description = "HTTP/1.1 JSON API for agency systems that cannot speak Kafka",
       .help = "Public API on api.bind:api.port: POST /v1/events, PUT /v1/blobs/{sha256}, GET /v1/cases/{id}\n"
               "(docs/api/ingress.openapi.yaml). Tokens are configured hashed:\n"
               "auth.token_sha256.<agency>: $(printf %s TOKEN | sha256sum).",
       .defaults = ingress::common_defaults,
       .bind = ingress::bind,
       .make = ingress::make_service});
}
