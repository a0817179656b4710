#pragma once

// The class-case supervision models as data (rules/classcase/models.yaml): what a model counts,
// how it groups, its window and threshold, its basis with source and confidence, and the
// recommendation it opens. The loader refuses a bad file naming every problem (model and field).

#include <cstdint>
#include <string>
#include <vector>

#include "caselink/v1/alert.pb.h"
#include "caselink/v1/classcase.pb.h"
#include "services/lib/core/result.h"

namespace caselink::classcase {

// What makes a case a member (models.yaml `counts.event`).
enum class Counts { kSupervisionClue, kDeadlineOverdue, kPenaltyImposed };
enum class Window { kMonth, kQuarter, kYear };

struct GroupBy {
  bool organ = false;
  bool offence = false;
  bool region = false;
  bool subject = false;
};

struct Model {
  std::string id;
  std::string version;
  std::string title;
  std::string basis;
  std::string basis_source;
  v1::Confidence confidence = v1::CONFIDENCE_UNSPECIFIED;
  Counts counts = Counts::kSupervisionClue;
  v1::SupervisionClueReason clue_reason = v1::SUPERVISION_CLUE_REASON_UNSPECIFIED;  // kSupervisionClue
  std::string step;                                                                 // kDeadlineOverdue
  GroupBy group_by;
  Window window = Window::kQuarter;
  uint32_t threshold = 0;
  std::string threshold_source;
  v1::Confidence threshold_confidence = v1::CONFIDENCE_UNSPECIFIED;
  v1::RecommendationType recommendation = v1::RECOMMENDATION_TYPE_UNSPECIFIED;  // UNSPECIFIED: none

  // The model as the contract names it (ClassCaseModelRef): the basis, with the threshold's
  // source appended, and the weaker of the two confidences.
  v1::ClassCaseModelRef ref() const;
};

struct ModelSet {
  std::string version;  // the file's version
  std::vector<Model> models;

  static Result<ModelSet> parse(const std::string& yaml_text, const std::string& origin);
  static Result<ModelSet> load_file(const std::string& path);
};

// dlq-style reason of a refused model file.
inline constexpr const char* kModelsInvalid = "classcase.models_invalid";

}  // namespace caselink::classcase
