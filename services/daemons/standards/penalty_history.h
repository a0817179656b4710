#pragma once

// The administrative penalties caselink-standards has seen (AdministrativePenaltyReported on its
// input topics), per party, so that windowed facts ("two administrative penalties for the same
// kind of act within two years") are counted by caselink itself and cited, not only declared by
// the sender (issue 16 §2). Pure and in memory: entries of the open transaction become visible
// to later records at once (the same transaction may hold both), are kept on commit and dropped
// on abort. A party is recognised across cases by its document type, masked id number and name
// (all three; suspect_id is only stable within one case), so a party reported without a masked
// number or a name is not remembered.
//
// After a restart or a reassignment caselink-standards refills it from the penalty topic's
// partitions it was assigned (restore(), StandardsHandler::on_partitions_assigned). It does not
// see penalties of the same party that land on another instance's partitions, nor those the
// topic's retention has removed. The count is therefore a lower bound, which is how the engine
// treats it (engine.h, windowed facts).

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "services/daemons/standards/engine/types.h"

namespace caselink::standards {

class PenaltyHistory {
 public:
  // `capacity`: parties remembered (oldest first out); 0 disables the history.
  explicit PenaltyHistory(size_t capacity) : capacity_(capacity) {}

  // Earlier penalties of any party of the event (penalized_parties / suspects, recognised by
  // document type, masked id number and name),
  // without the event's own decision, deduplicated by decision number.
  std::vector<SeenPenalty> earlier(const v1::Envelope& event) const;
  // Remembers an imposed penalty of an AdministrativePenaltyReported event (others are ignored, and
  // so are public-security penalties, DOMAIN_PUBLIC_SECURITY_GENERAL: sealed records under the
  // 治安管理处罚法 in force 2026-01-01).
  void add(const v1::Envelope& event);
  // Remembers such a penalty read back from the topic: straight into the committed history (a
  // restore runs between transactions' records and must not join the open transaction).
  // Returns false when the event is not one add() would remember.
  bool restore(const v1::Envelope& event);
  void commit();
  void abort();

  size_t parties() const { return committed_.size(); }

 private:
  // The penalty an event adds to each of its parties' histories, if it adds one.
  static std::optional<SeenPenalty> remembered(const v1::Envelope& event);
  void keep(const std::string& party, SeenPenalty penalty);
  void evict();

  size_t capacity_;
  std::map<std::string, std::vector<SeenPenalty>> committed_;  // party key -> penalties
  std::deque<std::string> order_;                              // first-seen order, for eviction
  std::map<std::string, std::vector<SeenPenalty>> pending_;    // the open transaction's, by party
};

}  // namespace caselink::standards
