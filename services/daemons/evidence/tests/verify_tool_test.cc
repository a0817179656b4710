// caselink-evidence-verify through its library entry point: match, tampered item, missing
// blob, receipt root comparison, bad input.

#include <gtest/gtest.h>

#include <google/protobuf/util/json_util.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "services/daemons/evidence/blob_store_factory.h"
#include "services/daemons/evidence/local_blob_store.h"
#include "services/daemons/evidence/merkle.h"
#include "services/daemons/evidence/proto_mapping.h"
#include "services/daemons/evidence/tests/test_support.h"
#include "services/daemons/evidence/verify_tool.h"

namespace caselink::evidence {
namespace {

namespace v1 = caselink::v1;
namespace fs = std::filesystem;

class VerifyToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = LocalBlobStore::create(dir_.path() / "store");
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    manifest_.set_manifest_id("m-7");
    manifest_.set_purpose(v1::MANIFEST_PURPOSE_REFERRAL);
    manifest_.set_domain(v1::DOMAIN_ENVIRONMENT);
    for (const auto& [id, content] : std::vector<std::pair<std::string, std::string>>{
             {"letter", "transfer letter"}, {"report", "investigation report"}, {"video", "site video"}}) {
      v1::EvidenceItem* item = manifest_.add_items();
      item->set_item_id(id);
      item->set_sha256_hex(store_->put(content)->hex());
      item->set_size_bytes(static_cast<int64_t>(content.size()));
    }
    write_manifest();
  }

  void write_manifest() {
    std::string json;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(manifest_, &json).ok());
    std::ofstream(manifest_path()) << json;
  }

  fs::path manifest_path() const { return dir_.path() / "manifest.json"; }

  int run(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--store", (dir_.path() / "store").string(), "--manifest",
                                     manifest_path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    out_.str("");
    err_.str("");
    return verify_main(args, out_, err_);
  }

  std::string expected_root() const {
    // Sorted by id: letter, report, video.
    return merkle_root({crypto::sha256("transfer letter"), crypto::sha256("investigation report"),
                        crypto::sha256("site video")})
        .hex();
  }

  testing::TempDir dir_;
  std::unique_ptr<LocalBlobStore> store_;
  v1::EvidenceManifest manifest_;
  std::ostringstream out_;
  std::ostringstream err_;
};

// Blobs sealed at rest: the command opens them with --store-key, and names the blob it cannot
// read without the key.
TEST_F(VerifyToolTest, SealedBlobsNeedTheStoreKey) {
  const auto [key, pub] = testing::write_blob_key_pair(dir_.path());
  ASSERT_FALSE(key.empty()) << "openssl genpkey failed";
  auto sealing = make_blob_store({.path = (dir_.path() / "store").string(), .public_key_file = pub.string()});
  ASSERT_TRUE(sealing.ok()) << sealing.error().describe();
  for (const std::string content : {"transfer letter", "investigation report", "site video"}) {
    ASSERT_TRUE((*sealing)->put(content).ok());  // seals the plaintext copies in place
  }
  EXPECT_EQ(run({"--store-key", key.string(), "--expect-root", expected_root()}), 0) << out_.str() << err_.str();
  EXPECT_NE(out_.str().find("OK        video"), std::string::npos) << out_.str();

  EXPECT_EQ(run(), 2) << out_.str();
  EXPECT_NE(err_.str().find("is sealed"), std::string::npos) << err_.str();

  EXPECT_EQ(run({"--store-key", (dir_.path() / "absent.key").string()}), 2);
  EXPECT_NE(err_.str().find("--store-key"), std::string::npos) << err_.str();
}

TEST_F(VerifyToolTest, IntactEvidenceMatches) {
  EXPECT_EQ(run({"--expect-root", expected_root()}), 0) << out_.str() << err_.str();
  EXPECT_NE(out_.str().find("OK        letter"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("merkle_root " + expected_root()), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("the Merkle root matches the receipt"), std::string::npos);
  EXPECT_NE(out_.str().find("the stored evidence matches"), std::string::npos);
}

TEST_F(VerifyToolTest, TamperedItemIsNamed) {
  const fs::path path = store_->path_of(crypto::sha256("investigation report"));
  fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "investigation rep0rt";
  EXPECT_EQ(run(), 1);
  EXPECT_NE(out_.str().find("MISMATCH  report  HASH_MISMATCH"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("OK        letter"), std::string::npos);
  EXPECT_NE(out_.str().find("1 mismatched"), std::string::npos);
}

TEST_F(VerifyToolTest, MissingBlobAndWrongSizeAreNamed) {
  fs::remove(store_->path_of(crypto::sha256("site video")));
  manifest_.mutable_items(0)->set_size_bytes(1);
  write_manifest();
  EXPECT_EQ(run(), 1);
  EXPECT_NE(out_.str().find("MISMATCH  video  BLOB_MISSING"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("MISMATCH  letter  SIZE_MISMATCH"), std::string::npos) << out_.str();
}

TEST_F(VerifyToolTest, DifferentReceiptRootIsAMismatch) {
  EXPECT_EQ(run({"--expect-root", crypto::sha256("other").hex()}), 1);
  EXPECT_NE(out_.str().find("DIFFERS from the receipt"), std::string::npos) << out_.str();
}

TEST_F(VerifyToolTest, BadInputIsExit2) {
  EXPECT_EQ(verify_main({"--store", (dir_.path() / "store").string()}, out_, err_), 2);
  std::ofstream(manifest_path()) << "{not json";
  EXPECT_EQ(run(), 2);
  EXPECT_NE(err_.str().find("not a proto3 JSON EvidenceManifest"), std::string::npos) << err_.str();
  write_manifest();
  EXPECT_EQ(verify_main({"--store", (dir_.path() / "nowhere").string(), "--manifest", manifest_path().string()},
                        out_, err_),
            2);
  EXPECT_NE(err_.str().find("does not exist"), std::string::npos) << err_.str();
}

}  // namespace
}  // namespace caselink::evidence
