#include "services/evidence/merkle.h"

namespace caselink::evidence {

namespace {
constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;
}  // namespace

Sha256Digest merkle_leaf(const Sha256Digest& item) {
  Sha256Hasher hasher;
  hasher.update(&kLeafPrefix, 1);
  hasher.update(item.bytes().data(), item.bytes().size());
  return hasher.finish();
}

Sha256Digest merkle_node(const Sha256Digest& left, const Sha256Digest& right) {
  Sha256Hasher hasher;
  hasher.update(&kNodePrefix, 1);
  hasher.update(left.bytes().data(), left.bytes().size());
  hasher.update(right.bytes().data(), right.bytes().size());
  return hasher.finish();
}

Sha256Digest merkle_root(const std::vector<Sha256Digest>& items) {
  if (items.empty()) {
    return sha256("");
  }
  std::vector<Sha256Digest> level;
  level.reserve(items.size());
  for (const Sha256Digest& item : items) {
    level.push_back(merkle_leaf(item));
  }
  while (level.size() > 1) {
    std::vector<Sha256Digest> next;
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
