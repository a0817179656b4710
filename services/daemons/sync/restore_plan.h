#pragma once

// Which state records a whole restore has to fold (issue 19, takeover after kill -9).
//
// A restore keeps, per case, the state record with the highest version (ties: the later one).
// Folding a record means decoding it and packing it (resident.h); packing is three quarters of a
// restore's CPU, and a partition holds several versions of an active case (compaction leaves
// the active segment alone, up to `segment.ms`). So a restore reads its partitions twice: the
// first pass looks at each record's wire bytes for the case id and version only (no protobuf
// objects, no allocation beyond the id) and picks each case's winner; the second pass folds the
// winners and skips the rest. The outcome is the one of folding every record in order, with
// two exceptions the caller handles: a winner the full decode then refuses (its case must fall
// back on an earlier version: read the partitions again, folding everything), and records that
// came after the first pass (folded in order, on top).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "services/lib/core/record.h"
#include "services/lib/core/clock.h"

namespace caselink::sync {

// What the first pass reads of a state record: an Envelope whose payload is a CaseStateSnapshot.
struct StatePeek {
  std::string case_id;
  uint64_t version = 0;
  std::optional<TimePoint> last_event_occurred_at;
};

// nullopt when the bytes are not a well-formed Envelope carrying a snapshot at the wire level.
// A record read here may still be refused by the full decode (invalid UTF-8, the internal header).
std::optional<StatePeek> peek_state_record(std::string_view value);

class RestorePlan {
 public:
  // First pass, records in offset order per partition. Returns the peek (nullopt: the record
  // will be folded, i.e. logged as unusable, as before).
  std::optional<StatePeek> see(const ConsumedRecord& record);
  // Between the passes: each case's winner becomes an offset to fold.
  void finish();
  // Second pass: fold this record? Its case's winner, a record the first pass could not read
  // (folded to be logged and counted as unusable), or one past what the first pass saw.
  bool folds(const ConsumedRecord& record) const;
  // Is this record its case's winner?
  bool winner(const ConsumedRecord& record) const;

 private:
  struct Best {
    uint64_t version = 0;
    int64_t offset = -1;
  };
  struct Partition {
    std::unordered_map<std::string, Best> best;  // case id -> winner so far (first pass)
    std::vector<int64_t> winners;                 // offsets, ascending (finish())
    std::vector<int64_t> unreadable;              // first-pass offsets without a peek, ascending
    int64_t next_offset = 0;                      // past the last record the first pass saw
  };

  std::map<int32_t, Partition> partitions_;
};

}  // namespace caselink::sync
