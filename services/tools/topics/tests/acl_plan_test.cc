#include "services/tools/topics/acl_plan.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "services/lib/kafka/errors.h"

namespace caselink::topics {
namespace {

AclSpec spec() {
  auto result = parse_acl_spec(
      "version: 1\n"
      "principals:\n"
      "  - name: caselink-sync\n"
      "    kind: service\n"
      "    read_topics: [caselink.referral.v1]\n"
      "    group_prefix: caselink-sync\n"
      "    transactional_id_prefix: caselink-sync-\n",
      "acls.yaml");
  EXPECT_TRUE(result.ok());
  return result.ok() ? result.value() : AclSpec{};
}

AclBinding topic_read(const std::string& principal, const std::string& topic) {
  AclBinding b;
  b.principal = principal;
  b.name = topic;
  return b;
}

// An in-memory cluster: the bindings it holds, and what it was asked to do.
class FakeAclCluster final : public AclCluster {
 public:
  std::set<AclBinding> acls;
  int creates = 0;
  int deletes = 0;
  bool ignore_creates = false;  // a broker that accepts and then never shows the ACL
  std::optional<Error> refuse;  // a broker that refuses every change (e.g. no authorizer)
  int describes = 0;

  Result<std::vector<AclBinding>> describe_acls() override {
    ++describes;
    return std::vector<AclBinding>(acls.begin(), acls.end());
  }
  std::optional<Error> create_acls(const std::vector<AclBinding>& bindings) override {
    ++creates;
    if (refuse) {
      return refuse;
    }
    if (!ignore_creates) {
      acls.insert(bindings.begin(), bindings.end());
    }
    return std::nullopt;
  }
  std::optional<Error> delete_acls(const std::vector<AclBinding>& bindings) override {
    ++deletes;
    for (const AclBinding& b : bindings) {
      acls.erase(b);
    }
    return std::nullopt;
  }
};

AclReconcileOptions applying() {
  AclReconcileOptions o;
  o.apply = true;
  o.verify_attempts = 3;
  o.sleep = [](std::chrono::milliseconds) {};
  return o;
}

TEST(AclPlan, EmptyClusterNeedsEveryGrant) {
  const AclPlan plan = compute_acl_plan(spec(), {});
  EXPECT_EQ(plan.count(AclActionKind::kCreate), 3u);
  EXPECT_TRUE(plan.has_changes());
}

TEST(AclPlan, DriftOfAManagedPrincipalIsDeletedOthersAreLeftAlone) {
  std::vector<AclBinding> existing = spec().bindings();
  existing.push_back(topic_read("User:caselink-sync", "caselink.case.state.v1"));  // not granted: drift
  existing.push_back(topic_read("User:someone-else", "caselink.referral.v1"));     // not ours
  const AclPlan plan = compute_acl_plan(spec(), existing);
  EXPECT_EQ(plan.count(AclActionKind::kOk), 3u);
  ASSERT_EQ(plan.bindings(AclActionKind::kDelete).size(), 1u);
  EXPECT_EQ(plan.bindings(AclActionKind::kDelete)[0].name, "caselink.case.state.v1");
  EXPECT_EQ(plan.count(AclActionKind::kUnmanaged), 1u);
  std::ostringstream out;
  print_acl_plan(plan, out);
  EXPECT_NE(out.str().find("DELETE     ALLOW User:caselink-sync READ topic caselink.case.state.v1\n"), std::string::npos);
  EXPECT_NE(out.str().find("UNMANAGED  ALLOW User:someone-else READ topic caselink.referral.v1\n"), std::string::npos);
  EXPECT_NE(out.str().find("acls: 0 create, 1 delete, 3 ok, 1 unmanaged\n"), std::string::npos);
}

TEST(AclPlan, ADenyForAManagedPrincipalIsDrift) {
  std::vector<AclBinding> existing = spec().bindings();
  AclBinding deny = topic_read("User:caselink-sync", "caselink.referral.v1");
  deny.allow = false;
  existing.push_back(deny);
  EXPECT_EQ(compute_acl_plan(spec(), existing).count(AclActionKind::kDelete), 1u);
}

TEST(AclReconcile, PlanOnlyChangesNothingAndExitsTwo) {
  FakeAclCluster cluster;
  std::ostringstream out;
  const AclReport report = reconcile_acls(spec(), cluster, AclReconcileOptions{}, out);
  EXPECT_EQ(report.exit_code(), 2);
  EXPECT_EQ(cluster.creates, 0);
  EXPECT_TRUE(cluster.acls.empty());
}

TEST(AclReconcile, ApplyIsIdempotent) {
  FakeAclCluster cluster;
  cluster.acls.insert(topic_read("User:caselink-sync", "caselink.dlq.v1"));
  std::ostringstream first;
  EXPECT_EQ(reconcile_acls(spec(), cluster, applying(), first).exit_code(), 0) << first.str();
  EXPECT_EQ(cluster.creates, 1);
  EXPECT_EQ(cluster.deletes, 1);
  const std::vector<AclBinding> want = spec().bindings();
  EXPECT_EQ(cluster.acls, std::set<AclBinding>(want.begin(), want.end()));
  std::ostringstream second;
  EXPECT_EQ(reconcile_acls(spec(), cluster, applying(), second).exit_code(), 0);
  EXPECT_EQ(cluster.creates, 1) << "a second apply must change nothing";
  EXPECT_NE(second.str().find("acls: 0 create, 0 delete, 3 ok, 0 unmanaged"), std::string::npos);
}

TEST(AclReconcile, AChangeThatNeverShowsUpFails) {
  FakeAclCluster cluster;
  cluster.ignore_creates = true;
  std::ostringstream out;
  const AclReport report = reconcile_acls(spec(), cluster, applying(), out);
  EXPECT_EQ(report.exit_code(), 1);
  EXPECT_NE(out.str().find("still differs from the spec"), std::string::npos) << out.str();
}

TEST(AclReconcile, ARefusedChangeFailsWithoutWaiting) {
  FakeAclCluster cluster;
  cluster.refuse = Error::invalid("No Authorizer is configured.", {}, kafka::kBrokerRefused);
  std::ostringstream out;
  EXPECT_EQ(reconcile_acls(spec(), cluster, applying(), out).exit_code(), 1);
  EXPECT_EQ(cluster.describes, 1) << "no verification rounds after a refusal";
  EXPECT_NE(out.str().find("ERROR      CreateAcls: No Authorizer is configured. [rejected]"), std::string::npos)
      << out.str();
}

}  // namespace
}  // namespace caselink::topics
