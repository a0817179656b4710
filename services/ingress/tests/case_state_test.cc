#include <gtest/gtest.h>

#include "services/common/envelope/codec.h"
#include "services/ingress/case_state.h"

namespace caselink::ingress {
namespace {

std::string snapshot_record(const std::string& case_id, uint64_t version) {
  SystemClock clock;
  auto env = envelope::make_envelope(CaseId(case_id), AgencyId("caselink-sync"), clock.now(), clock.now());
  auto* s = env.mutable_case_state_snapshot();
  s->set_case_id(case_id);
  s->set_version(version);
  envelope::seal(env);
  return envelope::encode(env);
}

TEST(CaseStateView, KeepsTheHighestVersionPerCase) {
  CaseStateView view;
  ASSERT_TRUE(view.apply(snapshot_record("c1", 2)).ok());
  ASSERT_TRUE(view.apply(snapshot_record("c1", 1)).ok());  // older, arrives late: ignored
  ASSERT_TRUE(view.apply(snapshot_record("c2", 1)).ok());
  EXPECT_EQ(view.find("c1")->version(), 2u);
  EXPECT_EQ(view.find("c2")->version(), 1u);
  EXPECT_FALSE(view.find("c3").has_value());
  ASSERT_TRUE(view.apply(snapshot_record("c1", 3)).ok());
  EXPECT_EQ(view.find("c1")->version(), 3u);
}

// caselink-sync's version-0 placeholder (early events of a case it has never seen) is no case.
TEST(CaseStateView, IgnoresThePlaceholderOfACaseNotYetReferred) {
  CaseStateView view;
  ASSERT_TRUE(view.apply(snapshot_record("early", 0)).ok());
  EXPECT_FALSE(view.find("early").has_value());
  ASSERT_TRUE(view.apply(snapshot_record("early", 1)).ok());
  EXPECT_EQ(view.find("early")->version(), 1u);
}

TEST(CaseStateView, RefusesRecordsThatAreNotSnapshots) {
  CaseStateView view;
  EXPECT_FALSE(view.apply(std::string_view("garbage")).ok());
  SystemClock clock;
  auto env = envelope::make_envelope(CaseId("c1"), AgencyId("a"), clock.now(), clock.now());
  env.mutable_case_referral();
  envelope::seal(env);
  EXPECT_FALSE(view.apply(envelope::encode(env)).ok());
  EXPECT_EQ(view.size(), 0u);
}

}  // namespace
}  // namespace caselink::ingress
