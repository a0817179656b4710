#pragma once

// BlobStore on a local directory.
//
// Layout under the root:  sha256/<first two hex digits>/<64 hex digits>   (the blob, mode 0444)
//                         tmp/                                            (writes in progress)
// A put writes to tmp/, fsyncs, then renames into place, so a reader never sees a partial
// blob and a crash leaves at most a stray file in tmp/ (create() removes those older than a day).

#include <filesystem>
#include <memory>

#include "services/daemons/evidence/blob_store.h"

namespace caselink::evidence {

class LocalBlobStore final : public BlobStore {
 public:
  // Creates the root and its sub-directories when missing. kUnavailable when it cannot.
  static Result<std::unique_ptr<LocalBlobStore>> create(const std::filesystem::path& root);
  // Opens an existing store without creating or removing anything (read-only use, e.g. the
  // verify command on a read-only mount). kNotFound when `root` is not a directory.
  static Result<std::unique_ptr<LocalBlobStore>> open_existing(const std::filesystem::path& root);

  Result<crypto::Sha256Digest> put(std::string_view bytes,
                                   std::optional<crypto::Sha256Digest> claimed = std::nullopt) override;
  Result<std::unique_ptr<BlobReader>> open(const crypto::Sha256Digest& digest) const override;
  Result<BlobStat> stat(const crypto::Sha256Digest& digest) const override;
  Result<bool> exists(const crypto::Sha256Digest& digest) const override;
  std::string describe(const crypto::Sha256Digest& digest) const override;

  // Stores what `produce` writes to its sink under `name`, atomically (tmp/, fsync, rename),
  // replacing what was there. The caller vouches that `name` is the SHA-256 of the content the
  // bytes stand for: put() writes the content itself, EncryptedBlobStore its sealed form.
  Status put_named(const crypto::Sha256Digest& name, const std::function<Status(const ByteSink&)>& produce);

  // Where the blob with this digest lives (whether or not it exists).
  std::filesystem::path path_of(const crypto::Sha256Digest& digest) const;
  const std::filesystem::path& root() const { return root_; }

 private:
  explicit LocalBlobStore(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path root_;
};

}  // namespace caselink::evidence
