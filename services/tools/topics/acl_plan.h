#pragma once

// Plan/apply for the ACL spec, like topic_plan.h for topics. compute_acl_plan() compares the
// bindings the spec grants with those on the cluster and is pure; reconcile_acls() drives an
// AclCluster (the librdkafka adapter in topic_admin.h, or a fake in tests):
// describe -> plan -> print -> (apply: create, delete, verify).

#include <chrono>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "services/tools/topics/acl_spec.h"
#include "services/lib/core/result.h"
#include "services/tools/topics/topic_plan.h"  // Outcome

namespace caselink::topics {

enum class AclActionKind {
  kCreate,     // granted by the spec, missing on the cluster
  kDelete,     // on the cluster for a principal the spec manages, not granted: drift
  kOk,         // granted and present
  kUnmanaged,  // on the cluster for a principal the spec does not list: shown, never touched
};

const char* to_string(AclActionKind kind);

struct AclAction {
  AclActionKind kind = AclActionKind::kOk;
  AclBinding binding;
};

struct AclPlan {
  std::vector<AclAction> actions;  // sorted by principal, then binding

  [[nodiscard]] std::size_t count(AclActionKind kind) const;
  [[nodiscard]] std::vector<AclBinding> bindings(AclActionKind kind) const;
  [[nodiscard]] bool has_changes() const { return count(AclActionKind::kCreate) + count(AclActionKind::kDelete) > 0; }
};

AclPlan compute_acl_plan(const AclSpec& spec, const std::vector<AclBinding>& existing);

// "CREATE     ALLOW User:x READ topic caselink.a.v1", then
// "acls: 1 create, 0 delete, 40 ok, 0 unmanaged". Secrets never appear in a plan: it holds none.
void print_acl_plan(const AclPlan& plan, std::ostream& out);

class AclCluster {
 public:
  virtual ~AclCluster() = default;
  // Every ACL binding on the cluster.
  virtual Result<std::vector<AclBinding>> describe_acls() = 0;
  // Creates / deletes exactly these bindings; one error for the whole call (nullopt: done).
  virtual std::optional<Error> create_acls(const std::vector<AclBinding>& bindings) = 0;
  virtual std::optional<Error> delete_acls(const std::vector<AclBinding>& bindings) = 0;
};

struct AclReconcileOptions {
  bool apply = false;  // false: plan only
  // After applying, re-read until the plan shows no change (the ACLs travel through the
  // metadata log to every broker), at most verify_attempts times.
  int verify_attempts = 50;
  std::chrono::milliseconds verify_interval{200};
  std::function<void(std::chrono::milliseconds)> sleep;  // empty: std::this_thread::sleep_for
};

struct AclReport {
  Outcome outcome = Outcome::kFailed;
  AclPlan plan;
  std::vector<std::string> errors;

  [[nodiscard]] int exit_code() const { return static_cast<int>(outcome); }
};

// Exit codes as for topics: 0 in line; 1 errors; 2 plan only and changes are pending.
AclReport reconcile_acls(const AclSpec& spec, AclCluster& cluster, const AclReconcileOptions& options,
                         std::ostream& out);

}  // namespace caselink::topics
