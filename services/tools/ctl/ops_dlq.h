#pragma once
// `caselinkctl dlq list|show|replay`: the dead letters with their dlq.* reason headers, one of
// them decoded, and the replay of selected ones to the topic they came from after a fix.
//
// A replay is idempotent and recorded:
//  * every dead letter has a deterministic replay id, derived from where it sits on the DLQ
//    (sha256 of "<dlq topic>/<partition>/<offset>"), so the same dead letter always has the
//    same id however often, by whomever, it is selected;
//  * the replayed record and a ReplayRecord keyed by that id on caselink.dlq.replay.v1 are
//    written in ONE Kafka transaction: both or neither;
//  * the transactional id is fixed ("caselinkctl-dlq-replay"), and the replay log is read
//    (read_committed, up to the high watermark, waiting for open transactions) only after
//    init_transactions: a concurrent replay is either fenced (its commit fails, nothing
//    written) or finished and visible in the log, whose ids are then skipped;
//  * the replayed record keeps its key, value and non-dlq headers, so it carries the original
//    event id, which every consuming service deduplicates (a group that had processed the
//    event before it was dead-lettered elsewhere skips it).

#include <cstdint>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "services/lib/envelope/topics.h"
#include "services/lib/core/record.h"
#include "services/tools/ctl/case_history.h"
#include "services/tools/ctl/ops.h"

namespace caselink::ctl {

inline constexpr const char* kReplayLogTopic = envelope::topics::kDlqReplay;
inline constexpr const char* kReplayTransactionalId = "caselinkctl-dlq-replay";
// Headers added to a replayed record.
inline constexpr const char* kReplayIdHeader = "caselink.replay.id";
inline constexpr const char* kReplayOfHeader = "caselink.replay.of";  // "<dlq topic>/<partition>@<offset>"

// Which dead letters a command is about. Empty fields select everything.
struct DlqSelector {
  std::optional<int32_t> partition;
  std::optional<int64_t> from_offset;  // inclusive
  std::optional<int64_t> to_offset;    // inclusive
  std::string reason;                  // dlq.error.class, exact
  std::string case_id;                 // record key or envelope case id
  [[nodiscard]] bool empty() const;
  [[nodiscard]] bool matches(const CaseRecordRef& dead) const;
};

// Parses "N" or "A-B" into the selector's offset range; false when malformed.
bool parse_offset_range(const std::string& text, DlqSelector* selector);

std::string replay_id_for(const std::string& dlq_topic, int32_t partition, int64_t offset);

// Pure: the record a replay writes back (original topic, key, value, headers minus dlq.*, plus
// the replay headers), or an error naming why this dead letter cannot be replayed.
Result<OutgoingRecord> make_replay_record(const CaseRecordRef& dead);
// Pure: the replay log entry (key = replay id, JSON value).
OutgoingRecord make_replay_log_record(const CaseRecordRef& dead, const std::string& replayed_at,
                                      const std::string& by, const std::string& note);

int dlq_list(const DlqSelector& selector, const OpsOptions& options, std::ostream& out, std::ostream& err);
int dlq_show(int32_t partition, int64_t offset, const OpsOptions& options, std::ostream& out, std::ostream& err);

struct ReplayRequest {
  DlqSelector selector;
  bool dry_run = false;
  std::string note;  // why (recorded in the replay log)
  std::string by;    // who (recorded; default $USER)
};

// Exit: kOk (replayed, or everything selected already was), kNotFound nothing selected,
// kUsage a selected record cannot be replayed, kBrokerError.
int dlq_replay(const ReplayRequest& request, const OpsOptions& options, std::ostream& out, std::ostream& err);

}  // namespace caselink::ctl
