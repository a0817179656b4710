#include "services/tools/ctl/ops_audit.h"

#include <nlohmann/json.hpp>

#include "services/daemons/sync/case_engine.h"
#include "services/lib/signing/envelope_signature.h"
#include "services/tools/ctl/case_history.h"
#include "services/tools/ctl/case_view.h"
#include "services/tools/ctl/commands.h"
#include "services/tools/ctl/receipts_check.h"

namespace caselink::ctl {
namespace {

// The receipts check needs the topics the case topics do not include (the feedback topics that
// FeedbackAcknowledged receipts name): read whole, kept for this case only. A topic that cannot
// be read (missing, or no READ for this principal) leaves its receipts unverifiable, not failed.
ReceiptReport check_receipts(const std::string& case_id, const CaseHistory& history, const ReadOptions& read,
                             const signing::KeyRegistry* registry) {
  std::vector<CaseRecordRef> extra;
  std::vector<UnreadableTopic> unreadable;
  for (const std::string& topic : extra_topics_for_receipts(history)) {
    auto records = read_topic(topic, read);
    if (!records.ok()) {
      unreadable.push_back({topic, records.error().message});
      continue;
    }
    for (CaseRecordRef& r : records.value()) {
      if (r.envelope.case_id() == case_id) extra.push_back(std::move(r));
    }
  }
  return verify_receipts(history, extra, unreadable, registry);
}

nlohmann::json receipts_json(const ReceiptReport& r) {
  nlohmann::json lines = nlohmann::json::array();
  for (const ReceiptLine& l : r.lines) {
    lines.push_back({{"event_id", l.receipt_event_id},
                     {"type", l.receipt_type},
                     {"producer", l.producer},
                     {"acknowledged_event_id", l.acknowledged_event_id},
                     {"status", l.status},
                     {"detail", l.detail},
                     {"signature",
                      {{"status", l.signature.status},
                       {"key_id", l.signature.key_id},
                       {"signer", l.signature.signer},
                       {"custodian", l.signature.custodian},
                       {"detail", l.signature.detail}}}});
  }
  return {{"ok", r.ok()},
          {"scheme", signing::kEventDigestScheme},
          {"receipts", r.receipts},
          {"verified", r.verified},
          {"mismatched", r.mismatched},
          {"unverifiable", r.unverifiable},
          {"without_digest", r.without_digest},
          {"signatures_checked", r.signatures_checked},
          {"signatures_verified", r.signatures_verified},
          {"signatures_failed", r.signatures_failed},
          {"unsigned", r.unsigned_receipts},
          {"lines", lines}};
}

void print_chain(const std::string& case_id, const ChainReport& c, std::ostream& out) {
  if (c.ok) {
    out << "Hash chain of " << case_id << ": OK — " << c.verified << " of " << c.versions_present
        << " version(s) recomputed from the stored events";
    if (c.unverifiable > 0) out << ", " << c.unverifiable << " whose event has left retention";
    if (c.first_version > 1) out << "; versions below " << c.first_version << " compacted away";
    out << "\n  (" << sync::kHashScheme << ")\n";
  } else {
    out << "Hash chain of " << case_id << ": BROKEN at version " << c.broken_version << ": " << c.problem << "\n";
  }
}

void print_receipt_signatures(const ReceiptReport& r, std::ostream& out) {
  if (!r.signatures_checked) {
    out << "  signatures of the receipts: not checked (give --key-registry or CASELINK_SIGNING_REGISTRY_FILE)\n";
    return;
  }
  out << "  signatures of the receipts: " << r.signatures_verified << " verified, " << r.signatures_failed
      << " FAILED, " << r.unsigned_receipts << " unsigned\n";
  for (const ReceiptLine& l : r.lines) {
    const std::string& status = l.signature.status;
    if (status == "verified" || status == "unsigned" || status == "not checked") continue;
    out << "  signature FAILED " << status << ": " << l.receipt_type << " " << l.receipt_event_id << " by "
        << l.producer << " (key " << l.signature.key_id << ")" << (l.signature.detail.empty() ? "" : ": ")
        << l.signature.detail << "\n";
  }
}

void print_receipts(const std::string& case_id, const ReceiptReport& r, std::ostream& out) {
  const char* verdict = r.ok() ? "OK" : (r.mismatched > 0 ? "MISMATCH" : "SIGNATURE FAILED");
  out << "Receipts of " << case_id << ": " << verdict << " — " << r.receipts << " acknowledgement(s): " << r.verified
      << " verified, " << r.mismatched << " mismatched, " << r.unverifiable
      << " unverifiable (acknowledged event not on the topics), " << r.without_digest << " without digest\n";
  for (const ReceiptLine& l : r.lines) {
    if (l.status == receipt::kMismatch || l.status == receipt::kUnverifiable) {
      out << "  " << l.status << ": " << l.receipt_type << " " << l.receipt_event_id << " by " << l.producer << " of "
          << l.acknowledged_event_id << ": " << l.detail << "\n";
    }
  }
  if (r.receipts > 0) {
    print_receipt_signatures(r, out);
    out << "  (" << signing::kEventDigestScheme << ")\n";
  }
}

}  // namespace

int audit_verify(const std::string& case_id, bool all_partitions, const signing::KeyRegistry* registry,
                 const OpsOptions& options, std::ostream& out, std::ostream& err) {
  ReadOptions read;
  read.bootstrap = options.kafka.bootstrap;
  read.kafka = options.kafka;
  read.timeout = options.timeout;
  read.all_partitions = all_partitions;
  auto history = read_case(case_id, read);
  if (!history.ok()) {
    err << "caselinkctl: " << history.error().message << "\n";
    return kBrokerError;
  }
  if (history.value().empty()) {
    err << "caselinkctl: no record of case " << case_id << " on the case topics\n";
    return kNotFound;
  }
  const ChainReport c = verify_chain(history.value());
  const ReceiptReport receipts = check_receipts(case_id, history.value(), read, registry);
  if (options.json) {
    out << nlohmann::json{{"case_id", case_id},
                          {"scheme", sync::kHashScheme},
                          {"ok", c.ok},
                          {"versions_present", c.versions_present},
                          {"first_version", c.first_version},
                          {"verified", c.verified},
                          {"unverifiable", c.unverifiable},
                          {"broken_version", c.broken_version},
                          {"problem", c.problem},
                          {"receipts", receipts_json(receipts)}}
               .dump(2)
        << "\n";
  } else {
    print_chain(case_id, c, out);
    print_receipts(case_id, receipts, out);
  }
  if (!c.ok) return kChainBroken;
  return receipts.ok() ? kOk : kReceiptMismatch;
}

}  // namespace caselink::ctl
