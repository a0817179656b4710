// caselink-console: the governance console (issue 18 §3): cases, deadlines, alerts, evidence and
// hash chains, recommendations and ops status, as web pages with Apache ECharts charts.
#include "services/daemons/console/service.h"

int main(int argc, char** argv) {
  using namespace caselink;
  return runtime::service_main<console::ConsoleSettings>(
      argc, argv,
      {.name = "caselink-console",
       .description = "web console: case list and pages, recommendations, ops status (GET only, loopback)",
       .input_topics = {},
       .bind = console::bind,
       .make = console::make_service});
}
