// SHA-256 and the manifest Merkle root against known vectors. The Merkle constants were
// computed independently with Python's hashlib using the recursive RFC 6962 definition
// (split at the largest power of two below n), not with the level-by-level code under test.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "services/evidence/merkle.h"
#include "services/evidence/sha256.h"

namespace caselink::evidence {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256("").hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256("abc").hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
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

// Items: SHA-256 of these texts.
std::vector<Sha256Digest> items(size_t n) {
  const std::vector<std::string> texts = {"transfer letter", "investigation report", "seized items list",
                                          "appraisal report", "photos"};
  std::vector<Sha256Digest> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(sha256(texts[i]));
  }
  return out;
}

TEST(Merkle, ItemsAreWhatPythonHashed) {
  auto it = items(5);
  EXPECT_EQ(it[0].hex(), "8b0f6e78ab2f3b4931718e1b33ff29831d865e4145598a8b178479bfd529280c");
  EXPECT_EQ(it[4].hex(), "84a6dae49cf0481203aa97872cc3301b73c406b8ac099ee36d2f849365cec06b");
}

TEST(Merkle, EmptyIsSha256OfNothing) {
  EXPECT_EQ(merkle_root({}).hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Merkle, KnownRoots) {
  EXPECT_EQ(merkle_root(items(1)).hex(), "c982fb07e4e941d64e34718e466eaae8f13ab84c70b58603a89630833fa8dd50");
  EXPECT_EQ(merkle_root(items(2)).hex(), "5cefeb93575715f4effd92bb2e22f394af8161abbc90ce982d5d798bd11245d7");
  EXPECT_EQ(merkle_root(items(3)).hex(), "52ebcb4e2918935b7ecbc6df5c534f6089cd4f21f5345e17afb36b1dc4c5ee46");
  EXPECT_EQ(merkle_root(items(4)).hex(), "935608a8a7e114441e6b13ff24b88961cc149c6f4194a7513c89a02fdf72db24");
  EXPECT_EQ(merkle_root(items(5)).hex(), "0ba99ee67818cf5311b5a008e1ff160ec67523f81f8120c52ea31b8c0729f8e8");
}

TEST(Merkle, OneLeafIsTheLeafHashNotTheItem) {
  auto one = items(1);
  EXPECT_EQ(merkle_root(one), merkle_leaf(one[0]));
  EXPECT_NE(merkle_root(one), one[0]) << "domain separation: a root never equals an item digest";
}

TEST(Merkle, OddNodeIsPromotedNotDuplicated) {
  auto three = items(3);
  // Duplicating the last node would make [a, b, c] and [a, b, c, c] collide.
  auto four = three;
  four.push_back(three[2]);
  EXPECT_NE(merkle_root(three), merkle_root(four));
  EXPECT_EQ(merkle_root(three), merkle_node(merkle_node(merkle_leaf(three[0]), merkle_leaf(three[1])),
                                            merkle_leaf(three[2])));
}

TEST(Merkle, OrderMatters) {
  auto two = items(2);
  std::vector<Sha256Digest> swapped = {two[1], two[0]};
  EXPECT_NE(merkle_root(two), merkle_root(swapped));
}

}  // namespace
}  // namespace caselink::evidence
