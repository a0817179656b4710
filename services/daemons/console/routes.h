#pragma once
// The console's HTTP routes on an AdminHttpServer (GET only): the pages, their script, style and
// Apache ECharts, and the JSON API (api.h).
//
// Adding a page (the class-case and report pages of issue 18): put its HTML beside the others in
// services/daemons/console/web/ (it is compiled in), add it to `pages` in routes.cc and to PAGES in
// web/console.js, and give it an /api/... route here that reads the read model (or, for a
// report, renders it). docs/services/console.md, "Adding a page".

#include <map>
#include <string>
#include <vector>

#include "services/lib/core/clock.h"
#include "services/lib/core/result.h"
#include "services/lib/http/admin_server.h"
#include "services/lib/signing/key_registry.h"
#include "services/daemons/console/ops_status.h"
#include "services/daemons/console/read_model.h"

namespace caselink::console {

// The files the pages need, by name ("index.html", "console.js", …).
struct Assets {
  std::map<std::string, std::string> files;
  std::string echarts_js;
};

// The compiled-in copies of services/daemons/console/web/ (web_assets.cc, generated at build time).
const std::map<std::string, std::string>& embedded_assets();

// The compiled-in assets, or those of `dir` when it is not empty, plus ECharts from
// `echarts_js`; an error names the missing file and the key that points to it.
Result<Assets> load_assets(const std::string& dir, const std::string& echarts_js);

struct RouteContext {
  const ReadModel& model;
  const OpsPoller* ops;                        // null: the ops page shows no probes and no lag
  const Clock& clock;
  const Assets& assets;
  signing::RegistryFile* key_registry = nullptr;  // null: signatures shown "not checked"
};

// Headers of every page and asset: a Content-Security-Policy allowing only the console's own
// scripts (no inline script, no other origin), nosniff and no referrer.
std::vector<std::pair<std::string, std::string>> security_headers();

// Registers every route; the context must outlive the server.
void add_routes(http::AdminHttpServer& server, const RouteContext& context);

// The handlers themselves (tests call them without a socket).
http::Response cases_response(const RouteContext& context, const http::Request& request);
http::Response case_response(const RouteContext& context, const http::Request& request);

}  // namespace caselink::console
