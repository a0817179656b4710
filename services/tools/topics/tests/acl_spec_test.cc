#include "services/tools/topics/acl_spec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "services/tools/topics/topic_spec.h"

namespace caselink::topics {
namespace {

constexpr const char* kFile = "acls.yaml";

const std::string kHead =
    "version: 1\n"
    "owners:\n"
    "  caselink.case.state.v1: caselink-sync\n"
    "  caselink.feedback.*: caselink-feedback\n"
    "agency_defaults:\n"
    "  read_topics: [\"caselink.feedback.{agency}.v1\"]\n"
    "  write_topics: [caselink.referral.v1]\n"
    "  group_prefix: \"{agency}-\"\n"
    "  transactional_id_prefix: \"{agency}-\"\n"
    "principals:\n"
    "  - name: caselink-sync\n"
    "    kind: service\n"
    "    read_topics: [caselink.referral.v1]\n"
    "    write_topics: [caselink.case.state.v1]\n"
    "    group_prefix: caselink-sync\n"
    "    transactional_id_prefix: caselink-sync-\n"
    "  - name: caselink-feedback\n"
    "    kind: service\n"
    "    write_topics: [\"caselink.feedback.*\"]\n"
    "  - name: sthjj-330100\n"
    "    kind: agency\n";

AclSpec parsed(const std::string& yaml) {
  auto result = parse_acl_spec(yaml, kFile);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : to_string(result.error()));
  return result.ok() ? result.value() : AclSpec{};
}

std::string problems(const std::string& yaml) {
  auto result = parse_acl_spec(yaml, kFile);
  EXPECT_FALSE(result.ok()) << "expected the spec to be rejected:\n" << yaml;
  return result.ok() ? "" : to_string(result.error());
}

std::set<std::string> formatted(const AclSpec& spec) {
  std::set<std::string> out;
  for (const AclBinding& b : spec.bindings()) {
    out.insert(format_binding(b));
  }
  return out;
}

TEST(AclSpec, ExpandsServicesAndAgencyDefaults) {
  const AclSpec spec = parsed(kHead);
  EXPECT_EQ(spec.principal_names(),
            (std::vector<std::string>{"User:caselink-sync", "User:caselink-feedback", "User:sthjj-330100"}));
  const std::set<std::string> want = {
      "ALLOW User:caselink-sync READ topic caselink.referral.v1",
      "ALLOW User:caselink-sync WRITE topic caselink.case.state.v1",
      "ALLOW User:caselink-sync READ group caselink-sync* (prefixed)",
      "ALLOW User:caselink-sync WRITE transactional-id caselink-sync-* (prefixed)",
      "ALLOW User:caselink-feedback WRITE topic caselink.feedback.* (prefixed)",
      "ALLOW User:sthjj-330100 READ topic caselink.feedback.sthjj-330100.v1",
      "ALLOW User:sthjj-330100 WRITE topic caselink.referral.v1",
      "ALLOW User:sthjj-330100 READ group sthjj-330100-* (prefixed)",
      "ALLOW User:sthjj-330100 WRITE transactional-id sthjj-330100-* (prefixed)",
  };
  EXPECT_EQ(formatted(spec), want);
}

TEST(AclSpec, OnlyTheOwnerMayWriteAnOwnedTopic) {
  // An agency granted the state topic, or every feedback topic through a prefix: both refused.
  std::string yaml = kHead;
  yaml.replace(yaml.find("  write_topics: [caselink.referral.v1]"), 38,
               "  write_topics: [caselink.referral.v1, caselink.case.state.v1]");
  EXPECT_NE(problems(yaml).find("'caselink.case.state.v1', which only 'caselink-sync' may write (owners)"),
            std::string::npos);
  std::string prefix = kHead + "  - name: caselinkctl\n    kind: operator\n    write_topics: [\"caselink.*\"]\n";
  const std::string why = problems(prefix);
  EXPECT_NE(why.find("principal 'caselinkctl': field 'write_topics': 'caselink.*' would let it write "
                     "'caselink.case.state.v1'"),
            std::string::npos)
      << why;
  EXPECT_NE(why.find("'caselink.feedback.*', which only 'caselink-feedback'"), std::string::npos) << why;
}

TEST(AclSpec, RejectsWithFileLineAndField) {
  EXPECT_EQ(problems(kHead + "  - name: caselink-sync\n    kind: service\n"),
            "acls.yaml:22: principal 'caselink-sync': field 'name': declared twice");
  EXPECT_EQ(problems(kHead + "  - name: admin\n    kind: operator\n"),
            "acls.yaml:22: principal 'admin': field 'name': reserved for a super user of the broker config; choose "
            "another name");
  EXPECT_NE(problems(kHead + "  - name: x-1\n    kind: robot\n").find("field 'kind': must be service, operator, agency or organ"),
            std::string::npos);
  EXPECT_NE(problems(kHead + "  - name: x-1\n    kind: service\n    read_topics: [Bad_Topic]\n")
                .find("field 'read_topics': 'Bad_Topic'"),
            std::string::npos);
  EXPECT_NE(problems(kHead + "  - name: x-1\n    kind: service\n    colour: blue\n").find("field 'colour': unknown key"),
            std::string::npos);
  EXPECT_NE(problems(kHead + "  - name: x-1\n    kind: agency\n    read_topics: [caselink.a.v1]\n")
                .find("an agency gets agency_defaults"),
            std::string::npos);
  EXPECT_NE(problems(kHead + "  - name: x-1\n    kind: service\n    group_prefix: \"x*\"\n").find("no '*'"),
            std::string::npos);
  EXPECT_NE(problems("version: 2\nprincipals: []\n").find("field 'version': must be 1"), std::string::npos);
  EXPECT_NE(problems("owners: [").find("not valid YAML"), std::string::npos);
}

TEST(AclSpec, OwnerMustBeAPrincipal) {
  std::string yaml = kHead;
  yaml.replace(yaml.find("caselink.case.state.v1: caselink-sync"), 37, "caselink.case.state.v1: caselink-ghost");
  EXPECT_NE(problems(yaml).find("owner 'caselink-ghost' is not a principal of this spec"), std::string::npos);
}

// A police organ, procuratorate or court adapter states its own grants (they differ per organ);
// "{agency}" stands for its name as it does in agency_defaults.
TEST(AclSpec, OrganPrincipalsStateTheirOwnGrants) {
  const AclSpec spec = parsed(kHead +
                              "  - name: ga-330100\n"
                              "    kind: organ\n"
                              "    write_topics: [caselink.decision.v1]\n"
                              "    group_prefix: \"{agency}-\"\n");
  const auto organ = std::find_if(spec.principals.begin(), spec.principals.end(),
                                  [](const PrincipalSpec& p) { return p.name == "ga-330100"; });
  ASSERT_NE(organ, spec.principals.end());
  EXPECT_EQ(organ->kind, PrincipalKind::kOrgan);
  EXPECT_EQ(organ->write_topics, std::vector<std::string>{"caselink.decision.v1"});
  EXPECT_TRUE(organ->read_topics.empty());
  EXPECT_EQ(organ->group_prefix, "ga-330100-");
}

// The shipped spec parses, grants every agency of deploy/topics.yaml its own feedback topic and
// nothing of another agency's, and is what kafka.sh --secure creates SCRAM users from.
TEST(AclSpec, ShippedSpecCoversEveryFeedbackAgency) {
  const char* source_dir = std::getenv("CASELINK_SOURCE_DIR");
  ASSERT_NE(source_dir, nullptr) << "CASELINK_SOURCE_DIR is not set (ctest sets it; or export it by hand)";
  const auto acls = load_acl_spec(std::string(source_dir) + "/deploy/acls.yaml");
  ASSERT_TRUE(acls.ok()) << to_string(acls.error());
  const auto topics = load_topics_spec(std::string(source_dir) + "/deploy/topics.yaml");
  ASSERT_TRUE(topics.ok()) << to_string(topics.error());
  std::set<std::string> feedback_topics;
  for (const std::string& name : topics.value().names()) {
    if (name.starts_with("caselink.feedback.")) {
      feedback_topics.insert(name);
    }
  }
  std::set<std::string> agencies;
  for (const PrincipalSpec& p : acls.value().principals) {
    if (p.kind != PrincipalKind::kAgency) {
      continue;
    }
    agencies.insert("caselink.feedback." + p.name + ".v1");
    EXPECT_EQ(p.read_topics, std::vector<std::string>{"caselink.feedback." + p.name + ".v1"}) << p.name;
    EXPECT_TRUE(std::none_of(p.write_topics.begin(), p.write_topics.end(),
                             [](const std::string& t) { return t.starts_with("caselink.feedback"); }))
        << p.name;
  }
  EXPECT_EQ(agencies, feedback_topics) << "deploy/acls.yaml and deploy/topics.yaml list different agencies";
}

}  // namespace
}  // namespace caselink::topics
