#pragma once
// The receipts half of `caselinkctl audit verify` (issue 15 §4; docs/contracts/signing.md
// "Receipts"): every acknowledgement of the case that carries an event digest is checked against
// the acknowledged event as the topics hold it, and, given the key registry, every receipt's own
// signature. The hash chain (verify_chain) proves the case's events were not altered or removed;
// this proves each receipt acknowledged exactly that event, signer included, and was signed by
// the party that acknowledged. Pure: the caller reads the topics and loads the registry.

#include <cstddef>
#include <string>
#include <vector>

#include "services/lib/signing/key_registry.h"
#include "services/tools/ctl/case_history.h"
#include "services/tools/ctl/case_view.h"

namespace caselink::ctl {

// What one receipt's check found, a fixed set (docs/caselinkctl.md).
namespace receipt {
inline constexpr const char* kVerified = "verified";          // digest matches the event
inline constexpr const char* kMismatch = "mismatch";          // no stored copy matches
inline constexpr const char* kUnverifiable = "unverifiable";  // event not on the topics
inline constexpr const char* kWithoutDigest = "without digest";
}  // namespace receipt

struct ReceiptLine {
  std::string receipt_event_id;
  std::string receipt_type;  // "ReferralAccepted", "EvidenceReceipt", "FeedbackAcknowledged"
  std::string producer;      // the acknowledging party (Envelope.producer_agency_id)
  std::string acknowledged_event_id;
  std::string status;        // one of receipt::k* above
  std::string detail;        // why, in words (names both event ids on a mismatch)
  SignatureLine signature;   // the receipt's own signature (check_signature: "not checked" without a registry)
};

struct ReceiptReport {
  size_t receipts = 0;  // acknowledgements of the case found (with or without digest)
  size_t verified = 0;
  size_t mismatched = 0;
  size_t unverifiable = 0;
  size_t without_digest = 0;
  // Signatures of the receipts themselves, checked when a key registry is given.
  bool signatures_checked = false;
  size_t signatures_verified = 0;
  size_t signatures_failed = 0;  // refused by the registry: invalid, revoked, unknown key, ...
  size_t unsigned_receipts = 0;
  std::vector<ReceiptLine> lines;  // one per receipt, in topic order
  // A mismatched digest or a signature that fails: the receipt does not prove what it claims.
  bool ok() const { return mismatched == 0 && signatures_failed == 0; }
};

// Which topic holds the event a receipt acknowledges when it is not a case topic: a
// FeedbackAcknowledged names a record on caselink.feedback.<agency_id>.v1. Empty for receipts
// whose acknowledged event is on the case topics (ReferralAccepted, EvidenceReceipt).
std::vector<std::string> extra_topics_for_receipts(const CaseHistory& history);

// Checks every receipt in `history` against the events in `history` and `extra` (records of the
// topics extra_topics_for_receipts named). `unreadable` lists topics that could not be read,
// with the reason: receipts whose event would be there are unverifiable, saying why.
struct UnreadableTopic {
  std::string topic;
  std::string reason;
};
// `registry` null: receipts' signatures are reported "not checked".
ReceiptReport verify_receipts(const CaseHistory& history, const std::vector<CaseRecordRef>& extra = {},
                              const std::vector<UnreadableTopic>& unreadable = {},
                              const signing::KeyRegistry* registry = nullptr);

}  // namespace caselink::ctl
