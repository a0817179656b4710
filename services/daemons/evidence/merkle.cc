#include "services/daemons/evidence/merkle.h"

namespace caselink::evidence {

namespace {
constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;
}  // namespace

crypto::Sha256Digest merkle_leaf(const crypto::Sha256Digest& item) {
  crypto::Sha256Hasher hasher;
  hasher.update(&kLeafPrefix, 1);
  hasher.update(item.bytes().data(), item.bytes().size());
  return hasher.finish();
}

crypto::Sha256Digest merkle_node(const crypto::Sha256Digest& left, const crypto::Sha256Digest& right) {
  crypto::Sha256Hasher hasher;
  hasher.update(&kNodePrefix, 1);
  hasher.update(left.bytes().data(), left.bytes().size());
  hasher.update(right.bytes().data(), right.bytes().size());
  return hasher.finish();
}

crypto::Sha256Digest merkle_root(const std::vector<crypto::Sha256Digest>& items) {
  if (items.empty()) {
    return crypto::sha256("");
  }
  std::vector<crypto::Sha256Digest> level;
  level.reserve(items.size());
  for (const crypto::Sha256Digest& item : items) {
    level.push_back(merkle_leaf(item));
  }
  while (level.size() > 1) {
    std::vector<crypto::Sha256Digest> next;
    next.reserve((level.size() + 1) / 2);
    for (size_t i = 0; i + 1 < level.size(); i += 2) {
      next.push_back(merkle_node(level[i], level[i + 1]));
    }
    if (level.size() % 2 == 1) {
      next.push_back(level.back());  // promoted, not duplicated
    }
    level = std::move(next);
  }
  return level.front();
}

}  // namespace caselink::evidence
