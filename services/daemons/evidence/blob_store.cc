#include "services/daemons/evidence/blob_store.h"

#include <array>

namespace caselink::evidence {

namespace {

constexpr size_t kChunk = 1 << 16;

// Reads the blob in chunks, handing each to `consume`.
template <typename Consume>
Status read_chunks(const BlobStore& store, const crypto::Sha256Digest& digest, Consume consume) {
  auto reader = store.open(digest);
  if (!reader.ok()) {
    return reader.error();
  }
  std::array<char, kChunk> buffer{};
  for (;;) {
    auto n = (*reader)->read(buffer.data(), buffer.size());
    if (!n.ok()) {
      return n.error();
    }
    if (*n == 0) {
      return {};
    }
    consume(std::string_view(buffer.data(), *n));
  }
}

}  // namespace

Status check_claimed(const crypto::Sha256Digest& digest, const std::optional<crypto::Sha256Digest>& claimed) {
  if (claimed && *claimed != digest) {
    return Error::invalid("claimed sha256 " + claimed->hex() + " does not match the content (" + digest.hex() + ")",
                          "sha256", "evidence.hash_mismatch");
  }
  return Status::success();
}

Result<std::string> read_all(const BlobStore& store, const crypto::Sha256Digest& digest) {
  std::string out;
  if (Status st = read_chunks(store, digest, [&out](std::string_view chunk) { out.append(chunk); }); !st.ok()) {
    return st.error();
  }
  return out;
}

Result<BlobContent> rehash(const BlobStore& store, const crypto::Sha256Digest& digest) {
  crypto::Sha256Hasher hasher;
  BlobContent content;
  const Status st = read_chunks(store, digest, [&](std::string_view chunk) {
    hasher.update(chunk);
    content.size_bytes += static_cast<int64_t>(chunk.size());
  });
  if (!st.ok()) {
    return st.error();
  }
  content.content_digest = hasher.finish();
  return content;
}

}  // namespace caselink::evidence
