#pragma once

// The claim-check store: evidence bytes live here, keyed by their SHA-256; Kafka carries only
// manifests that name them. This header is the interface; local_blob_store.h is the
// local-directory implementation (an S3-compatible one can follow behind the same interface).
//
// Errors: kNotFound (no blob with that digest), kInvalid (the caller's claimed digest does not
// match the bytes), kUnavailable (the store cannot be reached or read: retry later),
// kInternal (the store is in a state it should never be in).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "services/lib/core/result.h"
#include "services/lib/crypto/sha256.h"

namespace caselink::evidence {

struct BlobStat {
  int64_t size_bytes = 0;
};

// Sequential reader over one blob.
class BlobReader {
 public:
  virtual ~BlobReader() = default;
  // Reads up to `capacity` bytes into `buffer`; returns the count, 0 at the end.
  virtual Result<size_t> read(char* buffer, size_t capacity) = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Stores `bytes` and returns their digest. When `claimed` is given and differs from the
  // digest of the bytes, nothing is stored and the result is kInvalid.
  virtual Result<crypto::Sha256Digest> put(std::string_view bytes,
                                           std::optional<crypto::Sha256Digest> claimed = std::nullopt) = 0;

  virtual Result<std::unique_ptr<BlobReader>> open(const crypto::Sha256Digest& digest) const = 0;

  virtual Result<BlobStat> stat(const crypto::Sha256Digest& digest) const = 0;

  // kNotFound is reported as false, not as an error.
  virtual Result<bool> exists(const crypto::Sha256Digest& digest) const = 0;

  // A human-readable location for logs and the verify command (e.g. the file path).
  virtual std::string describe(const crypto::Sha256Digest& digest) const = 0;
};

// Where a writer hands its bytes, piece by piece.
using ByteSink = std::function<Status(std::string_view)>;

// kInvalid (reason evidence.hash_mismatch) when `claimed` is given and is not `digest`.
Status check_claimed(const crypto::Sha256Digest& digest, const std::optional<crypto::Sha256Digest>& claimed);

// Reads a whole blob into memory (small blobs and tests).
Result<std::string> read_all(const BlobStore& store, const crypto::Sha256Digest& digest);

// What the store actually holds under `digest`: its size and the SHA-256 of its content,
// streamed in chunks. A content hash that differs from `digest` means the blob was altered.
struct BlobContent {
  int64_t size_bytes = 0;
  crypto::Sha256Digest content_digest;
};
Result<BlobContent> rehash(const BlobStore& store, const crypto::Sha256Digest& digest);

}  // namespace caselink::evidence
