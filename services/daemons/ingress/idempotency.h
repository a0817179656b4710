#pragma once

// The ingress's memory of answered requests, so that a retried request gets the first answer
// and publishes nothing new. Keyed by (agency, Idempotency-Key header — or the event_id when
// the header is absent); the value holds a fingerprint of the request body and the answer.
//
// Bounded: at most `max_entries` answered keys (least recently used evicted first), each kept
// `ttl`. A key still in flight is never evicted (a retry in that window would publish twice),
// so the memory may exceed `max_entries` by the number of requests in flight.
// In memory only: a restart forgets it. A retry after a restart publishes again with the same
// event_id (when the caller set one), and downstream consumers (caselink-sync) treat an exact
// redelivery of a known event_id as a no-op. Thread-safe.

#include <chrono>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "services/lib/core/clock.h"

namespace caselink::ingress {

struct StoredAnswer {
  unsigned status = 0;
  std::string body;
};

enum class ClaimKind {
  kNew,         // the caller owns the key now: publish, then complete() or release()
  kReplay,      // answered before with the same body: send `answer` again
  kInProgress,  // the first request with this key has not been answered yet
  kMismatch,    // the key was used with a different body
};

struct Claim {
  ClaimKind kind = ClaimKind::kNew;
  std::optional<StoredAnswer> answer;
};

class IdempotencyCache {
 public:
  IdempotencyCache(size_t max_entries, std::chrono::seconds ttl, const Clock& clock);

  Claim claim(const std::string& key, const std::string& fingerprint);
  // Stores the answer of a claimed key (from then on claim() replays it).
  void complete(const std::string& key, StoredAnswer answer);
  // Forgets a claimed key whose request was not answered with success (so a retry publishes).
  void release(const std::string& key);

  size_t size() const;

 private:
  struct Entry {
    std::string fingerprint;
    std::optional<StoredAnswer> answer;  // nullopt while in progress
    TimePoint stored_at;
    std::list<std::string>::iterator lru;
  };
  void evict_over_limit();

  size_t max_entries_;
  std::chrono::seconds ttl_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::list<std::string> lru_;  // front = most recently used
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace caselink::ingress
