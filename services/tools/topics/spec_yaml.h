#pragma once

// Small yaml-cpp helpers and the problem bookkeeping the spec parsers share (topic_spec.cc,
// acl_spec.cc).

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "services/lib/core/result.h"
#include "services/tools/topics/topic_spec.h"  // SpecProblem(s)

namespace caselink::topics {

// 1-based line of a node, 0 when yaml-cpp does not know it.
inline int line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

// What a node is, for "got ..." in messages.
inline std::string node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

// "a, b, c": the allowed keys, for "unknown key (allowed: ...)".
inline std::string allowed_list(std::initializer_list<std::string_view> allowed) {
  std::string list;
  for (std::string_view a : allowed) {
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  return list;
}

// The file a parser reads and the problems it found, reported all at once in line order.
// The spec parsers derive from it.
class SpecProblemCollector {
 public:
  explicit SpecProblemCollector(std::string file) : file_(std::move(file)) {}

  void add(int line, std::string entry, std::string field, std::string message) {
    problems_.push_back(SpecProblem{file_, line, std::move(entry), std::move(field), std::move(message)});
  }

  // The spec when nothing was wrong, else every problem, sorted by line.
  template <typename Spec>
  Result<Spec, SpecProblems> finish(Spec spec) {
    if (!problems_.empty()) {
      std::stable_sort(problems_.begin(), problems_.end(),
                       [](const SpecProblem& a, const SpecProblem& b) { return a.line < b.line; });
      return problems_;
    }
    return spec;
  }

  // Protected: a parser reads and adds to them directly.
 protected:
  std::string file_;
  SpecProblems problems_;
};

// Parses `yaml_text` into a spec with `Parser(source).parse(root)`; a YAML syntax error, or a
// node of an unexpected type deep inside, becomes the one problem.
template <typename Spec, typename Parser>
Result<Spec, SpecProblems> parse_yaml_spec(std::string_view yaml_text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return SpecProblems{{source, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", "", "not valid YAML: " + e.msg}};
  }
  try {
    return Parser(source).parse(root);
  } catch (const YAML::Exception& e) {
    return SpecProblems{{source, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", "", "unexpected structure: " + e.msg}};
  }
}

// Reads the spec file at `path` and parses it with `parse_text`; `shipped` names the spec the
// repository ships, for the message when the file cannot be read.
template <typename Spec>
Result<Spec, SpecProblems> load_spec_file(const std::string& path, std::string_view shipped,
                                          Result<Spec, SpecProblems> (*parse_text)(std::string_view,
                                                                                   const std::string&)) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return SpecProblems{
        {path, 0, "", "", "cannot read the file (pass --spec " + std::string(shipped) + " from the repo root)"}};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_text(text.str(), path);
}

}  // namespace caselink::topics
