#include "services/daemons/evidence/material_rules.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "services/lib/crypto/sha256.h"

namespace caselink::evidence {

const char* to_string(Requirement r) {
  switch (r) {
    case Requirement::kRequired:
      return "required";
    case Requirement::kConditional:
      return "conditional";
    case Requirement::kOptional:
      return "optional";
  }
  return "required";
}

const char* to_string(Usability u) {
  switch (u) {
    case Usability::kUsable:
      return "usable";
    case Usability::kUsableAfterReview:
      return "usable_after_review";
    case Usability::kRequiresRecollection:
      return "requires_recollection";
    case Usability::kNotListed:
      return "not_listed";
  }
  return "not_listed";
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Collects "<file>: <path>: <message>" lines while walking one file.
class Checker {
 public:
  explicit Checker(std::string file, std::vector<std::string>* errors) : file_(std::move(file)), errors_(errors) {}

  void fail(const std::string& path, const std::string& message) {
    errors_->push_back(file_ + ": " + (path.empty() ? std::string() : path + ": ") + message);
  }

  // Rejects keys of `node` (a map) that are not in `allowed`.
  void only_keys(const YAML::Node& node, const std::string& path, std::initializer_list<const char*> allowed) {
    for (const auto& kv : node) {
      // A complex key (`? [a]: b`) is no scalar: as<std::string>() would throw (found by
      // fuzz_material_rules).
      if (!kv.first.IsScalar()) {
        fail(path, "every key must be a plain name");
        continue;
      }
      const std::string key = kv.first.Scalar();
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
        std::string list;
        for (const char* a : allowed) {
          list += (list.empty() ? "" : ", ") + std::string(a);
        }
        fail(join(path, key), "unknown field (allowed: " + list + ")");
      }
    }
  }

  bool map_at(const YAML::Node& node, const std::string& path) {
    if (!node || !node.IsMap()) {
      fail(path, node ? "must be a map" : "is required");
      return false;
    }
    return true;
  }

  std::optional<std::string> string_at(const YAML::Node& parent, const std::string& path, const char* key,
                                       bool required = true) {
    const YAML::Node node = parent[key];
    if (!node || node.IsNull()) {
      if (required) {
        fail(join(path, key), "is required");
      }
      return std::nullopt;
    }
    if (!node.IsScalar() || node.Scalar().empty()) {
      fail(join(path, key), "must be a non-empty text value");
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::optional<bool> bool_at(const YAML::Node& parent, const std::string& path, const char* key) {
    const YAML::Node node = parent[key];
    if (!node || node.IsNull()) {
      return std::nullopt;
    }
    const std::string v = node.IsScalar() ? lower(node.Scalar()) : "";
    if (v == "true") {
      return true;
    }
    if (v == "false") {
      return false;
    }
    fail(join(path, key), "must be true or false");
    return std::nullopt;
  }

  std::vector<std::string> string_list_at(const YAML::Node& parent, const std::string& path, const char* key,
                                          bool required) {
    std::vector<std::string> out;
    const YAML::Node node = parent[key];
    if (!node || node.IsNull()) {
      if (required) {
        fail(join(path, key), "is required");
      }
      return out;
    }
    if (!node.IsSequence()) {
      fail(join(path, key), "must be a list");
      return out;
    }
    for (size_t i = 0; i < node.size(); ++i) {
      if (!node[i].IsScalar() || node[i].Scalar().empty()) {
        fail(join(path, key) + "[" + std::to_string(i) + "]", "must be a non-empty text value");
        continue;
      }
      out.push_back(node[i].Scalar());
    }
    return out;
  }

  LegalSource source_at(const YAML::Node& node, const std::string& path) {
    LegalSource source;
    if (!map_at(node, path)) {
      return source;
    }
    only_keys(node, path, {"document", "article", "confidence", "note"});
    source.document = string_at(node, path, "document").value_or("");
    source.article = string_at(node, path, "article").value_or("");
    source.note = string_at(node, path, "note", false).value_or("");
    if (auto c = string_at(node, path, "confidence")) {
      if (auto parsed = parse_confidence(lower(*c))) {
        source.confidence = *parsed;
      } else {
        fail(join(path, "confidence"), "must be one of high, medium, low, unconfirmed; got '" + *c + "'");
      }
    }
    return source;
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<std::string>* errors_;
};

std::string list_names(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    out += (out.empty() ? "" : ", ") + n;
  }
  return out;
}

// One entry of a material list. `required_for_offences` (issue 20 #4) makes a conditional or
// optional entry required for the offences it names (offence codes, e.g. pollution_environment);
// an optional one is thereby asked of those offences only (issue 16 §3: materials per offence).
MaterialEntry parse_entry(const YAML::Node& entry, const std::string& path, Checker& check,
                          const Vocabulary& vocabulary, const LegalSource& list_source, std::set<std::string>& seen) {
  check.only_keys(entry, path, {"category", "requirement", "title", "source", "required_for_offences"});
  MaterialEntry e;
  e.category = check.string_at(entry, path, "category").value_or("");
  if (!e.category.empty()) {
    if (vocabulary.material_categories.count(e.category) == 0) {
      check.fail(path + ".category", "unknown material category '" + e.category + "' (the contract defines: " +
                                         list_names(vocabulary.material_categories) + ")");
    } else if (!seen.insert(e.category).second) {
      check.fail(path + ".category", "'" + e.category + "' is listed twice");
    }
  }
  if (auto r = check.string_at(entry, path, "requirement")) {
    const std::string v = lower(*r);
    if (v == "required") {
      e.requirement = Requirement::kRequired;
    } else if (v == "conditional") {
      e.requirement = Requirement::kConditional;
    } else if (v == "optional") {
      e.requirement = Requirement::kOptional;
    } else {
      check.fail(path + ".requirement", "must be one of required, conditional, optional; got '" + *r + "'");
    }
  }
  e.title = check.string_at(entry, path, "title").value_or("");
  e.source = entry["source"] ? check.source_at(entry["source"], path + ".source") : list_source;
  e.required_for_offences = check.string_list_at(entry, path, "required_for_offences", false);
  if (!e.required_for_offences.empty() && e.requirement == Requirement::kRequired) {
    check.fail(path + ".required_for_offences", "a required entry is required for every offence already");
  }
  return e;
}

void parse_materials(const YAML::Node& root, Checker& check, const Vocabulary& vocabulary,
                     std::vector<MaterialList>* lists) {
  check.only_keys(root, "", {"id", "kind", "profile", "default", "domains", "title", "source", "categories"});
  MaterialList list;
  list.file = check.file();
  list.id = check.string_at(root, "", "id").value_or("");
  list.profile = check.string_at(root, "", "profile").value_or("");
  list.is_default = check.bool_at(root, "", "default").value_or(false);
  list.domains = check.string_list_at(root, "", "domains", false);
  for (size_t i = 0; i < list.domains.size(); ++i) {
    list.domains[i] = lower(list.domains[i]);
    if (vocabulary.domains.count(list.domains[i]) == 0) {
      check.fail("domains[" + std::to_string(i) + "]",
                 "unknown domain '" + list.domains[i] + "' (the contract defines: " + list_names(vocabulary.domains) +
                     ")");
    }
  }
  list.source = check.source_at(root["source"], "source");
  if (!list.is_default && list.domains.empty()) {
    check.fail("domains", "a list that is not the default must name the case domains it applies to");
  }
  const YAML::Node categories = root["categories"];
  if (!categories || !categories.IsSequence() || categories.size() == 0) {
    check.fail("categories", "must be a non-empty list");
  } else {
    std::set<std::string> seen;
    for (size_t i = 0; i < categories.size(); ++i) {
      const std::string path = "categories[" + std::to_string(i) + "]";
      const YAML::Node entry = categories[i];
      if (!check.map_at(entry, path)) {
        continue;
      }
      list.entries.push_back(parse_entry(entry, path, check, vocabulary, list.source, seen));
    }
  }
  lists->push_back(std::move(list));
}

Usability parse_usability(Checker& check, const std::string& path, const std::string& text, bool* ok) {
  const std::string v = lower(text);
  *ok = true;
  if (v == "usable") {
    return Usability::kUsable;
  }
  if (v == "usable_after_review") {
    return Usability::kUsableAfterReview;
  }
  if (v == "requires_recollection") {
    return Usability::kRequiresRecollection;
  }
  *ok = false;
  check.fail(path, "must be one of usable, usable_after_review, requires_recollection; got '" + text + "'");
  return Usability::kNotListed;
}

void parse_usability_file(const YAML::Node& root, Checker& check, const Vocabulary& vocabulary,
                          std::map<std::string, UsabilityProfile>* profiles) {
  check.only_keys(root, "", {"id", "kind", "title", "profiles"});
  check.string_at(root, "", "id");
  const YAML::Node list = root["profiles"];
  if (!list || !list.IsSequence() || list.size() == 0) {
    check.fail("profiles", "must be a non-empty list");
    return;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = "profiles[" + std::to_string(i) + "]";
    const YAML::Node node = list[i];
    if (!check.map_at(node, path)) {
      continue;
    }
    check.only_keys(node, path, {"name", "extends", "rules"});
    UsabilityProfile profile;
    profile.name = check.string_at(node, path, "name").value_or("");
    profile.extends = check.string_at(node, path, "extends", false).value_or("");
    const YAML::Node rules = node["rules"];
    if (!rules || !rules.IsSequence() || rules.size() == 0) {
      check.fail(path + ".rules", "must be a non-empty list");
    } else {
      for (size_t j = 0; j < rules.size(); ++j) {
        const std::string rpath = path + ".rules[" + std::to_string(j) + "]";
        const YAML::Node rule = rules[j];
        if (!check.map_at(rule, rpath)) {
          continue;
        }
        check.only_keys(rule, rpath, {"evidence_types", "usability", "source"});
        UsabilityRule r;
        bool usability_ok = false;
        if (auto u = check.string_at(rule, rpath, "usability")) {
          r.usability = parse_usability(check, rpath + ".usability", *u, &usability_ok);
        }
        r.source = check.source_at(rule["source"], rpath + ".source");
        const auto types = check.string_list_at(rule, rpath, "evidence_types", true);
        if (rule["evidence_types"] && rule["evidence_types"].IsSequence() && types.empty()) {
          check.fail(rpath + ".evidence_types", "must name at least one evidence type");
        }
        for (size_t k = 0; k < types.size(); ++k) {
          const std::string tpath = rpath + ".evidence_types[" + std::to_string(k) + "]";
          if (vocabulary.evidence_types.count(types[k]) == 0) {
            check.fail(tpath, "unknown evidence type '" + types[k] + "' (the contract defines: " +
                                  list_names(vocabulary.evidence_types) + ")");
          } else if (profile.by_type.count(types[k]) != 0) {
            check.fail(tpath, "'" + types[k] + "' already has a rule in profile '" + profile.name + "'");
          } else if (usability_ok) {
            profile.by_type[types[k]] = r;
          }
        }
      }
    }
    if (profile.name.empty()) {
      continue;
    }
    if (profiles->count(profile.name) != 0) {
      check.fail(path + ".name", "profile '" + profile.name + "' is defined twice");
      continue;
    }
    (*profiles)[profile.name] = std::move(profile);
  }
}

// What the files of a rule set held, before the checks across files.
struct ParsedFiles {
  std::vector<MaterialList> lists;
  std::map<std::string, UsabilityProfile> profiles;
  std::map<std::string, std::string> usability_file_of;  // profile -> file (for messages)
  bool saw_usability = false;
};

// An evidence_usability file's profiles join the set; a profile defined in two files is an error.
void add_usability_file(const YAML::Node& root, Checker& check, const Vocabulary& vocabulary,
                        const std::string& name, ParsedFiles* parsed) {
  parsed->saw_usability = true;
  std::map<std::string, UsabilityProfile> profiles;
  parse_usability_file(root, check, vocabulary, &profiles);
  for (auto& [profile_name, profile] : profiles) {
    if (parsed->profiles.count(profile_name) != 0) {
      check.fail("profiles",
                 "profile '" + profile_name + "' is also defined in " + parsed->usability_file_of[profile_name]);
      continue;
    }
    parsed->usability_file_of[profile_name] = name;
    parsed->profiles[profile_name] = std::move(profile);
  }
}

void parse_rule_file(const std::string& name, const std::string& text, const Vocabulary& vocabulary,
                     std::vector<std::string>* errors, ParsedFiles* parsed) {
  Checker check(name, errors);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    check.fail("", std::string("not valid YAML: ") + e.what());
    return;
  }
  if (!root || !root.IsMap()) {
    check.fail("", "the top level must be a map");
    return;
  }
  const auto kind = check.string_at(root, "", "kind");
  if (!kind) {
    return;
  }
  if (*kind == "transfer_materials") {
    parse_materials(root, check, vocabulary, &parsed->lists);
  } else if (*kind == "evidence_usability") {
    add_usability_file(root, check, vocabulary, name, parsed);
  } else {
    check.fail("kind", "must be transfer_materials or evidence_usability; got '" + *kind + "'");
  }
}

// Across the transfer_materials lists: unique ids, one list per profile, each domain claimed
// once, profiles that exist, exactly one default.
void check_lists(const ParsedFiles& parsed, std::vector<std::string>* errors) {
  std::vector<std::string> defaults;
  std::map<std::string, std::string> domain_owner;
  std::set<std::string> list_profiles;
  std::map<std::string, std::string> id_owner;
  for (const MaterialList& list : parsed.lists) {
    if (!list.id.empty()) {
      auto [it, inserted] = id_owner.emplace(list.id, list.file);
      if (!inserted) {
        errors->push_back(list.file + ": id: '" + list.id + "' is also used by " + it->second);
      }
    }
    if (list.is_default) {
      defaults.push_back(list.file);
    }
    if (!list.profile.empty() && !list_profiles.insert(list.profile).second) {
      errors->push_back(list.file + ": profile: '" + list.profile + "' has more than one transfer_materials list");
    }
    for (const std::string& domain : list.domains) {
      auto [it, inserted] = domain_owner.emplace(lower(domain), list.file);
      if (!inserted) {
        errors->push_back(list.file + ": domains: '" + domain + "' is already claimed by " + it->second);
      }
    }
    if (parsed.saw_usability && !list.profile.empty() && parsed.profiles.count(list.profile) == 0) {
      errors->push_back(list.file + ": profile: no evidence_usability profile named '" + list.profile + "'");
    }
  }
  if (!parsed.lists.empty() && defaults.size() != 1) {
    std::string names;
    for (const auto& d : defaults) {
      names += (names.empty() ? "" : ", ") + d;
    }
    errors->push_back("(rule set): default: exactly one transfer_materials list must be the default, found " +
                      std::to_string(defaults.size()) + (names.empty() ? "" : " (" + names + ")"));
  }
}

// Every `extends` names a profile, and no chain of them loops.
void check_profile_chains(ParsedFiles& parsed, std::vector<std::string>* errors) {
  for (const auto& [name, profile] : parsed.profiles) {
    std::set<std::string> chain{name};
    std::string next = profile.extends;
    while (!next.empty()) {
      auto it = parsed.profiles.find(next);
      if (it == parsed.profiles.end()) {
        errors->push_back(parsed.usability_file_of[name] + ": profile '" + name + "': extends: no profile named '" +
                          next + "'");
        break;
      }
      if (!chain.insert(next).second) {
        errors->push_back(parsed.usability_file_of[name] + ": profile '" + name + "': extends: cycle through '" +
                          next + "'");
        break;
      }
      next = it->second.extends;
    }
  }
}

// The rule-set version: SHA-256 over the files (base name and bytes) in name order.
std::string rule_set_version(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<std::pair<std::string, std::string>> sorted = files;
  std::sort(sorted.begin(), sorted.end());
  crypto::Sha256Hasher hasher;
  for (const auto& [name, text] : sorted) {
    hasher.update(std::filesystem::path(name).filename().string());
    hasher.update(std::string_view("\0", 1));
    hasher.update(text);
    hasher.update(std::string_view("\0", 1));
  }
  return hasher.finish().hex().substr(0, 16);
}

}  // namespace

Result<MaterialRules> MaterialRules::load_texts(const std::vector<std::pair<std::string, std::string>>& files,
                                                const Vocabulary& vocabulary) {
  std::vector<std::string> errors;
  ParsedFiles parsed;
  for (const auto& [name, text] : files) {
    try {
      parse_rule_file(name, text, vocabulary, &errors, &parsed);
    } catch (const YAML::Exception& e) {
      // A node of an unexpected shape that a check above missed: refused like any bad file, never
      // a crash of the service that (re)loads it.
      errors.push_back(name + ": unexpected YAML structure: " + e.what());
    }
  }

  // Rules across files.
  if (parsed.lists.empty()) {
    errors.push_back("(rule set): no transfer_materials file found");
  }
  if (!parsed.saw_usability) {
    errors.push_back("(rule set): no evidence_usability file found");
  }
  check_lists(parsed, &errors);
  check_profile_chains(parsed, &errors);
  if (!errors.empty()) {
    std::string message = "material rules are not valid:";
    for (const std::string& e : errors) {
      message += "\n  - " + e;
    }
    return Error::invalid(message, "evidence.rules_dir", "evidence.rules_invalid");
  }

  MaterialRules rules;
  rules.lists_ = std::move(parsed.lists);
  rules.profiles_ = std::move(parsed.profiles);
  rules.version_ = rule_set_version(files);
  return rules;
}

Result<MaterialRules> MaterialRules::load_directory(const std::filesystem::path& dir, const Vocabulary& vocabulary) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return Error::invalid("material rules directory '" + dir.string() + "' does not exist", "evidence.rules_dir");
  }
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
      paths.push_back(entry.path());
    }
  }
  if (ec) {
    return Error::invalid("cannot list '" + dir.string() + "': " + ec.message(), "evidence.rules_dir");
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& path : paths) {
    std::ifstream in(path);
    if (!in) {
      return Error::invalid("cannot read '" + path.string() + "'", "evidence.rules_dir");
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    files.emplace_back(path.string(), buffer.str());
  }
  return load_texts(files, vocabulary);
}

const MaterialList& MaterialRules::list_for_domain(const std::string& domain) const {
  const std::string wanted = lower(domain);
  const MaterialList* fallback = nullptr;
  for (const MaterialList& list : lists_) {
    for (const std::string& d : list.domains) {
      if (!wanted.empty() && lower(d) == wanted) {
        return list;
      }
    }
    if (list.is_default) {
      fallback = &list;
    }
  }
  // load_texts guarantees exactly one default list.
  return *fallback;
}

Usability MaterialRules::usability(const std::string& profile, const std::string& evidence_type,
                                   const LegalSource** source) const {
  std::string name = profile;
  for (size_t depth = 0; !name.empty() && depth <= profiles_.size(); ++depth) {
    auto it = profiles_.find(name);
    if (it == profiles_.end()) {
      break;
    }
    auto rule = it->second.by_type.find(evidence_type);
    if (rule != it->second.by_type.end()) {
      if (source != nullptr) {
        *source = &rule->second.source;
      }
      return rule->second.usability;
    }
    name = it->second.extends;
  }
  if (source != nullptr) {
    *source = nullptr;
  }
  return Usability::kNotListed;
}

Requirement MaterialEntry::requirement_for(const std::string& offence_code) const {
  if (requirement != Requirement::kRequired && !offence_code.empty() &&
      std::find(required_for_offences.begin(), required_for_offences.end(), offence_code) !=
          required_for_offences.end()) {
    return Requirement::kRequired;
  }
  return requirement;
}

}  // namespace caselink::evidence
