// The models file: the repo's models load; a bad file is refused with every problem named.
#include <gtest/gtest.h>

#include "services/daemons/classcase/tests/support.h"

namespace caselink::classcase {
namespace {

TEST(Models, RepoFileLoadsWithBasisAndHonestThresholds) {
  const ModelSet& set = test::repo_models();
  ASSERT_EQ(set.models.size(), 3U);
  for (const Model& m : set.models) {
    EXPECT_FALSE(m.basis_source.empty()) << m.id;
    EXPECT_GE(m.threshold, 2U) << m.id;
    // Thresholds are caselink defaults until the procuratorate sets them: never marked high.
    EXPECT_NE(m.threshold_confidence, v1::CONFIDENCE_HIGH) << m.id;
    // The reference carries the weaker of the basis' and the threshold's confidence.
    EXPECT_EQ(m.ref().confidence(), std::max(m.confidence, m.threshold_confidence)) << m.id;
  }
  EXPECT_EQ(set.models[0].counts, Counts::kSupervisionClue);
  EXPECT_EQ(set.models[1].counts, Counts::kDeadlineOverdue);
  EXPECT_EQ(set.models[1].step, "police_filing_review");
  EXPECT_EQ(set.models[2].recommendation, v1::RECOMMENDATION_TYPE_UNSPECIFIED);
}

TEST(Models, BadFileNamesEveryProblem) {
  const std::string text = R"(version: "x"
models:
  - id: a
    version: "1"
    title: t
    basis: b
    basis_source: s
    confidence: sure
    counts: {event: supervision_clue, clue_reason: NOPE}
    group_by: [agency]
    window: fortnight
    threshold: 1
    threshold_source: s
    threshold_confidence: low
    recommendation: {type: SOCIAL_GOVERNANCE, recipient: group_organ}
  - id: a
)";
  auto r = ModelSet::parse(text, "bad.yaml");
  ASSERT_FALSE(r.ok());
  const std::string& msg = r.error().message;
  EXPECT_EQ(r.error().reason, kModelsInvalid);
  for (const char* expected :
       {"bad.yaml", "models[0].confidence: 'sure'", "models[0].counts.clue_reason", "models[0].group_by: 'agency'",
        "models[0].window: 'fortnight'", "models[0].threshold", "needs group_by organ", "models[1].id: 'a' appears twice",
        "models[1].title"}) {
    EXPECT_NE(msg.find(expected), std::string::npos) << "missing '" << expected << "' in:\n" << msg;
  }
}

TEST(Models, OddYamlIsRefusedNotThrown) {
  for (const char* text : {"", "[1, 2]", "models: {a: b}", "? [a]: b", "models:\n  - ? [a]\n    : b\n", "version: [x]"}) {
    auto r = ModelSet::parse(text, "odd.yaml");
    EXPECT_FALSE(r.ok()) << text;
  }
}

}  // namespace
}  // namespace caselink::classcase
