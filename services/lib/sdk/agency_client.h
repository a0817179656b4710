#pragma once

// caselink adapter SDK: what an agency's own system links to publish its events straight to
// Kafka and to read the feedback caselink sends back. docs/sdk.md walks through it.
//
//   AgencyClient    builds envelopes for one agency, stores evidence bytes in the
//                   content-addressed blob store (the claim check shared with
//                   caselink-evidence), and publishes events to the topic of their payload,
//                   waiting for the broker's acknowledgement (idempotent producer, acks=all).
//   FeedbackReader  reads the agency's own topic caselink.feedback.<agency>.v1 (read_committed)
//                   with offsets committed only when the caller says so: at-least-once.
//
// Every call returns a Result/Status (services/lib/core/result.h); nothing throws. The
// error codes follow docs/error-handling.md: kInvalid = fix the input, never retry as is;
// kUnavailable = retry later with the same envelope (same event_id: consumers deduplicate
// on it); kNotFound = the blob/topic named does not exist; kFatal = the client is broken and
// must be recreated.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/core/clock.h"
#include "services/lib/core/record.h"
#include "services/lib/core/result.h"
#include "services/lib/signing/ed25519.h"

namespace RdKafka {
class KafkaConsumer;
}

namespace caselink::kafka {
class IdempotentProducer;
}
namespace caselink::evidence {
class BlobStore;
}

namespace caselink::sdk {

namespace v1 = caselink::v1;

// Stable error classes (Error::reason) the SDK adds to those of the envelope codec
// (envelope.missing_field, envelope.unknown_type, ..., envelope.unroutable_payload).
inline constexpr const char* kProducerMismatch = "sdk.producer_mismatch";
inline constexpr const char* kBlobMissing = "sdk.blob_missing";
inline constexpr const char* kNoBlobStore = "sdk.no_blob_store";

struct ClientOptions {
  // Kafka bootstrap, e.g. 127.0.0.1:9092. Required.
  std::string bootstrap;
  // The agency's caselink party id, e.g. "sthjj-330100": lower case letters, digits and '-'
  // (docs/topics.md). It is the producer_agency_id of every event this client publishes and
  // names the feedback topic caselink.feedback.<agency_id>.v1 that FeedbackReader reads.
  // Required.
  std::string agency_id;
  // Root of the content-addressed blob store shared with caselink-evidence
  // (evidence.store.path there). Optional: without it upload_blob() and evidence_item()
  // return kInvalid (reason sdk.no_blob_store), publishing works.
  std::string blob_dir;
  // PEM X25519 public key of caselink-evidence (evidence.store.private_key_file's public half):
  // upload_blob() seals blobs to it (docs/services/evidence.md "Blobs at rest"). Empty: blobs
  // are stored in plaintext.
  std::string blob_public_key_file;
  // librdkafka client.id (broker logs, quotas).
  std::string client_id = "caselink-sdk";
  // How long publish() waits for the broker's acknowledgement before it reports kUnavailable
  // (librdkafka message.timeout.ms). At least 1000.
  int delivery_timeout_ms = 30000;
  // Extra librdkafka properties (security.protocol, ssl.*, sasl.*, linger.ms, ...). The
  // properties caselink owns for its guarantees (enable.idempotence, acks, isolation.level,
  // enable.auto.commit, partitioner, ...; kafka::owned_properties()) are rejected.
  std::map<std::string, std::string> kafka_overrides;
  // The agency's broker credentials in a librdkafka properties file, as deploy/local/kafka.sh
  // --secure writes one per principal (`kafka.sh client-config <agency_id>`: SASL_SSL,
  // SCRAM-SHA-512, the agency's user and password, the CA). Its keys apply like kafka_overrides
  // (a key in both is refused); its bootstrap.servers is ignored (bootstrap names the brokers).
  // Empty: no file (plaintext unless kafka_overrides say otherwise).
  std::string kafka_config_file;
  // Source of "now" for new_envelope(); the system clock when null. Tests inject a ManualClock.
  std::shared_ptr<const Clock> clock;
  // The agency's own Ed25519 signing key (docs/contracts/signing.md): a PKCS#8 PEM file
  // (`openssl genpkey -algorithm ed25519`, scripts/keys.sh) and the id the key registry lists it
  // under. Both or neither; with them every published event is signed (SIGNATURE_MODE_OWN_KEY),
  // which caselink's services require when they run with signing.verify: required.
  std::string signing_key_file;
  std::string signing_key_id;
  // Sandbox topics (`caselinkctl conformance --topic-prefix`, docs/integrators.md §11): prepended
  // to every topic this client writes (publish) and reads (FeedbackReader). Empty in production.
  std::string topic_prefix;
};

// Checks the options without touching the network; every error names its field
// ("bootstrap", "agency_id", "delivery_timeout_ms", "kafka_overrides.<key>", ...).
Status validate(const ClientOptions& options);

// Where one published event landed.
struct Delivery {
  std::string event_id;
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
};

// What evidence_item() needs besides the hash: the rest of EvidenceItem (description,
// fact_to_prove, collected_at, collection_place, collector, document_number, ...) is set by
// the caller on the returned message.
struct EvidenceItemSpec {
  std::string item_id;                 // unique within the manifest
  v1::MaterialCategory material_category = v1::MATERIAL_CATEGORY_UNSPECIFIED;
  v1::EvidenceType evidence_type = v1::EVIDENCE_TYPE_UNSPECIFIED;
  std::string media_type;              // IANA media type, e.g. "application/pdf"
  std::string description;
};

// The pure part of publish(): fills producer_agency_id (when empty) and event_type, checks the
// producer is `agency_id` (kInvalid, sdk.producer_mismatch), validates with the shared codec,
// routes by payload (services/lib/envelope/routing.h) and builds the Kafka record
// (key = case id, value = encoded envelope, CloudEvents headers). No network.
// With `signer`, the envelope is signed with the agency's key before it is encoded.
struct EventSigner {
  signing::PrivateKey key;
  std::string key_id;
};
Result<OutgoingRecord> prepare_record(v1::Envelope& envelope, std::string_view agency_id,
                                      const EventSigner* signer = nullptr);

// The agency's signer from a PKCS#8 PEM key file and its registry id (ClientOptions'
// signing_key_file / signing_key_id): null when both are empty, kInvalid naming the field when
// only one is set or the file is not an Ed25519 key. For records a consumer publishes inside
// the loop's transaction through prepare_record (examples/acknowledge_feedback.cc).
Result<std::unique_ptr<EventSigner>> load_signer(const std::string& key_file, const std::string& key_id);

class AgencyClient {
 public:
  // Validates the options, opens (creates) the blob store when blob_dir is set and creates the
  // producer. Does not wait for the broker: an unreachable broker shows up as kUnavailable from
  // publish() after delivery_timeout_ms.
  static Result<std::unique_ptr<AgencyClient>> create(ClientOptions options);
  ~AgencyClient();
  AgencyClient(const AgencyClient&) = delete;
  AgencyClient& operator=(const AgencyClient&) = delete;

  // A new envelope for this agency: fresh event_id (UUID), case_id, producer_agency_id,
  // occurred_at = recorded_at = now (overwrite occurred_at with when the act really happened),
  // schema_version, correlation_id = case_id. Set the payload (e.g.
  // env.mutable_case_referral()); publish() fills event_type from it. Nothing is checked here:
  // publish() validates.
  v1::Envelope new_envelope(std::string_view case_id) const;

  // Stores `bytes` in the blob store and returns their SHA-256, 64 lowercase hex digits.
  // Idempotent: the same bytes give the same hash and are stored once.
  Result<std::string> upload_blob(std::string_view bytes);

  // An EvidenceItem for a blob already in the store: sha256_hex and size_bytes come from the
  // store (kNotFound, reason sdk.blob_missing, when the blob was never uploaded; kInvalid when
  // the hex is malformed), the rest from `spec`; collecting_body_id = this agency.
  Result<v1::EvidenceItem> evidence_item(std::string_view sha256_hex, const EvidenceItemSpec& spec) const;

  // upload_blob() then evidence_item(): the usual way to add a file to a manifest.
  Result<v1::EvidenceItem> upload_evidence(std::string_view bytes, const EvidenceItemSpec& spec);

  // Publishes one event: prepare_record() (validation and routing, nothing is sent when it
  // fails), then produce and wait until the broker acknowledged it (acks=all) or
  // delivery_timeout_ms passed. kUnavailable: it may or may not have been written; publish the
  // same envelope again (same event_id, so consumers drop a duplicate).
  Result<Delivery> publish(v1::Envelope envelope);

  // Validates all envelopes first (none is sent if one is invalid), then publishes them one
  // after the other, each acknowledged before the next is sent, so a manifest is on Kafka
  // before the referral that names it. Stops at the first failure; the error message says
  // which event failed and how many were delivered before it.
  Result<std::vector<Delivery>> publish_all(std::vector<v1::Envelope> envelopes);

  const ClientOptions& options() const { return options_; }

 private:
  explicit AgencyClient(ClientOptions options);
  Status ensure_producer();

  ClientOptions options_;
  std::shared_ptr<const Clock> clock_;
  std::unique_ptr<evidence::BlobStore> blobs_;
  std::mutex producer_mutex_;
  std::unique_ptr<kafka::IdempotentProducer> producer_;
  std::unique_ptr<EventSigner> signer_;
};

// Reads the agency's own feedback topic caselink.feedback.<agency>.v1 (written by
// caselink-feedback: copies of the decisions, evidence receipts and assessments of the agency's
// cases, each a full v1 Envelope). isolation.level=read_committed, no auto commit: commit()
// stores the positions after the records poll() has returned, so a crash before commit()
// re-delivers them (at-least-once; deduplicate on event_id). A group with no committed offset
// starts at the beginning of the topic (override with kafka_overrides auto.offset.reset).
// Not thread-safe: one thread polls and commits.
class FeedbackReader {
 public:
  static Result<std::unique_ptr<FeedbackReader>> create(ClientOptions options, std::string group_id);
  // Leaves the group. Does NOT commit: what was not committed is read again by the next reader.
  ~FeedbackReader();
  FeedbackReader(const FeedbackReader&) = delete;
  FeedbackReader& operator=(const FeedbackReader&) = delete;

  // Waits up to `timeout` for records; returns those available, decoded, oldest first per
  // partition (an empty vector when none came). A record that is not a valid envelope is
  // returned on its own as an error (kInvalid, reason envelope.*, message naming topic,
  // partition and offset); it then counts as read, so the next poll() goes on past it.
  // kNotFound when the feedback topic does not exist; kUnavailable / kFatal for consumer errors.
  Result<std::vector<v1::Envelope>> poll(std::chrono::milliseconds timeout);

  // Commits (synchronously) the position after every record poll() has returned so far.
  Status commit();

  const std::string& topic() const { return topic_; }

 private:
  class Rebalance;
  FeedbackReader() = default;
  Status fetch(std::chrono::milliseconds timeout);
  void forget_partitions(const std::vector<std::pair<std::string, int32_t>>& partitions);

  std::string topic_;
  std::unique_ptr<Rebalance> rebalance_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::deque<ConsumedRecord> pending_;                              // fetched, not yet returned
  std::map<std::pair<std::string, int32_t>, int64_t> next_offsets_;  // returned, not yet committed
};

}  // namespace caselink::sdk
