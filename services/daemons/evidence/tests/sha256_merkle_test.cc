// The manifest Merkle root against known vectors (SHA-256 itself: services/lib/crypto/tests).
// The Merkle constants were computed independently with Python's hashlib using the recursive RFC 6962 definition
// (split at the largest power of two below n), not with the level-by-level code under test.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "services/lib/crypto/sha256.h"
#include "services/daemons/evidence/merkle.h"

namespace caselink::evidence {
namespace {

// Items: SHA-256 of these texts.
std::vector<crypto::Sha256Digest> items(size_t n) {
  const std::vector<std::string> texts = {"transfer letter", "investigation report", "seized items list",
                                          "appraisal report", "photos"};
  std::vector<crypto::Sha256Digest> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(crypto::sha256(texts[i]));
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
  std::vector<crypto::Sha256Digest> swapped = {two[1], two[0]};
  EXPECT_NE(merkle_root(two), merkle_root(swapped));
}

}  // namespace
}  // namespace caselink::evidence
