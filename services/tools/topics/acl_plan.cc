#include "services/tools/topics/acl_plan.h"

#include <algorithm>
#include <set>
#include <thread>
#include <tuple>

namespace caselink::topics {
namespace {

bool by_principal(const AclAction& a, const AclAction& b) {
  return std::tie(a.binding.principal, a.binding) < std::tie(b.binding.principal, b.binding);
}

void sleep_for(const AclReconcileOptions& options) {
  if (options.sleep) {
    options.sleep(options.verify_interval);
  } else {
    std::this_thread::sleep_for(options.verify_interval);
  }
}

// Re-reads the cluster until the plan shows no change; the last plan, or the error.
Result<AclPlan> verify(const AclSpec& spec, AclCluster& cluster, const AclReconcileOptions& options) {
  AclPlan plan;
  for (int attempt = 0; attempt < std::max(1, options.verify_attempts); ++attempt) {
    if (attempt > 0) {
      sleep_for(options);
    }
    Result<std::vector<AclBinding>> existing = cluster.describe_acls();
    if (!existing) {
      return existing.error();
    }
    plan = compute_acl_plan(spec, existing.value());
    if (!plan.has_changes()) {
      break;
    }
  }
  return plan;
}

// Creates first, then deletes: a principal whose grants change never loses access between.
std::vector<std::string> apply(const AclPlan& plan, AclCluster& cluster) {
  std::vector<std::string> errors;
  if (const auto creates = plan.bindings(AclActionKind::kCreate); !creates.empty()) {
    if (std::optional<Error> e = cluster.create_acls(creates)) {
      errors.push_back("CreateAcls: " + e->message + " [" + error_label(*e) + "]");
    }
  }
  if (const auto deletes = plan.bindings(AclActionKind::kDelete); !deletes.empty()) {
    if (std::optional<Error> e = cluster.delete_acls(deletes)) {
      errors.push_back("DeleteAcls: " + e->message + " [" + error_label(*e) + "]");
    }
  }
  return errors;
}

}  // namespace

const char* to_string(AclActionKind kind) {
  switch (kind) {
    case AclActionKind::kCreate:
      return "CREATE";
    case AclActionKind::kDelete:
      return "DELETE";
    case AclActionKind::kOk:
      return "OK";
    case AclActionKind::kUnmanaged:
      return "UNMANAGED";
  }
  return "?";
}

std::size_t AclPlan::count(AclActionKind kind) const {
  return static_cast<std::size_t>(
      std::count_if(actions.begin(), actions.end(), [kind](const AclAction& a) { return a.kind == kind; }));
}

std::vector<AclBinding> AclPlan::bindings(AclActionKind kind) const {
  std::vector<AclBinding> out;
  for (const AclAction& a : actions) {
    if (a.kind == kind) {
      out.push_back(a.binding);
    }
  }
  return out;
}

AclPlan compute_acl_plan(const AclSpec& spec, const std::vector<AclBinding>& existing) {
  const std::vector<AclBinding> wanted_list = spec.bindings();
  const std::set<AclBinding> wanted(wanted_list.begin(), wanted_list.end());
  const std::set<AclBinding> present(existing.begin(), existing.end());
  const std::vector<std::string> names = spec.principal_names();
  const std::set<std::string> managed(names.begin(), names.end());
  AclPlan plan;
  for (const AclBinding& b : wanted) {
    plan.actions.push_back({present.count(b) > 0 ? AclActionKind::kOk : AclActionKind::kCreate, b});
  }
  for (const AclBinding& b : present) {
    if (wanted.count(b) == 0) {
      plan.actions.push_back({managed.count(b.principal) > 0 ? AclActionKind::kDelete : AclActionKind::kUnmanaged, b});
    }
  }
  std::stable_sort(plan.actions.begin(), plan.actions.end(), by_principal);
  return plan;
}

void print_acl_plan(const AclPlan& plan, std::ostream& out) {
  for (const AclAction& a : plan.actions) {
    std::string kind = to_string(a.kind);
    kind.resize(std::max<std::size_t>(kind.size() + 1, 11), ' ');
    out << kind << format_binding(a.binding) << '\n';
  }
  out << "acls: " << plan.count(AclActionKind::kCreate) << " create, " << plan.count(AclActionKind::kDelete)
      << " delete, " << plan.count(AclActionKind::kOk) << " ok, " << plan.count(AclActionKind::kUnmanaged)
      << " unmanaged\n";
}

AclReport reconcile_acls(const AclSpec& spec, AclCluster& cluster, const AclReconcileOptions& options,
                         std::ostream& out) {
  AclReport report;
  Result<std::vector<AclBinding>> existing = cluster.describe_acls();
  if (!existing) {
    const Error& e = existing.error();
    report.errors.push_back("DescribeAcls: " + e.message + " [" + error_label(e) + "]");
    return report;
  }
  report.plan = compute_acl_plan(spec, existing.value());
  print_acl_plan(report.plan, out);
  if (!report.plan.has_changes()) {
    report.outcome = Outcome::kInLine;
    return report;
  }
  if (!options.apply) {
    report.outcome = Outcome::kPendingChanges;
    return report;
  }
  report.errors = apply(report.plan, cluster);
  // A refused change will not show up: report it instead of waiting for it.
  Result<AclPlan> after = report.errors.empty() ? verify(spec, cluster, options) : Result<AclPlan>(AclPlan{});
  if (!after) {
    report.errors.push_back("DescribeAcls after applying: " + after.error().message);
  } else if (after.value().has_changes()) {
    report.errors.push_back("after applying, the cluster still differs from the spec:");
    for (const AclAction& a : after.value().actions) {
      if (a.kind == AclActionKind::kCreate || a.kind == AclActionKind::kDelete) {
        report.errors.push_back(std::string("  ") + to_string(a.kind) + " " + format_binding(a.binding));
      }
    }
  }
  for (const std::string& e : report.errors) {
    out << "ERROR      " << e << '\n';
  }
  out << (report.errors.empty() ? "applied: the cluster's ACLs match the spec\n" : "");
  report.outcome = report.errors.empty() ? Outcome::kInLine : Outcome::kFailed;
  return report;
}

}  // namespace caselink::topics
