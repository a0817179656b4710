#include "services/daemons/console/routes.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "services/daemons/console/api.h"
#include "services/tools/ctl/case_view.h"

namespace caselink::console {

namespace {

constexpr const char* kJson = "application/json; charset=utf-8";
constexpr const char* kApiCasePrefix = "/api/cases/";

// Page path -> file.
const std::vector<std::pair<std::string, std::string>>& pages() {
  static const std::vector<std::pair<std::string, std::string>> all = {
      {"/", "index.html"}, {"/case", "case.html"}, {"/recommendations", "recommendations.html"},
      {"/classcases", "classcases.html"}, {"/ops", "ops.html"}};
  return all;
}

const char* content_type_of(const std::string& name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

http::Response with_headers(http::Response response) {
  response.headers = security_headers();
  return response;
}

http::Response json_response(unsigned status, std::string body) { return with_headers({status, kJson, std::move(body)}); }

Result<std::string> read_file(const std::filesystem::path& path, const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::invalid(key + ": cannot read " + path.string(), key);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void add_static(http::AdminHttpServer& server, const std::string& path, const std::string& name, const std::string& body) {
  server.add_route(path, [body, type = std::string(content_type_of(name))](const http::Request&) {
    return with_headers({200, type, body});
  });
}

}  // namespace

std::vector<std::pair<std::string, std::string>> security_headers() {
  return {{"Content-Security-Policy",
           "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
          {"X-Content-Type-Options", "nosniff"},
          {"Referrer-Policy", "no-referrer"}};
}

Result<Assets> load_assets(const std::string& dir, const std::string& echarts_js) {
  Assets assets;
  assets.files = embedded_assets();
  if (!dir.empty()) {
    for (auto& [name, body] : assets.files) {
      auto read = read_file(std::filesystem::path(dir) / name, "web.assets_dir");
      if (!read.ok()) return read.error();
      body = std::move(*read);
    }
  }
  auto echarts = read_file(echarts_js, "web.echarts_js");
  if (!echarts.ok()) {
    return Error::invalid(echarts.error().message + " (install it with scripts/setup.sh)", "web.echarts_js");
  }
  assets.echarts_js = std::move(*echarts);
  return assets;
}

http::Response cases_response(const RouteContext& context, const http::Request& request) {
  auto filter = parse_filter(request.query);
  if (!filter.ok()) return json_response(400, error_json(filter.error().message, filter.error().field));
  const TimePoint now = context.clock.now();
  return json_response(200, cases_json(context.model.cases(*filter, now), *filter, now));
}

http::Response case_response(const RouteContext& context, const http::Request& request) {
  auto id = parse_query("id=" + request.path.substr(std::string_view(kApiCasePrefix).size()));
  const std::string case_id = id.ok() ? (*id)["id"] : "";
  if (case_id.empty()) return json_response(400, error_json("bad case id in the path", "id"));
  auto history = context.model.history(case_id);
  if (!history) return json_response(404, error_json("no case " + case_id + " on the topics", "id"));
  std::shared_ptr<const signing::KeyRegistry> keys;
  if (context.key_registry != nullptr) keys = context.key_registry->current();
  const ctl::CaseView view = ctl::build_view(case_id, *history, keys.get());
  return json_response(200, case_json(view, context.clock.now()));
}

void add_routes(http::AdminHttpServer& server, const RouteContext& context) {
  for (const auto& [path, file] : pages()) add_static(server, path, file, context.assets.files.at(file));
  add_static(server, "/assets/console.js", "console.js", context.assets.files.at("console.js"));
  add_static(server, "/assets/console.css", "console.css", context.assets.files.at("console.css"));
  add_static(server, "/assets/echarts.min.js", "echarts.min.js", context.assets.echarts_js);
  server.add_route("/api/cases", [&context](const http::Request& r) { return cases_response(context, r); });
  server.add_prefix_route(kApiCasePrefix, [&context](const http::Request& r) { return case_response(context, r); });
  server.add_route("/api/classcases", [&context](const http::Request&) {
    return json_response(200, class_cases_json(context.model.class_cases()));
  });
  server.add_route("/api/recommendations", [&context](const http::Request&) {
    return json_response(200, recommendations_json(context.model.recommendations(), context.clock.now()));
  });
  server.add_route("/api/ops", [&context](const http::Request&) {
    const OpsSnapshot ops = context.ops != nullptr ? context.ops->latest() : OpsSnapshot{};
    return json_response(200, ops_json(ops, context.model.dlq(), context.clock.now()));
  });
}

}  // namespace caselink::console
