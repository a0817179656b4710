#include "services/tools/ctl/receipts_check.h"

#include <map>
#include <optional>
#include <set>

#include "services/lib/envelope/topics.h"
#include "services/lib/signing/envelope_signature.h"

namespace caselink::ctl {
namespace {

// What a receipt says it acknowledges.
struct Claim {
  const char* type;
  std::string acknowledged_event_id;
  std::string digest_hex;
  std::string topic;  // where the acknowledged event lives when not on the case topics
};

std::optional<Claim> claim_of(const v1::Envelope& env) {
  if (env.has_referral_accepted()) {
    const auto& a = env.referral_accepted();
    return Claim{"ReferralAccepted", a.referral_event_id(), a.referral_digest_hex(), {}};
  }
  if (env.has_evidence_receipt()) {
    const auto& r = env.evidence_receipt();
    return Claim{"EvidenceReceipt", r.manifest_event_id(), r.manifest_digest_hex(), {}};
  }
  if (env.has_feedback_acknowledged()) {
    const auto& f = env.feedback_acknowledged();
    return Claim{"FeedbackAcknowledged", f.feedback_event_id(), f.feedback_digest_hex(),
                 envelope::feedback_topic_for(f.agency_id())};
  }
  return std::nullopt;
}

struct Stored {
  std::string topic;
  int64_t offset;
  std::string digest_hex;
};

using EventIndex = std::map<std::string, std::vector<Stored>>;

void index_records(const std::vector<CaseRecordRef>& records, EventIndex& index) {
  for (const CaseRecordRef& r : records) {
    if (r.topic == kStateTopic || r.envelope.event_id().empty()) continue;  // snapshots acknowledge nothing
    index[r.envelope.event_id()].push_back({r.topic, r.offset, signing::event_digest_hex(r.envelope)});
  }
}

std::string where(const Claim& claim) { return claim.topic.empty() ? "the case topics" : claim.topic; }

// The status of one receipt that carries a digest.
void judge(const Claim& claim, const EventIndex& index, const std::vector<UnreadableTopic>& unreadable,
           ReceiptLine& line) {
  const auto found = index.find(claim.acknowledged_event_id);
  if (found == index.end()) {
    line.status = receipt::kUnverifiable;
    line.detail = "event " + claim.acknowledged_event_id + " is not on " + where(claim) +
                  " (left retention, or never written)";
    for (const UnreadableTopic& u : unreadable) {
      if (u.topic == claim.topic) line.detail = "could not read " + u.topic + ": " + u.reason;
    }
    return;
  }
  for (const Stored& s : found->second) {
    if (s.digest_hex == claim.digest_hex) {
      line.status = receipt::kVerified;
      line.detail = "matches event " + claim.acknowledged_event_id + " at " + s.topic + "@" + std::to_string(s.offset);
      return;
    }
  }
  const Stored& s = found->second.front();
  line.status = receipt::kMismatch;
  line.detail = "receipt " + line.receipt_event_id + " carries digest " + claim.digest_hex + " of event " +
                claim.acknowledged_event_id + ", but event " + claim.acknowledged_event_id + " at " + s.topic + "@" +
                std::to_string(s.offset) + " has digest " + s.digest_hex +
                " (the event or the receipt was altered, or the receipt acknowledges another content)";
}

void count_signature(const SignatureLine& s, ReceiptReport& report) {
  if (s.status == "verified") {
    ++report.signatures_verified;
  } else if (s.status == "unsigned") {
    ++report.unsigned_receipts;
  } else if (s.status != "not checked") {
    ++report.signatures_failed;
  }
}

}  // namespace

std::vector<std::string> extra_topics_for_receipts(const CaseHistory& history) {
  std::set<std::string> topics;
  for (const CaseRecordRef& r : history.records) {
    if (auto claim = claim_of(r.envelope); claim && !claim->topic.empty() && !claim->digest_hex.empty()) {
      topics.insert(claim->topic);
    }
  }
  return {topics.begin(), topics.end()};
}

ReceiptReport verify_receipts(const CaseHistory& history, const std::vector<CaseRecordRef>& extra,
                              const std::vector<UnreadableTopic>& unreadable, const signing::KeyRegistry* registry) {
  EventIndex index;
  index_records(history.records, index);
  index_records(extra, index);
  ReceiptReport report;
  report.signatures_checked = registry != nullptr;
  std::set<std::pair<std::string, std::string>> seen;  // (receipt id, digest): a redelivery counts once
  for (const CaseRecordRef& r : history.records) {
    const auto claim = claim_of(r.envelope);
    if (!claim || !seen.emplace(r.envelope.event_id(), claim->digest_hex).second) continue;
    ReceiptLine line{r.envelope.event_id(), claim->type, r.envelope.producer_agency_id(),
                     claim->acknowledged_event_id, {}, {}, check_signature(r.envelope, registry)};
    count_signature(line.signature, report);
    if (claim->digest_hex.empty()) {
      line.status = receipt::kWithoutDigest;
      line.detail = "carries no event digest";
    } else {
      judge(*claim, index, unreadable, line);
    }
    ++report.receipts;
    report.verified += line.status == receipt::kVerified ? 1 : 0;
    report.mismatched += line.status == receipt::kMismatch ? 1 : 0;
    report.unverifiable += line.status == receipt::kUnverifiable ? 1 : 0;
    report.without_digest += line.status == receipt::kWithoutDigest ? 1 : 0;
    report.lines.push_back(std::move(line));
  }
  return report;
}

}  // namespace caselink::ctl
