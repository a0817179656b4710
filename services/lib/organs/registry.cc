#include "services/lib/organs/registry.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <fstream>
#include <sstream>

namespace caselink::organs {

namespace {

bool six_digits(std::string_view code) {
  if (code.size() != 6) {
    return false;
  }
  for (char c : code) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// Reads `node[key]` as a non-empty string, or records a problem naming `where.key`.
std::string text(const YAML::Node& node, const char* key, const std::string& where, std::vector<std::string>& problems) {
  const YAML::Node value = node[key];
  if (!value || !value.IsScalar() || value.as<std::string>().empty()) {
    problems.push_back(where + "." + key + ": must be a non-empty string");
    return {};
  }
  return value.as<std::string>();
}

Organ organ(const YAML::Node& node, const std::string& where, std::vector<std::string>& problems) {
  if (!node || !node.IsMap()) {
    problems.push_back(where + ": must be a map with id and name");
    return {};
  }
  return {text(node, "id", where, problems), text(node, "name", where, problems)};
}

RegionOrgans region(const std::string& code, const YAML::Node& node, std::vector<std::string>& problems) {
  const std::string where = "regions." + code;
  RegionOrgans r;
  r.code = code;
  if (!six_digits(code)) {
    problems.push_back(where + ": not a 6-digit division code");
  }
  if (!node.IsMap()) {
    problems.push_back(where + ": must be a map");
    return r;
  }
  r.name = text(node, "name", where, problems);
  r.level = text(node, "level", where, problems);
  if (!r.level.empty() && r.level != "province" && r.level != "city" && r.level != "county") {
    problems.push_back(where + ".level: '" + r.level + "' is not province, city or county");
  }
  r.procuratorate = organ(node["procuratorate"], where + ".procuratorate", problems);
  r.police = organ(node["police"], where + ".police", problems);
  return r;
}

CompetenceRule competence(const YAML::Node& node, std::vector<std::string>& problems) {
  if (!node || !node.IsMap()) {
    problems.push_back("competence: must be a map (rule, description, legal_source, confidence)");
    return {};
  }
  CompetenceRule c{text(node, "rule", "competence", problems), text(node, "description", "competence", problems),
                   text(node, "legal_source", "competence", problems),
                   text(node, "confidence", "competence", problems)};
  if (!c.confidence.empty() && c.confidence != "HIGH" && c.confidence != "MEDIUM" && c.confidence != "LOW") {
    problems.push_back("competence.confidence: '" + c.confidence + "' is not HIGH, MEDIUM or LOW");
  }
  return c;
}

Error joined(const std::string& origin, const std::vector<std::string>& problems) {
  std::string message = "organ registry " + origin + ":";
  for (const auto& p : problems) {
    message += "\n  " + p;
  }
  return Error::invalid(message, origin, "organs.registry_invalid");
}

}  // namespace

Result<Registry> Registry::parse(const std::string& yaml_text, const std::string& origin) {
  std::vector<std::string> problems;
  Registry out;
  try {
    const YAML::Node root = YAML::Load(yaml_text);
    out.rule_ = competence(root["competence"], problems);
    const YAML::Node regions = root["regions"];
    if (!regions || !regions.IsMap() || regions.size() == 0) {
      problems.push_back("regions: must be a non-empty map of division code -> organs");
    } else {
      for (const auto& kv : regions) {
        RegionOrgans r = region(kv.first.as<std::string>(), kv.second, problems);
        out.regions_.emplace(r.code, std::move(r));
      }
    }
  } catch (const YAML::Exception& e) {
    problems.push_back("line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!problems.empty()) {
    return joined(origin, problems);
  }
  return out;
}

Result<Registry> Registry::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error::invalid("organ registry " + path + ": cannot be read", path, "organs.registry_invalid");
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return parse(buf.str(), path);
}

const RegionOrgans* Registry::find(std::string_view code) const {
  auto it = regions_.find(code);
  return it == regions_.end() ? nullptr : &it->second;
}

Result<Competent> Registry::competent_for(std::string_view code) const {
  if (!six_digits(code)) {
    return Error::not_found("region '" + std::string(code) + "' is not a 6-digit division code");
  }
  const std::string asked(code);
  // County 330106 -> city 330100 -> province 330000.
  for (const std::string& candidate : {asked, asked.substr(0, 4) + "00", asked.substr(0, 2) + "0000"}) {
    if (const RegionOrgans* r = find(candidate)) {
      Competent c{r, candidate == asked, {}};
      if (!c.exact) {
        c.note = "region " + asked + " is not in the organ registry; the organs of " + r->code + " (" + r->name +
                 ") answer for it";
      }
      return c;
    }
  }
  return Error::not_found("region " + asked + " is not in the organ registry (nor its city or province)");
}

Result<Competent> Registry::competent_for_organ(std::string_view organ_id) const {
  const size_t dash = organ_id.rfind('-');
  if (dash == std::string_view::npos || !six_digits(organ_id.substr(dash + 1))) {
    return Error::not_found("organ '" + std::string(organ_id) + "' names no region (expected <prefix>-<6-digit code>)");
  }
  return competent_for(organ_id.substr(dash + 1));
}

std::vector<std::string> Registry::uncovered(const std::vector<std::string>& codes) const {
  std::vector<std::string> out;
  for (const auto& code : codes) {
    if (!competent_for(code).ok()) {
      out.push_back(code);
    }
  }
  return out;
}

}  // namespace caselink::organs
