#pragma once

// caselink-evidence: verifies evidence manifests against the blob store and the material
// rules and answers each with an EvidenceReceipt; acknowledges chain-of-custody events.
//
//   in   caselink.evidence.manifest.v1   Envelope{EvidenceManifest | CustodyEvent}
//   out  caselink.evidence.receipt.v1    Envelope{EvidenceReceipt}, key = case id,
//                                        causation_id = the manifest event's id, event_id
//                                        derived from it (a redelivered manifest yields the
//                                        same receipt id)
//   DLQ  anything else, undecodable records, manifests without id/purpose/domain, invalid
//        custody events
//
// The store being unreadable is the only reason to retry; every problem with an item is an
// answer in the receipt.

#include <memory>
#include <string>

#include "services/lib/config/config.h"
#include "services/lib/core/clock.h"
#include "services/lib/envelope/topics.h"
#include "services/lib/kafka/record_handler.h"
#include "services/lib/metrics/registry.h"
#include "services/daemons/evidence/blob_store.h"
#include "services/daemons/evidence/material_rules.h"

namespace caselink::v1 {
class Envelope;
}

namespace caselink::evidence {

struct Settings {
  // Where receipts go.
  std::string receipt_topic = envelope::topics::kEvidenceReceipt;
  // Where the audit record of every blob read goes (CustodyEvent ACCESSED).
  std::string access_topic = envelope::topics::kEvidenceAccess;
  // Root directory of the local content-addressed blob store (required).
  std::string store_path;
  // X25519 private key that opens blobs sealed at rest (docs/services/evidence.md "Blobs at
  // rest"). Empty: only plaintext blobs can be read (development; logged at start).
  std::string store_private_key_file;
  // Directory of the material-list and usability files.
  std::string rules_dir = "rules/materials";
  // Re-hash every blob on each manifest (detects altered content), not only presence and size.
  bool verify_content = true;
  // producer_agency_id of the receipts.
  std::string producer_id = "caselink-evidence";
};

void bind(config::ConfigBinder& binder, Settings* settings);

// Every metric of this service, registered at start-up (docs/services/evidence.md).
struct EvidenceMetrics {
  explicit EvidenceMetrics(metrics::Registry& registry);
  metrics::CounterFamily& receipts;           // {status}
  metrics::CounterFamily& item_problems;      // {problem}
  metrics::CounterFamily& items;              // {usability}
  metrics::CounterFamily& missing_categories; // {category, requirement}
  metrics::CounterFamily& custody_events;     // {action}
  metrics::Counter& store_unavailable;
  metrics::Counter& blob_reads;
  metrics::Histogram& verify_seconds;
};

class EvidenceHandler final : public kafka::RecordHandler {
 public:
  // `metrics` may be null (tests that do not look at metrics).
  EvidenceHandler(Settings settings, std::shared_ptr<const BlobStore> store, std::shared_ptr<const MaterialRules> rules,
                  const Clock& clock, std::unique_ptr<EvidenceMetrics> metrics);

  kafka::HandlerResult handle(const ConsumedRecord& record) override;

 private:
  kafka::HandlerResult handle_manifest(const caselink::v1::Envelope& envelope);
  kafka::HandlerResult handle_custody(const caselink::v1::Envelope& envelope);
  // The access record of the blobs read while verifying `input` (its audit, issue 15 §5).
  OutgoingRecord access_record(const caselink::v1::Envelope& input, const std::vector<crypto::Sha256Digest>& read,
                               TimePoint now) const;

  Settings settings_;
  std::shared_ptr<const BlobStore> store_;
  std::shared_ptr<const MaterialRules> rules_;
  const Clock& clock_;
  std::unique_ptr<EvidenceMetrics> metrics_;  // may be null
};

// Builds the handler from settings: opens the store, loads and validates the rules against
// the contract vocabulary, registers the metrics. Errors name the setting or the rule file
// and field.
Result<std::unique_ptr<EvidenceHandler>> make_handler(const Settings& settings, const Clock& clock,
                                                      metrics::Registry& registry);

}  // namespace caselink::evidence
