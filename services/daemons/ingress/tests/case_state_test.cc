#include <gtest/gtest.h>

#include <filesystem>

#include "services/lib/envelope/codec.h"
#include "services/lib/signing/runtime.h"
#include "services/lib/signing/tests/test_keys.h"
#include "services/daemons/ingress/case_state.h"

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

// With signing.verify: required only snapshots signed by caselink-sync are served: a forged
// "version 999" written straight to the state topic (issue 15 §2) is skipped.
TEST(CaseStateView, WithVerificationRequiredServesOnlySignedSnapshots) {
  const auto dir = std::filesystem::temp_directory_path() / ("ingress-state-sign-" + std::to_string(::getpid()));
  signing::Settings s;
  s.verify = "required";
  s.key_dir = (dir / "caselink-sync").string();
  s.registry_file = signing::testing::write_keys(dir / "caselink-sync", {{"caselink-sync.k1", "caselink-sync", ""}});
  auto runtime = signing::Runtime::create(s, nullptr);
  ASSERT_TRUE(runtime.ok()) << runtime.error().describe();
  signing::ScopedInstall installed(*runtime);

  CaseStateView view;
  auto forged = view.apply(snapshot_record("c1", 999));  // unsigned: encode() does not sign
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.error().reason, signing::kSignatureReason);
  EXPECT_FALSE(view.find("c1").has_value());

  SystemClock clock;
  auto env = envelope::make_envelope(CaseId("c1"), AgencyId("caselink-sync"), clock.now(), clock.now());
  env.mutable_case_state_snapshot()->set_case_id("c1");
  env.mutable_case_state_snapshot()->set_version(2);
  envelope::seal(env);
  ASSERT_TRUE(view.apply(*envelope::to_record(env, "caselink.case.state.v1").value).ok());  // signed here
  EXPECT_EQ(view.find("c1")->version(), 2u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace caselink::ingress
