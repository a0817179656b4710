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
// Every penalty it remembers is also written, trimmed to what the history needs, to the penalty
// history topic (caselink.penalty-history.v1, kept six years), which every instance follows from
// the beginning on a thread of its own (HistoryFollower) and hands over through a PenaltyInbox:
// so an instance counts the penalties other instances saw, and those older than the penalty
// topic's 30 days. After a restart or a reassignment caselink-standards also refills it from the
// penalty topic's partitions it was assigned (restore(), StandardsHandler::on_partitions_assigned).
// What the follower has not read yet (just after a start, or a penalty another instance committed
// moments ago) is not counted, nor is a penalty never reported to caselink. The count is
// therefore a lower bound, which is how the engine treats it (engine.h, windowed facts).

#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/core/record.h"
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
  // A record of the penalty history topic, on the follower's thread: decoded and checked like any
  // input (kafka::decode_record: key, validation, signature), accepted only from `producer` (the
  // topic's one writer, caselink-standards), then restore()d. Returns false with the reason in
  // `why` when it is not taken.
  bool restore_record(const ConsumedRecord& record, const std::string& producer, std::string* why);
  // Whether add() remembers `event` (an imposed, dated, numbered penalty of a recognisable party).
  static bool remembers(const v1::Envelope& event);
  void commit();
  void abort();

  size_t parties() const;

 private:
  // The penalty an event adds to each of its parties' histories, if it adds one.
  static std::optional<SeenPenalty> remembered(const v1::Envelope& event);
  void keep(const std::string& party, SeenPenalty penalty);
  void evict();

  size_t capacity_;
  // The committed part is shared with the history follower's thread (restore_record); the open
  // transaction's part (pending_) is the loop thread's alone.
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<SeenPenalty>> committed_;  // party key -> penalties; mutex_
  std::deque<std::string> order_;                              // first-seen order, for eviction; mutex_
  std::map<std::string, std::vector<SeenPenalty>> pending_;    // the open transaction's, by party
};


}  // namespace caselink::standards
