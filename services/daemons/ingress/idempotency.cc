#include "services/daemons/ingress/idempotency.h"

namespace caselink::ingress {

IdempotencyCache::IdempotencyCache(size_t max_entries, std::chrono::seconds ttl, const Clock& clock)
    : max_entries_(max_entries), ttl_(ttl), clock_(clock) {}

Claim IdempotencyCache::claim(const std::string& key, const std::string& fingerprint) {
  const TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.answer && now - it->second.stored_at >= ttl_) {
    lru_.erase(it->second.lru);
    entries_.erase(it);
    it = entries_.end();
  }
  if (it == entries_.end()) {
    lru_.push_front(key);
    entries_.emplace(key, Entry{fingerprint, std::nullopt, now, lru_.begin()});
    evict_over_limit();
    return {ClaimKind::kNew, std::nullopt};
  }
  Entry& entry = it->second;
  lru_.splice(lru_.begin(), lru_, entry.lru);
  if (entry.fingerprint != fingerprint) {
    return {ClaimKind::kMismatch, std::nullopt};
  }
  if (!entry.answer) {
    return {ClaimKind::kInProgress, std::nullopt};
  }
  return {ClaimKind::kReplay, entry.answer};
}

void IdempotencyCache::complete(const std::string& key, StoredAnswer answer) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    return;  // evicted while in flight: nothing to remember it by
  }
  it->second.answer = std::move(answer);
  it->second.stored_at = clock_.now();
}

void IdempotencyCache::release(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end() && !it->second.answer) {
    lru_.erase(it->second.lru);
    entries_.erase(it);
  }
}

size_t IdempotencyCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void IdempotencyCache::evict_over_limit() {
  // Least recently used first, but never a key still in flight: forgetting it would let a
  // retry in that window publish the same request twice. When every entry is in flight the
  // memory grows past max_entries until some complete (bounded by the requests in flight).
  auto it = lru_.end();
  while (entries_.size() > max_entries_ && it != lru_.begin()) {
    --it;
    auto entry = entries_.find(*it);
    if (entry != entries_.end() && !entry->second.answer) {
      continue;
    }
    entries_.erase(*it);
    it = lru_.erase(it);
  }
}

}  // namespace caselink::ingress
