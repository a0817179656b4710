#pragma once

// The administrative penalties caselink-standards has seen (AdministrativePenaltyReported on its
// input topics), per party, so that windowed facts ("two administrative penalties for the same
// kind of act within two years") are counted by caselink itself and cited, not only declared by
// the sender (issue 16 §2). Pure and in memory: entries of the open transaction become visible
// to later records at once (the same transaction may hold both), are kept on commit and dropped
// on abort.
//
// What it does NOT do yet: restore from the topics after a restart or a partition reassignment,
// nor see penalties of the same party that land on another instance's partitions. The count is
// therefore a lower bound, which is how the engine treats it (engine.h, windowed facts).

#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "services/standards/engine/types.h"

namespace caselink::standards {

class PenaltyHistory {
 public:
  // `capacity`: parties remembered (oldest first out); 0 disables the history.
  explicit PenaltyHistory(size_t capacity) : capacity_(capacity) {}

  // Earlier penalties of any party of the event (penalized_parties / suspects, by suspect_id),
  // without the event's own decision, deduplicated by decision number.
  std::vector<SeenPenalty> earlier(const v1::Envelope& event) const;
  // Remembers an imposed penalty of an AdministrativePenaltyReported event (others are ignored, and
  // so are public-security penalties, DOMAIN_PUBLIC_SECURITY_GENERAL: sealed records under the
  // 治安管理处罚法 in force 2026-01-01).
  void add(const v1::Envelope& event);
  void commit();
  void abort();

  size_t parties() const { return committed_.size(); }

 private:
  size_t capacity_;
  std::map<std::string, std::vector<SeenPenalty>> committed_;  // suspect_id -> penalties
  std::deque<std::string> order_;                              // first-seen order, for eviction
  std::map<std::string, std::vector<SeenPenalty>> pending_;    // the open transaction's, by party
};

}  // namespace caselink::standards
