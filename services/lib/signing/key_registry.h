#pragma once

// The key registry: which public key belongs to which party, when it is valid and when it was
// revoked — data, not code (docs/contracts/signing.md, "Key registry"). Parsed from YAML:
//
//   keys:
//     - key_id: env-330100-2026          # unique; what Envelope.signature_key_id names
//       party: env-330100                # the producer_agency_id the key signs for
//       public_key: 3d4017c3e843895a...  # 64 hex digits (raw Ed25519 public key)
//       valid_from: 2026-01-01T00:00:00Z # optional; signatures made earlier are refused
//       valid_until: 2027-01-01T00:00:00Z  # optional; signatures made at or after are refused
//       revoked_at: 2026-06-01T00:00:00Z # optional; signatures made at or after are refused,
//                                        # earlier ones stay valid
//
// RegistryFile re-reads the file when its modification time changes (polled), so keys are
// added, rotated and revoked without a restart.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "services/lib/core/clock.h"
#include "services/lib/core/result.h"
#include "services/lib/signing/ed25519.h"

namespace caselink::signing {

struct KeyEntry {
  std::string key_id;
  std::string party;
  PublicKey public_key{};
  std::optional<TimePoint> valid_from;
  std::optional<TimePoint> valid_until;
  std::optional<TimePoint> revoked_at;

  // True when a signature made at `t` with this key is acceptable.
  bool usable_at(TimePoint t) const;
};

class KeyRegistry {
 public:
  // Parses the YAML text; `origin` names the source in errors ("keys[2].public_key: ...").
  static Result<KeyRegistry> parse(const std::string& yaml_text, const std::string& origin);
  static Result<KeyRegistry> load(const std::string& path);

  const KeyEntry* find(const std::string& key_id) const;
  // Keys of `party` usable at `t`, newest valid_from first.
  std::vector<const KeyEntry*> usable_keys(const std::string& party, TimePoint t) const;
  size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, KeyEntry> keys_;
};

// A registry file reloaded when its modification time changes, checked at most once per
// `poll_interval`. A file that fails to parse on reload keeps the previous registry in force
// (and last_error() says why), so a half-written edit never drops every key.
class RegistryFile {
 public:
  static Result<std::unique_ptr<RegistryFile>> open(std::string path, std::chrono::milliseconds poll_interval);

  // The registry in force, after a reload when the file changed.
  std::shared_ptr<const KeyRegistry> current();
  std::string last_error() const;

 private:
  RegistryFile(std::string path, std::chrono::milliseconds poll_interval);

  const std::string path_;
  const std::chrono::milliseconds poll_interval_;
  mutable std::mutex mutex_;
  std::shared_ptr<const KeyRegistry> registry_;
  std::filesystem::file_time_type mtime_{};
  std::chrono::steady_clock::time_point next_check_{};
  std::string last_error_;
};

}  // namespace caselink::signing
