#include "services/ingress/idempotency.h"

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
  while (entries_.size() > max_entries_ && !lru_.empty()) {
    entries_.erase(lru_.back());
    lru_.pop_back();
  }
}

}  // namespace caselink::ingress
