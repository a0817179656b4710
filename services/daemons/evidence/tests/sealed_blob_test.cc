// Blobs sealed at rest: the format (round trip, wrong key, tampering, truncation, reordering,
// swapped headers), streaming in chunks, and the EncryptedBlobStore and its factory (plaintext
// addressing, writers without the private key, blobs stored before sealing, key validation).

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "services/daemons/evidence/blob_store_factory.h"
#include "services/daemons/evidence/encrypted_blob_store.h"
#include "services/daemons/evidence/sealed_blob.h"
#include "services/daemons/evidence/tests/test_support.h"
#include "services/daemons/evidence/verification.h"

namespace caselink::evidence {
namespace {

namespace fs = std::filesystem;
using sealed::kHeaderSize;
using sealed::kTagSize;

constexpr uint32_t kSmallChunk = 16;

std::string pattern(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    s[i] = static_cast<char>((i * 131 + 7) % 251);
  }
  return s;
}

sealed::PrivateKey new_key() {
  auto key = sealed::generate_private_key();
  EXPECT_TRUE(key.ok());
  return std::move(*key);
}

std::string seal_to_string(std::string_view plain, const sealed::PublicKey& to, uint32_t chunk = kSmallChunk) {
  std::string out;
  const Status st = sealed::seal(plain, to, [&out](std::string_view piece) {
    out.append(piece);
    return Status::success();
  }, chunk);
  EXPECT_TRUE(st.ok());
  return out;
}

void expect_corrupt(const Result<std::string>& opened, const std::string& what) {
  ASSERT_FALSE(opened.ok()) << what << " was accepted";
  EXPECT_EQ(opened.error().code, ErrorCode::kInvalid) << what;
  EXPECT_EQ(opened.error().reason, sealed::kCorruptReason) << what << ": " << opened.error().describe();
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void overwrite(const fs::path& path, const std::string& bytes) {
  fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(SealedBlob, RoundTripsEverySizeAroundChunkBoundaries) {
  const auto key = new_key();
  for (size_t size : {0UL, 1UL, 15UL, 16UL, 17UL, 48UL, 100UL}) {
    const std::string plain = pattern(size);
    const std::string sealed_bytes = seal_to_string(plain, key.public_key());
    EXPECT_EQ(sealed_bytes.size(), sealed::sealed_size(size, kSmallChunk)) << size;
    EXPECT_TRUE(sealed::has_magic(sealed_bytes));
    auto opened = sealed::open_all(sealed_bytes, key);
    ASSERT_TRUE(opened.ok()) << size << ": " << opened.error().describe();
    EXPECT_EQ(*opened, plain) << size;
  }
}

TEST(SealedBlob, SealingTwiceGivesDifferentBytes) {
  const auto key = new_key();
  EXPECT_NE(seal_to_string("same content", key.public_key()), seal_to_string("same content", key.public_key()))
      << "a fresh ephemeral key and salt per blob";
}

TEST(SealedBlob, CiphertextDoesNotContainThePlaintext) {
  const auto key = new_key();
  const std::string plain = "witness statement: the drums were buried behind the dye works";
  const std::string sealed_bytes = seal_to_string(plain, key.public_key(), sealed::kDefaultChunkSize);
  EXPECT_EQ(sealed_bytes.find("drums"), std::string::npos);
}

TEST(SealedBlob, WrongKeyIsRefusedByName) {
  const auto key = new_key();
  const auto other = new_key();
  auto opened = sealed::open_all(seal_to_string("abc", key.public_key()), other);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().reason, sealed::kWrongKeyReason);
  EXPECT_NE(opened.error().message.find(key.public_key().id_hex()), std::string::npos) << opened.error().message;
}

TEST(SealedBlob, EveryTamperedByteIsDetected) {
  const auto key = new_key();
  const std::string good = seal_to_string(pattern(40), key.public_key());  // 3 chunks
  // Every byte of the header (but the magic, which makes it "not sealed"), of a ciphertext and of a tag.
  for (size_t at = 6; at < good.size(); ++at) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    auto opened = sealed::open_all(bad, key);
    ASSERT_FALSE(opened.ok()) << "flipped byte " << at << " was accepted";
    EXPECT_EQ(opened.error().code, ErrorCode::kInvalid) << at;
  }
}

TEST(SealedBlob, TruncationAndAppendedBytesAreDetected) {
  const auto key = new_key();
  const std::string good = seal_to_string(pattern(40), key.public_key());
  const size_t chunk_bytes = kSmallChunk + kTagSize;
  expect_corrupt(sealed::open_all(good.substr(0, good.size() - 1), key), "one byte short");
  expect_corrupt(sealed::open_all(good.substr(0, kHeaderSize + 2 * chunk_bytes), key), "last chunk dropped");
  expect_corrupt(sealed::open_all(good.substr(0, kHeaderSize), key), "header only");
  expect_corrupt(sealed::open_all(good.substr(0, 10), key), "half a header");
  expect_corrupt(sealed::open_all(good + "x", key), "a byte appended");
}

TEST(SealedBlob, DroppingTheLastChunkAndShrinkingTheHeaderIsDetected) {
  // 32 bytes = two full chunks; an attacker cuts the second one and sets N = 16 in the header.
  const auto key = new_key();
  const std::string good = seal_to_string(pattern(32), key.public_key());
  std::string bad = good.substr(0, kHeaderSize + kSmallChunk + kTagSize);
  bad[12 + 7] = 16;  // plaintext size, big-endian, low byte
  expect_corrupt(sealed::open_all(bad, key), "truncated with a consistent size");
}

TEST(SealedBlob, ReorderedChunksAreDetected) {
  const auto key = new_key();
  const std::string good = seal_to_string(pattern(48), key.public_key());  // 3 full chunks
  const size_t n = kSmallChunk + kTagSize;
  const std::string c0 = good.substr(kHeaderSize, n);
  const std::string c1 = good.substr(kHeaderSize + n, n);
  const std::string c2 = good.substr(kHeaderSize + 2 * n, n);
  const std::string header = good.substr(0, kHeaderSize);
  expect_corrupt(sealed::open_all(header + c1 + c0 + c2, key), "first two chunks swapped");
  expect_corrupt(sealed::open_all(header + c0 + c2 + c1, key), "last chunk moved");
  expect_corrupt(sealed::open_all(header + c0 + c0 + c2, key), "a chunk repeated");
}

TEST(SealedBlob, SwappedHeaderIsDetected) {
  const auto key = new_key();
  const std::string a = seal_to_string(pattern(40), key.public_key());
  const std::string b = seal_to_string(pattern(40), key.public_key());
  expect_corrupt(sealed::open_all(b.substr(0, kHeaderSize) + a.substr(kHeaderSize), key), "b's header on a's chunks");
}

TEST(SealedBlob, HeaderSizesOutOfBoundsAreRefusedBeforeAnyAllocation) {
  const auto key = new_key();
  const std::string good = seal_to_string("abc", key.public_key());
  std::string huge = good;
  for (size_t i = 12; i < 20; ++i) {
    huge[i] = static_cast<char>(0xFF);  // N = 2^64 - 1
  }
  expect_corrupt(sealed::open_all(huge, key), "a plaintext size of 2^64 - 1");
  std::string big_chunk = good;
  big_chunk[8] = 0x7F;  // C > 4 MiB
  expect_corrupt(sealed::open_all(big_chunk, key), "a chunk size over the bound");
}

TEST(SealedBlob, UnknownVersionIsNamed) {
  const auto key = new_key();
  std::string bad = seal_to_string("abc", key.public_key());
  bad[6] = 2;
  auto opened = sealed::open_all(bad, key);
  expect_corrupt(opened, "version 2");
  EXPECT_NE(opened.error().message.find("version 2"), std::string::npos) << opened.error().message;
}

TEST(SealedBlob, OpenerReadsOneChunkAtATime) {
  const auto key = new_key();
  const std::string plain = pattern(10 * sealed::kDefaultChunkSize + 5);
  const std::string sealed_bytes = seal_to_string(plain, key.public_key(), sealed::kDefaultChunkSize);
  size_t pos = kHeaderSize;
  size_t largest_request = 0;
  auto opener = sealed::Opener::start(sealed_bytes.substr(0, kHeaderSize), key, [&](char* buffer, size_t size) {
    largest_request = std::max(largest_request, size);
    const size_t n = std::min(size, sealed_bytes.size() - pos);
    std::memcpy(buffer, sealed_bytes.data() + pos, n);
    pos += n;
    return Result<size_t>(n);
  });
  ASSERT_TRUE(opener.ok());
  crypto::Sha256Hasher hasher;
  size_t chunks = 0;
  while (!opener->done()) {
    auto chunk = opener->next();
    ASSERT_TRUE(chunk.ok()) << chunk.error().describe();
    EXPECT_LE(chunk->size(), sealed::kDefaultChunkSize);
    hasher.update(*chunk);
    ++chunks;
  }
  EXPECT_EQ(chunks, 11U);
  EXPECT_LE(largest_request, sealed::kDefaultChunkSize + kTagSize + 1) << "never more than one chunk in memory";
  EXPECT_EQ(hasher.finish(), crypto::sha256(plain));
}

class EncryptedStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = std::make_shared<const sealed::PrivateKey>(new_key());
    reader_ = make(key_);
    writer_ = make(nullptr);
  }
  std::unique_ptr<EncryptedBlobStore> make(std::shared_ptr<const sealed::PrivateKey> key) {
    auto files = LocalBlobStore::create(dir_.path());
    EXPECT_TRUE(files.ok());
    return std::make_unique<EncryptedBlobStore>(std::move(*files), key_->public_key(), std::move(key), kSmallChunk);
  }
  testing::TempDir dir_;
  std::shared_ptr<const sealed::PrivateKey> key_;
  std::unique_ptr<EncryptedBlobStore> reader_;
  std::unique_ptr<EncryptedBlobStore> writer_;
};

TEST_F(EncryptedStoreTest, BlobsAreNamedByThePlaintextDigestAndSealedOnDisk) {
  const std::string plain = "site photo, outfall 3";
  auto digest = writer_->put(plain);
  ASSERT_TRUE(digest.ok()) << digest.error().describe();
  EXPECT_EQ(*digest, crypto::sha256(plain));
  const std::string on_disk = slurp(writer_->files().path_of(*digest));
  EXPECT_TRUE(sealed::has_magic(on_disk));
  EXPECT_EQ(on_disk.find("outfall"), std::string::npos);
  EXPECT_EQ(on_disk.size(), sealed::sealed_size(plain.size(), kSmallChunk));

  auto read = read_all(*reader_, *digest);
  ASSERT_TRUE(read.ok()) << read.error().describe();
  EXPECT_EQ(*read, plain);
  auto content = rehash(*reader_, *digest);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(content->content_digest, *digest) << "the manifest's hash still verifies";
}

TEST_F(EncryptedStoreTest, WritersWithoutThePrivateKeySeeExistenceAndSizeButNotContent) {
  auto digest = writer_->put("abc");
  ASSERT_TRUE(digest.ok());
  auto exists = writer_->exists(*digest);
  ASSERT_TRUE(exists.ok());
  EXPECT_TRUE(*exists);
  auto st = writer_->stat(*digest);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->size_bytes, 3) << "the plaintext size, from the header";
  auto opened = writer_->open(*digest);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::kUnauthorized);
}

TEST_F(EncryptedStoreTest, PutIsIdempotentAndChecksTheClaim) {
  auto first = writer_->put("abc");
  ASSERT_TRUE(first.ok());
  const std::string before = slurp(writer_->files().path_of(*first));
  ASSERT_TRUE(writer_->put("abc").ok());
  ASSERT_TRUE(reader_->put("abc").ok());
  EXPECT_EQ(slurp(writer_->files().path_of(*first)), before) << "an intact sealed copy is not rewritten";

  auto wrong = writer_->put("abd", crypto::sha256("abc"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().reason, "evidence.hash_mismatch");
}

TEST_F(EncryptedStoreTest, LargeBlobStreamsInChunks) {
  auto files = LocalBlobStore::create(dir_.path());
  ASSERT_TRUE(files.ok());
  EncryptedBlobStore store(std::move(*files), key_->public_key(), key_);  // default 64 KiB chunks
  const std::string big = pattern(3 * 1024 * 1024 + 11);
  auto digest = store.put(big);
  ASSERT_TRUE(digest.ok());
  auto reader = store.open(*digest);
  ASSERT_TRUE(reader.ok());
  std::string buffer(1000, '\0');
  crypto::Sha256Hasher hasher;
  size_t total = 0;
  for (;;) {
    auto n = (*reader)->read(buffer.data(), buffer.size());
    ASSERT_TRUE(n.ok()) << n.error().describe();
    if (*n == 0) {
      break;
    }
    hasher.update(std::string_view(buffer.data(), *n));
    total += *n;
  }
  EXPECT_EQ(total, big.size());
  EXPECT_EQ(hasher.finish(), *digest);
}

TEST_F(EncryptedStoreTest, AlteredSealedBlobIsReportedAsAlteredNotAsAStoreOutage) {
  auto digest = writer_->put(pattern(40));
  ASSERT_TRUE(digest.ok());
  const fs::path path = writer_->files().path_of(*digest);
  std::string bytes = slurp(path);
  bytes[kHeaderSize + 3] ^= 0x20;
  overwrite(path, bytes);

  auto content = rehash(*reader_, *digest);
  ASSERT_FALSE(content.ok());
  EXPECT_EQ(content.error().reason, sealed::kCorruptReason);
  EXPECT_NE(content.error().message.find(digest->hex()), std::string::npos) << "names the blob";

  ManifestItem item;
  item.item_id = "i1";
  item.sha256_hex = digest->hex();
  item.size_bytes = 40;
  item.media_type = "application/octet-stream";
  auto results = check_integrity({item}, *reader_, /*verify_content=*/true);
  ASSERT_TRUE(results.ok()) << "not a store error: a retry would not help";
  ASSERT_EQ(results->size(), 1U);
  ASSERT_FALSE((*results)[0].issues.empty());
  EXPECT_EQ((*results)[0].issues[0].problem, ItemProblem::kHashMismatch);

  ASSERT_TRUE(reader_->put(pattern(40)).ok());
  EXPECT_TRUE(rehash(*reader_, *digest).ok()) << "a good put repairs the damaged copy";
}

TEST_F(EncryptedStoreTest, BlobStoredBeforeSealingIsStillReadableAndAPutSealsIt) {
  auto plain_store = LocalBlobStore::create(dir_.path());
  ASSERT_TRUE(plain_store.ok());
  auto digest = (*plain_store)->put("legacy evidence");
  ASSERT_TRUE(digest.ok());

  auto st = writer_->stat(*digest);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->size_bytes, 15);
  auto read = read_all(*reader_, *digest);
  ASSERT_TRUE(read.ok()) << read.error().describe();
  EXPECT_EQ(*read, "legacy evidence");

  ASSERT_TRUE(writer_->put("legacy evidence").ok());
  EXPECT_TRUE(sealed::has_magic(slurp(writer_->files().path_of(*digest)))) << "re-put seals it in place";
  read = read_all(*reader_, *digest);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "legacy evidence");
}

// Keys as scripts/keys.sh writes them (openssl genpkey / pkey -pubout).
class FactoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::tie(private_pem_, public_pem_) = testing::write_blob_key_pair(dir_.path());
    other_pem_ = testing::write_blob_key_pair(dir_.path(), "other").first;
    ASSERT_FALSE(private_pem_.empty() || other_pem_.empty()) << "openssl genpkey failed";
  }
  BlobStoreConfig config() const {
    BlobStoreConfig c;
    c.path = (dir_.path() / "store").string();
    c.path_key = "evidence.store.path";
    c.public_key_key = "evidence.store.public_key_file";
    c.private_key_key = "evidence.store.private_key_file";
    return c;
  }
  testing::TempDir dir_;
  fs::path private_pem_, public_pem_, other_pem_;
};

TEST_F(FactoryTest, WriterWithPublicKeyAndReaderWithPrivateKeyShareBlobs) {
  BlobStoreConfig w = config();
  w.public_key_file = public_pem_.string();
  auto writer = make_blob_store(w);
  ASSERT_TRUE(writer.ok()) << writer.error().describe();
  EXPECT_TRUE(is_sealing(**writer));
  auto digest = (*writer)->put("abc");
  ASSERT_TRUE(digest.ok());

  BlobStoreConfig r = config();
  r.private_key_file = private_pem_.string();
  r.create = false;
  auto reader = make_blob_store(r);
  ASSERT_TRUE(reader.ok()) << reader.error().describe();
  auto read = read_all(**reader, *digest);
  ASSERT_TRUE(read.ok()) << read.error().describe();
  EXPECT_EQ(*read, "abc");
}

TEST_F(FactoryTest, NoKeyMeansPlaintextPutsButSealedBlobsAreNotMistakenForAlteredOnes) {
  auto store = make_blob_store(config());
  ASSERT_TRUE(store.ok());
  EXPECT_FALSE(is_sealing(**store));
  EXPECT_NE(describe_sealing(**store, "evidence.store.private_key_file").find("PLAINTEXT"), std::string::npos);
  auto plain = (*store)->put("plain");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*read_all(**store, *plain), "plain");

  BlobStoreConfig w = config();
  w.public_key_file = public_pem_.string();
  auto writer = make_blob_store(w);
  ASSERT_TRUE(writer.ok());
  auto sealed_digest = (*writer)->put("sealed");
  ASSERT_TRUE(sealed_digest.ok());
  auto read = read_all(**store, *sealed_digest);
  ASSERT_FALSE(read.ok()) << "ciphertext served as content";
  EXPECT_EQ(read.error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ((*store)->stat(*sealed_digest)->size_bytes, 6);
}

TEST_F(FactoryTest, MissingKeyFileFailsNamingTheKey) {
  BlobStoreConfig c = config();
  c.private_key_file = (dir_.path() / "absent.key").string();
  auto store = make_blob_store(c);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().field, "evidence.store.private_key_file");
  EXPECT_NE(store.error().message.find("absent.key"), std::string::npos) << store.error().message;
}

TEST_F(FactoryTest, KeyFileThatIsNotX25519IsRefusedWithoutPrintingIt) {
  const fs::path ed = dir_.path() / "ed.key";
  ASSERT_EQ(std::system(("openssl genpkey -algorithm ed25519 -out " + ed.string()).c_str()), 0);
  BlobStoreConfig c = config();
  c.public_key_file = ed.string();
  auto store = make_blob_store(c);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().field, "evidence.store.public_key_file");
  EXPECT_EQ(store.error().message.find("BEGIN"), std::string::npos) << store.error().message;
}

TEST_F(FactoryTest, PublicKeyThatIsNotThePrivateKeysIsRefused) {
  BlobStoreConfig c = config();
  c.private_key_file = other_pem_.string();
  c.public_key_file = public_pem_.string();
  auto store = make_blob_store(c);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().field, "evidence.store.public_key_file");
}

}  // namespace
}  // namespace caselink::evidence
