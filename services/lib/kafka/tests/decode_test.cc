// The one key rule and decode step every consuming handler applies (issue 13 H).
#include "services/lib/kafka/decode.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "services/lib/envelope/codec.h"
#include "services/lib/metrics/registry.h"
#include "services/lib/signing/envelope_signature.h"
#include "services/lib/signing/runtime.h"
#include "services/lib/signing/tests/test_keys.h"

namespace caselink::kafka {
namespace {

ConsumedRecord record_of(std::optional<std::string> key, std::optional<std::string> value) {
  ConsumedRecord r;
  r.topic = "caselink.referral.v1";
  r.partition = 1;
  r.offset = 9;
  r.key = std::move(key);
  r.value = std::move(value);
  return r;
}

std::string probe_of(const std::string& case_id) {
  SystemClock clock;
  v1::Envelope env = envelope::make_envelope(CaseId(case_id), AgencyId("a"), clock.now(), clock.now());
  env.mutable_probe()->set_sequence(1);
  envelope::seal(env);
  return envelope::encode(env);
}

struct Row {
  const char* name;
  ConsumedRecord record;
  const char* error_class;  // nullptr = accepted
};

class DecodeRecord : public ::testing::TestWithParam<Row> {};

TEST_P(DecodeRecord, AppliesOneRule) {
  const Row& row = GetParam();
  auto decoded = decode_record(row.record);
  if (row.error_class == nullptr) {
    ASSERT_TRUE(decoded.ok()) << decoded.error().describe();
    EXPECT_EQ(decoded->case_id(), "case-1");
    return;
  }
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().reason, row.error_class);
  const HandlerResult refused = refuse(decoded.error());
  ASSERT_TRUE(refused.dead_letter.has_value());
  EXPECT_EQ(refused.dead_letter->error_class, row.error_class);
  EXPECT_FALSE(refused.dead_letter->message.empty());
  EXPECT_TRUE(refused.outputs.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Table, DecodeRecord,
    ::testing::Values(Row{"keyed_by_case", record_of("case-1", probe_of("case-1")), nullptr},
                      Row{"tombstone", record_of("case-1", std::nullopt), envelope::kUndecodable},
                      Row{"garbage", record_of("case-1", std::string("\x0a\xff\xff")), envelope::kUndecodable},
                      Row{"null_key", record_of(std::nullopt, probe_of("case-1")), kKeyMissing},
                      Row{"empty_key", record_of("", probe_of("case-1")), kKeyMismatch},
                      Row{"other_case", record_of("case-2", probe_of("case-1")), kKeyMismatch}),
    [](const ::testing::TestParamInfo<Row>& info) { return std::string(info.param.name); });

// With `signing.verify: required` the same decode step refuses what is not signed by its
// producer with a registry key valid at the signing time (docs/contracts/signing.md).
class SignatureCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("caselink-decode-sig-" + std::to_string(::getpid()));
    settings_.verify = "required";
    settings_.key_dir = dir_.string();
    settings_.registry_file = signing::testing::write_keys(
        dir_, {{"a-1", "a", ""}, {"old-1", "old", "    revoked_at: 2020-01-01T00:00:00Z\n"}});
    auto runtime = signing::Runtime::create(settings_, &metrics_);
    ASSERT_TRUE(runtime.ok()) << runtime.error().describe();
    installed_ = std::make_unique<signing::ScopedInstall>(*runtime);
  }
  void TearDown() override {
    installed_.reset();
    std::filesystem::remove_all(dir_);
  }

  static v1::Envelope probe(const std::string& producer) {
    SystemClock clock;
    v1::Envelope env = envelope::make_envelope(CaseId("case-1"), AgencyId(producer), clock.now(), clock.now());
    env.mutable_probe()->set_sequence(7);
    envelope::seal(env);
    return env;
  }
  // What a producing service writes: to_record signs with the producer's key when it holds one.
  static ConsumedRecord emitted(const v1::Envelope& env) {
    OutgoingRecord out = envelope::to_record(env, "caselink.referral.v1");
    return record_of(out.key, out.value);
  }
  std::string refusal(const ConsumedRecord& record) {
    auto decoded = decode_record(record);
    if (decoded.ok()) {
      return "accepted";
    }
    EXPECT_EQ(decoded.error().reason, signing::kSignatureReason);
    const HandlerResult refused = refuse(decoded.error());
    return refused.dead_letter ? refused.dead_letter->message : "no dead letter";
  }
  double failures(const std::string& reason) {
    return metrics_.counter(signing::kFailuresMetric, signing::kFailuresHelp, {"reason"}).labels({reason}).value();
  }

  std::filesystem::path dir_;
  signing::Settings settings_;
  metrics::Registry metrics_;
  std::unique_ptr<signing::ScopedInstall> installed_;
};

TEST_F(SignatureCheck, AcceptsWhatItsProducerSigned) {
  ConsumedRecord record = emitted(probe("a"));
  auto decoded = decode_record(record);
  ASSERT_TRUE(decoded.ok()) << decoded.error().describe();
  EXPECT_EQ(decoded->signature_key_id(), "a-1");
}

TEST_F(SignatureCheck, RefusesMissingUnknownForgedRevokedAndTamperedSignatures) {
  // Unsigned: no key of producer "b" is held, so to_record leaves it unsigned.
  EXPECT_NE(refusal(emitted(probe("b"))).find("signature: missing:"), std::string::npos);

  v1::Envelope unknown = probe("a");
  auto stray = signing::PrivateKey::generate();
  signing::sign(unknown, *stray, "nobody-1");
  EXPECT_NE(refusal(emitted(unknown)).find("signature: unknown_key:"), std::string::npos);

  // A writing an event that claims B: signed with A's real key.
  v1::Envelope claims_b = probe("b");
  std::ifstream pem(dir_ / "a-1.pem");
  std::stringstream text;
  text << pem.rdbuf();
  auto a_key = signing::PrivateKey::from_pem(text.str(), "a-1.pem");
  ASSERT_TRUE(a_key.ok());
  signing::sign(claims_b, *a_key, "a-1");
  EXPECT_NE(refusal(emitted(claims_b)).find("signature: wrong_party:"), std::string::npos);

  // Revoked in 2020, signed now. The runtime itself never signs with it (not usable).
  EXPECT_NE(refusal(emitted(probe("old"))).find("signature: missing:"), std::string::npos);
  v1::Envelope revoked = probe("old");
  std::ifstream old_pem(dir_ / "old-1.pem");
  std::stringstream old_text;
  old_text << old_pem.rdbuf();
  signing::sign(revoked, *signing::PrivateKey::from_pem(old_text.str(), "old-1.pem"), "old-1");
  EXPECT_NE(refusal(emitted(revoked)).find("signature: revoked:"), std::string::npos);

  OutgoingRecord tampered = envelope::to_record(probe("a"), "t");
  v1::Envelope changed = *envelope::decode(*tampered.value);
  changed.mutable_probe()->set_sequence(8);
  EXPECT_NE(refusal(record_of("case-1", envelope::encode(changed))).find("signature: invalid:"), std::string::npos);

  EXPECT_EQ(failures("missing"), 2);
  EXPECT_EQ(failures("unknown_key"), 1);
  EXPECT_EQ(failures("wrong_party"), 1);
  EXPECT_EQ(failures("revoked"), 1);
  EXPECT_EQ(failures("invalid"), 1);
}

// A consumer that does not check the key (caselink-passthrough's validating copy, an SDK
// TypedConsumer with KeyRule::kAny) still checks the signature: it once returned before it.
TEST_F(SignatureCheck, AnyKeyRuleStillChecksTheSignature) {
  auto unsigned_any = decode_record(emitted(probe("b")), KeyRule::kAny);
  ASSERT_FALSE(unsigned_any.ok());
  EXPECT_EQ(unsigned_any.error().reason, signing::kSignatureReason);
  OutgoingRecord tampered = envelope::to_record(probe("a"), "t");
  v1::Envelope changed = *envelope::decode(*tampered.value);
  changed.mutable_probe()->set_sequence(8);
  auto tampered_any = decode_record(record_of(std::nullopt, envelope::encode(changed)), KeyRule::kAny);
  ASSERT_FALSE(tampered_any.ok());
  EXPECT_EQ(tampered_any.error().reason, signing::kSignatureReason);
  EXPECT_NE(tampered_any.error().describe().find("signature: invalid:"), std::string::npos)
      << tampered_any.error().describe();
  EXPECT_TRUE(decode_record(emitted(probe("a")), KeyRule::kAny).ok());
  EXPECT_EQ(failures("missing"), 1);
  EXPECT_EQ(failures("invalid"), 1);
}

TEST_F(SignatureCheck, VerifyOffChecksNothing) {
  settings_.verify = "off";
  auto runtime = signing::Runtime::create(settings_, &metrics_);
  ASSERT_TRUE(runtime.ok());
  signing::ScopedInstall off(*runtime);
  EXPECT_TRUE(decode_record(emitted(probe("b"))).ok());
}

// KeyRule::kAny (caselink-passthrough's blind copy): the envelope is still checked, the key not.
TEST(DecodeRecordAnyKey, ChecksTheEnvelopeButNotTheKey) {
  EXPECT_TRUE(decode_record(record_of(std::nullopt, probe_of("case-1")), KeyRule::kAny).ok());
  EXPECT_TRUE(decode_record(record_of("case-2", probe_of("case-1")), KeyRule::kAny).ok());
  auto tombstone = decode_record(record_of("case-1", std::nullopt), KeyRule::kAny);
  ASSERT_FALSE(tombstone.ok());
  EXPECT_EQ(tombstone.error().reason, envelope::kUndecodable);
  auto garbage = decode_record(record_of("case-1", std::string("\x0a\xff\xff")), KeyRule::kAny);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().reason, envelope::kUndecodable);
}

}  // namespace
}  // namespace caselink::kafka
