#include "services/daemons/ingress/routes.h"

namespace caselink::ingress {

const std::vector<RouteSpec>& route_table() {
  static const std::vector<RouteSpec> routes = {
      {RouteId::kPostEvents, "POST", "/v1/events"},
      {RouteId::kPutBlob, "PUT", "/v1/blobs/{sha256}"},
      {RouteId::kGetCase, "GET", "/v1/cases/{id}"},
  };
  return routes;
}

std::string route_label(const RouteSpec& route) { return route.method + " " + route.path_template; }

std::optional<std::string> percent_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) {
      return std::nullopt;
    }
    const int high = hex(text[i + 1]);
    const int low = hex(text[i + 2]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

namespace {

// Matches `path` against a template with at most one "{name}" segment at the end.
bool matches(std::string_view path_template, std::string_view path, std::string_view* parameter) {
  const size_t brace = path_template.find('{');
  if (brace == std::string_view::npos) {
    return path == path_template;
  }
  const std::string_view prefix = path_template.substr(0, brace);
  if (path.size() <= prefix.size() || path.substr(0, prefix.size()) != prefix) {
    return false;
  }
  const std::string_view rest = path.substr(prefix.size());
  if (rest.find('/') != std::string_view::npos) {
    return false;
  }
  *parameter = rest;
  return true;
}

}  // namespace

RouteMatch match_route(std::string_view method, std::string_view target) {
  RouteMatch result;
  const std::string_view path = target.substr(0, target.find('?'));
  for (const RouteSpec& route : route_table()) {
    std::string_view parameter;
    if (!matches(route.path_template, path, &parameter)) {
      continue;
    }
    result.path_known = true;
    result.allowed.push_back(route.method);
    if (route.method == method && result.route == nullptr) {
      result.route = &route;
      auto decoded = percent_decode(parameter);
      if (!decoded) {
        result.bad_encoding = true;
      } else {
        result.parameter = std::move(*decoded);
      }
    }
  }
  return result;
}

}  // namespace caselink::ingress
