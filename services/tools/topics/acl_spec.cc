#include "services/tools/topics/acl_spec.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "services/tools/topics/spec_yaml.h"
#include "services/lib/envelope/topics.h"

namespace caselink::topics {
namespace {

constexpr int kSpecVersion = 1;
// Principals the broker config makes super users (deploy/local/kafka.sh): never in the spec.
constexpr std::string_view kReserved[] = {"admin", "caselink-broker"};

bool is_prefix(std::string_view topic) { return !topic.empty() && topic.back() == '*'; }
std::string_view stem(std::string_view topic) { return is_prefix(topic) ? topic.substr(0, topic.size() - 1) : topic; }

// Could a write to `written` (a topic or "prefix*") touch `owned` (idem)?
bool overlaps(std::string_view written, std::string_view owned) {
  const std::string_view w = stem(written);
  const std::string_view o = stem(owned);
  if (!is_prefix(written) && !is_prefix(owned)) {
    return w == o;
  }
  if (is_prefix(written) && is_prefix(owned)) {
    return w.starts_with(o) || o.starts_with(w);
  }
  return is_prefix(written) ? o.starts_with(w) : w.starts_with(o);
}

// The grant fields a principal entry and agency_defaults share, as read from YAML.
struct Grants {
  std::vector<std::pair<std::string, int>> read_topics;  // (name, line)
  std::vector<std::pair<std::string, int>> write_topics;
  std::optional<std::string> group_prefix;
  std::optional<std::string> transactional_id_prefix;
  bool any = false;  // at least one grant field given
};

class AclParser : private SpecProblemCollector {
 public:
  explicit AclParser(std::string file) : SpecProblemCollector(std::move(file)) {}

  Result<AclSpec, SpecProblems> parse(const YAML::Node& root) {
    if (!root.IsMap()) {
      add(line_of(root), "", "", "the spec must be a mapping with keys version, owners, agency_defaults, principals");
      return problems_;
    }
    check_keys(root, {"version", "owners", "agency_defaults", "principals"}, "");
    check_version(root["version"], line_of(root));
    std::optional<Grants> agency_defaults;
    if (const YAML::Node d = root["agency_defaults"]) {
      check_keys(d, {"read_topics", "write_topics", "group_prefix", "transactional_id_prefix"}, "agency_defaults");
      agency_defaults = read_grants(d, "agency_defaults");
    }
    AclSpec spec;
    spec.source = file_;
    read_principals(root["principals"], agency_defaults, line_of(root), &spec);
    read_owners(root["owners"], &spec);
    check_owners(spec);
    return finish(std::move(spec));
  }

 private:
  static std::string entry_of(const std::string& principal) { return "principal '" + principal + "'"; }

  void check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed, const std::string& entry) {
    if (!map.IsMap()) {
      add(line_of(map), entry, "", "must be a mapping, got " + node_kind(map));
      return;
    }
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string name = it->first.IsScalar() ? it->first.Scalar() : "";
      if (!seen.insert(name).second) {
        add(line_of(it->first), entry, name, "duplicate key");
      } else if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        add(line_of(it->first), entry, name, "unknown key (allowed: " + allowed_list(allowed) + ")");
      }
    }
  }

  void check_version(const YAML::Node& version, int root_line) {
    if (!version) {
      add(root_line, "", "version", "missing: set 'version: 1'");
    } else if (!version.IsScalar() || version.Scalar() != std::to_string(kSpecVersion)) {
      add(line_of(version), "", "version", "must be 1, got " + node_kind(version));
    }
  }

  std::optional<std::string> read_scalar(const YAML::Node& node, const std::string& entry, const std::string& field) {
    if (!node.IsScalar() || node.Scalar().empty()) {
      add(line_of(node), entry, field, "must be a non-empty string, got " + node_kind(node));
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::vector<std::pair<std::string, int>> read_topic_list(const YAML::Node& node, const std::string& entry,
                                                           const std::string& field) {
    std::vector<std::pair<std::string, int>> out;
    if (!node.IsSequence()) {
      add(line_of(node), entry, field, "must be a list of topic names, got " + node_kind(node));
      return out;
    }
    for (const YAML::Node& item : node) {
      if (std::optional<std::string> name = read_scalar(item, entry, field)) {
        out.emplace_back(std::move(*name), line_of(item));
      }
    }
    return out;
  }

  Grants read_grants(const YAML::Node& map, const std::string& entry) {
    Grants g;
    if (const YAML::Node n = map["read_topics"]) {
      g.read_topics = read_topic_list(n, entry, "read_topics");
      g.any = true;
    }
    if (const YAML::Node n = map["write_topics"]) {
      g.write_topics = read_topic_list(n, entry, "write_topics");
      g.any = true;
    }
    if (const YAML::Node n = map["group_prefix"]) {
      g.group_prefix = read_scalar(n, entry, "group_prefix");
      g.any = true;
    }
    if (const YAML::Node n = map["transactional_id_prefix"]) {
      g.transactional_id_prefix = read_scalar(n, entry, "transactional_id_prefix");
      g.any = true;
    }
    return g;
  }

  void read_principals(const YAML::Node& list, const std::optional<Grants>& agency_defaults, int root_line,
                       AclSpec* spec) {
    if (!list) {
      add(root_line, "", "principals", "missing: list the principals under 'principals:'");
      return;
    }
    if (!list.IsSequence() || list.size() == 0) {
      add(line_of(list), "", "principals", "must be a non-empty list, got " + node_kind(list));
      return;
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < list.size(); ++i) {
      std::optional<PrincipalSpec> p = read_principal(list[i], i, agency_defaults);
      if (!p) {
        continue;
      }
      if (!names.insert(p->name).second) {
        add(p->line, entry_of(p->name), "name", "declared twice");
        continue;
      }
      spec->principals.push_back(std::move(*p));
    }
  }

  std::optional<PrincipalSpec> read_principal(const YAML::Node& node, std::size_t index,
                                              const std::optional<Grants>& agency_defaults) {
    const std::string fallback = "principals[" + std::to_string(index) + "]";
    check_keys(node, {"name", "kind", "read_topics", "write_topics", "group_prefix", "transactional_id_prefix"},
               fallback);
    if (!node.IsMap()) {
      return std::nullopt;
    }
    PrincipalSpec p;
    p.line = line_of(node);
    const std::optional<std::string> name = node["name"] ? read_scalar(node["name"], fallback, "name") : std::nullopt;
    if (!name) {
      add(p.line, fallback, "name", "missing: every principal needs a name (its SCRAM user name)");
      return std::nullopt;
    }
    p.name = *name;
    const std::string entry = entry_of(p.name);
    if (std::optional<std::string> why = check_agency_id(p.name)) {
      add(p.line, entry, "name", "not a valid principal name: " + *why);
    }
    if (std::find(std::begin(kReserved), std::end(kReserved), p.name) != std::end(kReserved)) {
      add(p.line, entry, "name", "reserved for a super user of the broker config; choose another name");
    }
    if (!read_kind(node["kind"], entry, p.line, &p.kind)) {
      return std::nullopt;
    }
    Grants own = read_grants(node, entry);
    if (p.kind == PrincipalKind::kAgency) {
      if (own.any) {
        add(p.line, entry, "", "an agency gets agency_defaults; change those, not the agency's entry");
      }
      if (!agency_defaults) {
        add(p.line, entry, "kind", "agency principals need an agency_defaults section");
        return std::nullopt;
      }
      own = *agency_defaults;
    }
    apply_grants(own, entry, &p);
    return p;
  }

  bool read_kind(const YAML::Node& node, const std::string& entry, int line, PrincipalKind* kind) {
    if (!node) {
      add(line, entry, "kind", "missing: service, operator, agency or organ");
      return false;
    }
    const std::string value = node.IsScalar() ? node.Scalar() : "";
    if (value == "service") {
      *kind = PrincipalKind::kService;
    } else if (value == "operator") {
      *kind = PrincipalKind::kOperator;
    } else if (value == "agency") {
      *kind = PrincipalKind::kAgency;
    } else if (value == "organ") {
      *kind = PrincipalKind::kOrgan;
    } else {
      add(line_of(node), entry, "kind", "must be service, operator, agency or organ, got " + node_kind(node));
      return false;
    }
    return true;
  }

  // Replaces "{agency}" by the principal's name and validates every name and prefix.
  void apply_grants(const Grants& g, const std::string& entry, PrincipalSpec* p) {
    for (const auto& [raw, line] : g.read_topics) {
      if (auto topic = checked_topic(raw, line, entry, "read_topics", p->name)) {
        p->read_topics.push_back(std::move(*topic));
      }
    }
    for (const auto& [raw, line] : g.write_topics) {
      if (auto topic = checked_topic(raw, line, entry, "write_topics", p->name)) {
        p->write_topics.push_back(std::move(*topic));
      }
    }
    p->group_prefix = checked_prefix(g.group_prefix, p->line, entry, "group_prefix", p->name);
    p->transactional_id_prefix =
        checked_prefix(g.transactional_id_prefix, p->line, entry, "transactional_id_prefix", p->name);
  }

  std::optional<std::string> checked_topic(const std::string& raw, int line, const std::string& entry,
                                           const std::string& field, const std::string& principal) {
    const std::string topic = envelope::with_agency(raw, principal);
    if (is_prefix(topic)) {
      const std::string_view s = stem(topic);
      const bool ok = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
      });
      if (!ok) {
        add(line, entry, field, "'" + topic + "': a prefix is lowercase letters, digits, '.' and '-', then '*'");
        return std::nullopt;
      }
      return topic;
    }
    if (std::optional<std::string> why = check_topic_name(topic)) {
      add(line, entry, field, "'" + topic + "': " + *why);
      return std::nullopt;
    }
    return topic;
  }

  std::string checked_prefix(const std::optional<std::string>& raw, int line, const std::string& entry,
                             const std::string& field, const std::string& principal) {
    if (!raw) {
      return "";
    }
    std::string prefix = envelope::with_agency(*raw, principal);
    const bool ok = std::all_of(prefix.begin(), prefix.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
             c == '_';
    });
    if (!ok) {
      add(line, entry, field, "'" + prefix + "': letters, digits, '.', '-' and '_' only (no '*': it is a prefix)");
      return "";
    }
    return prefix;
  }

  void read_owners(const YAML::Node& node, AclSpec* spec) {
    if (!node) {
      return;
    }
    if (!node.IsMap()) {
      add(line_of(node), "owners", "", "must map a topic to the one principal that writes it, got " + node_kind(node));
      return;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::optional<std::string> topic = read_scalar(it->first, "owners", "");
      const std::optional<std::string> owner = read_scalar(it->second, "owners", topic.value_or(""));
      if (topic && owner) {
        spec->owners[*topic] = *owner;
        owner_lines_[*topic] = line_of(it->first);
      }
    }
  }

  // Every owner exists and writes its topic; nobody else writes it.
  void check_owners(const AclSpec& spec) {
    for (const auto& [topic, owner] : spec.owners) {
      const int line = owner_lines_[topic];
      const auto it = std::find_if(spec.principals.begin(), spec.principals.end(),
                                   [&](const PrincipalSpec& p) { return p.name == owner; });
      if (it == spec.principals.end()) {
        add(line, "owners", topic, "owner '" + owner + "' is not a principal of this spec");
        continue;
      }
      for (const PrincipalSpec& p : spec.principals) {
        for (const std::string& w : p.write_topics) {
          if (p.name != owner && overlaps(w, topic)) {
            add(p.line, entry_of(p.name), "write_topics",
                "'" + w + "' would let it write '" + topic + "', which only '" + owner + "' may write (owners)");
          }
        }
      }
    }
  }

  std::map<std::string, int> owner_lines_;
};

AclBinding binding(AclResourceType type, const std::string& name, AclPatternType pattern, const std::string& user,
                   AclOperation op) {
  AclBinding b;
  b.resource = type;
  b.name = name;
  b.pattern = pattern;
  b.principal = "User:" + user;
  b.operation = op;
  return b;
}

void topic_bindings(const PrincipalSpec& p, const std::vector<std::string>& topics, AclOperation op,
                    std::set<AclBinding>* out) {
  for (const std::string& t : topics) {
    out->insert(binding(AclResourceType::kTopic, std::string(stem(t)),
                        is_prefix(t) ? AclPatternType::kPrefixed : AclPatternType::kLiteral, p.name, op));
  }
}

}  // namespace

const char* to_string(AclResourceType type) {
  switch (type) {
    case AclResourceType::kTopic:
      return "topic";
    case AclResourceType::kGroup:
      return "group";
    case AclResourceType::kTransactionalId:
      return "transactional-id";
    case AclResourceType::kCluster:
      return "cluster";
  }
  return "?";
}

const char* to_string(AclPatternType type) { return type == AclPatternType::kPrefixed ? "prefixed" : "literal"; }

const char* to_string(AclOperation operation) {
  switch (operation) {
    case AclOperation::kRead:
      return "READ";
    case AclOperation::kWrite:
      return "WRITE";
    case AclOperation::kAll:
      return "ALL";
    case AclOperation::kCreate:
      return "CREATE";
    case AclOperation::kDelete:
      return "DELETE";
    case AclOperation::kAlter:
      return "ALTER";
    case AclOperation::kDescribe:
      return "DESCRIBE";
    case AclOperation::kClusterAction:
      return "CLUSTER_ACTION";
    case AclOperation::kDescribeConfigs:
      return "DESCRIBE_CONFIGS";
    case AclOperation::kAlterConfigs:
      return "ALTER_CONFIGS";
    case AclOperation::kIdempotentWrite:
      return "IDEMPOTENT_WRITE";
  }
  return "?";
}

std::string format_binding(const AclBinding& b) {
  std::string out = std::string(b.allow ? "ALLOW " : "DENY ") + b.principal + " " + to_string(b.operation) + " " +
                    to_string(b.resource) + " " + b.name;
  if (b.pattern == AclPatternType::kPrefixed) {
    out += "* (prefixed)";
  }
  if (b.host != "*") {
    out += " from " + b.host;
  }
  return out;
}

std::vector<std::string> AclSpec::principal_names() const {
  std::vector<std::string> out;
  for (const PrincipalSpec& p : principals) {
    out.push_back("User:" + p.name);
  }
  return out;
}

std::vector<AclBinding> AclSpec::bindings() const {
  std::set<AclBinding> out;
  for (const PrincipalSpec& p : principals) {
    topic_bindings(p, p.read_topics, AclOperation::kRead, &out);
    topic_bindings(p, p.write_topics, AclOperation::kWrite, &out);
    if (!p.group_prefix.empty()) {
      out.insert(binding(AclResourceType::kGroup, p.group_prefix, AclPatternType::kPrefixed, p.name,
                         AclOperation::kRead));
    }
    if (!p.transactional_id_prefix.empty()) {
      out.insert(binding(AclResourceType::kTransactionalId, p.transactional_id_prefix, AclPatternType::kPrefixed,
                         p.name, AclOperation::kWrite));
    }
  }
  return {out.begin(), out.end()};
}

Result<AclSpec, SpecProblems> parse_acl_spec(std::string_view yaml_text, const std::string& source) {
  return parse_yaml_spec<AclSpec, AclParser>(yaml_text, source);
}

Result<AclSpec, SpecProblems> load_acl_spec(const std::string& path) {
  return load_spec_file<AclSpec>(path, "deploy/acls.yaml", &parse_acl_spec);
}

}  // namespace caselink::topics
