#include "services/lib/sdk/agency_client.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "services/lib/core/ids.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/routing.h"
#include "services/lib/kafka/producer.h"
#include "services/lib/kafka/settings.h"
#include "services/lib/signing/envelope_signature.h"
#include "services/daemons/evidence/blob_store_factory.h"
#include "services/lib/sdk/client_settings.h"

namespace caselink::sdk {

namespace {

// "caselink.feedback." + id + ".v1" must stay within Kafka's 249-character topic names.
constexpr size_t kMaxAgencyIdLength = 228;

bool valid_agency_id(const std::string& id) {
  if (id.empty() || id.size() > kMaxAgencyIdLength || id.front() == '-' || id.back() == '-') {
    return false;
  }
  char previous = 0;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || (c == '-' && previous == '-')) {
      return false;
    }
    previous = c;
  }
  return true;
}

}  // namespace

Result<kafka::KafkaSettings> client_settings(const ClientOptions& options) {
  kafka::KafkaSettings settings;
  settings.bootstrap = options.bootstrap;
  settings.properties = options.kafka_overrides;
  // An adapter has no metrics endpoint to feed; librdkafka statistics would be wasted work.
  settings.statistics_interval_ms = 0;
  settings.message_timeout_ms = options.delivery_timeout_ms;
  settings.client_config_file = options.kafka_config_file;
  Status checked = kafka::load_client_config_file(settings);
  if (checked.ok()) checked = kafka::validate(settings);  // e.g. a key both in the file and an override
  if (!checked.ok()) {
    // Named the way the caller wrote it: kafka_config_file, kafka_overrides.<key>.
    Error error = checked.error();
    const std::string properties = "kafka.properties.";
    if (error.field == "kafka.client_config_file" || error.field.rfind("kafka.sasl", 0) == 0 ||
        error.field.rfind("kafka.security", 0) == 0 || error.field.rfind("kafka.ssl", 0) == 0) {
      error.field = "kafka_config_file";
    } else if (error.field.rfind(properties, 0) == 0) {
      error.field = "kafka_overrides." + error.field.substr(properties.size());
    }
    return error;
  }
  return settings;
}

Status validate(const ClientOptions& options) {
  if (options.bootstrap.empty()) {
    return Error::invalid("must list at least one broker host:port, e.g. 127.0.0.1:9092", "bootstrap");
  }
  if (options.agency_id.empty()) {
    return Error::invalid("must be set to the agency's caselink party id, e.g. sthjj-330100", "agency_id");
  }
  if (!valid_agency_id(options.agency_id)) {
    return Error::invalid("'" + options.agency_id +
                              "' is not a caselink party id: lower-case letters, digits and single '-' inside, "
                              "at most " + std::to_string(kMaxAgencyIdLength) + " characters (e.g. sthjj-330100)",
                          "agency_id");
  }
  if (options.client_id.empty()) {
    return Error::invalid("must not be empty", "client_id");
  }
  if (options.signing_key_file.empty() != options.signing_key_id.empty()) {
    return Error::invalid("signing_key_file and signing_key_id go together: set both or neither",
                          options.signing_key_id.empty() ? "signing_key_id" : "signing_key_file");
  }
  if (options.delivery_timeout_ms < 1000) {
    return Error::invalid("must be at least 1000 (got " + std::to_string(options.delivery_timeout_ms) + ")",
                          "delivery_timeout_ms");
  }
  const auto& owned = kafka::owned_properties();
  for (const auto& [key, value] : options.kafka_overrides) {
    if (std::find(owned.begin(), owned.end(), key) != owned.end()) {
      return Error::invalid("'" + key +
                                "' is set by the SDK (idempotent acks=all producer, read_committed consumer with "
                                "manual commits, murmur2 partitioner) and cannot be overridden; remove it",
                            "kafka_overrides." + key);
    }
    if (key == "client.id") {
      return Error::invalid("set ClientOptions::client_id instead", "kafka_overrides.client.id");
    }
  }
  if (auto settings = client_settings(options); !settings.ok()) {
    return settings.error();
  }
  return Status::success();
}

Result<std::unique_ptr<EventSigner>> load_signer(const std::string& key_file, const std::string& key_id) {
  if (key_file.empty() != key_id.empty()) {
    return Error::invalid("signing_key_file and signing_key_id go together: set both or neither",
                          key_id.empty() ? "signing_key_id" : "signing_key_file");
  }
  if (key_file.empty()) {
    return std::unique_ptr<EventSigner>();
  }
  std::ifstream in(key_file);
  if (!in) {
    return Error::invalid("cannot read '" + key_file + "'", "signing_key_file");
  }
  std::stringstream text;
  text << in.rdbuf();
  auto key = signing::PrivateKey::from_pem(text.str(), key_file);
  if (!key.ok()) {
    return Error::invalid(key.error().message, "signing_key_file");
  }
  return std::make_unique<EventSigner>(EventSigner{std::move(*key), key_id});
}

Result<OutgoingRecord> prepare_record(v1::Envelope& envelope, std::string_view agency_id, const EventSigner* signer) {
  if (envelope.producer_agency_id().empty()) {
    envelope.set_producer_agency_id(std::string(agency_id));
  }
  if (envelope.producer_agency_id() != agency_id) {
    return Error::invalid("is '" + envelope.producer_agency_id() + "' but this client publishes for agency '" +
                              std::string(agency_id) + "'",
                          "producer_agency_id", kProducerMismatch);
  }
  envelope::seal(envelope);
  if (Status valid = envelope::validate(envelope); !valid.ok()) {
    return valid.error();
  }
  auto topic = envelope::topic_for(envelope);
  if (!topic.ok()) {
    return topic.error();
  }
  if (signer != nullptr) {
    signing::sign(envelope, signer->key, signer->key_id);
  }
  return envelope::to_record(envelope, std::move(*topic));
}

// ---------------------------------------------------------------------------------------------
// AgencyClient

AgencyClient::AgencyClient(ClientOptions options) : options_(std::move(options)) {
  clock_ = options_.clock ? options_.clock : std::make_shared<SystemClock>();
}

AgencyClient::~AgencyClient() = default;

Result<std::unique_ptr<AgencyClient>> AgencyClient::create(ClientOptions options) {
  if (Status valid = validate(options); !valid.ok()) {
    return valid.error();
  }
  std::unique_ptr<AgencyClient> client(new AgencyClient(std::move(options)));
  if (!client->options_.blob_dir.empty()) {
    auto store = evidence::make_blob_store({.path = client->options_.blob_dir,
                                            .public_key_file = client->options_.blob_public_key_file,
                                            .path_key = "blob_dir",
                                            .public_key_key = "blob_public_key_file"});
    if (!store.ok()) {
      return store.error();
    }
    client->blobs_ = std::move(*store);
  }
  auto signer = load_signer(client->options_.signing_key_file, client->options_.signing_key_id);
  if (!signer.ok()) {
    return signer.error();
  }
  client->signer_ = std::move(*signer);
  if (Status producer = client->ensure_producer(); !producer.ok()) {
    return producer.error();
  }
  return client;
}

Status AgencyClient::ensure_producer() {
  if (producer_) {
    return Status::success();
  }
  auto settings = client_settings(options_);
  if (!settings.ok()) return settings.error();
  auto producer = kafka::make_idempotent_producer(settings.value(), options_.client_id);
  if (!producer.ok()) {
    // librdkafka refused a property: name it the way the caller wrote it.
    Error error = producer.error();
    if (error.field.rfind("kafka.properties.", 0) == 0) {
      error.field = "kafka_overrides." + error.field.substr(std::string("kafka.properties.").size());
    }
    return error;
  }
  producer_ = std::move(*producer);
  return Status::success();
}

v1::Envelope AgencyClient::new_envelope(std::string_view case_id) const {
  const TimePoint now = clock_->now();
  v1::Envelope envelope =
      envelope::make_envelope(CaseId(std::string(case_id)), AgencyId(options_.agency_id), now, now);
  // All events of one case share its id as correlation id, so tools can follow the case across
  // topics (the codec's own default would be the event id).
  envelope.set_correlation_id(std::string(case_id));
  return envelope;
}

Result<std::string> AgencyClient::upload_blob(std::string_view bytes) {
  if (!blobs_) {
    return Error::invalid("no blob store: set ClientOptions::blob_dir to upload evidence", "blob_dir", kNoBlobStore);
  }
  auto digest = blobs_->put(bytes);
  if (!digest.ok()) {
    return digest.error();
  }
  return digest->hex();
}

Result<v1::EvidenceItem> AgencyClient::evidence_item(std::string_view sha256_hex, const EvidenceItemSpec& spec) const {
  if (!blobs_) {
    return Error::invalid("no blob store: set ClientOptions::blob_dir", "blob_dir", kNoBlobStore);
  }
  auto digest = crypto::Sha256Digest::from_hex(sha256_hex);
  if (!digest.ok()) {
    Error error = digest.error();
    error.field = "sha256_hex";
    return error;
  }
  auto stat = blobs_->stat(*digest);
  if (!stat.ok()) {
    Error error = stat.error();
    if (error.code == ErrorCode::kNotFound) {
      error.message = "blob " + digest->hex() + " is not in the store " + options_.blob_dir + ": upload it first";
      error.field = "sha256_hex";
      error.reason = kBlobMissing;
    }
    return error;
  }
  v1::EvidenceItem item;
  item.set_item_id(spec.item_id);
  item.set_material_category(spec.material_category);
  item.set_evidence_type(spec.evidence_type);
  item.set_sha256_hex(digest->hex());
  item.set_size_bytes(stat->size_bytes);
  item.set_media_type(spec.media_type);
  item.set_description(spec.description);
  item.set_collecting_body_id(options_.agency_id);
  return item;
}

Result<v1::EvidenceItem> AgencyClient::upload_evidence(std::string_view bytes, const EvidenceItemSpec& spec) {
  auto hex = upload_blob(bytes);
  if (!hex.ok()) {
    return hex.error();
  }
  return evidence_item(*hex, spec);
}

Result<Delivery> AgencyClient::publish(v1::Envelope envelope) {
  auto record = prepare_record(envelope, options_.agency_id, signer_.get());
  if (!record.ok()) {
    return record.error();
  }
  record->topic = options_.topic_prefix + record->topic;
  std::lock_guard lock(producer_mutex_);
  // A producer that hit a fatal error (see IdempotentProducer::fatal_error) was dropped by an
  // earlier call; make a new one now.
  if (Status ready = ensure_producer(); !ready.ok()) {
    return ready.error();
  }
  auto sent = producer_->send(*record);
  if (!sent.ok()) {
    Error error = sent.error();
    if (std::string fatal = producer_->fatal_error(); !fatal.empty()) {
      // The write may or may not have been persisted. The next publish() gets a fresh producer;
      // the caller re-publishes this same envelope and consumers drop the copy by event_id.
      producer_.reset();
      error = Error::unavailable("producer failed fatally (" + fatal + "); publish event " + envelope.event_id() +
                                 " again: a new producer will be used");
    }
    error.message = "event " + envelope.event_id() + " (" + envelope.event_type() + ", case " + envelope.case_id() +
                    "): " + error.message;
    return error;
  }
  return Delivery{envelope.event_id(), sent->topic, sent->partition, sent->offset};
}

Result<std::vector<Delivery>> AgencyClient::publish_all(std::vector<v1::Envelope> envelopes) {
  // Validate the whole batch first: a referral that would be refused must not leave its
  // manifest published alone.
  for (size_t i = 0; i < envelopes.size(); ++i) {
    v1::Envelope copy = envelopes[i];
    auto record = prepare_record(copy, options_.agency_id, signer_.get());
    if (!record.ok()) {
      Error error = record.error();
      error.message = "event " + std::to_string(i + 1) + " of " + std::to_string(envelopes.size()) +
                      " is invalid, nothing was published: " + error.message;
      return error;
    }
  }
  std::vector<Delivery> deliveries;
  deliveries.reserve(envelopes.size());
  for (size_t i = 0; i < envelopes.size(); ++i) {
    auto delivery = publish(std::move(envelopes[i]));
    if (!delivery.ok()) {
      Error error = delivery.error();
      error.message = "event " + std::to_string(i + 1) + " of " + std::to_string(envelopes.size()) + " failed after " +
                      std::to_string(deliveries.size()) + " delivered: " + error.message;
      return error;
    }
    deliveries.push_back(std::move(*delivery));
  }
  return deliveries;
}

}  // namespace caselink::sdk
