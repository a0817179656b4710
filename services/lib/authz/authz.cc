#include "services/lib/authz/authz.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <iostream>

#include "services/lib/authz/roles_data.h"

namespace caselink::authz {

namespace {

constexpr std::string_view kTypePrefix = "caselink.v1.";
constexpr std::array<PartyKind, 5> kKinds{PartyKind::kAgency, PartyKind::kPolice, PartyKind::kProcuratorate,
                                          PartyKind::kCourt, PartyKind::kService};


std::string_view type_name(std::string_view event_type) {
  if (event_type.substr(0, kTypePrefix.size()) != kTypePrefix) {
    return {};
  }
  return event_type.substr(kTypePrefix.size());
}

void check_keys(const YAML::Node& node, std::initializer_list<const char*> known, const std::string& where,
                std::vector<std::string>& problems) {
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
      problems.push_back(where + key + ": unknown key");
    }
  }
}

std::optional<PartyKind> kind_at(const YAML::Node& node, const std::string& where, std::vector<std::string>& problems) {
  auto kind = node.IsScalar() ? parse_party_kind(node.as<std::string>()) : std::nullopt;
  if (!kind) {
    problems.push_back(where + ": not one of agency, police, procuratorate, court, service");
  }
  return kind;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : ", ") + item;
  }
  return out.empty() ? "(none)" : out;
}

}  // namespace

const char* to_string(PartyKind kind) {
  switch (kind) {
    case PartyKind::kAgency:
      return "agency";
    case PartyKind::kPolice:
      return "police";
    case PartyKind::kProcuratorate:
      return "procuratorate";
    case PartyKind::kCourt:
      return "court";
    case PartyKind::kService:
      return "service";
  }
  return "?";
}

std::optional<PartyKind> parse_party_kind(std::string_view text) {
  for (PartyKind k : kKinds) {
    if (text == to_string(k)) {
      return k;
    }
  }
  return std::nullopt;
}

Result<RoleModel> RoleModel::parse(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return Error::invalid(origin + ": " + e.what());
  }
  std::vector<std::string> problems;
  RoleModel model;
  if (!root.IsMap()) {
    return Error::invalid(origin + ": must be a map");
  }
  check_keys(root, {"version", "kinds", "id_prefixes", "rules", "payloads"}, "", problems);
  for (const auto& entry : root["id_prefixes"]) {
    const std::string prefix = entry.first.as<std::string>();
    if (auto kind = kind_at(entry.second, "id_prefixes." + prefix, problems)) {
      model.prefixes_[prefix] = *kind;
    }
  }
  for (const auto& entry : root["rules"]) {
    const std::string name = entry.first.as<std::string>();
    if (!implemented(name)) {
      problems.push_back("rules." + name + ": no such rule is implemented (services/lib/authz/case_rules.cc)");
    }
    check_keys(entry.second, {"description", "legal_source"}, "rules." + name + ".", problems);
    model.rules_[name] = CaseRule{name, entry.second["description"].as<std::string>(""),
                                  entry.second["legal_source"].as<std::string>("")};
  }
  for (const auto& entry : root["payloads"]) {
    PayloadRule p;
    p.type = entry.first.as<std::string>();
    const std::string where = "payloads." + p.type;
    check_keys(entry.second, {"kinds", "rule"}, where + ".", problems);
    for (const auto& k : entry.second["kinds"]) {
      if (auto kind = kind_at(k, where + ".kinds", problems)) {
        p.kinds.push_back(*kind);
      }
    }
    p.rule = entry.second["rule"].as<std::string>("");
    if (model.rules_.count(p.rule) == 0) {
      problems.push_back(where + ".rule: '" + p.rule + "' is not a rule of `rules`");
    }
    model.payloads_.push_back(std::move(p));
  }
  if (!problems.empty()) {
    return Error::invalid(origin + ": " + join(problems));
  }
  return model;
}

const RoleModel& RoleModel::builtin() {
  static const RoleModel model = [] {
    auto parsed = parse(generated::kRolesYaml, "rules/roles/roles.yaml (compiled in)");
    if (!parsed.ok()) {
      // A broken invariant of the build, not input: crash at once with the reason.
      std::cerr << "caselink: " << parsed.error().message << std::endl;
      std::abort();
    }
    return std::move(parsed).value();
  }();
  return model;
}

const PayloadRule* RoleModel::payload(std::string_view event_type) const {
  const std::string_view name = type_name(event_type);
  for (const PayloadRule& p : payloads_) {
    if (!name.empty() && p.type == name) {
      return &p;
    }
  }
  return nullptr;
}

const CaseRule* RoleModel::rule(std::string_view name) const {
  auto it = rules_.find(name);
  return it == rules_.end() ? nullptr : &it->second;
}

bool RoleModel::may_send(PartyKind kind, std::string_view event_type) const {
  const PayloadRule* p = payload(event_type);
  return p != nullptr && std::find(p->kinds.begin(), p->kinds.end(), kind) != p->kinds.end();
}

std::string RoleModel::allowed_types(PartyKind kind) const {
  std::vector<std::string> types;
  for (const PayloadRule& p : payloads_) {
    if (std::find(p.kinds.begin(), p.kinds.end(), kind) != p.kinds.end()) {
      types.push_back(p.type);
    }
  }
  return join(types);
}

PartyKind RoleModel::kind_of(std::string_view party_id) const {
  size_t best = 0;
  PartyKind kind = PartyKind::kAgency;
  for (const auto& [prefix, k] : prefixes_) {
    if (prefix.size() > best && party_id.substr(0, prefix.size()) == prefix) {
      best = prefix.size();
      kind = k;
    }
  }
  return kind;
}

PartyKind sender_kind(const RoleModel& model, const v1::CaseStateSnapshot& snapshot, std::string_view sender) {
  for (const auto& p : snapshot.parties()) {
    if (p.party_id() != sender) {
      continue;
    }
    switch (p.role()) {
      case v1::PARTY_ROLE_REFERRING_AGENCY:
      case v1::PARTY_ROLE_RECEIVING_AGENCY:
        return PartyKind::kAgency;
      case v1::PARTY_ROLE_POLICE:
        return PartyKind::kPolice;
      case v1::PARTY_ROLE_PROCURATORATE:
        return PartyKind::kProcuratorate;
      case v1::PARTY_ROLE_COURT:
        return PartyKind::kCourt;
      default:
        break;  // an observer (e.g. a police organ the case was forwarded away from): by its id
    }
  }
  return model.kind_of(sender);
}

std::optional<Refusal> check_kind(const RoleModel& model, std::string_view event_type, PartyKind kind,
                                  std::string_view sender) {
  if (model.may_send(kind, event_type)) {
    return std::nullopt;
  }
  return Refusal{"party_kind", "a " + std::string(to_string(kind)) + " (" + std::string(sender) + ") may not send " +
                                   std::string(event_type) + "; a " + to_string(kind) +
                                   " may send: " + model.allowed_types(kind)};
}

}  // namespace caselink::authz
