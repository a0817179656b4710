#pragma once

// The route table of the public API: one place that the server dispatches on and that the
// contract test compares with docs/api/ingress.openapi.yaml (every route+method in both).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace caselink::ingress {

enum class RouteId { kPostEvents, kPutBlob, kGetCase };

struct RouteSpec {
  RouteId id;
  std::string method;         // "POST"
  std::string path_template;  // OpenAPI form: "/v1/blobs/{sha256}"
};

const std::vector<RouteSpec>& route_table();

// "POST /v1/events": the `route` label of the request metrics.
std::string route_label(const RouteSpec& route);

struct RouteMatch {
  const RouteSpec* route = nullptr;     // set when path and method match
  std::string parameter;                // the decoded {…} segment, if the template has one
  bool path_known = false;              // the path matches some route (so a miss is a 405)
  std::vector<std::string> allowed;     // methods allowed on this path (the Allow header)
  bool bad_encoding = false;            // the parameter had a malformed %-escape
};

// `target` is the request target; the query string is ignored.
RouteMatch match_route(std::string_view method, std::string_view target);

// Decodes %XX escapes; nullopt for a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace caselink::ingress
