// Unit tests of the adapter SDK: options, envelope building, blob upload, routing, validation
// before publish, and publish/read against librdkafka's mock cluster (which checks our wiring:
// topic, key, partitioner, headers, batch order; not Kafka's guarantees, which it_sdk checks on
// the real broker).

#include <gtest/gtest.h>


#include <filesystem>
#include <fstream>
#include <sstream>

#include "services/lib/signing/envelope_signature.h"
#include "services/lib/signing/runtime.h"
#include "services/lib/signing/tests/test_keys.h"
#include <librdkafka/rdkafka.h>

#include <filesystem>
#include <random>

#include "services/lib/core/uuid.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/producer.h"
#include "services/daemons/evidence/blob_store_factory.h"
#include "services/daemons/evidence/local_blob_store.h"
#include "services/daemons/evidence/tests/test_support.h"
#include "services/lib/sdk/agency_client.h"
#include "services/lib/sdk/client_settings.h"
#include "tests/support/mock_cluster.h"

namespace caselink::sdk {
namespace {

namespace fs = std::filesystem;

const std::string kAgency = "sthjj-330100";
// Nothing listens on port 1 of the loopback: creating clients works, delivering does not.
const std::string kNowhere = "127.0.0.1:1";

fs::path temp_dir(const std::string& name) {
  static std::mt19937_64 rng{std::random_device{}()};
  fs::path dir = fs::temp_directory_path() / ("caselink-sdk-" + name + "-" + std::to_string(rng()));
  fs::create_directories(dir);
  return dir;
}

ClientOptions options(const std::string& bootstrap = kNowhere) {
  ClientOptions o;
  o.bootstrap = bootstrap;
  o.agency_id = kAgency;
  return o;
}

using caselink::testing::MockCluster;

v1::Envelope referral_event(const AgencyClient& client, const std::string& case_id) {
  v1::Envelope env = client.new_envelope(case_id);
  env.mutable_case_referral()->set_transfer_letter_number("杭环移〔2026〕12号");
  env.mutable_case_referral()->set_offence_code("pollution_environment");
  return env;
}

// ---------------------------------------------------------------------------------------------
// Options

TEST(ClientOptionsTest, ValidOptionsPass) {
  ClientOptions o = options();
  o.kafka_overrides = {{"linger.ms", "5"}, {"security.protocol", "plaintext"}};
  EXPECT_TRUE(validate(o).ok());
}

TEST(ClientOptionsTest, EveryBadValueIsRefusedNamingItsField) {
  struct Case {
    std::string name;
    std::function<void(ClientOptions&)> change;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"no bootstrap", [](ClientOptions& o) { o.bootstrap.clear(); }, "bootstrap"},
      {"no agency", [](ClientOptions& o) { o.agency_id.clear(); }, "agency_id"},
      {"upper case agency", [](ClientOptions& o) { o.agency_id = "STHJJ-330100"; }, "agency_id"},
      {"underscore in agency", [](ClientOptions& o) { o.agency_id = "sthjj_330100"; }, "agency_id"},
      {"dot in agency", [](ClientOptions& o) { o.agency_id = "sthjj.330100"; }, "agency_id"},
      {"leading dash", [](ClientOptions& o) { o.agency_id = "-330100"; }, "agency_id"},
      {"double dash", [](ClientOptions& o) { o.agency_id = "sthjj--330100"; }, "agency_id"},
      {"too long", [](ClientOptions& o) { o.agency_id = std::string(229, 'a'); }, "agency_id"},
      {"empty client id", [](ClientOptions& o) { o.client_id.clear(); }, "client_id"},
      {"short timeout", [](ClientOptions& o) { o.delivery_timeout_ms = 999; }, "delivery_timeout_ms"},
      {"acks override", [](ClientOptions& o) { o.kafka_overrides["acks"] = "1"; }, "kafka_overrides.acks"},
      {"idempotence override", [](ClientOptions& o) { o.kafka_overrides["enable.idempotence"] = "false"; },
       "kafka_overrides.enable.idempotence"},
      {"isolation override", [](ClientOptions& o) { o.kafka_overrides["isolation.level"] = "read_uncommitted"; },
       "kafka_overrides.isolation.level"},
      {"auto commit override", [](ClientOptions& o) { o.kafka_overrides["enable.auto.commit"] = "true"; },
       "kafka_overrides.enable.auto.commit"},
      {"partitioner override", [](ClientOptions& o) { o.kafka_overrides["partitioner"] = "consistent_random"; },
       "kafka_overrides.partitioner"},
      {"client.id override", [](ClientOptions& o) { o.kafka_overrides["client.id"] = "x"; },
       "kafka_overrides.client.id"},
      {"missing kafka config file", [](ClientOptions& o) { o.kafka_config_file = "/nonexistent/sthjj.properties"; },
       "kafka_config_file"},
  };
  for (const Case& c : cases) {
    ClientOptions o = options();
    c.change(o);
    Status st = validate(o);
    ASSERT_FALSE(st.ok()) << c.name;
    EXPECT_EQ(st.error().code, ErrorCode::kInvalid) << c.name;
    EXPECT_EQ(st.error().field, c.field) << c.name;
    // create() refuses the same options before making any client.
    auto client = AgencyClient::create(o);
    ASSERT_FALSE(client.ok()) << c.name;
    EXPECT_EQ(client.error().field, c.field) << c.name;
    auto reader = FeedbackReader::create(o, "group");
    ASSERT_FALSE(reader.ok()) << c.name;
    EXPECT_EQ(reader.error().field, c.field) << c.name;
  }
}

// kafka.sh --secure's file for the agency's principal: its security keys reach the client's
// settings, its bootstrap.servers does not replace ClientOptions::bootstrap, and a key that is
// also an override is refused naming the file's field.
TEST(ClientOptionsTest, KafkaConfigFileGivesTheAgencysCredentials) {
  const std::string path = ::testing::TempDir() + "sthjj-330100.properties";
  std::ofstream(path) << "bootstrap.servers=127.0.0.1:1\nsecurity.protocol=SASL_SSL\nsasl.mechanisms=SCRAM-SHA-512\n"
                         "sasl.username=sthjj-330100\nsasl.password=pw\nssl.ca.location=/tmp/ca.crt\n";
  ClientOptions o = options();
  o.kafka_config_file = path;
  ASSERT_TRUE(validate(o).ok());
  auto settings = client_settings(o);
  ASSERT_TRUE(settings.ok()) << settings.error().message;
  EXPECT_EQ(settings->bootstrap, o.bootstrap);
  EXPECT_EQ(settings->security.protocol, "SASL_SSL");
  EXPECT_EQ(settings->security.sasl_username, "sthjj-330100");
  EXPECT_EQ(settings->security.ssl_ca_location, "/tmp/ca.crt");

  std::ofstream(path) << "linger.ms=5\n";
  o.kafka_overrides["linger.ms"] = "1";
  Status st = validate(o);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().field, "kafka_config_file");
}

TEST(ClientOptionsTest, PropertyLibrdkafkaRefusesIsNamedAsOverride) {
  ClientOptions o = options();
  o.kafka_overrides["no.such.property"] = "1";
  auto client = AgencyClient::create(o);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().field, "kafka_overrides.no.such.property");
  auto reader = FeedbackReader::create(o, "group");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error().field, "kafka_overrides.no.such.property");
}

TEST(ClientOptionsTest, ReaderNeedsAGroup) {
  auto reader = FeedbackReader::create(options(), "");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error().field, "group_id");
}

// ---------------------------------------------------------------------------------------------
// Envelopes

TEST(NewEnvelopeTest, FillsIdsTimesVersionAndCorrelation) {
  TimePoint t;
  ASSERT_TRUE(parse_rfc3339("2026-11-28T03:24:45.123Z", &t));
  ClientOptions o = options();
  o.clock = std::make_shared<ManualClock>(t);
  auto client = AgencyClient::create(o);
  ASSERT_TRUE(client.ok()) << client.error().describe();

  v1::Envelope a = (*client)->new_envelope("sthjj-330100-2026-0001");
  v1::Envelope b = (*client)->new_envelope("sthjj-330100-2026-0001");
  EXPECT_TRUE(is_canonical_uuid(a.event_id()));
  EXPECT_NE(a.event_id(), b.event_id());
  EXPECT_EQ(a.case_id(), "sthjj-330100-2026-0001");
  EXPECT_EQ(a.producer_agency_id(), kAgency);
  EXPECT_EQ(envelope::to_time_point(a.occurred_at()), t);
  EXPECT_EQ(envelope::to_time_point(a.recorded_at()), t);
  EXPECT_EQ(a.schema_version(), envelope::kSchemaVersion);
  EXPECT_EQ(a.correlation_id(), "sthjj-330100-2026-0001");
  EXPECT_TRUE(a.event_type().empty());  // filled from the payload at publish
}

// ---------------------------------------------------------------------------------------------
// Blobs

TEST(BlobTest, UploadReturnsSha256AndIsIdempotent) {
  const fs::path dir = temp_dir("blobs");
  ClientOptions o = options();
  o.blob_dir = dir.string();
  auto client = AgencyClient::create(o);
  ASSERT_TRUE(client.ok()) << client.error().describe();

  // FIPS 180-2 test vector.
  const std::string abc_hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  auto first = (*client)->upload_blob("abc");
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(*first, abc_hex);
  auto second = (*client)->upload_blob("abc");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, abc_hex);

  // Stored once, where caselink-evidence looks for it, with the bytes given.
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir / "sha256")) {
    files += entry.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(files, 1u);
  auto store = evidence::LocalBlobStore::open_existing(dir);
  ASSERT_TRUE(store.ok());
  auto bytes = evidence::read_all(**store, *crypto::Sha256Digest::from_hex(abc_hex));
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, "abc");
  fs::remove_all(dir);
}

// With caselink-evidence's public key the SDK seals what it uploads: the name and the item's
// size are the plaintext's, the file on disk is not the content, and only the private key reads it.
TEST(BlobTest, UploadsAreSealedToTheEvidenceServicesKey) {
  const fs::path dir = temp_dir("sealed");
  fs::create_directories(dir);
  const auto [key, pub] = evidence::testing::write_blob_key_pair(dir);
  ASSERT_FALSE(key.empty()) << "openssl genpkey failed";
  ClientOptions o = options();
  o.blob_dir = (dir / "store").string();
  o.blob_public_key_file = pub.string();
  auto client = AgencyClient::create(o);
  ASSERT_TRUE(client.ok()) << client.error().describe();
  const std::string content = "site photo: outfall 3, 2026-11-02";
  EvidenceItemSpec spec{"photo", v1::MATERIAL_CATEGORY_OTHER_MATERIALS, v1::EVIDENCE_TYPE_AUDIO_VISUAL, "image/jpeg",
                        "photo"};
  auto item = (*client)->upload_evidence(content, spec);
  ASSERT_TRUE(item.ok()) << item.error().describe();
  EXPECT_EQ(item->sha256_hex(), crypto::sha256(content).hex());
  EXPECT_EQ(item->size_bytes(), static_cast<int64_t>(content.size())) << "the plaintext size, from the header";

  const auto digest = *crypto::Sha256Digest::from_hex(item->sha256_hex());
  auto raw = evidence::LocalBlobStore::open_existing(dir / "store");
  ASSERT_TRUE(raw.ok());
  auto on_disk = evidence::read_all(**raw, digest);
  ASSERT_TRUE(on_disk.ok());
  EXPECT_EQ(on_disk->find("outfall"), std::string::npos) << "sealed at rest";
  auto reader = evidence::make_blob_store({.path = (dir / "store").string(), .private_key_file = key.string()});
  ASSERT_TRUE(reader.ok()) << reader.error().describe();
  auto read = evidence::read_all(**reader, digest);
  ASSERT_TRUE(read.ok()) << read.error().describe();
  EXPECT_EQ(*read, content);

  o.blob_public_key_file = (dir / "absent.pub").string();
  auto refused = AgencyClient::create(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().field, "blob_public_key_file");
  fs::remove_all(dir);
}

TEST(BlobTest, EvidenceItemTakesHashAndSizeFromTheStore) {
  const fs::path dir = temp_dir("items");
  ClientOptions o = options();
  o.blob_dir = dir.string();
  auto client = AgencyClient::create(o);
  ASSERT_TRUE(client.ok());

  const std::string content = "监测报告 总镉 0.21 mg/L";
  EvidenceItemSpec spec{"monitoring-report", v1::MATERIAL_CATEGORY_MONITORING_TEST_REPORT,
                        v1::EVIDENCE_TYPE_MONITORING_REPORT, "text/plain; charset=utf-8", "监测报告"};
  auto item = (*client)->upload_evidence(content, spec);
  ASSERT_TRUE(item.ok()) << item.error().describe();
  EXPECT_EQ(item->item_id(), "monitoring-report");
  EXPECT_EQ(item->sha256_hex(), crypto::sha256(content).hex());
  EXPECT_EQ(item->size_bytes(), static_cast<int64_t>(content.size()));
  EXPECT_EQ(item->material_category(), v1::MATERIAL_CATEGORY_MONITORING_TEST_REPORT);
  EXPECT_EQ(item->evidence_type(), v1::EVIDENCE_TYPE_MONITORING_REPORT);
  EXPECT_EQ(item->media_type(), "text/plain; charset=utf-8");
  EXPECT_EQ(item->collecting_body_id(), kAgency);

  // Upper-case hex names the same blob; the item carries the canonical lower-case form.
  std::string upper = item->sha256_hex();
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  auto again = (*client)->evidence_item(upper, spec);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->sha256_hex(), item->sha256_hex());

  auto missing = (*client)->evidence_item(crypto::sha256("never uploaded").hex(), spec);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().reason, kBlobMissing);

  auto malformed = (*client)->evidence_item("not-a-hash", spec);
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(malformed.error().field, "sha256_hex");
  fs::remove_all(dir);
}

TEST(BlobTest, WithoutBlobDirUploadIsRefused) {
  auto client = AgencyClient::create(options());
  ASSERT_TRUE(client.ok());
  auto hex = (*client)->upload_blob("abc");
  ASSERT_FALSE(hex.ok());
  EXPECT_EQ(hex.error().reason, kNoBlobStore);
}

// ---------------------------------------------------------------------------------------------
// Routing and validation (prepare_record: no network)

TEST(PrepareRecordTest, RoutesEachAgencyPayloadToItsTopic) {
  auto client = AgencyClient::create(options());
  ASSERT_TRUE(client.ok());
  struct Case {
    std::function<void(v1::Envelope&)> set_payload;
    std::string type;
    std::string topic;
  };
  const std::vector<Case> cases = {
      {[](v1::Envelope& e) { e.mutable_suspected_crime_reported()->set_report_number("r1"); },
       "caselink.v1.SuspectedCrimeReported", "caselink.referral.v1"},
      {[](v1::Envelope& e) { e.mutable_case_referral()->set_offence_code("pollution_environment"); },
       "caselink.v1.CaseReferral", "caselink.referral.v1"},
      {[](v1::Envelope& e) { e.mutable_materials_supplemented()->set_manifest_id("m2"); },
       "caselink.v1.MaterialsSupplemented", "caselink.referral.v1"},
      {[](v1::Envelope& e) { e.mutable_evidence_manifest()->set_manifest_id("m1"); }, "caselink.v1.EvidenceManifest",
       "caselink.evidence.manifest.v1"},
      {[](v1::Envelope& e) { e.mutable_custody_event()->set_manifest_id("m1"); }, "caselink.v1.CustodyEvent",
       "caselink.evidence.manifest.v1"},
      {[](v1::Envelope& e) { e.mutable_administrative_penalty_reported()->set_decision_number("d1"); },
       "caselink.v1.AdministrativePenaltyReported", "caselink.admin-penalty.v1"},
      {[](v1::Envelope& e) { e.mutable_feedback_acknowledged(); }, "caselink.v1.FeedbackAcknowledged",
       "caselink.ack.v1"},
      {[](v1::Envelope& e) { e.mutable_recommendation_replied(); }, "caselink.v1.RecommendationReplied",
       "caselink.recommendation.v1"},
  };
  for (const Case& c : cases) {
    v1::Envelope env = (*client)->new_envelope("case-42");
    c.set_payload(env);
    auto record = prepare_record(env, kAgency);
    ASSERT_TRUE(record.ok()) << c.type << ": " << record.error().describe();
    EXPECT_EQ(record->topic, c.topic) << c.type;
    EXPECT_EQ(record->key, "case-42");
    EXPECT_EQ(env.event_type(), c.type);
    EXPECT_EQ(find_header(record->headers, envelope::kCeType), c.type);
    EXPECT_EQ(find_header(record->headers, envelope::kCeId), env.event_id());
    EXPECT_EQ(find_header(record->headers, envelope::kCeSource), kAgency);
    auto decoded = envelope::decode(*record->value);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->event_id(), env.event_id());
  }
}

TEST(PrepareRecordTest, RefusesWhatTheCodecOrTheRouterRejects) {
  auto client = AgencyClient::create(options());
  ASSERT_TRUE(client.ok());

  v1::Envelope no_payload = (*client)->new_envelope("case-42");
  auto r1 = prepare_record(no_payload, kAgency);
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().code, ErrorCode::kInvalid);

  v1::Envelope bad_case = referral_event(**client, "case with spaces");
  auto r2 = prepare_record(bad_case, kAgency);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().field, "case_id");
  EXPECT_EQ(r2.error().reason, envelope::kInvalidField);

  v1::Envelope lying_type = referral_event(**client, "case-42");
  lying_type.set_event_type("caselink.v1.FilingDecision");
  auto r3 = prepare_record(lying_type, kAgency);
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().reason, envelope::kTypeMismatch);

  v1::Envelope probe = (*client)->new_envelope("case-42");
  probe.mutable_probe()->set_sequence(1);
  auto r4 = prepare_record(probe, kAgency);
  ASSERT_FALSE(r4.ok());
  EXPECT_EQ(r4.error().reason, "envelope.unroutable_payload");

  v1::Envelope other_agency = referral_event(**client, "case-42");
  other_agency.set_producer_agency_id("scjg-330100");
  auto r5 = prepare_record(other_agency, kAgency);
  ASSERT_FALSE(r5.ok());
  EXPECT_EQ(r5.error().reason, kProducerMismatch);
  EXPECT_EQ(r5.error().field, "producer_agency_id");

  // An envelope built by hand without a producer gets this agency's.
  v1::Envelope anonymous = referral_event(**client, "case-42");
  anonymous.clear_producer_agency_id();
  auto r6 = prepare_record(anonymous, kAgency);
  ASSERT_TRUE(r6.ok());
  EXPECT_EQ(anonymous.producer_agency_id(), kAgency);
}

TEST(PublishTest, InvalidEnvelopeIsRefusedWithoutTouchingTheBroker) {
  // The broker is unreachable: a publish that tried to send would fail with kUnavailable.
  auto client = AgencyClient::create(options());
  ASSERT_TRUE(client.ok());
  auto delivery = (*client)->publish(referral_event(**client, ""));
  ASSERT_FALSE(delivery.ok());
  EXPECT_EQ(delivery.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(delivery.error().field, "case_id");

  auto batch = (*client)->publish_all({referral_event(**client, "case-1"), referral_event(**client, "")});
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.error().code, ErrorCode::kInvalid);
  EXPECT_NE(batch.error().message.find("event 2 of 2"), std::string::npos) << batch.error().message;
  EXPECT_NE(batch.error().message.find("nothing was published"), std::string::npos);
}

TEST(PublishTest, UnreachableBrokerIsUnavailable) {
  ClientOptions o = options();
  o.delivery_timeout_ms = 1000;
  auto client = AgencyClient::create(o);
  ASSERT_TRUE(client.ok());
  auto delivery = (*client)->publish(referral_event(**client, "case-1"));
  ASSERT_FALSE(delivery.ok());
  EXPECT_EQ(delivery.error().code, ErrorCode::kUnavailable);
}

// ---------------------------------------------------------------------------------------------
// Against librdkafka's mock cluster

TEST(MockClusterTest, PublishAllDeliversInOrderOnTheCaseTopicsAndReaderDecodes) {
  MockCluster cluster;
  cluster.create_topic("caselink.referral.v1", 6);
  cluster.create_topic("caselink.evidence.manifest.v1", 6);
  cluster.create_topic("caselink.feedback.sthjj-330100.v1", 3);
  auto client = AgencyClient::create(options(cluster.bootstrap()));
  ASSERT_TRUE(client.ok()) << client.error().describe();

  v1::Envelope manifest = (*client)->new_envelope("case-7");
  manifest.mutable_evidence_manifest()->set_manifest_id("m-7");
  std::vector<v1::Envelope> batch{manifest, referral_event(**client, "case-7"), referral_event(**client, "case-7")};
  auto deliveries = (*client)->publish_all(batch);
  ASSERT_TRUE(deliveries.ok()) << deliveries.error().describe();
  ASSERT_EQ(deliveries->size(), 3u);
  EXPECT_EQ((*deliveries)[0].topic, "caselink.evidence.manifest.v1");
  EXPECT_EQ((*deliveries)[0].event_id, batch[0].event_id());
  EXPECT_EQ((*deliveries)[1].topic, "caselink.referral.v1");
  EXPECT_EQ((*deliveries)[2].topic, "caselink.referral.v1");
  // One case, one partition (key = case id); the same partition number on both 6-partition topics.
  EXPECT_EQ((*deliveries)[1].partition, (*deliveries)[2].partition);
  EXPECT_EQ((*deliveries)[0].partition, (*deliveries)[1].partition);
  EXPECT_EQ((*deliveries)[2].offset, (*deliveries)[1].offset + 1);

  // A batch with an invalid event writes nothing: the next referral takes the next offset.
  auto refused = (*client)->publish_all({referral_event(**client, "case-7"), referral_event(**client, "bad case")});
  ASSERT_FALSE(refused.ok());
  auto next = (*client)->publish(referral_event(**client, "case-7"));
  ASSERT_TRUE(next.ok()) << next.error().describe();
  EXPECT_EQ(next->offset, (*deliveries)[2].offset + 1);
}

// A FilingDecision as caselink-feedback writes it to the agency's feedback topic (signed when a
// signing runtime holding the producer's key is installed).
OutgoingRecord feedback_record(const std::string& topic, const std::string& case_id,
                               const std::string& producer_id = "caselink-feedback") {
  v1::Envelope env = envelope::make_envelope(CaseId(case_id), AgencyId(producer_id), std::chrono::system_clock::now(),
                                             std::chrono::system_clock::now());
  env.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED);
  envelope::seal(env);
  return envelope::to_record(env, topic);
}

// A one-partition feedback topic on a mock cluster and a producer writing to it.
struct FeedbackTopic {
  MockCluster cluster;
  const std::string topic = "caselink.feedback.sthjj-330100.v1";
  std::unique_ptr<kafka::IdempotentProducer> producer;
  std::string producer_error;
  FeedbackTopic() {
    cluster.create_topic(topic, 1);
    kafka::KafkaSettings settings;
    settings.bootstrap = cluster.bootstrap();
    auto made = kafka::make_idempotent_producer(settings, "feedback-writer");
    if (made.ok()) producer = std::move(*made);
    else producer_error = made.error().describe();
  }
};

// Polls until `expected` envelopes and errors together have come back (or 100 polls).
struct ReadBack {
  std::vector<std::string> case_ids;
  std::vector<Error> errors;
};
ReadBack read_back(FeedbackReader& reader, size_t expected) {
  ReadBack out;
  for (int i = 0; i < 100 && out.case_ids.size() + out.errors.size() < expected; ++i) {
    auto batch = reader.poll(std::chrono::milliseconds(200));
    if (!batch.ok()) {
      out.errors.push_back(batch.error());
      continue;
    }
    for (const auto& env : *batch) out.case_ids.push_back(env.case_id());
  }
  return out;
}

TEST(MockClusterTest, ReaderReturnsGoodRecordsThenTheUndecodableOneAsAnError) {
  FeedbackTopic feedback;
  const std::string& topic = feedback.topic;
  ASSERT_TRUE(feedback.producer) << feedback.producer_error;
  ASSERT_TRUE(feedback.producer->send(feedback_record(topic, "case-1")).ok());
  ASSERT_TRUE(feedback.producer->send(OutgoingRecord{topic, "case-2", std::string("not an envelope"), {}}).ok());
  ASSERT_TRUE(feedback.producer->send(feedback_record(topic, "case-3")).ok());

  auto reader = FeedbackReader::create(options(feedback.cluster.bootstrap()), "sthjj-adapter");
  ASSERT_TRUE(reader.ok()) << reader.error().describe();
  EXPECT_EQ((*reader)->topic(), topic);
  const ReadBack read = read_back(**reader, 3);
  EXPECT_EQ(read.case_ids, (std::vector<std::string>{"case-1", "case-3"}));
  ASSERT_EQ(read.errors.size(), 1u);
  EXPECT_EQ(read.errors[0].code, ErrorCode::kInvalid);
  EXPECT_EQ(read.errors[0].reason, envelope::kUndecodable);
  EXPECT_NE(read.errors[0].message.find(topic + "/0@1"), std::string::npos) << read.errors[0].message;
  EXPECT_TRUE((*reader)->commit().ok());
}

// With a signing runtime installed that requires signatures, the reader returns a record that
// caselink-feedback did not sign as an error (reason envelope.signature), like a service's
// decode step; the signed records around it are returned.
TEST(MockClusterTest, ReaderWithVerificationRequiredRefusesUnsignedFeedback) {
  const auto dir = std::filesystem::temp_directory_path() / ("caselink-sdk-verify-" + std::to_string(::getpid()));
  signing::Settings required;
  required.verify = "required";
  required.registry_file = signing::testing::write_keys(dir, {{"caselink-feedback.k1", "caselink-feedback", ""}});
  required.key_dir = dir.string();  // holds caselink-feedback's key: to_record signs its records
  auto runtime = signing::Runtime::create(required, nullptr);
  ASSERT_TRUE(runtime.ok()) << runtime.error().describe();
  signing::ScopedInstall installed(*runtime);

  FeedbackTopic feedback;
  const std::string& topic = feedback.topic;
  ASSERT_TRUE(feedback.producer) << feedback.producer_error;
  ASSERT_TRUE(feedback.producer->send(feedback_record(topic, "case-1")).ok());
  ASSERT_TRUE(feedback.producer->send(feedback_record(topic, "case-2", "someone-else")).ok());  // no key held: unsigned
  ASSERT_TRUE(feedback.producer->send(feedback_record(topic, "case-3")).ok());

  auto reader = FeedbackReader::create(options(feedback.cluster.bootstrap()), "sthjj-adapter");
  ASSERT_TRUE(reader.ok()) << reader.error().describe();
  const ReadBack read = read_back(**reader, 3);
  EXPECT_EQ(read.case_ids, (std::vector<std::string>{"case-1", "case-3"}));
  ASSERT_EQ(read.errors.size(), 1u);
  EXPECT_EQ(read.errors[0].reason, signing::kSignatureReason);
  EXPECT_NE(read.errors[0].message.find(topic + "/0@1"), std::string::npos) << read.errors[0].message;
  EXPECT_NE(read.errors[0].message.find("missing"), std::string::npos) << read.errors[0].message;
  std::filesystem::remove_all(dir);
}

// ---------------------------------------------------------------------------------------------
// Signing with the agency's own key (docs/contracts/signing.md)

TEST(SigningTest, PublishedEventsAreSignedWithTheAgencysOwnKey) {
  const auto dir = std::filesystem::temp_directory_path() / ("caselink-sdk-sign-" + std::to_string(::getpid()));
  const std::string registry_path = signing::testing::write_keys(dir, {{"sthjj-330100.k1", kAgency, ""}});
  ClientOptions o = options();
  o.signing_key_file = (dir / "sthjj-330100.k1.pem").string();
  o.signing_key_id = "sthjj-330100.k1";
  auto client = AgencyClient::create(o);
  ASSERT_TRUE(client.ok()) << client.error().describe();
  auto signer = signing::PrivateKey::from_pem(
      [&] { std::ifstream in(o.signing_key_file); std::stringstream t; t << in.rdbuf(); return t.str(); }(), "k");
  ASSERT_TRUE(signer.ok());
  EventSigner event_signer{std::move(*signer), o.signing_key_id};

  v1::Envelope env = (*client)->new_envelope("case-42");
  env.mutable_case_referral()->set_offence_code("pollution_environment");
  auto record = prepare_record(env, kAgency, &event_signer);
  ASSERT_TRUE(record.ok()) << record.error().describe();
  auto published = envelope::decode(*record->value);
  ASSERT_TRUE(published.ok());
  EXPECT_EQ(published->signature_mode(), v1::SIGNATURE_MODE_OWN_KEY);
  auto registry = signing::KeyRegistry::load(registry_path);
  ASSERT_TRUE(registry.ok());
  auto failure = signing::verify(*published, *registry);
  EXPECT_FALSE(failure.has_value()) << failure->detail;
  std::filesystem::remove_all(dir);
}

TEST(SigningTest, KeyOptionsAreCheckedAndNamed) {
  ClientOptions only_file = options();
  only_file.signing_key_file = "/nonexistent.pem";
  EXPECT_EQ(validate(only_file).error().field, "signing_key_id");
  only_file.signing_key_id = "k1";
  auto created = AgencyClient::create(only_file);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().field, "signing_key_file");
}

}  // namespace
}  // namespace caselink::sdk
