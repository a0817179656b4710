// The OpenAPI document (docs/api/ingress.openapi.yaml) and the server's route table describe
// the same API: every route+method of the server is in the document and vice versa.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "services/daemons/ingress/routes.h"

namespace caselink::ingress {
namespace {

std::string source_dir() {
  const char* dir = std::getenv("CASELINK_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

TEST(OpenApiContract, RouteTableAndDocumentMatch) {
  YAML::Node doc = YAML::LoadFile(source_dir() + "/docs/api/ingress.openapi.yaml");
  ASSERT_TRUE(doc["openapi"]) << "not an OpenAPI document";
  EXPECT_EQ(doc["openapi"].as<std::string>().substr(0, 2), "3.");
  std::set<std::string> documented;
  for (const auto& path : doc["paths"]) {
    for (const auto& operation : path.second) {
      std::string method = operation.first.as<std::string>();
      static const std::set<std::string> kMethods = {"get", "put", "post", "delete", "patch", "head", "options"};
      if (kMethods.count(method) == 0) {
        continue;  // e.g. a path-level "parameters"
      }
      std::transform(method.begin(), method.end(), method.begin(), ::toupper);
      documented.insert(method + " " + path.first.as<std::string>());
    }
  }
  std::set<std::string> served;
  for (const RouteSpec& route : route_table()) {
    served.insert(route_label(route));
  }
  for (const auto& route : served) {
    EXPECT_TRUE(documented.count(route)) << route << " is served but not in the OpenAPI document";
  }
  for (const auto& route : documented) {
    EXPECT_TRUE(served.count(route)) << route << " is documented but not served";
  }
}

TEST(OpenApiContract, EveryPathParameterIsDeclared) {
  YAML::Node doc = YAML::LoadFile(source_dir() + "/docs/api/ingress.openapi.yaml");
  for (const RouteSpec& route : route_table()) {
    const auto open = route.path_template.find('{');
    if (open == std::string::npos) {
      continue;
    }
    const std::string name = route.path_template.substr(open + 1, route.path_template.find('}') - open - 1);
    std::string method = route.method;
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    YAML::Node operation = doc["paths"][route.path_template][method];
    ASSERT_TRUE(operation) << route_label(route);
    bool declared = false;
    for (const auto& parameter : operation["parameters"]) {
      declared = declared || (parameter["in"].as<std::string>() == "path" && parameter["name"].as<std::string>() == name);
    }
    EXPECT_TRUE(declared) << route_label(route) << " does not declare path parameter " << name;
  }
}

}  // namespace
}  // namespace caselink::ingress
