#pragma once
// Reads what the topics hold about one case: every record keyed by the case id on the case
// topics, as raw bytes and decoded envelopes. Since every producer partitions by the murmur2 hash
// of the key (librdkafka's murmur2_random = Java's default partitioner), only one partition per
// topic needs reading; `all_partitions` reads them all (for records produced otherwise).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/core/record.h"
#include "services/lib/core/result.h"
#include "services/lib/envelope/topics.h"
#include "services/lib/kafka/settings.h"

namespace caselink::ctl {

// The case topics caselinkctl reads (docs/topics.md), state topic included.
const std::vector<std::string>& case_topics();
inline constexpr const char* kStateTopic = envelope::topics::kCaseState;
inline constexpr const char* kAlertTopic = envelope::topics::kAlert;
inline constexpr const char* kDlqTopic = envelope::topics::kDlq;

// Kafka's murmur2 (seed 0x9747b28c), as librdkafka and the Java client compute it.
uint32_t murmur2(std::string_view key);
// The partition a keyed record lands on: (murmur2(key) & 0x7fffffff) % partitions.
int32_t partition_for_key(std::string_view key, int32_t partitions);

struct CaseRecordRef {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  int64_t timestamp_ms = -1;  // the Kafka record timestamp (dlq tail orders by it)
  std::string key;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string raw;        // the record value as stored (hash-chain input)
  v1::Envelope envelope;  // decoded; records that do not decode are skipped and counted
};

// What the chain check needs of one snapshot: its version, its hash and link, and the event it
// applied (whose stored bytes are in CaseHistory::records).
struct SnapshotLink {
  uint64_t version = 0;
  std::string state_hash_hex;
  std::string previous_state_hash_hex;
  std::string last_event_id;
};

// A deadline as the snapshots mention it: the latest mention (highest version; of one version
// republished, the one read last), and whether any mention showed it OVERDUE.
struct DeadlineMention {
  v1::Deadline deadline;
  uint64_t version = 0;
  bool overdue_seen = false;
};

// The snapshots of a case folded as they are read. Before the broker compacts the state topic it
// holds one snapshot per version, each carrying the case's open deadlines, so a long case's
// snapshots add up to gigabytes (issue 14 §3: 3.0 GB for a 10,000-event case); folded, memory
// grows with the number of versions and distinct deadlines, and one snapshot is kept whole.
struct StateFold {
  std::vector<SnapshotLink> links;              // one per snapshot record, in read order
  std::map<std::string, DeadlineMention> deadlines;  // by deadline id
  std::optional<v1::CaseStateSnapshot> latest;  // the highest version (of one version, the last read)

  // Folds `s` into links and deadlines; true when it is the newest so far (the caller keeps it
  // as `latest`: add() moves it there).
  bool note(const v1::CaseStateSnapshot& s);
  void add(v1::CaseStateSnapshot&& s) {
    if (note(s)) latest = std::move(s);
  }
  bool empty() const { return links.empty(); }

 private:
  std::optional<uint64_t> latest_version_;
};

struct CaseHistory {
  // In topic order, then offset. read_case folds the state topic's snapshots into `states`
  // instead; a history built otherwise (the console's read model, tests) may hold them here.
  std::vector<CaseRecordRef> records;
  StateFold states;
  size_t undecodable = 0;

  bool empty() const { return records.empty() && states.empty(); }
};

struct ReadOptions {
  std::string bootstrap = "127.0.0.1:9092";
  // Everything else of the connection (security: kafka.sasl_*, kafka.ssl_*, …); `bootstrap` wins.
  kafka::KafkaSettings kafka;
  bool all_partitions = false;
  std::chrono::milliseconds timeout{30000};
};

// A consumed record as caselinkctl keeps it: the envelope decoded when it is one (else counted
// in `undecodable`, which may be null).
CaseRecordRef to_record_ref(const ConsumedRecord& record, size_t* undecodable);

// Reads the case's records from every case topic up to the end as of now (read_committed); its
// snapshots are folded into CaseHistory::states as they are read, never all held.
Result<CaseHistory> read_case(const std::string& case_id, const ReadOptions& options);

// Reads whole topics up to their end (read_committed): every record, decoded where possible.
// `last_n` > 0 starts each partition n offsets before its end (dlq tail keeps the newest n).
Result<std::vector<CaseRecordRef>> read_topic(const std::string& topic, const ReadOptions& options, int64_t last_n = 0);

}  // namespace caselink::ctl
