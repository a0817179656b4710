#pragma once

// Test support: a key registry and private keys made at run time in a temporary directory
// (no key is ever committed), and a signed envelope to play with.

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "services/lib/signing/ed25519.h"

namespace caselink::signing::testing {

struct TestKey {
  std::string key_id;
  std::string party;
  std::string extra_yaml;  // e.g. "    revoked_at: 2026-06-01T00:00:00Z\n"
};

// Writes `<dir>/<key_id>.pem` for every key and `<dir>/registry.yaml` listing them; returns
// the registry path.
inline std::string write_keys(const std::filesystem::path& dir, const std::vector<TestKey>& keys) {
  std::filesystem::create_directories(dir);
  std::string yaml = "keys:\n";
  for (const TestKey& k : keys) {
    auto key = PrivateKey::generate();
    std::ofstream(dir / (k.key_id + ".pem")) << key->to_pem();
    const PublicKey pub = key->public_key();
    yaml += "  - key_id: " + k.key_id + "\n    party: " + k.party + "\n    public_key: " +
            to_hex(std::string_view(reinterpret_cast<const char*>(pub.data()), pub.size())) + "\n" + k.extra_yaml;
  }
  std::ofstream(dir / "registry.yaml") << yaml;
  return (dir / "registry.yaml").string();
}

}  // namespace caselink::signing::testing
