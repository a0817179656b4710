#include "services/daemons/classcase/models.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace caselink::classcase {

namespace {

using Problems = std::vector<std::string>;

// `node[key]` as a non-empty scalar, or a problem naming `where.key`.
std::string text(const YAML::Node& node, const char* key, const std::string& where, Problems& problems) {
  const YAML::Node value = node[key];
  if (!value || !value.IsScalar() || value.Scalar().empty()) {
    problems.push_back(where + "." + key + ": must be a non-empty string");
    return {};
  }
  return value.Scalar();
}

v1::Confidence confidence(const YAML::Node& node, const char* key, const std::string& where, Problems& problems) {
  static const std::map<std::string, v1::Confidence> kWords = {{"high", v1::CONFIDENCE_HIGH},
                                                               {"medium", v1::CONFIDENCE_MEDIUM},
                                                               {"low", v1::CONFIDENCE_LOW},
                                                               {"unconfirmed", v1::CONFIDENCE_UNCONFIRMED}};
  const std::string word = text(node, key, where, problems);
  auto it = kWords.find(word);
  if (!word.empty() && it == kWords.end()) {
    problems.push_back(where + "." + key + ": '" + word + "' is not high, medium, low or unconfirmed");
  }
  return it == kWords.end() ? v1::CONFIDENCE_UNSPECIFIED : it->second;
}

void counts(const YAML::Node& node, const std::string& where, Model& m, Problems& problems) {
  if (!node || !node.IsMap()) {
    problems.push_back(where + ": must be a map with `event`");
    return;
  }
  const std::string event = text(node, "event", where, problems);
  if (event == "supervision_clue") {
    m.counts = Counts::kSupervisionClue;
    const std::string reason = "SUPERVISION_CLUE_REASON_" + text(node, "clue_reason", where, problems);
    if (!v1::SupervisionClueReason_Parse(reason, &m.clue_reason) ||
        m.clue_reason == v1::SUPERVISION_CLUE_REASON_UNSPECIFIED) {
      problems.push_back(where + ".clue_reason: '" + reason + "' is not a SupervisionClueReason");
    }
  } else if (event == "deadline_overdue") {
    m.counts = Counts::kDeadlineOverdue;
    m.step = text(node, "step", where, problems);
  } else if (event == "penalty_imposed") {
    m.counts = Counts::kPenaltyImposed;
  } else if (!event.empty()) {
    problems.push_back(where + ".event: '" + event + "' is not supervision_clue, deadline_overdue or penalty_imposed");
  }
}

void group_by(const YAML::Node& node, const std::string& where, Model& m, Problems& problems) {
  if (!node || !node.IsSequence() || node.size() == 0) {
    problems.push_back(where + ": must be a non-empty list of organ, offence, region, subject");
    return;
  }
  for (const auto& item : node) {
    const std::string f = item.IsScalar() ? item.Scalar() : std::string();
    bool* flag = f == "organ" ? &m.group_by.organ
                 : f == "offence" ? &m.group_by.offence
                 : f == "region"  ? &m.group_by.region
                 : f == "subject" ? &m.group_by.subject
                                  : nullptr;
    if (flag == nullptr) {
      problems.push_back(where + ": '" + f + "' is not organ, offence, region or subject");
    } else {
      *flag = true;
    }
  }
}

void window_and_threshold(const YAML::Node& node, const std::string& where, Model& m, Problems& problems) {
  const std::string w = text(node, "window", where, problems);
  if (w == "calendar_month") {
    m.window = Window::kMonth;
  } else if (w == "calendar_quarter") {
    m.window = Window::kQuarter;
  } else if (w == "calendar_year") {
    m.window = Window::kYear;
  } else if (!w.empty()) {
    problems.push_back(where + ".window: '" + w + "' is not calendar_month, calendar_quarter or calendar_year");
  }
  const YAML::Node t = node["threshold"];
  int64_t n = 0;
  if (!t || !t.IsScalar() || !YAML::convert<int64_t>::decode(t, n) || n < 2 || n > 100000) {
    problems.push_back(where + ".threshold: must be a whole number from 2 to 100000");
  } else {
    m.threshold = static_cast<uint32_t>(n);
  }
  m.threshold_source = text(node, "threshold_source", where, problems);
  m.threshold_confidence = confidence(node, "threshold_confidence", where, problems);
}

void recommendation(const YAML::Node& node, const std::string& where, Model& m, Problems& problems) {
  if (!node || !node.IsMap()) {
    problems.push_back(where + ": must be a map with `type` (and `recipient` unless type is none)");
    return;
  }
  const std::string type = text(node, "type", where, problems);
  if (type == "none" || type.empty()) {
    return;
  }
  static const std::set<std::string> kAllowed = {"CORRECTION_OF_VIOLATION", "SOCIAL_GOVERNANCE", "OTHER"};
  if (kAllowed.count(type) == 0 || !v1::RecommendationType_Parse("RECOMMENDATION_TYPE_" + type, &m.recommendation)) {
    problems.push_back(where + ".type: '" + type + "' is not CORRECTION_OF_VIOLATION, SOCIAL_GOVERNANCE, OTHER or none");
  }
  if (text(node, "recipient", where, problems) != "group_organ") {
    problems.push_back(where + ".recipient: must be group_organ");
  }
  if (!m.group_by.organ) {
    problems.push_back(where + ": a recommendation to the group's organ needs group_by organ");
  }
}

Model model(const YAML::Node& node, const std::string& where, Problems& problems) {
  Model m;
  if (!node.IsMap()) {
    problems.push_back(where + ": must be a map");
    return m;
  }
  m.id = text(node, "id", where, problems);
  m.version = text(node, "version", where, problems);
  m.title = text(node, "title", where, problems);
  m.basis = text(node, "basis", where, problems);
  m.basis_source = text(node, "basis_source", where, problems);
  m.confidence = confidence(node, "confidence", where, problems);
  counts(node["counts"], where + ".counts", m, problems);
  group_by(node["group_by"], where + ".group_by", m, problems);
  window_and_threshold(node, where, m, problems);
  recommendation(node["recommendation"], where + ".recommendation", m, problems);
  if (m.counts == Counts::kPenaltyImposed && m.group_by.organ) {
    problems.push_back(where + ".group_by: penalty_imposed has no single organ to group by");
  }
  return m;
}

}  // namespace

v1::ClassCaseModelRef Model::ref() const {
  v1::ClassCaseModelRef r;
  r.set_model_id(id);
  r.set_model_version(version);
  r.set_basis(basis);
  r.set_basis_source(basis_source + "; threshold and window: " + threshold_source);
  // Enum order is strongest first (HIGH = 1 ... UNCONFIRMED = 4): the weaker is the larger.
  r.set_confidence(std::max(confidence, threshold_confidence));
  r.set_threshold(threshold);
  return r;
}

Result<ModelSet> ModelSet::parse(const std::string& yaml_text, const std::string& origin) {
  Problems problems;
  ModelSet out;
  try {
    const YAML::Node root = YAML::Load(yaml_text);
    out.version = root.IsMap() ? text(root, "version", "file", problems) : std::string();
    const YAML::Node models = root.IsMap() ? root["models"] : YAML::Node();
    if (!models || !models.IsSequence() || models.size() == 0) {
      problems.push_back("models: must be a non-empty list");
    } else {
      std::set<std::string> ids;
      for (size_t i = 0; i < models.size(); ++i) {
        const std::string where = "models[" + std::to_string(i) + "]";
        Model m = model(models[i], where, problems);
        if (!m.id.empty() && !ids.insert(m.id).second) {
          problems.push_back(where + ".id: '" + m.id + "' appears twice");
        }
        out.models.push_back(std::move(m));
      }
    }
  } catch (const YAML::Exception& e) {
    problems.push_back("line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (problems.empty()) {
    return out;
  }
  std::string message = "class-case models " + origin + ":";
  for (const auto& p : problems) {
    message += "\n  " + p;
  }
  return Error::invalid(message, origin, kModelsInvalid);
}

Result<ModelSet> ModelSet::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error::invalid("class-case models " + path + ": cannot be read", path, kModelsInvalid);
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return parse(buf.str(), path);
}

}  // namespace caselink::classcase
