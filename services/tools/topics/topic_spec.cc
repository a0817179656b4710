#include "services/tools/topics/topic_spec.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <set>
#include <sstream>
#include <utility>

#include "services/tools/topics/spec_yaml.h"
#include "services/lib/envelope/topics.h"

namespace caselink::topics {
namespace {

constexpr std::size_t kMaxTopicNameLength = 249;  // Kafka's own limit
constexpr int kSpecVersion = 1;
constexpr std::string_view kAgencyPlaceholder = envelope::topics::kAgencyPlaceholder;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A segment: [a-z0-9]+ with single '-' allowed between alphanumerics.
std::optional<std::string> check_segment(std::string_view segment) {
  if (segment.empty()) {
    return "has an empty segment (two dots in a row, or a leading/trailing dot)";
  }
  for (std::size_t i = 0; i < segment.size(); ++i) {
    const char c = segment[i];
    if (c == '_') {
      return "uses '_': only '.' separates segments and '-' joins words (docs/kafka.md section 5)";
    }
    if (c >= 'A' && c <= 'Z') {
      return "has an uppercase letter: topic names are lowercase";
    }
    if (c == '-') {
      if (i == 0 || i + 1 == segment.size() || segment[i + 1] == '-') {
        return "segment '" + std::string(segment) + "' has a '-' at its start or end, or '--'";
      }
      continue;
    }
    if (!is_lower_alnum(c)) {
      return "has the character '" + std::string(1, c) + "': allowed are a-z, 0-9, '.' and '-'";
    }
  }
  return std::nullopt;
}

// The fields a topic entry and the feedback_agencies section share, as read from YAML
// (before defaults are applied).
struct RawTopic {
  std::optional<std::string> name;
  std::optional<int32_t> partitions;
  std::optional<int16_t> replication_factor;
  std::optional<CleanupPolicy> cleanup_policy;
  std::optional<int64_t> retention_ms;
  std::map<std::string, std::string> configs;
  std::optional<std::string> description;
  int line = 0;
  int retention_line = 0;  // 0: retention_ms not given
};

struct Defaults {
  int32_t partitions = 1;
  int16_t replication_factor = 1;
  std::map<std::string, std::string> configs;
};

class Parser : private SpecProblemCollector {
 public:
  explicit Parser(std::string file) : SpecProblemCollector(std::move(file)) {}

  Result<TopicsSpec, SpecProblems> parse(const YAML::Node& root) {
    if (!root.IsMap()) {
      add(line_of(root), "", "", "the spec must be a mapping with keys version, defaults, topics, feedback_agencies");
      return problems_;
    }
    check_keys(root, {"version", "defaults", "topics", "feedback_agencies"}, "", "");

    const YAML::Node version = root["version"];
    if (!version) {
      add(line_of(root), "", "version", "missing: set 'version: 1'");
    } else {
      (void)read_int<int>(version, "", "version", kSpecVersion, kSpecVersion);  // reports its own problem
    }

    Defaults defaults;
    const YAML::Node defaults_node = root["defaults"];
    if (!defaults_node) {
      add(line_of(root), "", "defaults", "missing: the spec needs defaults with partitions and replication_factor");
    } else {
      defaults = parse_defaults(defaults_node);
    }

    TopicsSpec spec;
    spec.source = file_;
    const YAML::Node topics = root["topics"];
    if (!topics) {
      add(line_of(root), "", "topics", "missing: list the topics under 'topics:'");
    } else if (!topics.IsSequence() || topics.size() == 0) {
      add(line_of(topics), "", "topics", "must be a non-empty list of topics, got " + node_kind(topics));
    } else {
      for (std::size_t i = 0; i < topics.size(); ++i) {
        const std::string label = "topics[" + std::to_string(i) + "]";
        RawTopic raw = parse_topic_fields(topics[i], label, /*feedback=*/false);
        if (raw.name) {
          if (auto t = resolve(raw, defaults, *raw.name)) {
            spec.topics.push_back(std::move(*t));
          }
        }
      }
    }

    if (const YAML::Node feedback = root["feedback_agencies"]) {
      parse_feedback(feedback, defaults, spec);
    }

    check_duplicates(spec);
    return finish(std::move(spec));
  }

 private:
  // Every key is a scalar, known, and appears once.
  bool check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed, const std::string& topic,
                  const std::string& prefix) {
    bool ok = true;
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key = it->first;
      if (!key.IsScalar()) {
        add(line_of(key), topic, prefix, "keys must be plain names");
        ok = false;
        continue;
      }
      const std::string name = key.Scalar();
      const std::string field = prefix.empty() ? name : prefix + "." + name;
      if (!seen.insert(name).second) {
        add(line_of(key), topic, field, "duplicate key");
        ok = false;
      }
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        add(line_of(key), topic, field, "unknown key (allowed: " + allowed_list(allowed) + ")");
        ok = false;
      }
    }
    return ok;
  }

  template <typename Int>
  std::optional<Int> read_int(const YAML::Node& node, const std::string& topic, const std::string& field, int64_t min,
                              int64_t max) {
    if (!node.IsScalar()) {
      add(line_of(node), topic, field, "must be an integer, got " + node_kind(node));
      return std::nullopt;
    }
    const std::string& text = node.Scalar();
    int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
      add(line_of(node), topic, field, "must be an integer, got '" + text + "'");
      return std::nullopt;
    }
    if (value < min || value > max) {
      std::string range = max == min                                         ? "must be " + std::to_string(min)
                          : max == int64_t{std::numeric_limits<Int>::max()} ? "must be >= " + std::to_string(min)
                                     : "must be between " + std::to_string(min) + " and " + std::to_string(max);
      add(line_of(node), topic, field, range + " (got " + text + ")");
      return std::nullopt;
    }
    return static_cast<Int>(value);
  }

  std::optional<std::string> read_line(const YAML::Node& node, const std::string& topic, const std::string& field) {
    if (!node.IsScalar() || node.Scalar().empty()) {
      add(line_of(node), topic, field, "must be a non-empty string, got " + node_kind(node));
      return std::nullopt;
    }
    if (node.Scalar().find('\n') != std::string::npos) {
      add(line_of(node), topic, field, "must be one line");
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::map<std::string, std::string> read_configs(const YAML::Node& node, const std::string& topic,
                                                  const std::string& prefix) {
    std::map<std::string, std::string> out;
    if (node.IsNull()) {
      return out;
    }
    if (!node.IsMap()) {
      add(line_of(node), topic, prefix, "must be a mapping of Kafka topic config names to values, got " + node_kind(node));
      return out;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      if (!key.IsScalar()) {
        add(line_of(key), topic, prefix, "config names must be plain names");
        continue;
      }
      const std::string& name = key.Scalar();
      const std::string field = prefix + "." + name;
      const bool valid_name = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return is_lower_alnum(c) || c == '.';
      });
      if (!valid_name) {
        add(line_of(key), topic, field, "not a Kafka topic config name (lowercase words joined by '.')");
        continue;
      }
      if (name == "cleanup.policy") {
        add(line_of(key), topic, field, "set it with the 'cleanup_policy' field, not in configs");
        continue;
      }
      if (name == "retention.ms") {
        add(line_of(key), topic, field, "set it with the 'retention_ms' field, not in configs");
        continue;
      }
      if (!value.IsScalar() || value.Scalar().empty()) {
        add(line_of(value), topic, field, "must be a single value, got " + node_kind(value));
        continue;
      }
      if (!out.emplace(name, value.Scalar()).second) {
        add(line_of(key), topic, field, "duplicate key");
      }
    }
    return out;
  }

  Defaults parse_defaults(const YAML::Node& node) {
    Defaults d;
    if (!node.IsMap()) {
      add(line_of(node), "", "defaults", "must be a mapping, got " + node_kind(node));
      return d;
    }
    check_keys(node, {"partitions", "replication_factor", "configs"}, "", "defaults");
    if (const YAML::Node n = node["partitions"]) {
      d.partitions = read_int<int32_t>(n, "", "defaults.partitions", 1, INT32_MAX).value_or(1);
    } else {
      add(line_of(node), "", "defaults.partitions", "missing");
    }
    if (const YAML::Node n = node["replication_factor"]) {
      d.replication_factor = read_int<int16_t>(n, "", "defaults.replication_factor", 1, INT16_MAX).value_or(1);
    } else {
      add(line_of(node), "", "defaults.replication_factor", "missing");
    }
    if (const YAML::Node n = node["configs"]) {
      d.configs = read_configs(n, "", "defaults.configs");
    }
    return d;
  }

  // Reads the fields of one topic entry (feedback=false) or of the feedback_agencies section.
  // `label` names the entry until its name is known.
  RawTopic parse_topic_fields(const YAML::Node& node, const std::string& label, bool feedback) {
    RawTopic raw;
    raw.line = line_of(node);
    if (!node.IsMap()) {
      add(raw.line, label, "", "must be a mapping with name, partitions, cleanup_policy, ..., got " + node_kind(node));
      return raw;
    }
    std::string topic = label;
    if (!feedback) {
      if (const YAML::Node n = node["name"]) {
        if (auto name = read_line(n, label, "name")) {
          if (auto why = check_topic_name(*name)) {
            add(line_of(n), *name, "name", "invalid topic name: " + *why);
          } else {
            raw.name = *name;
          }
          topic = *name;
        }
      } else {
        add(raw.line, label, "name", "missing");
      }
      check_keys(node,
                 {"name", "partitions", "replication_factor", "cleanup_policy", "retention_ms", "configs", "description"},
                 topic, "");
    } else {
      check_keys(node,
                 {"name_template", "agencies", "partitions", "replication_factor", "cleanup_policy", "retention_ms",
                  "configs", "description"},
                 topic, "");
    }

    if (const YAML::Node n = node["partitions"]) {
      raw.partitions = read_int<int32_t>(n, topic, "partitions", 1, INT32_MAX);
    }
    if (const YAML::Node n = node["replication_factor"]) {
      raw.replication_factor = read_int<int16_t>(n, topic, "replication_factor", 1, INT16_MAX);
    }
    if (const YAML::Node n = node["cleanup_policy"]) {
      if (n.IsScalar() && n.Scalar() == "delete") {
        raw.cleanup_policy = CleanupPolicy::kDelete;
      } else if (n.IsScalar() && n.Scalar() == "compact") {
        raw.cleanup_policy = CleanupPolicy::kCompact;
      } else {
        add(line_of(n), topic, "cleanup_policy", "must be 'delete' or 'compact', got " + node_kind(n));
      }
    } else {
      add(raw.line, topic, "cleanup_policy", "missing: 'delete' or 'compact'");
    }
    if (const YAML::Node n = node["retention_ms"]) {
      raw.retention_line = line_of(n);
      if (auto v = read_int<int64_t>(n, topic, "retention_ms", -1, INT64_MAX)) {
        if (*v == 0) {
          add(line_of(n), topic, "retention_ms", "must be -1 (keep forever) or a positive number of milliseconds");
        } else {
          raw.retention_ms = v;
        }
      }
    }
    if (const YAML::Node n = node["configs"]) {
      raw.configs = read_configs(n, topic, "configs");
    }
    if (const YAML::Node n = node["description"]) {
      raw.description = read_line(n, topic, "description");
    } else {
      add(raw.line, topic, "description", "missing: one line saying what flows on the topic");
    }
    return raw;
  }

  // Applies defaults and builds the managed config set. Returns nullopt if a problem was found.
  std::optional<TopicSpec> resolve(const RawTopic& raw, const Defaults& defaults, const std::string& name) {
    const std::size_t before = problems_.size();
    TopicSpec t;
    t.name = name;
    t.line = raw.line;
    t.partitions = raw.partitions.value_or(defaults.partitions);
    t.replication_factor = raw.replication_factor.value_or(defaults.replication_factor);
    t.cleanup_policy = raw.cleanup_policy.value_or(CleanupPolicy::kDelete);
    t.retention_ms = raw.retention_ms;
    t.description = raw.description.value_or("");

    const bool retention_given = raw.retention_line > 0;  // given but invalid: already reported
    if (raw.cleanup_policy == CleanupPolicy::kDelete && !retention_given) {
      add(raw.line, name, "retention_ms", "missing: a 'delete' topic needs retention_ms (-1 keeps forever)");
    }
    if (raw.cleanup_policy == CleanupPolicy::kCompact && retention_given) {
      add(raw.retention_line, name, "retention_ms",
          "Kafka ignores retention.ms on a 'compact' topic: remove it (tombstones: configs.delete.retention.ms)");
    }

    t.configs = defaults.configs;
    for (const auto& [key, value] : raw.configs) {
      t.configs[key] = value;
    }
    t.configs["cleanup.policy"] = to_string(t.cleanup_policy);
    if (t.retention_ms) {
      t.configs["retention.ms"] = std::to_string(*t.retention_ms);
    }
    check_min_insync(t, problems_, file_);

    if (problems_.size() != before) {
      return std::nullopt;
    }
    return t;
  }

  void parse_feedback(const YAML::Node& node, const Defaults& defaults, TopicsSpec& spec) {
    const std::string label = "feedback_agencies";
    RawTopic raw = parse_topic_fields(node, label, /*feedback=*/true);
    if (!node.IsMap()) {
      return;
    }
    std::string tmpl;
    if (const YAML::Node n = node["name_template"]) {
      if (auto s = read_line(n, label, "name_template")) {
        const std::size_t at = s->find(kAgencyPlaceholder);
        if (at == std::string::npos || s->find(kAgencyPlaceholder, at + 1) != std::string::npos) {
          add(line_of(n), label, "name_template", "must contain '{agency}' exactly once, got '" + *s + "'");
        } else {
          tmpl = *s;
        }
      }
    } else {
      add(raw.line, label, "name_template", "missing, e.g. caselink.feedback.{agency}.v1");
    }
    const YAML::Node agencies = node["agencies"];
    if (!agencies) {
      add(raw.line, label, "agencies", "missing: list the agency ids");
      return;
    }
    if (!agencies.IsSequence() || agencies.size() == 0) {
      add(line_of(agencies), label, "agencies", "must be a non-empty list of agency ids, got " + node_kind(agencies));
      return;
    }
    for (std::size_t i = 0; i < agencies.size(); ++i) {
      const YAML::Node a = agencies[i];
      const std::string field = "agencies[" + std::to_string(i) + "]";
      if (!a.IsScalar()) {
        add(line_of(a), label, field, "must be an agency id, got " + node_kind(a));
        continue;
      }
      const std::string& id = a.Scalar();
      if (auto why = check_agency_id(id)) {
        add(line_of(a), label, field, "invalid agency id '" + id + "': " + *why);
        continue;
      }
      if (tmpl.empty()) {
        continue;
      }
      const std::string name = envelope::feedback_topic_for(id, tmpl);
      if (auto why = check_topic_name(name)) {
        add(line_of(a), name, "name_template", "generates an invalid topic name: " + *why);
        continue;
      }
      RawTopic one = raw;
      one.line = line_of(a);
      if (one.description) {
        one.description = envelope::with_agency(*one.description, id);
      }
      if (auto t = resolve(one, defaults, name)) {
        spec.topics.push_back(std::move(*t));
      }
    }
  }

  void check_duplicates(const TopicsSpec& spec) {
    std::map<std::string, int> first_line;
    for (const TopicSpec& t : spec.topics) {
      auto [it, inserted] = first_line.emplace(t.name, t.line);
      if (!inserted) {
        add(t.line, t.name, "name", "duplicate topic name (first declared at line " + std::to_string(it->second) + ")");
      }
    }
  }

 public:
  static void check_min_insync(const TopicSpec& t, SpecProblems& problems, const std::string& file) {
    const auto it = t.configs.find("min.insync.replicas");
    if (it == t.configs.end()) {
      return;
    }
    int64_t value = 0;
    const auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
    if (ec != std::errc() || end != it->second.data() + it->second.size() || value < 1) {
      problems.push_back({file, t.line, t.name, "configs.min.insync.replicas", "must be a positive integer"});
    } else if (value > t.replication_factor) {
      problems.push_back({file, t.line, t.name, "configs.min.insync.replicas",
                          "is " + it->second + " but replication_factor is " + std::to_string(t.replication_factor) +
                              ": acks=all writes would always fail"});
    }
  }
};

}  // namespace

const char* to_string(CleanupPolicy policy) {
  return policy == CleanupPolicy::kCompact ? "compact" : "delete";
}

std::vector<std::string> TopicsSpec::names() const {
  std::vector<std::string> out;
  out.reserve(topics.size());
  for (const TopicSpec& t : topics) {
    out.push_back(t.name);
  }
  return out;
}

const TopicSpec* TopicsSpec::find(std::string_view name) const {
  for (const TopicSpec& t : topics) {
    if (t.name == name) {
      return &t;
    }
  }
  return nullptr;
}

std::string SpecProblem::to_string() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
  }
  out += ": ";
  if (!topic.empty()) {
    // Entries already named ("topics[3]", "feedback_agencies", "principal 'x'") print as they are.
    out += (topic.find_first_of("['") == std::string::npos && topic != "feedback_agencies" ? "topic '" + topic + "'"
                                                                                             : topic) +
           ": ";
  }
  if (!field.empty()) {
    out += "field '" + field + "': ";
  }
  return out + message;
}

std::string to_string(const SpecProblems& problems) {
  std::string out;
  for (const SpecProblem& p : problems) {
    out += (out.empty() ? "" : "\n") + p.to_string();
  }
  return out;
}

std::optional<std::string> check_topic_name(std::string_view name) {
  if (name.empty()) {
    return "is empty";
  }
  if (name.size() > kMaxTopicNameLength) {
    return "is " + std::to_string(name.size()) + " characters long; Kafka allows at most 249";
  }
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    segments.push_back(name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  for (std::string_view s : segments) {
    if (auto why = check_segment(s)) {
      return why;
    }
  }
  const std::string_view version = segments.back();
  const bool versioned = segments.size() >= 2 && version.size() >= 2 && version[0] == 'v' &&
                         std::all_of(version.begin() + 1, version.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!versioned) {
    return "must end with a version segment such as '.v1' (e.g. caselink.referral.v1)";
  }
  return std::nullopt;
}

std::optional<std::string> check_agency_id(std::string_view id) {
  if (id.find('.') != std::string_view::npos) {
    return "must not contain '.'";
  }
  return check_segment(id);
}

Result<TopicsSpec, SpecProblems> parse_topics_spec(std::string_view yaml_text, const std::string& source) {
  return parse_yaml_spec<TopicsSpec, Parser>(yaml_text, source);
}

Result<TopicsSpec, SpecProblems> load_topics_spec(const std::string& path) {
  return load_spec_file<TopicsSpec>(path, "deploy/topics.yaml", &parse_topics_spec);
}

Result<TopicsSpec, SpecProblems> with_replication_factor(TopicsSpec spec, int replication_factor) {
  if (replication_factor < 1 || replication_factor > INT16_MAX) {
    return SpecProblems{{spec.source, 0, "", "--replication-factor",
                         "must be between 1 and 32767 (got " + std::to_string(replication_factor) + ")"}};
  }
  SpecProblems problems;
  for (TopicSpec& t : spec.topics) {
    t.replication_factor = static_cast<int16_t>(replication_factor);
    if (replication_factor >= 3) {
      t.configs["min.insync.replicas"] = "2";
    }
    Parser::check_min_insync(t, problems, spec.source + " with --replication-factor " +
                                              std::to_string(replication_factor));
  }
  if (!problems.empty()) {
    return problems;
  }
  return spec;
}

}  // namespace caselink::topics
