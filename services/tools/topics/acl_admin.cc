// The librdkafka implementation of AclCluster (declared in topic_admin.h).
//
// librdkafka 2.0.2 knows the ACL resource types topic, group and broker (cluster) only: it
// refuses to build a TRANSACTIONAL_ID binding ("Invalid resource type") and reports one found
// on the cluster as resource type UNKNOWN (with a "DescribeAclsResponse returned unknown
// resource type 5" log line). So bindings of type UNKNOWN are read as transactional-id bindings
// (caselink grants no delegation-token or user ACLs, the other types 2.0.2 does not know), and
// transactional-id bindings are created and deleted with Kafka's own AclCommand from the jars
// (--kafka-libs), as the same admin principal (--java-client-config).
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <utility>

#include "services/tools/topics/admin_client.h"
#include "services/tools/topics/topic_admin.h"
#include "services/lib/kafka/errors.h"

namespace caselink::topics {
namespace {

using AclPtr = std::unique_ptr<rd_kafka_AclBinding_t, Deleter<&rd_kafka_AclBinding_destroy>>;

rd_kafka_ResourceType_t to_rd(AclResourceType type) {
  switch (type) {
    case AclResourceType::kTopic:
      return RD_KAFKA_RESOURCE_TOPIC;
    case AclResourceType::kGroup:
      return RD_KAFKA_RESOURCE_GROUP;
    case AclResourceType::kCluster:
      return RD_KAFKA_RESOURCE_BROKER;
    case AclResourceType::kTransactionalId:
      break;
  }
  return RD_KAFKA_RESOURCE_UNKNOWN;
}

std::optional<AclResourceType> from_rd(rd_kafka_ResourceType_t type) {
  switch (type) {
    case RD_KAFKA_RESOURCE_TOPIC:
      return AclResourceType::kTopic;
    case RD_KAFKA_RESOURCE_GROUP:
      return AclResourceType::kGroup;
    case RD_KAFKA_RESOURCE_BROKER:
      return AclResourceType::kCluster;
    case RD_KAFKA_RESOURCE_UNKNOWN:
      return AclResourceType::kTransactionalId;  // see the file comment
    default:
      return std::nullopt;
  }
}

// AclOperation values 0..10 map to librdkafka's READ(3)..IDEMPOTENT_WRITE(12) by this table.
constexpr std::array<std::pair<AclOperation, rd_kafka_AclOperation_t>, 11> kOperations{{
    {AclOperation::kRead, RD_KAFKA_ACL_OPERATION_READ},
    {AclOperation::kWrite, RD_KAFKA_ACL_OPERATION_WRITE},
    {AclOperation::kAll, RD_KAFKA_ACL_OPERATION_ALL},
    {AclOperation::kCreate, RD_KAFKA_ACL_OPERATION_CREATE},
    {AclOperation::kDelete, RD_KAFKA_ACL_OPERATION_DELETE},
    {AclOperation::kAlter, RD_KAFKA_ACL_OPERATION_ALTER},
    {AclOperation::kDescribe, RD_KAFKA_ACL_OPERATION_DESCRIBE},
    {AclOperation::kClusterAction, RD_KAFKA_ACL_OPERATION_CLUSTER_ACTION},
    {AclOperation::kDescribeConfigs, RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS},
    {AclOperation::kAlterConfigs, RD_KAFKA_ACL_OPERATION_ALTER_CONFIGS},
    {AclOperation::kIdempotentWrite, RD_KAFKA_ACL_OPERATION_IDEMPOTENT_WRITE},
}};

rd_kafka_AclOperation_t to_rd(AclOperation op) {
  for (const auto& [ours, theirs] : kOperations) {
    if (ours == op) {
      return theirs;
    }
  }
  return RD_KAFKA_ACL_OPERATION_UNKNOWN;
}

std::optional<AclOperation> from_rd(rd_kafka_AclOperation_t op) {
  for (const auto& [ours, theirs] : kOperations) {
    if (theirs == op) {
      return ours;
    }
  }
  return std::nullopt;
}

std::optional<AclBinding> from_rd(const rd_kafka_AclBinding_t* acl) {
  const std::optional<AclResourceType> type = from_rd(rd_kafka_AclBinding_restype(acl));
  const std::optional<AclOperation> op = from_rd(rd_kafka_AclBinding_operation(acl));
  const rd_kafka_ResourcePatternType_t pattern = rd_kafka_AclBinding_resource_pattern_type(acl);
  const rd_kafka_AclPermissionType_t permission = rd_kafka_AclBinding_permission_type(acl);
  if (!type || !op || (pattern != RD_KAFKA_RESOURCE_PATTERN_LITERAL && pattern != RD_KAFKA_RESOURCE_PATTERN_PREFIXED) ||
      (permission != RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW && permission != RD_KAFKA_ACL_PERMISSION_TYPE_DENY)) {
    return std::nullopt;
  }
  AclBinding b;
  b.resource = *type;
  b.name = rd_kafka_AclBinding_name(acl);
  b.pattern = pattern == RD_KAFKA_RESOURCE_PATTERN_PREFIXED ? AclPatternType::kPrefixed : AclPatternType::kLiteral;
  b.principal = rd_kafka_AclBinding_principal(acl);
  b.host = rd_kafka_AclBinding_host(acl);
  b.operation = *op;
  b.allow = permission == RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW;
  return b;
}

Result<AclPtr> to_rd(const AclBinding& b, bool filter) {
  std::array<char, kErrstrSize> errstr{};
  const auto pattern =
      b.pattern == AclPatternType::kPrefixed ? RD_KAFKA_RESOURCE_PATTERN_PREFIXED : RD_KAFKA_RESOURCE_PATTERN_LITERAL;
  const auto permission = b.allow ? RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW : RD_KAFKA_ACL_PERMISSION_TYPE_DENY;
  rd_kafka_AclBinding_t* raw =
      filter ? rd_kafka_AclBindingFilter_new(to_rd(b.resource), b.name.c_str(), pattern, b.principal.c_str(),
                                             b.host.c_str(), to_rd(b.operation), permission, errstr.data(),
                                             errstr.size())
             : rd_kafka_AclBinding_new(to_rd(b.resource), b.name.c_str(), pattern, b.principal.c_str(),
                                       b.host.c_str(), to_rd(b.operation), permission, errstr.data(), errstr.size());
  if (raw == nullptr) {
    return Error{ErrorCode::kInternal, format_binding(b) + ": " + errstr.data()};
  }
  return AclPtr(raw);
}

// Every binding, or the first that librdkafka refuses.
Result<std::vector<AclPtr>> to_rd(const std::vector<AclBinding>& bindings, bool filter) {
  std::vector<AclPtr> owned;
  for (const AclBinding& b : bindings) {
    Result<AclPtr> acl = to_rd(b, filter);
    if (!acl) {
      return acl.error();
    }
    owned.push_back(std::move(acl).value());
  }
  return owned;
}

// A failed binding of CreateAcls / DeleteAcls, classified like every request error.
Error acl_error(const rd_kafka_error_t* e, const std::string& prefix) {
  return kafka::request_error(static_cast<RdKafka::ErrorCode>(rd_kafka_error_code(e)),
                              prefix + rd_kafka_error_string(e));
}

// "DESCRIBE_CONFIGS" -> "DescribeConfigs", the spelling AclCommand's --operation takes.
std::string camel(const char* upper) {
  std::string out;
  bool start = true;
  for (const char* c = upper; *c != '\0'; ++c) {
    if (*c == '_') {
      start = true;
      continue;
    }
    out += start ? *c : static_cast<char>(std::tolower(static_cast<unsigned char>(*c)));
    start = false;
  }
  return out;
}

// Runs argv, waits, returns its combined output; an error when it cannot run or exits non-zero.
Result<std::string> run_process(const std::vector<std::string>& argv) {
  std::array<int, 2> fds{};
  if (pipe(fds.data()) != 0) {
    return Error{ErrorCode::kInternal, "pipe() failed"};
  }
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const std::string& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));  // NOLINT: execvp's signature
    }
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  std::string output;
  std::array<char, 4096> buf{};
  for (ssize_t n = 0; (n = read(fds[0], buf.data(), buf.size())) > 0;) {
    output.append(buf.data(), static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) {
    return Error{ErrorCode::kInternal, "cannot run " + argv[0]};
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    // Kafka's own tool said no (e.g. no authorizer): a refusal like the broker's.
    return Error::invalid(argv[0] + " failed (exit " + std::to_string(WEXITSTATUS(status)) + "): " +
                              output.substr(0, 2000),
                          {}, kafka::kBrokerRefused);
  }
  return output;
}

class KafkaAclCluster final : public AclCluster {
 public:
  explicit KafkaAclCluster(KafkaAdminConfig config) : client_(std::move(config)) {}

  std::optional<Error> init() { return client_.init(); }

  Result<std::vector<AclBinding>> describe_acls() override {
    std::array<char, kErrstrSize> errstr{};
    AclPtr filter(rd_kafka_AclBindingFilter_new(RD_KAFKA_RESOURCE_ANY, nullptr, RD_KAFKA_RESOURCE_PATTERN_ANY, nullptr,
                                                nullptr, RD_KAFKA_ACL_OPERATION_ANY, RD_KAFKA_ACL_PERMISSION_TYPE_ANY,
                                                errstr.data(), errstr.size()));
    Result<OptionsPtr> options = client_.admin_options(RD_KAFKA_ADMIN_OP_DESCRIBEACLS, false);
    if (!filter || !options) {
      return options ? Error{ErrorCode::kInternal, errstr.data()} : options.error();
    }
    rd_kafka_DescribeAcls(client_.rk(), filter.get(), options.value().get(), client_.queue());
    Result<EventPtr> event = client_.wait_for(RD_KAFKA_EVENT_DESCRIBEACLS_RESULT, "DescribeAcls");
    if (!event) {
      return event.error();
    }
    std::size_t count = 0;
    const rd_kafka_AclBinding_t** acls =
        rd_kafka_DescribeAcls_result_acls(rd_kafka_event_DescribeAcls_result(event.value().get()), &count);
    std::vector<AclBinding> out;
    for (std::size_t i = 0; i < count; ++i) {
      if (std::optional<AclBinding> b = from_rd(acls[i])) {
        out.push_back(std::move(*b));
      }
    }
    return out;
  }

  std::optional<Error> create_acls(const std::vector<AclBinding>& bindings) override {
    return for_each_kind(bindings, /*add=*/true);
  }

  std::optional<Error> delete_acls(const std::vector<AclBinding>& bindings) override {
    return for_each_kind(bindings, /*add=*/false);
  }

 private:
  // librdkafka first: a broker that refuses ACL changes (no authorizer) says so before any JVM
  // is started for the transactional-id bindings.
  std::optional<Error> for_each_kind(const std::vector<AclBinding>& bindings, bool add) {
    std::vector<AclBinding> ours;
    std::vector<AclBinding> transactional;
    for (const AclBinding& b : bindings) {
      (b.resource == AclResourceType::kTransactionalId ? transactional : ours).push_back(b);
    }
    if (!ours.empty()) {
      if (std::optional<Error> e = add ? create_with_librdkafka(ours) : delete_with_librdkafka(ours)) {
        return e;
      }
    }
    for (const AclBinding& b : transactional) {
      if (std::optional<Error> e = acl_command(b, add)) {
        return e;
      }
    }
    return std::nullopt;
  }

  // The bindings (as filters, for a delete) sent in one request; its result event.
  Result<EventPtr> send_acls(const std::vector<AclBinding>& bindings, bool filter, rd_kafka_admin_op_t op,
                             void (*send)(rd_kafka_t*, rd_kafka_AclBinding_t**, std::size_t,
                                          const rd_kafka_AdminOptions_t*, rd_kafka_queue_t*),
                             rd_kafka_event_type_t type, const char* what) {
    Result<std::vector<AclPtr>> owned = to_rd(bindings, filter);
    if (!owned) {
      return owned.error();
    }
    return client_.request(op, /*validate_only=*/false, owned.value(), send, type, what);
  }

  std::optional<Error> create_with_librdkafka(const std::vector<AclBinding>& bindings) {
    Result<EventPtr> event = send_acls(bindings, /*filter=*/false, RD_KAFKA_ADMIN_OP_CREATEACLS, &rd_kafka_CreateAcls,
                                       RD_KAFKA_EVENT_CREATEACLS_RESULT, "CreateAcls");
    if (!event) {
      return event.error();
    }
    std::size_t count = 0;
    const rd_kafka_acl_result_t** results =
        rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(event.value().get()), &count);
    for (std::size_t i = 0; i < count; ++i) {
      if (const rd_kafka_error_t* e = rd_kafka_acl_result_error(results[i])) {
        const std::string what = i < bindings.size() ? format_binding(bindings[i]) : "an ACL";
        return acl_error(e, what + ": ");
      }
    }
    return std::nullopt;
  }

  std::optional<Error> delete_with_librdkafka(const std::vector<AclBinding>& bindings) {
    Result<EventPtr> event = send_acls(bindings, /*filter=*/true, RD_KAFKA_ADMIN_OP_DELETEACLS, &rd_kafka_DeleteAcls,
                                       RD_KAFKA_EVENT_DELETEACLS_RESULT, "DeleteAcls");
    if (!event) {
      return event.error();
    }
    std::size_t count = 0;
    const rd_kafka_DeleteAcls_result_response_t** responses =
        rd_kafka_DeleteAcls_result_responses(rd_kafka_event_DeleteAcls_result(event.value().get()), &count);
    for (std::size_t i = 0; i < count; ++i) {
      if (const rd_kafka_error_t* e = rd_kafka_DeleteAcls_result_response_error(responses[i])) {
        return acl_error(e, "");
      }
    }
    return std::nullopt;
  }

  // One transactional-id binding, added or removed with Kafka's AclCommand.
  std::optional<Error> acl_command(const AclBinding& b, bool add) {
    const KafkaAdminConfig& c = client_.config();
    if (c.kafka_libs.empty() || c.java_client_config.empty()) {
      return Error{ErrorCode::kInvalid,
                   format_binding(b) + ": librdkafka 2.0.2 cannot manage transactional-id ACLs; pass --kafka-libs "
                                       "(Kafka's jars) and --java-client-config (the admin's Java client properties)"};
    }
    const char* java_home = std::getenv("JAVA_HOME");
    std::vector<std::string> argv = {java_home != nullptr ? std::string(java_home) + "/bin/java" : "java",
                                     "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", c.kafka_libs + "/*",
                                     "kafka.admin.AclCommand", "--bootstrap-server", c.bootstrap, "--command-config",
                                     c.java_client_config, add ? "--add" : "--remove",
                                     b.allow ? "--allow-principal" : "--deny-principal", b.principal,
                                     b.allow ? "--allow-host" : "--deny-host", b.host, "--operation",
                                     camel(to_string(b.operation)), "--transactional-id", b.name,
                                     "--resource-pattern-type", to_string(b.pattern)};
    if (!add) {
      argv.emplace_back("--force");
    }
    Result<std::string> ran = run_process(argv);
    if (!ran) {
      Error e = ran.error();
      e.message = format_binding(b) + ": " + e.message;
      return e;
    }
    return std::nullopt;
  }

  AdminClient client_;
};

}  // namespace

Result<std::unique_ptr<AclCluster>> make_kafka_acl_cluster(const KafkaAdminConfig& config) {
  return make_cluster<AclCluster, KafkaAclCluster>(config);
}

}  // namespace caselink::topics
