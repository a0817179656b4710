// The local-directory blob store in a temporary directory: put/read/stat/exists, claimed
// hashes, idempotent puts, layout, and detection of a blob altered on disk.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "services/daemons/evidence/local_blob_store.h"
#include "services/daemons/evidence/tests/test_support.h"

namespace caselink::evidence {
namespace {

namespace fs = std::filesystem;

void overwrite(const fs::path& path, const std::string& bytes) {
  fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(LocalBlobStore, PutThenReadStatExists) {
  testing::TempDir dir;
  auto store = LocalBlobStore::create(dir.path() / "store");
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto digest = (*store)->put("abc");
  ASSERT_TRUE(digest.ok()) << digest.error().describe();
  EXPECT_EQ(digest->hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

  auto exists = (*store)->exists(*digest);
  ASSERT_TRUE(exists.ok());
  EXPECT_TRUE(*exists);
  auto st = (*store)->stat(*digest);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->size_bytes, 3);
  auto bytes = read_all(**store, *digest);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, "abc");
  auto content = rehash(**store, *digest);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(content->content_digest, *digest);
  EXPECT_EQ(content->size_bytes, 3);
}

TEST(LocalBlobStore, LayoutIsFanOutByHexAndReadOnly) {
  testing::TempDir dir;
  auto store = LocalBlobStore::create(dir.path());
  ASSERT_TRUE(store.ok());
  auto digest = (*store)->put("abc");
  ASSERT_TRUE(digest.ok());
  const fs::path expected = dir.path() / "sha256" / "ba" / digest->hex();
  EXPECT_EQ((*store)->path_of(*digest), fs::absolute(expected));
  ASSERT_TRUE(fs::exists(expected));
  struct stat st {};
  ASSERT_EQ(::stat(expected.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444U);
  EXPECT_TRUE(fs::is_empty(dir.path() / "tmp")) << "no temp file left behind";
}

TEST(LocalBlobStore, EmptyBlob) {
  testing::TempDir dir;
  auto store = LocalBlobStore::create(dir.path());
  ASSERT_TRUE(store.ok());
  auto digest = (*store)->put("");
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(digest->hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ((*store)->stat(*digest)->size_bytes, 0);
}

TEST(LocalBlobStore, ClaimedHashIsVerified) {
  testing::TempDir dir;
  auto store = LocalBlobStore::create(dir.path());
  ASSERT_TRUE(store.ok());
  const crypto::Sha256Digest wrong = crypto::sha256("something else");
  auto put = (*store)->put("abc", wrong);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(put.error().reason, "evidence.hash_mismatch");
  EXPECT_FALSE(*(*store)->exists(crypto::sha256("abc")));
  EXPECT_FALSE(*(*store)->exists(wrong));
  EXPECT_TRUE(fs::is_empty(dir.path() / "tmp"));

  auto right = (*store)->put("abc", crypto::sha256("abc"));
  EXPECT_TRUE(right.ok());
}

TEST(LocalBlobStore, PutIsIdempotent) {
  testing::TempDir dir;
  auto store = LocalBlobStore::create(dir.path());
  ASSERT_TRUE(store.ok());
  auto first = (*store)->put("evidence");
  auto second = (*store)->put("evidence");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(*read_all(**store, *first), "evidence");
}

TEST(LocalBlobStore, MissingBlobIsNotFound) {
  testing::TempDir dir;
  auto store = LocalBlobStore::create(dir.path());
  ASSERT_TRUE(store.ok());
  const crypto::Sha256Digest absent = crypto::sha256("never stored");
  EXPECT_FALSE(*(*store)->exists(absent));
  auto st = (*store)->stat(absent);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
  auto opened = (*store)->open(absent);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::kNotFound);
}

TEST(LocalBlobStore, TamperedBlobIsDetectedAndRepairedByAGoodPut) {
  testing::TempDir dir;
  auto store = LocalBlobStore::create(dir.path());
  ASSERT_TRUE(store.ok());
  auto digest = (*store)->put("original evidence");
  ASSERT_TRUE(digest.ok());
  // Same length, different content: only the content hash can tell.
  overwrite((*store)->path_of(*digest), "0riginal evidence");
  auto content = rehash(**store, *digest);
  ASSERT_TRUE(content.ok());
  EXPECT_NE(content->content_digest, *digest);
  EXPECT_EQ(content->content_digest, crypto::sha256("0riginal evidence"));

  ASSERT_TRUE((*store)->put("original evidence").ok());
  EXPECT_EQ(rehash(**store, *digest)->content_digest, *digest);
}

TEST(LocalBlobStore, LargeBlobStreamsInChunks) {
  testing::TempDir dir;
  auto store = LocalBlobStore::create(dir.path());
  ASSERT_TRUE(store.ok());
  const std::string big(1000000, 'a');
  auto digest = (*store)->put(big);
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(digest->hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  auto content = rehash(**store, *digest);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(content->size_bytes, 1000000);
  EXPECT_EQ(content->content_digest, *digest);
}

TEST(LocalBlobStore, OpenExistingCreatesNothing) {
  testing::TempDir dir;
  auto missing = LocalBlobStore::open_existing(dir.path() / "absent");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(fs::exists(dir.path() / "absent"));
  {
    auto store = LocalBlobStore::create(dir.path() / "s");
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->put("abc").ok());
  }
  fs::remove_all(dir.path() / "s" / "tmp");
  auto store = LocalBlobStore::open_existing(dir.path() / "s");
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*read_all(**store, crypto::sha256("abc")), "abc");
  EXPECT_FALSE(fs::exists(dir.path() / "s" / "tmp"));
  // A put still works (it makes tmp/ when needed).
  EXPECT_TRUE((*store)->put("def").ok());
}

TEST(LocalBlobStore, EmptyRootIsRejected) {
  auto store = LocalBlobStore::create("");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().field, "evidence.store.path");
}

}  // namespace
}  // namespace caselink::evidence
