#include "services/evidence/handler.h"

#include <chrono>

#include "services/common/crypto/derived_uuid.h"
#include "services/common/envelope/codec.h"
#include "services/common/kafka/decode.h"
#include "services/common/logging/logging.h"
#include "services/common/signing/envelope_signature.h"
#include "services/evidence/local_blob_store.h"
#include "services/evidence/proto_mapping.h"
#include "services/evidence/verification.h"

namespace caselink::evidence {

namespace v1 = caselink::v1;

void bind(config::ConfigBinder& binder, Settings* s) {
  binder.bind("evidence.receipt_topic", &s->receipt_topic, "Topic the EvidenceReceipt envelopes are written to");
  binder.bind("evidence.store.path", &s->store_path,
              "Root directory of the content-addressed evidence blob store (sha256/<2 hex>/<64 hex>)",
              config::Need::kRequired);
  binder.bind("evidence.rules_dir", &s->rules_dir,
              "Directory of the material-list and evidence-usability files (rules/materials)");
  binder.bind("evidence.verify_content", &s->verify_content,
              "Re-hash every stored blob for each manifest (false = check presence and size only)");
  binder.bind("evidence.producer_id", &s->producer_id, "producer_agency_id written on receipts");
  binder.check([s]() -> Status {
    if (s->receipt_topic.empty()) {
      return Error::invalid("must be set", "evidence.receipt_topic");
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
  auto verdict = verify_manifest(to_manifest(manifest), *store_, *rules_,
                                 options_for(manifest, settings_.verify_content));
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
  return kafka::HandlerResult::emit({envelope::to_record(out, settings_.receipt_topic)});
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
  auto store = LocalBlobStore::create(settings.store_path);
  if (!store.ok()) {
    Error e = store.error();
    e.field = "evidence.store.path";
    return e;
  }
  auto rules = MaterialRules::load_directory(settings.rules_dir, contract_vocabulary());
  if (!rules.ok()) {
    return rules.error();
  }
  static const auto log = logging::get("evidence.handler");
  log->info("evidence store {}, material rules {} version {} ({} lists)", (*store)->root().string(),
            settings.rules_dir, rules->version(), rules->lists().size());
  return std::make_unique<EvidenceHandler>(settings, std::shared_ptr<const BlobStore>(std::move(*store)),
                                           std::make_shared<const MaterialRules>(std::move(*rules)), clock,
                                           std::make_unique<EvidenceMetrics>(registry));
}

}  // namespace caselink::evidence
