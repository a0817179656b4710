#pragma once

// Small yaml-cpp helpers the spec parsers share (topic_spec.cc, acl_spec.cc).

#include <yaml-cpp/yaml.h>

#include <string>

namespace caselink::admin {

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

}  // namespace caselink::admin
