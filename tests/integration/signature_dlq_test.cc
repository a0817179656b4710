// Signed events on the real broker (docs/contracts/signing.md): a consumer running with
// signing.verify: required passes what its producer signed and dead-letters, with reason
// envelope.signature, an unsigned record, A signing as B, a key used after its revocation and a
// tampered record — while an event signed before the revocation still passes.

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <fstream>
#include <sstream>
#include <thread>

#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/decode.h"
#include "services/lib/kafka/dlq.h"
#include "services/lib/kafka/factory.h"
#include "services/lib/kafka/producer.h"
#include "services/lib/kafka/transactional_loop.h"
#include "services/lib/signing/envelope_signature.h"
#include "services/lib/signing/runtime.h"
#include "services/lib/signing/tests/test_keys.h"
#include "tests/support/kafka_test_env.h"

namespace caselink {
namespace {

// The decode step every service shares, then a copy of the event to `out`.
class DecodingHandler final : public kafka::RecordHandler {
 public:
  explicit DecodingHandler(std::string out) : out_(std::move(out)) {}
  kafka::HandlerResult handle(const ConsumedRecord& record) override {
    auto env = kafka::decode_record(record);
    if (!env.ok()) {
      return kafka::refuse(env.error());
    }
    return kafka::HandlerResult::emit({OutgoingRecord{out_, record.key.value_or(""), record.value, {}}});
  }

 private:
  std::string out_;
};

signing::PrivateKey key_in(const std::filesystem::path& pem) {
  std::ifstream in(pem);
  std::stringstream text;
  text << in.rdbuf();
  auto key = signing::PrivateKey::from_pem(text.str(), pem.string());
  EXPECT_TRUE(key.ok()) << pem;
  return std::move(*key);
}

v1::Envelope probe(const std::string& case_id, const std::string& producer, TimePoint at) {
  v1::Envelope env = envelope::make_envelope(CaseId(case_id), AgencyId(producer), at, at);
  env.mutable_probe()->set_note(case_id);
  envelope::seal(env);
  return env;
}

TEST(SignatureIntegration, RequiredVerificationDeadLettersWhatIsNotValidlySigned) {
  auto bootstrap = testing::kafka_bootstrap();
  if (!bootstrap) {
    GTEST_SKIP() << "CASELINK_KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
  }
  const auto dir = std::filesystem::temp_directory_path() / testing::unique_name("it-signature");
  signing::Settings settings;
  settings.verify = "required";
  settings.key_dir = (dir / "held").string();
  std::filesystem::create_directories(dir / "held");
  // "a" signs through the installed runtime (its key is held); "old" was revoked an hour ago.
  settings.registry_file = signing::testing::write_keys(
      dir, {{"a.k1", "a", ""}, {"old.k1", "old", "    revoked_at: " + format_rfc3339(std::chrono::system_clock::now() -
                                                                                   std::chrono::hours(1)) + "\n"}});
  std::filesystem::copy_file(dir / "a.k1.pem", dir / "held" / "a.k1.pem");
  metrics::Registry metrics;
  auto runtime = signing::Runtime::create(settings, &metrics);
  ASSERT_TRUE(runtime.ok()) << runtime.error().describe();
  signing::ScopedInstall installed(*runtime);

  const std::string in = testing::unique_name("it.sig.in");
  const std::string out = testing::unique_name("it.sig.out");
  const std::string dlq = testing::unique_name("it.sig.dlq");
  ASSERT_TRUE(testing::create_topics(*bootstrap, {in, out, dlq}, 1).ok());
  kafka::KafkaSettings kafka = testing::kafka_settings(*bootstrap);
  const TimePoint now = std::chrono::system_clock::now();
  const signing::PrivateKey a_key = key_in(dir / "a.k1.pem");
  const signing::PrivateKey old_key = key_in(dir / "old.k1.pem");
  {
    auto producer = kafka::make_idempotent_producer(kafka, "seeder");
    ASSERT_TRUE(producer.ok());
    v1::Envelope as_b = probe("wrong-party", "b", now);
    signing::sign(as_b, a_key, "a.k1");
    v1::Envelope revoked_after = probe("revoked-after", "old", now);
    signing::sign(revoked_after, old_key, "old.k1");
    v1::Envelope revoked_before = probe("revoked-before", "old", now - std::chrono::hours(2));
    signing::sign(revoked_before, old_key, "old.k1");
    v1::Envelope tampered = probe("invalid", "a", now);
    signing::sign(tampered, a_key, "a.k1");
    tampered.mutable_probe()->set_sequence(1);
    for (const v1::Envelope& env : {probe("valid", "a", now), probe("missing", "c", now), as_b, revoked_after,
                                    revoked_before, tampered}) {
      ASSERT_TRUE((*producer)->send(envelope::to_record(env, in)).ok());  // to_record signs "valid" only
    }
  }

  kafka::LoopSettings loop;
  loop.group_id = testing::unique_name("it.sig.group");
  loop.input_topics = {in};
  loop.dlq_topic = dlq;
  DecodingHandler handler(out);
  SystemClock clock;
  kafka::TransactionalLoop transactional_loop(kafka, loop, "it-signature", handler, nullptr, clock);
  std::atomic<bool> stop{false};
  Status result;
  std::thread runner([&] { result = transactional_loop.run(stop); });
  const bool caught_up = testing::wait_caught_up(*bootstrap, loop.group_id, {in}, std::chrono::seconds(90));
  auto passed = testing::read_topic(*bootstrap, out, testing::Isolation::kReadCommitted, 0, std::chrono::seconds(30));
  auto dead = testing::read_topic(*bootstrap, dlq, testing::Isolation::kReadCommitted, 0, std::chrono::seconds(30));
  stop.store(true);
  runner.join();
  ASSERT_TRUE(result.ok()) << result.error().describe();
  ASSERT_TRUE(caught_up);

  std::set<std::string> passed_keys;
  for (const auto& r : passed) passed_keys.insert(*r.key);
  EXPECT_EQ(passed_keys, (std::set<std::string>{"valid", "revoked-before"}));
  ASSERT_EQ(dead.size(), 4U);
  for (const auto& d : dead) {
    EXPECT_EQ(find_header(d.headers, kafka::kDlqErrorClass), signing::kSignatureReason);
    const std::string reason = *d.key == "wrong-party" ? "wrong_party" : *d.key == "revoked-after" ? "revoked" : *d.key;
    EXPECT_NE(find_header(d.headers, kafka::kDlqErrorMessage).value_or("").find("signature: " + reason + ":"),
              std::string::npos)
        << *d.key << ": " << find_header(d.headers, kafka::kDlqErrorMessage).value_or("");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace caselink
