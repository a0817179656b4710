#pragma once

// Bearer-token authentication. The config holds, per agency, only the SHA-256 (hex) of its
// token (`printf %s "$TOKEN" | sha256sum`), so a leaked config file does not leak tokens. A
// presented token is hashed and compared with every configured hash in constant time
// (CRYPTO_memcmp, no early exit over agencies), so timing tells nothing about which bytes or
// which agency matched.

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/lib/core/result.h"

namespace caselink::ingress {

class TokenAuthenticator {
 public:
  // `token_sha256_by_agency`: agency id -> 64 hex digits. Invalid entries are an error naming
  // the key auth.token_sha256.<agency>.
  static Result<TokenAuthenticator> create(const std::map<std::string, std::string>& token_sha256_by_agency);

  // The agency whose token this is, or nullopt.
  std::optional<std::string> agency_for_token(std::string_view token) const;

  // Parses an Authorization header value ("Bearer <token>", scheme case-insensitive) and
  // authenticates it. nullopt for a missing, malformed or unknown token.
  std::optional<std::string> authenticate(std::string_view authorization_header) const;

  size_t agency_count() const { return entries_.size(); }

 private:
  struct Entry {
    std::string agency;
    std::array<unsigned char, 32> digest{};
  };
  std::vector<Entry> entries_;
};

// Checks one config entry (used by the config binder too).
Status validate_token_hash(const std::string& agency, const std::string& hex);

}  // namespace caselink::ingress
