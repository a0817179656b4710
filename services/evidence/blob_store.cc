#include "services/evidence/blob_store.h"

#include <array>

namespace caselink::evidence {

namespace {
constexpr size_t kChunk = 1 << 16;
}  // namespace

Result<std::string> read_all(const BlobStore& store, const crypto::Sha256Digest& digest) {
  auto reader = store.open(digest);
  if (!reader.ok()) {
    return reader.error();
  }
  std::string out;
  std::array<char, kChunk> buffer{};
  for (;;) {
    auto n = (*reader)->read(buffer.data(), buffer.size());
    if (!n.ok()) {
      return n.error();
    }
    if (*n == 0) {
      return out;
    }
    out.append(buffer.data(), *n);
  }
}

Result<BlobContent> rehash(const BlobStore& store, const crypto::Sha256Digest& digest) {
  auto reader = store.open(digest);
  if (!reader.ok()) {
    return reader.error();
  }
  crypto::Sha256Hasher hasher;
  BlobContent content;
  std::array<char, kChunk> buffer{};
  for (;;) {
    auto n = (*reader)->read(buffer.data(), buffer.size());
    if (!n.ok()) {
      return n.error();
    }
    if (*n == 0) {
      break;
    }
    hasher.update(std::string_view(buffer.data(), *n));
    content.size_bytes += static_cast<int64_t>(*n);
  }
  content.content_digest = hasher.finish();
  return content;
}

}  // namespace caselink::evidence
