// The adapter SDK on the real broker (CASELINK_KAFKA_BOOTSTRAP), on the real caselink topics (created
// here when missing, as deploy/topics.yaml declares them). Every test uses its own case ids and
// consumer groups, so runs never see each other's records as their own.
//
//  * example 1 publishes a referral with its evidence; the referral is on caselink.referral.v1
//    at the partition and offset it printed; then a feedback record is written to
//    caselink.feedback.sthjj-330100.v1 the way caselink-feedback writes it (in a Kafka
//    transaction) and example 2 prints it;
//  * example 3 acknowledges a filing decision exactly once on caselink.ack.v1 and skips a payload
//    it has no callback for;
//  * FeedbackReader: a record read but not committed is read again by the next reader of the
//    same group, and a committed one is not; commit() stores exactly "last returned + 1".

#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sys/wait.h>

#include "services/lib/core/uuid.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/factory.h"
#include "services/lib/kafka/client.h"
#include "services/daemons/evidence/local_blob_store.h"
#include "services/lib/sdk/agency_client.h"
#include "tests/support/kafka_test_env.h"

namespace caselink::sdk {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kAgency = "sthjj-330100";
const std::string kFeedbackTopic = "caselink.feedback.sthjj-330100.v1";

class SdkIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto bootstrap = testing::kafka_bootstrap();
    if (!bootstrap) {
      GTEST_SKIP() << "CASELINK_KAFKA_BOOTSTRAP is not set: start a broker (deploy/local/kafka.sh) or run "
                      "scripts/test.sh";
    }
    bootstrap_ = *bootstrap;
    // Already there when deploy/topics.yaml was applied (scripts/test.sh); created otherwise.
    ASSERT_TRUE(testing::create_topics(bootstrap_, {"caselink.referral.v1", "caselink.evidence.manifest.v1"}, 6).ok());
    ASSERT_TRUE(testing::create_topics(bootstrap_, {kFeedbackTopic}, 3).ok());
  }

  ClientOptions options() const {
    ClientOptions o;
    o.bootstrap = bootstrap_;
    o.kafka_config_file = testing::kafka_client_config_file();
    o.agency_id = kAgency;
    return o;
  }

  std::string bootstrap_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
};

// Runs a built binary, stdout captured, stderr to `stderr_path`.
CommandResult run(const std::string& program, const std::vector<std::string>& args, const std::string& stderr_path) {
  auto quote = [](const std::string& s) {
    std::string q = "'";
    for (char c : s) {
      q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return q + "'";
  };
  std::string command = quote(program);
  for (const auto& a : args) {
    command += " " + quote(a);
  }
  command += " 2>" + quote(stderr_path);
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.out.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The one record at topic/partition/offset (read_committed), or nullopt.
std::optional<ConsumedRecord> record_at(const std::string& bootstrap, const std::string& topic, int32_t partition,
                                        int64_t offset) {
  kafka::KafkaSettings settings = testing::kafka_settings(bootstrap);
  auto made = kafka::make_consumer(settings, {{"group.id", testing::unique_name("sdk-readback")},
                                              {"isolation.level", "read_committed"},
                                              {"enable.auto.commit", "false"}});
  EXPECT_TRUE(made.ok()) << made.error().message;
  if (!made.ok()) return std::nullopt;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer = std::move(made).value();
  std::vector<RdKafka::TopicPartition*> assignment{RdKafka::TopicPartition::create(topic, partition, offset)};
  consumer->assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  std::optional<ConsumedRecord> found;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!found && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
    if (m->err() == RdKafka::ERR_NO_ERROR) {
      found = kafka::to_consumed_record(*m);
    }
  }
  consumer->close();
  return found;
}

// Writes `env` to the agency's feedback topic the way caselink-feedback does: inside a Kafka
// transaction (its exactly-once loop), key = case id, CloudEvents headers.
void write_feedback_transactionally(const std::string& bootstrap, const v1::Envelope& env,
                                    const std::string& topic = kFeedbackTopic) {
  kafka::KafkaSettings settings = testing::kafka_settings(bootstrap);
  auto made = kafka::make_producer(settings, {{"transactional.id", testing::unique_name("sdk-it-feedback")},
                                              {"partitioner", kafka::kCasePartitioner}});
  ASSERT_TRUE(made.ok()) << made.error().message;
  std::unique_ptr<RdKafka::Producer> producer = std::move(made).value();
  EXPECT_EQ(producer->init_transactions(30000), nullptr);
  EXPECT_EQ(producer->begin_transaction(), nullptr);
  EXPECT_EQ(kafka::produce(*producer, envelope::to_record(env, topic)), RdKafka::ERR_NO_ERROR);
  EXPECT_EQ(producer->commit_transaction(30000), nullptr);
}

// A filing decision as caselink-feedback copies it to the agency: producer caselink-feedback,
// causation = the police's original event.
v1::Envelope feedback_filing_decision(const std::string& case_id) {
  const TimePoint now = std::chrono::system_clock::now();
  v1::Envelope env = envelope::make_envelope(CaseId(case_id), AgencyId("caselink-feedback"), now, now);
  env.set_causation_id(new_uuid());
  v1::FilingDecision* d = env.mutable_filing_decision();
  d->set_outcome(v1::FILING_OUTCOME_FILED);
  d->mutable_police_organ()->set_organ_id("ga-330100");
  d->mutable_police_organ()->set_name("杭州市公安局");
  d->set_decision_document_number("杭公环立字〔2026〕17号");
  d->set_police_case_number("A3301000000002026110017");
  envelope::seal(env);
  return env;
}

// Polls `reader` until a record of `case_id` arrived or 30 s passed; returns all records of that
// case seen on the way.
std::vector<v1::Envelope> poll_for_case(FeedbackReader& reader, const std::string& case_id, size_t wanted) {
  std::vector<v1::Envelope> seen;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (seen.size() < wanted && std::chrono::steady_clock::now() < deadline) {
    auto batch = reader.poll(500ms);
    EXPECT_TRUE(batch.ok() || batch.error().code == ErrorCode::kInvalid) << batch.error().describe();
    if (!batch.ok()) {
      continue;
    }
    for (auto& env : *batch) {
      if (env.case_id() == case_id) {
        seen.push_back(env);
      }
    }
  }
  return seen;
}

TEST_F(SdkIntegrationTest, ExamplesSubmitAReferralAndReadItsFeedback) {
  const fs::path blob_dir = fs::temp_directory_path() / testing::unique_name("caselink-sdk-it-blobs");
  const std::string case_id = "sthjj-330100-it-" + new_uuid().substr(0, 8);
  const std::string err_path = (fs::temp_directory_path() / testing::unique_name("sdk-it-stderr")).string();

  // 1. The bureau submits its referral.
  CommandResult submit = run(testing::build_path("bin/caselink-example-submit-referral"),
                             {"--bootstrap", bootstrap_, "--agency", kAgency, "--blob-dir", blob_dir.string(),
                              "--case-id", case_id},
                             err_path);
  ASSERT_EQ(submit.exit_code, 0) << submit.out << slurp(err_path);
  const std::regex delivered(
      R"(delivered event_type=(\S+) case_id=(\S+) event_id=(\S+) topic=(\S+) partition=(\d+) offset=(\d+))");
  std::map<std::string, std::smatch> by_type;
  for (auto it = std::sregex_iterator(submit.out.begin(), submit.out.end(), delivered); it != std::sregex_iterator();
       ++it) {
    by_type[(*it)[1]] = *it;
  }
  ASSERT_TRUE(by_type.contains("caselink.v1.CaseReferral")) << submit.out;
  ASSERT_TRUE(by_type.contains("caselink.v1.EvidenceManifest")) << submit.out;

  // 2. The referral is on its topic, at the partition and offset the example reported.
  const std::smatch& ref = by_type["caselink.v1.CaseReferral"];
  EXPECT_EQ(ref[2], case_id);
  EXPECT_EQ(ref[4], "caselink.referral.v1");
  auto record = record_at(bootstrap_, ref[4], std::stoi(ref[5]), std::stoll(ref[6]));
  ASSERT_TRUE(record.has_value()) << "nothing at " << ref[4] << "/" << ref[5] << "@" << ref[6];
  EXPECT_EQ(record->offset, std::stoll(ref[6]));
  EXPECT_EQ(record->key, case_id);
  EXPECT_EQ(find_header(record->headers, envelope::kCeType), "caselink.v1.CaseReferral");
  EXPECT_EQ(find_header(record->headers, envelope::kCeSource), kAgency);
  auto referral = envelope::decode(record->value.value_or(""));
  ASSERT_TRUE(referral.ok()) << referral.error().describe();
  EXPECT_EQ(referral->event_id(), ref[3]);
  EXPECT_EQ(referral->case_id(), case_id);
  EXPECT_EQ(referral->producer_agency_id(), kAgency);

  // ... and the manifest it names is on the manifest topic, every item's blob in the store.
  const std::smatch& man = by_type["caselink.v1.EvidenceManifest"];
  EXPECT_EQ(man[4], "caselink.evidence.manifest.v1");
  auto manifest_record = record_at(bootstrap_, man[4], std::stoi(man[5]), std::stoll(man[6]));
  ASSERT_TRUE(manifest_record.has_value());
  auto manifest = envelope::decode(manifest_record->value.value_or(""));
  ASSERT_TRUE(manifest.ok());
  EXPECT_EQ(manifest->evidence_manifest().manifest_id(), referral->case_referral().materials_manifest_id());
  auto store = evidence::LocalBlobStore::open_existing(blob_dir);
  ASSERT_TRUE(store.ok());
  ASSERT_GE(manifest->evidence_manifest().items_size(), 3);
  for (const auto& item : manifest->evidence_manifest().items()) {
    auto digest = crypto::Sha256Digest::from_hex(item.sha256_hex());
    ASSERT_TRUE(digest.ok());
    auto content = evidence::rehash(**store, *digest);
    ASSERT_TRUE(content.ok()) << item.item_id();
    EXPECT_EQ(content->content_digest, *digest);
  }

  // 3. The police file the case; caselink-feedback copies the decision to the bureau.
  v1::Envelope decision = feedback_filing_decision(case_id);
  write_feedback_transactionally(bootstrap_, decision);

  // 4. The bureau's adapter reads its feedback and names the case.
  const std::string group = testing::unique_name("sthjj-adapter-it");
  CommandResult read = run(testing::build_path("bin/caselink-example-read-feedback"),
                           {"--bootstrap", bootstrap_, "--agency", kAgency, "--group", group, "--case", case_id,
                            "--max-records", "1", "--idle-timeout-ms", "30000"},
                           err_path);
  ASSERT_EQ(read.exit_code, 0) << read.out << slurp(err_path);
  EXPECT_NE(read.out.find("feedback type=caselink.v1.FilingDecision case=" + case_id + " event=" + decision.event_id()),
            std::string::npos)
      << read.out << slurp(err_path);
  EXPECT_NE(read.out.find("outcome=FILING_OUTCOME_FILED"), std::string::npos) << read.out;
  fs::remove_all(blob_dir);
  fs::remove(err_path);
}

TEST_F(SdkIntegrationTest, PublishAllKeepsOneCaseInOrderOnOnePartition) {
  auto client = AgencyClient::create(options());
  ASSERT_TRUE(client.ok()) << client.error().describe();
  const std::string case_id = "sthjj-330100-it-" + new_uuid().substr(0, 8);
  std::vector<v1::Envelope> events;
  for (int i = 0; i < 3; ++i) {
    v1::Envelope env = (*client)->new_envelope(case_id);
    env.mutable_materials_supplemented()->set_manifest_id("m-" + std::to_string(i));
    events.push_back(env);
  }
  auto deliveries = (*client)->publish_all(events);
  ASSERT_TRUE(deliveries.ok()) << deliveries.error().describe();
  ASSERT_EQ(deliveries->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const Delivery& d = (*deliveries)[i];
    EXPECT_EQ(d.topic, "caselink.referral.v1");
    EXPECT_EQ(d.partition, (*deliveries)[0].partition);
    if (i > 0) {
      EXPECT_GT(d.offset, (*deliveries)[i - 1].offset);
    }
    auto record = record_at(bootstrap_, d.topic, d.partition, d.offset);
    ASSERT_TRUE(record.has_value());
    auto env = envelope::decode(record->value.value_or(""));
    ASSERT_TRUE(env.ok());
    EXPECT_EQ(env->event_id(), events[i].event_id());
    EXPECT_EQ(env->materials_supplemented().manifest_id(), "m-" + std::to_string(i));
  }
}

TEST_F(SdkIntegrationTest, UncommittedFeedbackIsReadAgainByTheNextReaderOfTheGroup) {
  const std::string case_id = "sthjj-330100-it-" + new_uuid().substr(0, 8);
  const std::string group = testing::unique_name("sthjj-adapter-redelivery");
  const v1::Envelope first = feedback_filing_decision(case_id);
  const v1::Envelope second = feedback_filing_decision(case_id);
  write_feedback_transactionally(bootstrap_, first);

  {
    auto reader = FeedbackReader::create(options(), group);
    ASSERT_TRUE(reader.ok()) << reader.error().describe();
    auto seen = poll_for_case(**reader, case_id, 1);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].event_id(), first.event_id());
    ASSERT_TRUE((*reader)->commit().ok());

    // Read, handled, but not committed: the reader goes away ("crashes") before commit().
    write_feedback_transactionally(bootstrap_, second);
    seen = poll_for_case(**reader, case_id, 1);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].event_id(), second.event_id());
  }
  auto second_reader = FeedbackReader::create(options(), group);
  ASSERT_TRUE(second_reader.ok());
  auto again = poll_for_case(**second_reader, case_id, 1);
  ASSERT_EQ(again.size(), 1u) << "the uncommitted record was not delivered again";
  EXPECT_EQ(again[0].event_id(), second.event_id()) << "the committed record came back";
  ASSERT_TRUE((*second_reader)->commit().ok());
}

// Example 3 on a feedback topic of its own (a fresh agency id, so no other run's records): an
// alert it has no callback for, then a filing decision. It acknowledges the decision once on
// caselink.ack.v1 (read_committed), skips the alert, dead-letters nothing and commits both. (No
// undecodable record here: the client suites read every caselink.* topic and would rightly
// refuse it; sdk_test covers the decode step's refusals.)
TEST_F(SdkIntegrationTest, ExampleAcknowledgesFeedbackExactlyOnce) {
  const std::string agency = "it-ack-" + new_uuid().substr(0, 8);
  const std::string topic = "caselink.feedback." + agency + ".v1";
  const std::string dlq = testing::unique_name("it.ack.dlq");
  ASSERT_TRUE(testing::create_topics(bootstrap_, {topic, dlq}, 3).ok());
  ASSERT_TRUE(testing::create_topics(bootstrap_, {"caselink.ack.v1"}, 6).ok());
  const std::string case_id = agency + "-2026-0001";
  v1::Envelope alert = feedback_filing_decision(case_id);
  alert.mutable_alert()->set_message("no callback for this type");
  alert.clear_event_type();
  envelope::seal(alert);
  write_feedback_transactionally(bootstrap_, alert, topic);
  const v1::Envelope decision = feedback_filing_decision(case_id);
  write_feedback_transactionally(bootstrap_, decision, topic);

  const std::string group = testing::unique_name("it-ack-group");
  const std::string err_path = (fs::temp_directory_path() / testing::unique_name("sdk-it-ack-stderr")).string();
  CommandResult ack = run(testing::build_path("bin/caselink-example-acknowledge-feedback"),
                          {"--bootstrap", bootstrap_, "--agency", agency, "--group", group, "--dlq-topic", dlq,
                           "--max-records", "1", "--idle-timeout-ms", "60000"},
                          err_path);
  ASSERT_EQ(ack.exit_code, 0) << ack.out << slurp(err_path);
  EXPECT_NE(ack.out.find("acknowledged case=" + case_id + " event=" + decision.event_id() +
                         ": filing decision FILING_OUTCOME_FILED"),
            std::string::npos)
      << ack.out;
  EXPECT_NE(ack.out.find("acknowledged 1, skipped 1"), std::string::npos) << ack.out;
  // Committed up to the decision: the offset after it, in the transaction of the acknowledgement.
  const auto inputs = testing::read_topic(bootstrap_, topic, testing::Isolation::kReadCommitted, 2, 60s);
  ASSERT_EQ(inputs.size(), 2U);
  const ConsumedRecord& last = inputs.back();
  EXPECT_EQ(envelope::decode(last.value.value_or("")).value().event_id(), decision.event_id());
  EXPECT_EQ(testing::committed_offsets(bootstrap_, group, topic, 3).at(last.partition), last.offset + 1);

  std::vector<v1::Envelope> acks;
  for (const auto& r : testing::read_topic(bootstrap_, "caselink.ack.v1", testing::Isolation::kReadCommitted, 0, 60s)) {
    auto env = envelope::decode(r.value.value_or(""));
    if (env.ok() && env->case_id() == case_id) {
      EXPECT_EQ(r.key, case_id);
      acks.push_back(*env);
    }
  }
  ASSERT_EQ(acks.size(), 1U);
  EXPECT_EQ(acks[0].feedback_acknowledged().feedback_event_id(), decision.event_id());
  EXPECT_EQ(acks[0].producer_agency_id(), agency);
  EXPECT_EQ(acks[0].causation_id(), decision.event_id());

  EXPECT_TRUE(testing::read_topic(bootstrap_, dlq, testing::Isolation::kReadCommitted, 0, 60s).empty())
      << "a valid feedback record was dead-lettered";
  fs::remove(err_path);
}

}  // namespace
}  // namespace caselink::sdk
