#include "services/tools/topics/topic_spec.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace caselink::topics {
namespace {

constexpr const char* kFile = "test.yaml";

// A valid spec to mutate in tests: the head, then topics appended by the test.
std::string spec_with(const std::string& topics, const std::string& extra = "") {
  return "version: 1\n"
         "defaults:\n"
         "  partitions: 6\n"
         "  replication_factor: 1\n"
         "  configs:\n"
         "    unclean.leader.election.enable: \"false\"\n"
         "topics:\n" +
         topics + extra;
}

const std::string kGoodTopic =
    "  - name: caselink.good.v1\n"
    "    cleanup_policy: delete\n"
    "    retention_ms: 1000\n"
    "    description: fine\n";

SpecProblems problems_of(const std::string& yaml) {
  auto result = parse_topics_spec(yaml, kFile);
  EXPECT_FALSE(result.ok()) << "expected the spec to be rejected:\n" << yaml;
  return result.ok() ? SpecProblems{} : result.error();
}

// The one problem a spec has; fails the test when there are none or several.
SpecProblem only_problem(const std::string& yaml) {
  SpecProblems problems = problems_of(yaml);
  EXPECT_EQ(problems.size(), 1u) << to_string(problems);
  return problems.empty() ? SpecProblem{} : problems.front();
}

TEST(TopicSpec, ParsesDefaultsAndMergesConfigs) {
  auto result = parse_topics_spec(spec_with(kGoodTopic +
                                            "  - name: caselink.state.v1\n"
                                            "    partitions: 2\n"
                                            "    replication_factor: 1\n"
                                            "    cleanup_policy: compact\n"
                                            "    configs:\n"
                                            "      segment.ms: 3600000\n"
                                            "      unclean.leader.election.enable: \"true\"\n"
                                            "    description: state\n"),
                                  kFile);
  ASSERT_TRUE(result.ok()) << to_string(result.error());
  const TopicsSpec& spec = result.value();
  ASSERT_EQ(spec.topics.size(), 2u);

  const TopicSpec& good = spec.topics[0];
  EXPECT_EQ(good.name, "caselink.good.v1");
  EXPECT_EQ(good.partitions, 6);  // from defaults
  EXPECT_EQ(good.replication_factor, 1);
  EXPECT_EQ(good.cleanup_policy, CleanupPolicy::kDelete);
  EXPECT_EQ(good.retention_ms, 1000);
  EXPECT_EQ(good.line, 8);
  const std::map<std::string, std::string> good_configs{
      {"cleanup.policy", "delete"}, {"retention.ms", "1000"}, {"unclean.leader.election.enable", "false"}};
  EXPECT_EQ(good.configs, good_configs);

  const TopicSpec& state = spec.topics[1];
  EXPECT_EQ(state.partitions, 2);
  EXPECT_EQ(state.cleanup_policy, CleanupPolicy::kCompact);
  EXPECT_FALSE(state.retention_ms);
  const std::map<std::string, std::string> state_configs{
      {"cleanup.policy", "compact"}, {"segment.ms", "3600000"}, {"unclean.leader.election.enable", "true"}};
  EXPECT_EQ(state.configs, state_configs);  // the topic's own configs win over defaults

  EXPECT_EQ(spec.names(), (std::vector<std::string>{"caselink.good.v1", "caselink.state.v1"}));
  EXPECT_NE(spec.find("caselink.state.v1"), nullptr);
  EXPECT_EQ(spec.find("caselink.nope.v1"), nullptr);
}

TEST(TopicSpec, ExpandsFeedbackAgencies) {
  auto result = parse_topics_spec(spec_with(kGoodTopic,
                                            "feedback_agencies:\n"
                                            "  name_template: caselink.feedback.{agency}.v1\n"
                                            "  partitions: 3\n"
                                            "  cleanup_policy: delete\n"
                                            "  retention_ms: 7776000000\n"
                                            "  description: feedback for {agency}\n"
                                            "  agencies:\n"
                                            "    - sthjj-330100\n"
                                            "    - rsj-330100\n"),
                                  kFile);
  ASSERT_TRUE(result.ok()) << to_string(result.error());
  const TopicsSpec& spec = result.value();
  ASSERT_EQ(spec.topics.size(), 3u);
  const TopicSpec& f = spec.topics[1];
  EXPECT_EQ(f.name, "caselink.feedback.sthjj-330100.v1");
  EXPECT_EQ(f.partitions, 3);
  EXPECT_EQ(f.retention_ms, 7776000000LL);
  EXPECT_EQ(f.description, "feedback for sthjj-330100");
  EXPECT_EQ(f.configs.at("retention.ms"), "7776000000");
  EXPECT_EQ(f.configs.at("unclean.leader.election.enable"), "false");
  EXPECT_EQ(spec.topics[2].name, "caselink.feedback.rsj-330100.v1");
}

struct NameCase {
  std::string name;
  bool valid;
  std::string reason;  // substring of the message when invalid
};

TEST(TopicSpec, TopicNameRules) {
  const std::vector<NameCase> cases = {
      {"caselink.referral.v1", true, ""},
      {"caselink.admin-penalty.v1", true, ""},
      {"caselink.feedback.sthjj-330100.v1", true, ""},
      {"caselink.x.v12", true, ""},
      {"a.v1", true, ""},
      {"caselink.admin_penalty.v1", false, "'_'"},
      {"caselink.Referral.v1", false, "uppercase"},
      {"caselink..v1", false, "empty segment"},
      {".caselink.v1", false, "empty segment"},
      {"caselink.v1.", false, "empty segment"},
      {"caselink.-x.v1", false, "'-'"},
      {"caselink.x-.v1", false, "'-'"},
      {"caselink.a--b.v1", false, "'--'"},
      {"caselink.referral", false, "version"},
      {"caselink.referral.v", false, "version"},
      {"caselink.referral.vx", false, "version"},
      {"v1", false, "version"},
      {"caselink.re ferral.v1", false, "character ' '"},
      {"caselink.ref#.v1", false, "character '#'"},
      {"", false, "empty"},
      {"caselink." + std::string(240, 'a') + ".v1", false, "at most 249"},
  };
  for (const NameCase& c : cases) {
    const std::optional<std::string> why = check_topic_name(c.name);
    EXPECT_EQ(!why.has_value(), c.valid) << c.name << ": " << why.value_or("valid");
    if (why) {
      EXPECT_NE(why->find(c.reason), std::string::npos) << c.name << ": " << *why;
    }
  }
  // Exactly 249 characters is allowed.
  const std::string longest = "caselink." + std::string(249 - 12, 'a') + ".v1";
  ASSERT_EQ(longest.size(), 249u);
  EXPECT_FALSE(check_topic_name(longest));
}

TEST(TopicSpec, AgencyIdRules) {
  EXPECT_FALSE(check_agency_id("sthjj-330100"));
  EXPECT_TRUE(check_agency_id("sthjj_330100"));
  EXPECT_TRUE(check_agency_id("STHJJ"));
  EXPECT_TRUE(check_agency_id("a.b"));
  EXPECT_TRUE(check_agency_id(""));
  EXPECT_TRUE(check_agency_id("-x"));
}

// Every rejection names the file, the line, the topic (when there is one) and the field.
struct ErrorCase {
  std::string label;
  std::string yaml;
  std::string topic;    // expected SpecProblem::topic
  std::string field;    // expected SpecProblem::field
  std::string message;  // substring of SpecProblem::message
};

std::string topic_with(const std::string& body) { return spec_with("  - name: caselink.bad.v1\n" + body); }

const std::string kRest =
    "    cleanup_policy: delete\n"
    "    retention_ms: 1000\n"
    "    description: d\n";

TEST(TopicSpec, EveryValidationErrorNamesFileTopicAndField) {
  const std::vector<ErrorCase> cases = {
      {"unknown top-level key", spec_with(kGoodTopic, "colour: blue\n"), "", "colour", "unknown key"},
      {"unknown defaults key",
       "version: 1\ndefaults:\n  partitions: 1\n  replication_factor: 1\n  retention: 5\ntopics:\n" + kGoodTopic, "",
       "defaults.retention", "unknown key"},
      {"unknown topic key", topic_with(kRest + "    partition: 3\n"), "caselink.bad.v1", "partition",
       "unknown key (allowed: name, partitions"},
      {"duplicate key", topic_with(kRest + "    cleanup_policy: delete\n"), "caselink.bad.v1", "cleanup_policy",
       "duplicate key"},
      {"missing name", spec_with("  - cleanup_policy: delete\n    retention_ms: 1\n    description: d\n"),
       "topics[0]", "name", "missing"},
      {"underscore in name", spec_with("  - name: caselink.bad_name.v1\n" + kRest), "caselink.bad_name.v1", "name",
       "'_'"},
      {"uppercase in name", spec_with("  - name: caselink.Bad.v1\n" + kRest), "caselink.Bad.v1", "name",
       "uppercase"},
      {"unversioned name", spec_with("  - name: caselink.bad\n" + kRest), "caselink.bad", "name", "version"},
      {"name too long", spec_with("  - name: caselink." + std::string(250, 'a') + ".v1\n" + kRest),
       "caselink." + std::string(250, 'a') + ".v1", "name", "at most 249"},
      {"partitions zero", topic_with("    partitions: 0\n" + kRest), "caselink.bad.v1", "partitions",
       "must be >= 1 (got 0)"},
      {"partitions not a number", topic_with("    partitions: six\n" + kRest), "caselink.bad.v1", "partitions",
       "must be an integer, got 'six'"},
      {"partitions a list", topic_with("    partitions: [1]\n" + kRest), "caselink.bad.v1", "partitions",
       "must be an integer, got a list"},
      {"replication factor zero", topic_with("    replication_factor: 0\n" + kRest), "caselink.bad.v1",
       "replication_factor", "must be >= 1"},
      {"defaults partitions negative",
       "version: 1\ndefaults:\n  partitions: -1\n  replication_factor: 1\ntopics:\n" + kGoodTopic, "",
       "defaults.partitions", "must be >= 1 (got -1)"},
      {"defaults missing replication factor", "version: 1\ndefaults:\n  partitions: 1\ntopics:\n" + kGoodTopic, "",
       "defaults.replication_factor", "missing"},
      {"cleanup policy unknown",
       topic_with("    cleanup_policy: compact,delete\n    retention_ms: 1\n    description: d\n"), "caselink.bad.v1",
       "cleanup_policy", "must be 'delete' or 'compact'"},
      {"cleanup policy missing", topic_with("    retention_ms: 1\n    description: d\n"), "caselink.bad.v1",
       "cleanup_policy", "missing"},
      {"delete without retention", topic_with("    cleanup_policy: delete\n    description: d\n"), "caselink.bad.v1",
       "retention_ms", "needs retention_ms"},
      {"compact with retention",
       topic_with("    cleanup_policy: compact\n    retention_ms: 1000\n    description: d\n"), "caselink.bad.v1",
       "retention_ms", "ignores retention.ms"},
      {"retention zero", topic_with("    cleanup_policy: delete\n    retention_ms: 0\n    description: d\n"),
       "caselink.bad.v1", "retention_ms", "-1 (keep forever) or a positive"},
      {"retention below -1", topic_with("    cleanup_policy: delete\n    retention_ms: -2\n    description: d\n"),
       "caselink.bad.v1", "retention_ms", "must be >= -1 (got -2)"},
      {"cleanup.policy in configs", topic_with(kRest + "    configs:\n      cleanup.policy: compact\n"),
       "caselink.bad.v1", "configs.cleanup.policy", "cleanup_policy"},
      {"retention.ms in configs", topic_with(kRest + "    configs:\n      retention.ms: 5\n"), "caselink.bad.v1",
       "configs.retention.ms", "retention_ms"},
      {"config value not scalar", topic_with(kRest + "    configs:\n      segment.ms: [1, 2]\n"), "caselink.bad.v1",
       "configs.segment.ms", "single value"},
      {"config name malformed", topic_with(kRest + "    configs:\n      Segment_MS: 1\n"), "caselink.bad.v1",
       "configs.Segment_MS", "not a Kafka topic config name"},
      {"configs not a mapping", topic_with(kRest + "    configs: [a]\n"), "caselink.bad.v1", "configs",
       "must be a mapping"},
      {"min.insync.replicas above replication",
       topic_with(kRest + "    configs:\n      min.insync.replicas: 2\n"), "caselink.bad.v1",
       "configs.min.insync.replicas", "replication_factor is 1"},
      {"description missing", topic_with("    cleanup_policy: delete\n    retention_ms: 1\n"), "caselink.bad.v1",
       "description", "missing"},
      {"description multi-line",
       topic_with("    cleanup_policy: delete\n    retention_ms: 1\n    description: |\n      a\n      b\n"),
       "caselink.bad.v1", "description", "one line"},
      {"duplicate topic", spec_with(kGoodTopic + kGoodTopic), "caselink.good.v1", "name",
       "duplicate topic name (first declared at line 8)"},
      {"feedback template without placeholder",
       spec_with(kGoodTopic,
                 "feedback_agencies:\n  name_template: caselink.feedback.v1\n  cleanup_policy: delete\n"
                 "  retention_ms: 1\n  description: d\n  agencies: [a]\n"),
       "feedback_agencies", "name_template", "'{agency}' exactly once"},
      {"feedback bad agency",
       spec_with(kGoodTopic,
                 "feedback_agencies:\n  name_template: caselink.feedback.{agency}.v1\n  cleanup_policy: delete\n"
                 "  retention_ms: 1\n  description: d\n  agencies: [Bad_Agency]\n"),
       "feedback_agencies", "agencies[0]", "invalid agency id 'Bad_Agency'"},
      {"feedback unknown key",
       spec_with(kGoodTopic,
                 "feedback_agencies:\n  name_template: caselink.feedback.{agency}.v1\n  cleanup_policy: delete\n"
                 "  retention_ms: 1\n  description: d\n  agencies: [a]\n  agency: [b]\n"),
       "feedback_agencies", "agency", "unknown key"},
      {"feedback collides with a topic",
       spec_with("  - name: caselink.feedback.a.v1\n" + kRest,
                 "feedback_agencies:\n  name_template: caselink.feedback.{agency}.v1\n  cleanup_policy: delete\n"
                 "  retention_ms: 1\n  description: d\n  agencies: [a]\n"),
       "caselink.feedback.a.v1", "name", "duplicate topic name"},
      {"version missing", "defaults:\n  partitions: 1\n  replication_factor: 1\ntopics:\n" + kGoodTopic, "", "version",
       "missing"},
      {"version unsupported",
       "version: 2\ndefaults:\n  partitions: 1\n  replication_factor: 1\ntopics:\n" + kGoodTopic, "", "version",
       "must be 1"},
      {"topics empty", "version: 1\ndefaults:\n  partitions: 1\n  replication_factor: 1\ntopics: []\n", "", "topics",
       "non-empty list"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.label);
    const SpecProblem p = only_problem(c.yaml);
    EXPECT_EQ(p.file, kFile);
    EXPECT_GT(p.line, 0);
    EXPECT_EQ(p.topic, c.topic);
    EXPECT_EQ(p.field, c.field);
    EXPECT_NE(p.message.find(c.message), std::string::npos) << p.to_string();
    // The rendered line carries all of it.
    const std::string text = p.to_string();
    EXPECT_EQ(text.rfind(std::string(kFile) + ":" + std::to_string(p.line) + ": ", 0), 0u) << text;
    EXPECT_NE(text.find(c.topic), std::string::npos) << text;
    EXPECT_NE(text.find("field '" + c.field + "'"), std::string::npos) << text;
  }
}

TEST(TopicSpec, ProblemRendering) {
  const SpecProblem p{"deploy/topics.yaml", 12, "caselink.x.v1", "partitions", "must be >= 1"};
  EXPECT_EQ(p.to_string(), "deploy/topics.yaml:12: topic 'caselink.x.v1': field 'partitions': must be >= 1");
  const SpecProblem q{"deploy/topics.yaml", 3, "topics[2]", "name", "missing"};
  EXPECT_EQ(q.to_string(), "deploy/topics.yaml:3: topics[2]: field 'name': missing");
}

TEST(TopicSpec, CollectsEveryProblemNotJustTheFirst) {
  const SpecProblems problems = problems_of(spec_with(
      "  - name: caselink.a_b.v1\n    partitions: 0\n    cleanup_policy: delete\n    retention_ms: 1\n"
      "    description: d\n"
      "  - name: caselink.c.v1\n    cleanup_policy: sometimes\n    retention_ms: 1\n    description: d\n"));
  ASSERT_EQ(problems.size(), 3u) << to_string(problems);
  EXPECT_EQ(problems[0].field, "name");
  EXPECT_EQ(problems[1].field, "partitions");
  EXPECT_EQ(problems[2].topic, "caselink.c.v1");
  EXPECT_EQ(problems[2].field, "cleanup_policy");
  EXPECT_EQ(to_string(problems).find("test.yaml:8: topic 'caselink.a_b.v1': field 'name'"), 0u);
}

TEST(TopicSpec, NotYamlOrNotAMapping) {
  SpecProblem p = only_problem("topics: [a, b\n");
  EXPECT_NE(p.message.find("not valid YAML"), std::string::npos) << p.to_string();
  p = only_problem("- just\n- a list\n");
  EXPECT_NE(p.message.find("must be a mapping"), std::string::npos) << p.to_string();
  p = only_problem("");
  EXPECT_NE(p.message.find("must be a mapping"), std::string::npos) << p.to_string();
}

TEST(TopicSpec, MissingFile) {
  auto result = load_topics_spec("/nonexistent/topics.yaml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().front().file, "/nonexistent/topics.yaml");
  EXPECT_NE(result.error().front().message.find("cannot read"), std::string::npos);
}

TEST(TopicSpec, ReplicationOverride) {
  auto parsed = parse_topics_spec(spec_with(kGoodTopic), kFile);
  ASSERT_TRUE(parsed.ok());

  auto three = with_replication_factor(parsed.value(), 3);
  ASSERT_TRUE(three.ok()) << to_string(three.error());
  EXPECT_EQ(three.value().topics[0].replication_factor, 3);
  EXPECT_EQ(three.value().topics[0].configs.at("min.insync.replicas"), "2");

  auto two = with_replication_factor(parsed.value(), 2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two.value().topics[0].replication_factor, 2);
  EXPECT_EQ(two.value().topics[0].configs.count("min.insync.replicas"), 0u);

  EXPECT_FALSE(with_replication_factor(parsed.value(), 0).ok());

  // A spec'd min.insync.replicas=2 is fine at 2, refused when overridden down to 1.
  auto strict = parse_topics_spec(
      "version: 1\ndefaults:\n  partitions: 1\n  replication_factor: 2\n  configs:\n    min.insync.replicas: 2\n"
      "topics:\n" +
          kGoodTopic,
      kFile);
  ASSERT_TRUE(strict.ok()) << to_string(strict.error());
  auto one = with_replication_factor(strict.value(), 1);
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.error().front().field, "configs.min.insync.replicas");
  EXPECT_NE(one.error().front().file.find("--replication-factor 1"), std::string::npos);
}

// The spec we ship parses, and holds exactly the topics docs/topics.md documents.
TEST(TopicSpec, ShippedSpecIsValid) {
  const char* source_dir = std::getenv("CASELINK_SOURCE_DIR");
  ASSERT_NE(source_dir, nullptr) << "CASELINK_SOURCE_DIR is not set (ctest sets it; or export it by hand)";
  const std::string path = std::string(source_dir) + "/deploy/topics.yaml";
  auto result = load_topics_spec(path);
  ASSERT_TRUE(result.ok()) << to_string(result.error());
  const TopicsSpec& spec = result.value();

  const std::vector<std::string> expected = {
      "caselink.referral.v1",
      "caselink.decision.v1",
      "caselink.evidence.manifest.v1",
      "caselink.evidence.receipt.v1",
      "caselink.evidence.access.v1",
      "caselink.admin-penalty.v1",
      "caselink.penalty-history.v1",
      "caselink.standards.assessment.v1",
      "caselink.recommendation.v1",
      "caselink.ack.v1",
      "caselink.case.state.v1",
      "caselink.feedback-loop.state.v1",
      "caselink.alert.v1",
      "caselink.classcase.v1",
      "caselink.classcase.facts.v1",
      "caselink.classcase.state.v1",
      "caselink.dlq.v1",
      "caselink.dlq.replay.v1",
      "caselink.bench.in.v1",
      "caselink.bench.out.v1",
      "caselink.feedback.sthjj-330100.v1",
      "caselink.feedback.rsj-330100.v1",
      "caselink.feedback.scjg-330100.v1",
      "caselink.feedback.swj-330100.v1",
      "caselink.feedback.zrzy-330100.v1",
      "caselink.feedback.yjgl-330100.v1",
  };
  EXPECT_EQ(spec.names(), expected);

  constexpr int64_t kDay = 86400000;
  for (const TopicSpec& t : spec.topics) {
    SCOPED_TRACE(t.name);
    EXPECT_EQ(t.replication_factor, 1);
    EXPECT_FALSE(t.description.empty());
    if (t.name == "caselink.case.state.v1" || t.name == "caselink.feedback-loop.state.v1" ||
        t.name == "caselink.classcase.state.v1") {
      EXPECT_EQ(t.cleanup_policy, CleanupPolicy::kCompact);
      EXPECT_EQ(t.partitions, 6);
      EXPECT_EQ(t.configs.at("min.compaction.lag.ms"), "60000");
      EXPECT_EQ(t.configs.at("segment.ms"), "3600000");
      EXPECT_EQ(t.configs.at("delete.retention.ms"), std::to_string(kDay));
      continue;
    }
    EXPECT_EQ(t.cleanup_policy, CleanupPolicy::kDelete);
    if (t.name.rfind("caselink.feedback.", 0) == 0 || t.name == "caselink.alert.v1" ||
        t.name == "caselink.dlq.replay.v1") {
      EXPECT_EQ(t.retention_ms, 90 * kDay);
    } else if (t.name.rfind("caselink.bench.", 0) == 0) {
      EXPECT_EQ(t.retention_ms, kDay);
    } else if (t.name == "caselink.classcase.v1" || t.name == "caselink.evidence.access.v1") {
      EXPECT_EQ(t.retention_ms, -1);  // the governance record of class cases, the blob-read audit: kept
    } else if (t.name == "caselink.penalty-history.v1") {
      EXPECT_EQ(t.retention_ms, 6 * 365 * kDay);  // the longest window counted (5 years) and a year more
    } else if (t.name == "caselink.classcase.facts.v1") {
      EXPECT_EQ(t.retention_ms, 7 * kDay);  // a repartition step, read within seconds
    } else {
      EXPECT_EQ(t.retention_ms, 30 * kDay);
    }
    const bool three = t.name == "caselink.dlq.v1" || t.name.rfind("caselink.feedback.", 0) == 0;
    // The replay log is read whole before every replay: one partition.
    EXPECT_EQ(t.partitions, t.name == "caselink.dlq.replay.v1" ? 1 : three ? 3 : 6);
  }

  // The 3-node override applies cleanly.
  auto cluster3 = with_replication_factor(spec, 3);
  ASSERT_TRUE(cluster3.ok()) << to_string(cluster3.error());
  for (const TopicSpec& t : cluster3.value().topics) {
    EXPECT_EQ(t.replication_factor, 3);
    EXPECT_EQ(t.configs.at("min.insync.replicas"), "2");
  }
}

}  // namespace
}  // namespace caselink::topics
