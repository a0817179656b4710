#include "services/lib/config/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace caselink::config {

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

namespace {

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::string current;
  for (char c : key) {
    if (c == '.') {
      parts.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  parts.push_back(current);
  return parts;
}

// Finds the node at a dotted path; returns an undefined node when absent.
YAML::Node find(const YAML::Node& root, const std::string& key) {
  YAML::Node node = YAML::Clone(root);
  for (const std::string& part : split_key(key)) {
    if (!node || !node.IsMap()) {
      return YAML::Node(YAML::NodeType::Undefined);
    }
    YAML::Node child = node[part];
    if (!child) {
      return YAML::Node(YAML::NodeType::Undefined);
    }
    node = child;
  }
  return node;
}

std::string trim(const std::string& s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) {
    ++b;
  }
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) {
    --e;
  }
  return s.substr(b, e - b);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    item = trim(item);
    if (!item.empty()) {
      out.push_back(item);
    }
  }
  return out;
}

std::string parse_int(const std::string& text, int64_t* out) {
  const std::string t = trim(text);
  if (t.empty()) {
    return "expected an integer, got an empty value";
  }
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(t.c_str(), &end, 10);
  if (errno != 0 || end == nullptr || *end != '\0') {
    return "expected an integer, got '" + t + "'";
  }
  *out = v;
  return {};
}

std::string parse_bool(const std::string& text, bool* out) {
  std::string t = trim(text);
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t == "true" || t == "yes" || t == "on" || t == "1") {
    *out = true;
    return {};
  }
  if (t == "false" || t == "no" || t == "off" || t == "0") {
    *out = false;
    return {};
  }
  return "expected true or false, got '" + t + "'";
}

std::string parse_double(const std::string& text, double* out) {
  const std::string t = trim(text);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(t.c_str(), &end);
  if (t.empty() || errno != 0 || end == nullptr || *end != '\0') {
    return "expected a number, got '" + t + "'";
  }
  *out = v;
  return {};
}

std::string scalar_of(const YAML::Node& node, std::string* out) {
  if (!node.IsScalar()) {
    return "expected a single value, got a " + std::string(node.IsMap() ? "map" : "list");
  }
  *out = node.Scalar();
  return {};
}

}  // namespace

ConfigBinder::ConfigBinder(YAML::Node root, std::string origin, std::string env_prefix, EnvLookup env)
    : root_(std::move(root)), origin_(std::move(origin)), env_prefix_(std::move(env_prefix)), env_(std::move(env)) {}

Result<ConfigBinder> ConfigBinder::load(const std::string& path, std::string env_prefix, EnvLookup env) {
  if (path.empty()) {
    return ConfigBinder(YAML::Node(YAML::NodeType::Map), "(defaults)", std::move(env_prefix), std::move(env));
  }
  std::ifstream in(path);
  if (!in) {
    return Error::invalid("cannot read config file '" + path + "'", "--config");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse(buffer.str(), path, std::move(env_prefix), std::move(env));
}

Result<ConfigBinder> ConfigBinder::parse(const std::string& yaml_text, const std::string& origin,
                                         std::string env_prefix, EnvLookup env) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return Error::invalid(origin + ": not valid YAML: " + e.what());
  }
  if (!root || root.IsNull()) {
    root = YAML::Node(YAML::NodeType::Map);
  }
  if (!root.IsMap()) {
    return Error::invalid(origin + ": the top level must be a map of settings");
  }
  return ConfigBinder(root, origin, std::move(env_prefix), std::move(env));
}

std::string ConfigBinder::env_name(const std::string& key) const {
  std::string name = env_prefix_;
  for (char c : key) {
    name.push_back(c == '.' || c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return name;
}

void ConfigBinder::add(Binding binding) { bindings_.push_back(std::move(binding)); }

void ConfigBinder::bind(const std::string& key, std::string* out, std::string help, Need need, Secrecy secrecy) {
  add({key, "string", std::move(help), need, secrecy, false,
       [out](const YAML::Node& n) { return scalar_of(n, out); },
       [out](const std::string& s) {
         *out = s;
         return std::string();
       },
       [out] { return *out; }});
}

void ConfigBinder::bind(const std::string& key, int64_t* out, std::string help, Need need) {
  add({key, "integer", std::move(help), need, Secrecy::kPlain, false,
       [out](const YAML::Node& n) {
         std::string text;
         std::string err = scalar_of(n, &text);
         return err.empty() ? parse_int(text, out) : err;
       },
       [out](const std::string& s) { return parse_int(s, out); }, [out] { return std::to_string(*out); }});
}

void ConfigBinder::bind(const std::string& key, int* out, std::string help, Need need) {
  auto narrow = [out](int64_t v) -> std::string {
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
      return "value " + std::to_string(v) + " is out of range";
    }
    *out = static_cast<int>(v);
    return {};
  };
  add({key, "integer", std::move(help), need, Secrecy::kPlain, false,
       [narrow](const YAML::Node& n) {
         std::string text;
         int64_t v = 0;
         std::string err = scalar_of(n, &text);
         if (err.empty()) {
           err = parse_int(text, &v);
         }
         return err.empty() ? narrow(v) : err;
       },
       [narrow](const std::string& s) {
         int64_t v = 0;
         std::string err = parse_int(s, &v);
         return err.empty() ? narrow(v) : err;
       },
       [out] { return std::to_string(*out); }});
}

void ConfigBinder::bind(const std::string& key, bool* out, std::string help, Need need) {
  add({key, "boolean", std::move(help), need, Secrecy::kPlain, false,
       [out](const YAML::Node& n) {
         std::string text;
         std::string err = scalar_of(n, &text);
         return err.empty() ? parse_bool(text, out) : err;
       },
       [out](const std::string& s) { return parse_bool(s, out); },
       [out] { return std::string(*out ? "true" : "false"); }});
}

void ConfigBinder::bind(const std::string& key, double* out, std::string help, Need need) {
  add({key, "number", std::move(help), need, Secrecy::kPlain, false,
       [out](const YAML::Node& n) {
         std::string text;
         std::string err = scalar_of(n, &text);
         return err.empty() ? parse_double(text, out) : err;
       },
       [out](const std::string& s) { return parse_double(s, out); },
       [out] {
         std::ostringstream o;
         o << *out;
         return o.str();
       }});
}

void ConfigBinder::bind(const std::string& key, std::vector<std::string>* out, std::string help, Need need) {
  add({key, "list", std::move(help), need, Secrecy::kPlain, false,
       [out](const YAML::Node& n) -> std::string {
         if (n.IsScalar()) {
           *out = split_list(n.Scalar());
           return {};
         }
         if (!n.IsSequence()) {
           return "expected a list of strings";
         }
         std::vector<std::string> items;
         for (const auto& item : n) {
           if (!item.IsScalar()) {
             return "expected a list of strings, found a nested value";
           }
           items.push_back(item.Scalar());
         }
         *out = std::move(items);
         return {};
       },
       [out](const std::string& s) {
         *out = split_list(s);
         return std::string();
       },
       [out] {
         std::string joined;
         for (const auto& item : *out) {
           joined += (joined.empty() ? "" : ",") + item;
         }
         return joined;
       }});
}

// An entry of a free-form map (kafka.properties …) whose value is a secret: --print-config
// shows *** for it (sasl.password, ssl.key.password, sasl.oauthbearer.client.secret, …).
bool is_secret_entry(const std::string& key) {
  for (const char* word : {"password", "secret", "private", "sasl.jaas", "oauthbearer.config", "token"}) {
    if (key.find(word) != std::string::npos) {
      return true;
    }
  }
  return false;
}

void ConfigBinder::bind(const std::string& key, std::map<std::string, std::string>* out, std::string help,
                        Need need) {
  add({key, "map", std::move(help), need, Secrecy::kPlain, true,
       [out](const YAML::Node& n) -> std::string {
         if (!n.IsMap()) {
           return "expected a map of key: value";
         }
         for (const auto& kv : n) {
           if (!kv.second.IsScalar()) {
             return "expected a flat map, '" + kv.first.as<std::string>() + "' is nested";
           }
           (*out)[kv.first.as<std::string>()] = kv.second.Scalar();
         }
         return {};
       },
       [out](const std::string& s) -> std::string {
         for (const std::string& pair : split_list(s)) {
           const auto eq = pair.find('=');
           if (eq == std::string::npos || eq == 0) {
             return "expected k=v,k=v, got '" + pair + "'";
           }
           (*out)[trim(pair.substr(0, eq))] = trim(pair.substr(eq + 1));
         }
         return {};
       },
       [out] {
         std::string joined;
         for (const auto& [k, v] : *out) {
           joined += (joined.empty() ? "" : ",") + k + "=" + (is_secret_entry(k) ? std::string("***") : v);
         }
         return joined;
       }});
}

void ConfigBinder::check(std::function<Status()> rule) { checks_.push_back(std::move(rule)); }

void ConfigBinder::collect_unknown(const YAML::Node& node, const std::string& path,
                                   std::vector<std::string>* errors) const {
  if (!path.empty()) {
    for (const Binding& b : bindings_) {
      if (b.key == path) {
        return;  // a bound leaf (or a bound map, whose sub-keys are free-form)
      }
    }
  }
  if (node.IsMap()) {
    for (const auto& kv : node) {
      const std::string child = path.empty() ? kv.first.as<std::string>() : path + "." + kv.first.as<std::string>();
      collect_unknown(kv.second, child, errors);
    }
    return;
  }
  // A leaf (or list) nobody bound: a typo or a setting this service does not have.
  std::string hint;
  for (const Binding& b : bindings_) {
    const auto dot = b.key.rfind('.');
    const std::string leaf = dot == std::string::npos ? b.key : b.key.substr(dot + 1);
    const auto pdot = path.rfind('.');
    const std::string pleaf = pdot == std::string::npos ? path : path.substr(pdot + 1);
    if (leaf == pleaf) {
      hint = " (did you mean '" + b.key + "'?)";
      break;
    }
  }
  errors->push_back(path + ": unknown setting" + hint);
}

Status ConfigBinder::finish() {
  std::vector<std::string> errors;
  std::set<std::string> seen;
  for (const Binding& b : bindings_) {
    if (!seen.insert(b.key).second) {
      errors.push_back(b.key + ": bound twice (programming error)");
    }
  }
  collect_unknown(root_, "", &errors);
  for (const Binding& b : bindings_) {
    bool present = false;
    YAML::Node node = find(root_, b.key);
    if (node && !node.IsNull()) {
      present = true;
      if (std::string err = b.from_yaml(node); !err.empty()) {
        errors.push_back(b.key + ": " + err + " (in " + origin_ + ")");
      }
    }
    const std::string env_var = env_name(b.key);
    if (auto value = env_(env_var)) {
      present = true;
      if (std::string err = b.from_env(*value); !err.empty()) {
        errors.push_back(b.key + ": " + err + " (from environment variable " + env_var + ")");
      }
    }
    if (!present && b.need == Need::kRequired) {
      errors.push_back(b.key + ": required but not set (set it in " + origin_ + " or with " + env_var + ")");
    }
  }
  if (errors.empty()) {
    for (const auto& rule : checks_) {
      Status st = rule();
      if (!st.ok()) {
        const Error& e = st.error();
        errors.push_back((e.field.empty() ? std::string() : e.field + ": ") + e.message);
      }
    }
  }
  if (errors.empty()) {
    return Status::success();
  }
  std::string message = "configuration " + origin_ + " is not valid:";
  for (const std::string& e : errors) {
    message += "\n  - " + e;
  }
  return Error::invalid(message);
}

std::string ConfigBinder::describe() const {
  std::ostringstream out;
  for (const Binding& b : bindings_) {
    out << b.key << " (" << b.type_name << (b.need == Need::kRequired ? ", required" : "") << ", env "
        << env_name(b.key) << ")\n    " << b.help << "\n    value: "
        << (b.secrecy == Secrecy::kSecret ? std::string("***") : b.show()) << "\n";
  }
  return out.str();
}

}  // namespace caselink::config
