#pragma once

// The declarative topic spec (deploy/topics.yaml): parsing, validation, and the
// --replication-factor override. Pure: no Kafka, no I/O except reading the file.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/lib/core/result.h"

namespace caselink::topics {

enum class CleanupPolicy { kDelete, kCompact };

const char* to_string(CleanupPolicy policy);

// One topic as it must exist on the cluster, after defaults are applied and the
// feedback_agencies section is expanded.
struct TopicSpec {
  std::string name;
  int32_t partitions = 1;
  int16_t replication_factor = 1;
  CleanupPolicy cleanup_policy = CleanupPolicy::kDelete;
  std::optional<int64_t> retention_ms;
  std::string description;
  // The full set of topic configs the tool manages: defaults.configs, the topic's own
  // configs, cleanup.policy and retention.ms. Sorted, so plans print deterministically.
  std::map<std::string, std::string> configs;
  int line = 0;  // where the topic is declared, for messages (1-based, 0 = unknown)
};

struct TopicsSpec {
  std::string source;             // the file it came from, for messages
  std::vector<TopicSpec> topics;  // declaration order; feedback topics last

  [[nodiscard]] std::vector<std::string> names() const;
  [[nodiscard]] const TopicSpec* find(std::string_view name) const;
};

// One problem found in a spec. to_string() reads
//   deploy/topics.yaml:12: topic 'caselink.x.v1': field 'partitions': must be >= 1 (got 0)
struct SpecProblem {
  std::string file;
  int line = 0;       // 1-based, 0 = unknown
  std::string topic;  // the topic name; or the entry ("topics[3]", "feedback_agencies") when it has
                      // no valid name yet; empty when the problem is not about one topic
  std::string field;  // dotted path inside the topic or section, e.g. "configs.segment.ms"
  std::string message;

  [[nodiscard]] std::string to_string() const;
};

using SpecProblems = std::vector<SpecProblem>;

// Joins problems into one multi-line message.
std::string to_string(const SpecProblems& problems);

// Topic name rules (docs/kafka.md section 5): lowercase; '.' separates segments; a segment is
// [a-z0-9] with '-' allowed inside it (never '_', never leading or trailing); at least two
// segments, the last one a version "v<N>"; at most 249 characters.
// Returns std::nullopt if the name is valid, else why not.
std::optional<std::string> check_topic_name(std::string_view name);

// Agency ids (used in caselink.feedback.<agency>.v1) follow the segment rule above.
std::optional<std::string> check_agency_id(std::string_view id);

// Parses and validates a spec. Collects every problem it can find rather than stopping at
// the first; `source` names the file in messages.
Result<TopicsSpec, SpecProblems> parse_topics_spec(std::string_view yaml_text, const std::string& source);
Result<TopicsSpec, SpecProblems> load_topics_spec(const std::string& path);

// --replication-factor N: sets every topic's replication factor to N and, when N >= 3,
// min.insync.replicas=2 (so acks=all survives one broker down). Re-validates
// min.insync.replicas <= replication factor.
Result<TopicsSpec, SpecProblems> with_replication_factor(TopicsSpec spec, int replication_factor);

}  // namespace caselink::topics
