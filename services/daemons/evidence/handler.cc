#include "services/daemons/evidence/handler.h"

#include <algorithm>
#include <chrono>

#include "services/lib/crypto/derived_uuid.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/decode.h"
#include "services/lib/logging/logging.h"
#include "services/lib/signing/envelope_signature.h"
#include "services/daemons/evidence/blob_store_factory.h"
#include "services/daemons/evidence/proto_mapping.h"
#include "services/daemons/evidence/verification.h"

namespace caselink::evidence {

namespace v1 = caselink::v1;

namespace {

// The store as verification sees it, noting every blob whose content is opened, so that each
// read is audited (the store itself cannot say for which case or why).
class ReadRecorder final : public BlobStore {
 public:
  explicit ReadRecorder(const BlobStore& store) : store_(store) {}
  Result<crypto::Sha256Digest> put(std::string_view, std::optional<crypto::Sha256Digest>) override {
    return Error::internal("verification never writes to the blob store");
  }
  Result<std::unique_ptr<BlobReader>> open(const crypto::Sha256Digest& digest) const override {
    auto reader = store_.open(digest);
    if (reader.ok() && std::find(opened_.begin(), opened_.end(), digest) == opened_.end()) {
      opened_.push_back(digest);
    }
    return reader;
  }
  Result<BlobStat> stat(const crypto::Sha256Digest& digest) const override { return store_.stat(digest); }
  Result<bool> exists(const crypto::Sha256Digest& digest) const override { return store_.exists(digest); }
  std::string describe(const crypto::Sha256Digest& digest) const override { return store_.describe(digest); }
  const std::vector<crypto::Sha256Digest>& opened() const { return opened_; }

 private:
  const BlobStore& store_;
  mutable std::vector<crypto::Sha256Digest> opened_;
};

}  // namespace

void bind(config::ConfigBinder& binder, Settings* s) {
  binder.bind("evidence.receipt_topic", &s->receipt_topic, "Topic the EvidenceReceipt envelopes are written to");
  binder.bind("evidence.access_topic", &s->access_topic,
              "Topic the audit record of every blob read (CustodyEvent ACCESSED) is written to");
  binder.bind("evidence.store.path", &s->store_path,
              "Root directory of the content-addressed evidence blob store (sha256/<2 hex>/<64 hex>)",
              config::Need::kRequired);
  binder.bind("evidence.store.private_key_file", &s->store_private_key_file,
              "PEM X25519 private key that opens blobs sealed at rest (empty = plaintext store)");
  binder.bind("evidence.rules_dir", &s->rules_dir,
              "Directory of the material-list and evidence-usability files (rules/materials)");
  binder.bind("evidence.verify_content", &s->verify_content,
              "Re-hash every stored blob for each manifest (false = check presence and size only)");
  binder.bind("evidence.producer_id", &s->producer_id, "producer_agency_id written on receipts");
  binder.check([s]() -> Status {
    if (s->receipt_topic.empty()) {
      return Error::invalid("must be set", "evidence.receipt_topic");
    }
    if (s->access_topic.empty()) {
      return Error::invalid("must be set: blob reads are audited there", "evidence.access_topic");
    }
    if (s->store_path.empty()) {
      return Error::invalid("must be a directory path", "evidence.store.path");
    }
    if (s->rules_dir.empty()) {
      return Error::invalid("must be a directory path", "evidence.rules_dir");
    }
    if (s->producer_id.empty()) {
      return Error::invalid("must be set", "evidence.producer_id");
    }
    return Status::success();
  });
}

EvidenceMetrics::EvidenceMetrics(metrics::Registry& registry)
    : receipts(registry.counter("caselink_evidence_receipts_total", "Evidence receipts emitted, by status.",
                                {"status"})),
      item_problems(registry.counter("caselink_evidence_item_problems_total",
                                     "Problems found in manifest items, by problem code.", {"problem"})),
      items(registry.counter("caselink_evidence_items_total", "Manifest items checked, by usability.",
                             {"usability"})),
      missing_categories(registry.counter("caselink_evidence_missing_categories_total",
                                          "Material categories missing from referral manifests.",
                                          {"category", "requirement"})),
      custody_events(registry.counter("caselink_evidence_custody_events_total",
                                      "Chain-of-custody events acknowledged, by action.", {"action"})),
      store_unavailable(registry
                            .counter("caselink_evidence_store_unavailable_total",
                                     "Manifests put back for retry because the blob store could not be read.")
                            .get()),
      blob_reads(registry
                     .counter("caselink_evidence_blob_reads_total",
                              "Blob contents opened to verify manifests; each one is on the access topic.")
                     .get()),
      verify_seconds(registry
                         .histogram("caselink_evidence_verify_seconds",
                                    "Time to verify one manifest (store reads and hashing included).")
                         .get()) {}

EvidenceHandler::EvidenceHandler(Settings settings, std::shared_ptr<const BlobStore> store,
                                 std::shared_ptr<const MaterialRules> rules, const Clock& clock,
                                 std::unique_ptr<EvidenceMetrics> metrics)
    : settings_(std::move(settings)),
      store_(std::move(store)),
      rules_(std::move(rules)),
      clock_(clock),
      metrics_(std::move(metrics)) {}

kafka::HandlerResult EvidenceHandler::handle(const ConsumedRecord& record) {
  auto decoded = kafka::decode_record(record);
  if (!decoded.ok()) {
    return kafka::refuse(decoded.error());
  }
  switch (decoded->payload_case()) {
    case v1::Envelope::kEvidenceManifest:
      return handle_manifest(*decoded);
    case v1::Envelope::kCustodyEvent:
      return handle_custody(*decoded);
    default:
      return kafka::HandlerResult::reject(kUnexpectedType, "event_type '" + decoded->event_type() +
                                                               "' is not an EvidenceManifest or CustodyEvent");
  }
}

kafka::HandlerResult EvidenceHandler::handle_manifest(const v1::Envelope& input) {
  static const auto log = logging::get("evidence.handler");
  const v1::EvidenceManifest& manifest = input.evidence_manifest();
  if (Status valid = validate_manifest(manifest); !valid.ok()) {
    return kafka::HandlerResult::reject(valid.error().reason, valid.error().describe());
  }
  const auto started = std::chrono::steady_clock::now();
  ReadRecorder reads(*store_);
  auto verdict = verify_manifest(to_manifest(manifest), reads, *rules_, options_for(manifest, settings_.verify_content));
  if (!verdict.ok()) {
    if (metrics_ != nullptr) {
      metrics_->store_unavailable.inc();
    }
    log->warn("manifest {}: evidence store unavailable, will retry: {}", manifest.manifest_id(),
              verdict.error().describe());
    return kafka::HandlerResult::retry("evidence store: " + verdict.error().describe());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  const TimePoint now = clock_.now();
  v1::Envelope out = envelope::make_envelope(CaseId(input.case_id()), AgencyId(settings_.producer_id), now, now);
  out.set_event_id(crypto::derived_uuid(kReceiptIdPurpose, input.event_id()));
  out.set_correlation_id(input.correlation_id().empty() ? input.event_id() : input.correlation_id());
  out.set_causation_id(input.event_id());
  *out.mutable_evidence_receipt() = to_receipt(*verdict, manifest, input.event_id());
  // The receipt names the manifest event by content, not only by id (docs/contracts/signing.md
  // "Receipts"): `input` is the envelope exactly as consumed, signer metadata included.
  out.mutable_evidence_receipt()->set_manifest_digest_hex(signing::event_digest_hex(input));
  envelope::seal(out);

  for (const ItemResult& r : verdict->items) {
    log->debug("manifest {} item '{}': {} {} usability={} collected by {}", manifest.manifest_id(), r.item_id,
               r.category.empty() ? "?" : r.category, r.evidence_type.empty() ? "?" : r.evidence_type,
               to_string(r.usability), r.collecting_body.empty() ? "?" : r.collecting_body);
    if (!r.ok()) {
      log->warn("manifest {} item '{}' ({}; collected by {}): {}", manifest.manifest_id(), r.item_id,
                r.category.empty() ? "?" : r.category, r.collecting_body.empty() ? "?" : r.collecting_body,
                describe_issues(r));
    }
  }
  log->info("manifest {} ({} items, profile {}, rules {}): {} merkle_root={} receipt={}", manifest.manifest_id(),
            verdict->items.size(), verdict->profile, verdict->rules_version, verdict->summary,
            verdict->merkle_root_hex.empty() ? "-" : verdict->merkle_root_hex, out.event_id());

  if (metrics_ != nullptr) {
    metrics_->verify_seconds.observe(seconds);
    metrics_->receipts.labels({to_string(verdict->status)}).inc();
    for (const ItemResult& r : verdict->items) {
      metrics_->items.labels({to_string(r.usability)}).inc();
      for (const ItemIssue& issue : r.issues) {
        metrics_->item_problems.labels({to_string(issue.problem)}).inc();
      }
    }
    for (const MissingCategory& m : verdict->missing_required) {
      metrics_->missing_categories.labels({m.category, to_string(m.requirement)}).inc();
    }
    for (const MissingCategory& m : verdict->missing_conditional) {
      metrics_->missing_categories.labels({m.category, to_string(m.requirement)}).inc();
    }
  }
  std::vector<OutgoingRecord> records{envelope::to_record(out, settings_.receipt_topic)};
  // The audit of the reads goes out in the same transaction as the receipt: there is no
  // receipt whose reads are not on the access topic.
  if (!reads.opened().empty()) {
    records.push_back(access_record(input, reads.opened(), now));
    if (metrics_ != nullptr) {
      metrics_->blob_reads.inc(reads.opened().size());
    }
  }
  return kafka::HandlerResult::emit(std::move(records));
}

OutgoingRecord EvidenceHandler::access_record(const v1::Envelope& input, const std::vector<crypto::Sha256Digest>& read,
                                              TimePoint now) const {
  v1::Envelope out = envelope::make_envelope(CaseId(input.case_id()), AgencyId(settings_.producer_id), now, now);
  out.set_event_id(crypto::derived_uuid(kAccessIdPurpose, input.event_id()));
  out.set_correlation_id(input.correlation_id().empty() ? input.event_id() : input.correlation_id());
  out.set_causation_id(input.event_id());
  *out.mutable_custody_event() = to_access_record(input.evidence_manifest(), read, settings_.producer_id,
                                                  input.producer_agency_id(), input.event_id(), now);
  envelope::seal(out);
  return envelope::to_record(out, settings_.access_topic);
}

kafka::HandlerResult EvidenceHandler::handle_custody(const v1::Envelope& input) {
  static const auto log = logging::get("evidence.custody");
  const v1::CustodyEvent& event = input.custody_event();
  if (Status valid = validate_custody_event(event); !valid.ok()) {
    return kafka::HandlerResult::reject(valid.error().reason, valid.error().describe());
  }
  std::string items;
  for (const std::string& id : event.item_ids()) {
    items += (items.empty() ? "" : ",") + id;
  }
  const std::string action = v1::CustodyAction_Name(event.action());
  log->info("custody {} of manifest {} items [{}] from '{}' to '{}' by '{}' at {}{}", action, event.manifest_id(),
            items, event.from_party_id(), event.to_party_id(), event.actor(),
            format_rfc3339(envelope::to_time_point(event.at())),
            event.location().empty() ? "" : " in " + event.location());
  if (metrics_ != nullptr) {
    metrics_->custody_events.labels({action}).inc();
  }
  return kafka::HandlerResult::emit({});
}

Result<std::unique_ptr<EvidenceHandler>> make_handler(const Settings& settings, const Clock& clock,
                                                      metrics::Registry& registry) {
  auto store = make_blob_store({.path = settings.store_path,
                                .private_key_file = settings.store_private_key_file,
                                .path_key = "evidence.store.path",
                                .private_key_key = "evidence.store.private_key_file"});
  if (!store.ok()) {
    return store.error();
  }
  auto rules = MaterialRules::load_directory(settings.rules_dir, contract_vocabulary());
  if (!rules.ok()) {
    return rules.error();
  }
  static const auto log = logging::get("evidence.handler");
  log->info("evidence store {}: {}; material rules {} version {} ({} lists)", settings.store_path,
            describe_sealing(**store, "evidence.store.private_key_file"), settings.rules_dir, rules->version(),
            rules->lists().size());
  return std::make_unique<EvidenceHandler>(settings, std::shared_ptr<const BlobStore>(std::move(*store)),
                                           std::make_shared<const MaterialRules>(std::move(*rules)), clock,
                                           std::make_unique<EvidenceMetrics>(registry));
}

}  // namespace caselink::evidence
