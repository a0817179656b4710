#pragma once

// The declarative ACL spec (deploy/acls.yaml): parsing, validation and expansion into the
// exact set of Kafka ACL bindings it grants. Pure: no Kafka, no I/O except reading the file.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "services/lib/core/result.h"
#include "services/tools/topics/topic_spec.h"  // SpecProblem(s), check_topic_name

namespace caselink::topics {

// The spec grants topic, group and transactional-id READ/WRITE only; the other values exist so
// that any binding found on the cluster (librdkafka 2.0.2's set) can be shown and removed.
enum class AclResourceType { kTopic, kGroup, kTransactionalId, kCluster };
enum class AclPatternType { kLiteral, kPrefixed };
enum class AclOperation {
  kRead,
  kWrite,
  kAll,
  kCreate,
  kDelete,
  kAlter,
  kDescribe,
  kClusterAction,
  kDescribeConfigs,
  kAlterConfigs,
  kIdempotentWrite,
};

const char* to_string(AclResourceType type);
const char* to_string(AclPatternType type);
const char* to_string(AclOperation operation);

// One ALLOW binding for any host ("*"): the only kind the spec grants. Deny-by-default needs
// no DENY bindings; a DENY found on the cluster for a managed principal is drift.
struct AclBinding {
  AclResourceType resource = AclResourceType::kTopic;
  std::string name;
  AclPatternType pattern = AclPatternType::kLiteral;
  std::string principal;  // "User:<name>"
  AclOperation operation = AclOperation::kRead;
  std::string host = "*";
  bool allow = true;

  auto operator<=>(const AclBinding&) const = default;
};

// "ALLOW User:x READ topic caselink.a.v1" / "... WRITE transactional-id caselink-sync-* (prefixed)".
std::string format_binding(const AclBinding& binding);

// service: a caselink service; operator: a person's or a tool's read access; agency: an
// administrative agency (gets agency_defaults); organ: a police organ, procuratorate or court
// adapter, whose grants differ per organ (decisions, recommendations), so they are explicit.
enum class PrincipalKind { kService, kOperator, kAgency, kOrgan };

struct PrincipalSpec {
  std::string name;  // SCRAM user name; the Kafka principal is "User:<name>"
  PrincipalKind kind = PrincipalKind::kService;
  std::vector<std::string> read_topics;   // a trailing '*' makes a prefix
  std::vector<std::string> write_topics;  // idem
  std::string group_prefix;               // empty: no consumer group
  std::string transactional_id_prefix;    // empty: no transactions
  int line = 0;
};

struct AclSpec {
  std::string source;
  std::vector<PrincipalSpec> principals;  // agency_defaults already applied, "{agency}" replaced
  std::map<std::string, std::string> owners;  // topic (or "prefix*") -> the only principal writing it

  [[nodiscard]] std::vector<std::string> principal_names() const;  // "User:<name>", spec order
  // Every binding the spec grants, sorted, without duplicates.
  [[nodiscard]] std::vector<AclBinding> bindings() const;
};

Result<AclSpec, SpecProblems> parse_acl_spec(std::string_view yaml_text, const std::string& source);
Result<AclSpec, SpecProblems> load_acl_spec(const std::string& path);

}  // namespace caselink::topics
