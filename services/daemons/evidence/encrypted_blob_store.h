#pragma once

// BlobStore that keeps blobs sealed at rest (sealed_blob.h) in a LocalBlobStore, still named
// by the SHA-256 of their plaintext, so manifests, receipts and the Merkle root are unchanged.
//
// Writers (the ingress, the SDK, the scenario) hold only the public key: put() seals, and
// exists()/stat() work from the file and its header alone. Readers of content (caselink-evidence,
// caselink-evidence-verify) hold the private key: open() decrypts chunk by chunk.
//
// Without a public key (a deployment that has not switched sealing on) put() stores plaintext,
// but sealed blobs are still recognised: read without the private key they are refused, never
// mistaken for altered plaintext.
//
// A blob stored before encryption was switched on (no magic at the start of the file) is read
// as it is: its name is its plaintext hash, so verification still proves it intact; a put of
// the same content seals it in place (docs/services/evidence.md "Blobs at rest").
//
// Errors beyond LocalBlobStore's: kInvalid with reason sealed::kCorruptReason or
// sealed::kWrongKeyReason when the stored bytes are not an intact sealed blob for our key
// (verification reports the item as altered), kUnauthorized when a sealed blob is opened
// without the private key (a deployment error: the caller retries and alerts).

#include <memory>

#include "services/daemons/evidence/local_blob_store.h"
#include "services/daemons/evidence/sealed_blob.h"

namespace caselink::evidence {

class EncryptedBlobStore final : public BlobStore {
 public:
  // `private_key` may be null (a writer). When set, its public half must be `public_key`.
  // `public_key` may be empty: puts store plaintext.
  EncryptedBlobStore(std::unique_ptr<LocalBlobStore> files, std::optional<sealed::PublicKey> public_key,
                     std::shared_ptr<const sealed::PrivateKey> private_key,
                     uint32_t chunk_size = sealed::kDefaultChunkSize);

  Result<crypto::Sha256Digest> put(std::string_view bytes,
                                   std::optional<crypto::Sha256Digest> claimed = std::nullopt) override;
  Result<std::unique_ptr<BlobReader>> open(const crypto::Sha256Digest& digest) const override;
  // size_bytes is the plaintext size (from the header; no key needed).
  Result<BlobStat> stat(const crypto::Sha256Digest& digest) const override;
  Result<bool> exists(const crypto::Sha256Digest& digest) const override;
  std::string describe(const crypto::Sha256Digest& digest) const override;

  const LocalBlobStore& files() const { return *files_; }
  const std::optional<sealed::PublicKey>& public_key() const { return public_; }
  bool can_read() const { return private_ != nullptr; }

 private:
  // Up to the header's size of the stored file's first bytes.
  Result<std::string> read_prefix(const crypto::Sha256Digest& digest) const;
  // True when the stored copy is a sealed blob of `size` plaintext bytes that need not be
  // written again (checked in full when we hold the private key, by its shape otherwise).
  bool stored_intact(const crypto::Sha256Digest& digest, size_t size) const;

  std::unique_ptr<LocalBlobStore> files_;
  std::optional<sealed::PublicKey> public_;
  std::shared_ptr<const sealed::PrivateKey> private_;
  uint32_t chunk_size_;
};

}  // namespace caselink::evidence
