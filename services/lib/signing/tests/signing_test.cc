// Ed25519 through OpenSSL (RFC 8032 known answer), the envelope signing input, and verify()'s
// refusal reasons; the cross-language vectors (docs/contracts/signing-vectors.json).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>

#include "services/lib/signing/envelope_signature.h"

namespace caselink::signing {
namespace {

using caselink::v1::Envelope;

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string hex_of(const PublicKey& key) {
  return to_hex(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

TEST(Ed25519, Rfc8032TestVector1) {
  auto key = PrivateKey::from_seed(from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(hex_of(key->public_key()), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const std::string sig = key->sign("");
  EXPECT_EQ(to_hex(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f"
            "0595bbe24655141438e7a100b");
  EXPECT_TRUE(verify(key->public_key(), "", sig));
  EXPECT_FALSE(verify(key->public_key(), "x", sig));
  EXPECT_FALSE(verify(key->public_key(), "", sig.substr(0, 63)));
}

TEST(Ed25519, PemRoundTripAndHexParsing) {
  auto key = PrivateKey::generate();
  ASSERT_TRUE(key.ok());
  auto again = PrivateKey::from_pem(key->to_pem(), "test");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->public_key(), key->public_key());
  EXPECT_FALSE(PrivateKey::from_pem("not a key", "test").ok());
  auto parsed = public_key_from_hex(hex_of(key->public_key()));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, key->public_key());
  EXPECT_FALSE(public_key_from_hex("abc").ok());
  EXPECT_FALSE(public_key_from_hex(std::string(64, 'g')).ok());
}

// The envelope of the C++-made vector: every field of the signing input set.
Envelope vector_envelope() {
  Envelope env;
  env.set_event_id("3f1c2a9e-8b7d-4c6e-9f00-1a2b3c4d5e6f");
  env.set_case_id("env-330100-2026-0001");
  env.set_producer_agency_id("sthjj-330100");
  env.mutable_occurred_at()->set_seconds(1780000000);
  env.mutable_recorded_at()->set_seconds(1780000002);
  env.mutable_recorded_at()->set_nanos(5000000);
  env.set_schema_version(1);
  env.set_correlation_id("3f1c2a9e-8b7d-4c6e-9f00-1a2b3c4d5e6f");
  env.mutable_case_referral()->set_transfer_letter_number("杭环移〔2026〕1号");
  env.set_event_type("caselink.v1.CaseReferral");
  return env;
}

KeyRegistry registry_of(const std::string& key_id, const std::string& party, const std::string& pub_hex,
                        const std::string& extra = {}) {
  auto registry = KeyRegistry::parse(
      "keys:\n  - key_id: " + key_id + "\n    party: " + party + "\n    public_key: " + pub_hex + "\n" + extra, "test");
  EXPECT_TRUE(registry.ok()) << registry.error().message;
  return std::move(*registry);
}

class SignedEnvelope : public ::testing::Test {
 protected:
  void SetUp() override {
    env = vector_envelope();
    sign(env, *key, "sthjj-1");
  }
  Result<PrivateKey> key = PrivateKey::generate();
  KeyRegistry registry = registry_of("sthjj-1", "sthjj-330100", hex_of(key->public_key()));
  Envelope env;
};

TEST_F(SignedEnvelope, VerifiesAndSaysOwnKey) {
  EXPECT_EQ(env.signature().size(), kSignatureSize);
  EXPECT_EQ(env.signature_mode(), caselink::v1::SIGNATURE_MODE_OWN_KEY);
  EXPECT_FALSE(verify(env, registry).has_value());
}

TEST_F(SignedEnvelope, EveryCoveredFieldChangeBreaksIt) {
  const std::vector<std::function<void(Envelope&)>> changes{
      [](Envelope& e) { e.set_event_id("3f1c2a9e-8b7d-4c6e-9f00-1a2b3c4d5e60"); },
      [](Envelope& e) { e.set_case_id("env-330100-2026-0002"); },
      [](Envelope& e) { e.set_event_type("caselink.v1.Probe"); },
      [](Envelope& e) { e.mutable_occurred_at()->set_nanos(1); },
      [](Envelope& e) { e.mutable_recorded_at()->set_nanos(1); },
      [](Envelope& e) { e.set_schema_version(2); },
      [](Envelope& e) { e.set_correlation_id("x"); },
      [](Envelope& e) { e.set_causation_id("y"); },
      [](Envelope& e) { e.mutable_case_referral()->set_transfer_letter_number("other"); },
      [](Envelope& e) { e.mutable_probe()->set_note("swapped payload"); },
      [](Envelope& e) { (*e.mutable_signature())[10] ^= 1; },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    Envelope changed = env;
    changes[i](changed);
    auto failure = verify(changed, registry);
    ASSERT_TRUE(failure.has_value()) << "change " << i;
    EXPECT_STREQ(failure->reason, kInvalid) << "change " << i;
  }
}

TEST_F(SignedEnvelope, ClaimingToBeCustodialBreaksIt) {
  env.set_signature_mode(caselink::v1::SIGNATURE_MODE_CUSTODIAL);
  env.set_signature_custodian("caselink-ingress");
  EXPECT_STREQ(verify(env, registry)->reason, kInvalid);
  env.set_signature_custodian("");
  EXPECT_STREQ(verify(env, registry)->reason, kBadCustodian);
}

TEST_F(SignedEnvelope, CustodialSignatureVerifiesAndSaysWho) {
  sign(env, *key, "sthjj-1", "caselink-ingress");
  EXPECT_EQ(env.signature_mode(), caselink::v1::SIGNATURE_MODE_CUSTODIAL);
  EXPECT_EQ(env.signature_custodian(), "caselink-ingress");
  EXPECT_FALSE(verify(env, registry).has_value());
}

TEST_F(SignedEnvelope, RefusalReasons) {
  Envelope unsigned_env = vector_envelope();
  EXPECT_STREQ(verify(unsigned_env, registry)->reason, kMissing);

  Envelope unknown = env;
  unknown.set_signature_key_id("nobody-1");
  EXPECT_STREQ(verify(unknown, registry)->reason, kUnknownKey);

  // A's key on an event that claims B as its producer.
  Envelope forged = env;
  forged.set_producer_agency_id("gaj-330100");
  EXPECT_STREQ(verify(forged, registry)->reason, kWrongParty);

  const std::string pub = hex_of(key->public_key());
  // recorded_at is 2026-05-28T20:26:42Z (1780000002).
  auto revoked_after = registry_of("sthjj-1", "sthjj-330100", pub, "    revoked_at: 2026-06-01T00:00:00Z\n");
  EXPECT_FALSE(verify(env, revoked_after).has_value()) << "signed before the revocation: still valid";
  auto revoked_before = registry_of("sthjj-1", "sthjj-330100", pub, "    revoked_at: 2026-05-01T00:00:00Z\n");
  auto failure = verify(env, revoked_before);
  ASSERT_TRUE(failure.has_value());
  EXPECT_STREQ(failure->reason, kRevoked);
  EXPECT_NE(failure->detail.find("2026-05-01T00:00:00"), std::string::npos) << failure->detail;
  auto not_yet = registry_of("sthjj-1", "sthjj-330100", pub, "    valid_from: 2026-06-01T00:00:00Z\n");
  EXPECT_STREQ(verify(env, not_yet)->reason, kNotValid);
  auto expired = registry_of("sthjj-1", "sthjj-330100", pub, "    valid_until: 2026-05-01T00:00:00Z\n");
  EXPECT_STREQ(verify(env, expired)->reason, kNotValid);
}

// docs/contracts/signing-vectors.json: one vector made by this code (checked to be exactly what
// it produces — Ed25519 is deterministic), one made by the Python client (verified here).
nlohmann::json vectors() {
  const char* root = std::getenv("CASELINK_SOURCE_DIR");
  std::ifstream in(std::string(root ? root : ".") + "/docs/contracts/signing-vectors.json");
  EXPECT_TRUE(in.good()) << "docs/contracts/signing-vectors.json not found (CASELINK_SOURCE_DIR)";
  return in.good() ? nlohmann::json::parse(in) : nlohmann::json::object();
}

const nlohmann::json* vector_made_by(const nlohmann::json& all, const std::string& who) {
  if (!all.contains("vectors")) {
    return nullptr;
  }
  for (const auto& v : all.at("vectors")) {
    if (v.value("made_by", "") == who) {
      return &v;
    }
  }
  return nullptr;
}

TEST(CrossLanguage, TheCppVectorIsWhatThisCodeProduces) {
  const auto all = vectors();
  const nlohmann::json* v = vector_made_by(all, "c++");
  ASSERT_NE(v, nullptr);
  auto key = PrivateKey::from_seed(from_hex(v->at("seed").get<std::string>()));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(hex_of(key->public_key()), v->at("public_key").get<std::string>());
  Envelope env = vector_envelope();
  sign(env, *key, v->at("key_id").get<std::string>());
  EXPECT_EQ(to_hex(signing_input(env)), v->at("signing_input").get<std::string>());
  EXPECT_EQ(to_hex(env.signature()), v->at("signature").get<std::string>());
  std::string bytes;
  ASSERT_TRUE(env.SerializeToString(&bytes));
  EXPECT_EQ(to_hex(bytes), v->at("envelope").get<std::string>());
}

TEST(CrossLanguage, VerifiesTheSignatureMadeInPython) {
  const auto all = vectors();
  const nlohmann::json* v = vector_made_by(all, "python");
  ASSERT_NE(v, nullptr);
  Envelope env;
  ASSERT_TRUE(env.ParseFromString(from_hex(v->at("envelope").get<std::string>())));
  EXPECT_EQ(to_hex(signing_input(env)), v->at("signing_input").get<std::string>());
  const KeyRegistry registry = registry_of(v->at("key_id").get<std::string>(), env.producer_agency_id(),
                                           v->at("public_key").get<std::string>());
  EXPECT_FALSE(verify(env, registry).has_value());
  EXPECT_EQ(env.signature_mode(), caselink::v1::SIGNATURE_MODE_CUSTODIAL) << "the Python vector is custodial";
  env.set_case_id(env.case_id() + "x");
  ASSERT_TRUE(verify(env, registry).has_value());
}

// docs/contracts/signing.md "Receipts": both vectors' event digest, from the parsed envelope.
TEST(EventDigest, KnownAnswersOfBothVectors) {
  const auto all = vectors();
  for (const char* who : {"c++", "python"}) {
    const nlohmann::json* v = vector_made_by(all, who);
    ASSERT_NE(v, nullptr) << who;
    Envelope env;
    ASSERT_TRUE(env.ParseFromString(from_hex(v->at("envelope").get<std::string>())));
    EXPECT_EQ(event_digest_hex(env), v->at("event_digest").get<std::string>()) << who;
    EXPECT_TRUE(is_digest_hex(event_digest_hex(env)));
  }
}

TEST_F(SignedEnvelope, DigestCoversSignerMetadataButNotTheSignatureBytes) {
  const std::string digest = event_digest_hex(env);
  Envelope resigned = env;
  sign(resigned, *key, "sthjj-1");  // Ed25519 is deterministic: same bytes again
  EXPECT_EQ(event_digest_hex(resigned), digest);
  Envelope no_signature = env;
  no_signature.clear_signature();
  EXPECT_EQ(event_digest_hex(no_signature), digest) << "the signature bytes are not part of the digest";
  Envelope other_key = env;
  other_key.set_signature_key_id("sthjj-2");
  EXPECT_NE(event_digest_hex(other_key), digest);
  Envelope other_content = env;
  other_content.mutable_case_referral()->set_transfer_letter_number("杭环移〔2026〕2号");
  EXPECT_NE(event_digest_hex(other_content), digest);
}

TEST(EventDigest, FormatCheck) {
  EXPECT_TRUE(is_digest_hex(std::string(64, 'a')));
  EXPECT_FALSE(is_digest_hex(std::string(64, 'A')));
  EXPECT_FALSE(is_digest_hex(std::string(63, 'a')));
  EXPECT_FALSE(is_digest_hex(std::string(63, 'a') + "g"));
  EXPECT_FALSE(is_digest_hex(""));
}

}  // namespace
}  // namespace caselink::signing
