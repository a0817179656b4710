// SHA-256 and the derived ids against known answers computed independently: FIPS 180-2 vectors,
// and Python's uuid.uuid5 (the one-liner of docs/topics.md "Derived ids"); the hex helpers.

#include <gtest/gtest.h>

#include <cctype>
#include <optional>
#include <string>

#include "services/lib/crypto/derived_uuid.h"
#include "services/lib/crypto/hex.h"
#include "services/lib/crypto/sha256.h"

namespace caselink::crypto {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256("").hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256("abc").hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // FIPS 180-2 long message: one million 'a'.
  EXPECT_EQ(sha256(std::string(1000000, 'a')).hex(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  Sha256Hasher hasher;
  hasher.update("a");
  hasher.update("");
  hasher.update("bc");
  EXPECT_EQ(hasher.finish(), sha256("abc"));
  // finish() resets the hasher.
  EXPECT_EQ(hasher.finish(), sha256(""));
}

TEST(Sha256Digest, HexRoundTripAndValidation) {
  const std::string hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  auto parsed = Sha256Digest::from_hex(hex);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->hex(), hex);
  std::string upper = hex;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  auto from_upper = Sha256Digest::from_hex(upper);
  ASSERT_TRUE(from_upper.ok());
  EXPECT_EQ(from_upper->hex(), hex) << "canonical form is lowercase";

  EXPECT_FALSE(Sha256Digest::from_hex("").ok());
  EXPECT_FALSE(Sha256Digest::from_hex(hex.substr(1)).ok());
  EXPECT_FALSE(Sha256Digest::from_hex(hex + "0").ok());
  auto bad = Sha256Digest::from_hex("g" + hex.substr(1));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("position 0"), std::string::npos) << bad.error().message;
}

// Known answers from Python:
//   python3 -c 'import uuid; print(uuid.uuid5(uuid.UUID("6f1c2a90-4b7e-4d0a-9b55-3e21c80d7142"), "feedback:x"))'
TEST(Hex, BytesRoundTripAndRefusals) {
  const std::string bytes("\x00\x01\x7f\x80\xff", 5);
  EXPECT_EQ(to_hex(bytes), "00017f80ff");
  EXPECT_EQ(from_hex("00017f80ff"), bytes);
  EXPECT_EQ(from_hex("00017F80FF"), bytes) << "either case";
  EXPECT_EQ(from_hex(""), std::string());
  EXPECT_EQ(from_hex("abc"), std::nullopt) << "odd length";
  EXPECT_EQ(from_hex("0g"), std::nullopt) << "not a digit";
  EXPECT_EQ(from_hex(" 1"), std::nullopt) << "no sign or blank";
}

TEST(DerivedUuid, KnownAnswersFromPythonUuid5) {
  EXPECT_EQ(derived_uuid("feedback", "x"), "c554f3e3-3473-53c1-8562-b8b64b29a75e");
  EXPECT_EQ(derived_uuid("feedback", "11111111-2222-4333-8444-555555555555"),
            "7b36d485-c8ec-5196-9362-0114a01b877f");
}

TEST(DerivedUuid, DependsOnPurposeAndInput) {
  const std::string a = derived_uuid("caselink-standards/assessment", "event-1");
  EXPECT_EQ(a, derived_uuid("caselink-standards/assessment", "event-1"));
  EXPECT_NE(a, derived_uuid("caselink-standards/assessment", "event-2"));
  EXPECT_NE(a, derived_uuid("caselink-standards/supervision-clue", "event-1"));
  EXPECT_EQ(a.size(), 36U);
  EXPECT_EQ(a[14], '5') << "version 5";
}

}  // namespace
}  // namespace caselink::crypto
