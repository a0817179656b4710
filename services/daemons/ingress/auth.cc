#include "services/daemons/ingress/auth.h"

#include <openssl/crypto.h>

#include <cctype>

#include "services/lib/crypto/sha256.h"

namespace caselink::ingress {

Status validate_token_hash(const std::string& agency, const std::string& hex) {
  const std::string key = "auth.token_sha256." + agency;
  if (agency.empty()) {
    return Error::invalid("agency id must not be empty", "auth.token_sha256");
  }
  if (hex.size() != 64) {
    return Error::invalid("must be the SHA-256 of the token as 64 hex digits (printf %s TOKEN | sha256sum), got " +
                              std::to_string(hex.size()) + " characters",
                          key);
  }
  for (unsigned char c : hex) {
    if (!std::isxdigit(c)) {
      return Error::invalid("must be 64 hex digits (printf %s TOKEN | sha256sum)", key);
    }
  }
  return Status::success();
}

Result<TokenAuthenticator> TokenAuthenticator::create(const std::map<std::string, std::string>& token_sha256_by_agency) {
  TokenAuthenticator auth;
  for (const auto& [agency, hex] : token_sha256_by_agency) {
    if (Status st = validate_token_hash(agency, hex); !st.ok()) {
      return st.error();
    }
    auto digest = crypto::Sha256Digest::from_hex(hex);
    if (!digest.ok()) {
      return Error::invalid(digest.error().message, "auth.token_sha256." + agency);
    }
    Entry entry;
    entry.agency = agency;
    std::copy(digest->bytes().begin(), digest->bytes().end(), entry.digest.begin());
    auth.entries_.push_back(std::move(entry));
  }
  return auth;
}

std::optional<std::string> TokenAuthenticator::agency_for_token(std::string_view token) const {
  if (token.empty()) {
    return std::nullopt;
  }
  const crypto::Sha256Digest presented = crypto::sha256(token);
  const Entry* match = nullptr;
  for (const Entry& entry : entries_) {
    // Every entry is compared, whatever matched before.
    if (CRYPTO_memcmp(entry.digest.data(), presented.bytes().data(), entry.digest.size()) == 0) {
      match = &entry;
    }
  }
  if (match == nullptr) {
    return std::nullopt;
  }
  return match->agency;
}

std::optional<std::string> TokenAuthenticator::authenticate(std::string_view header) const {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) {
    return std::nullopt;
  }
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) {
      return std::nullopt;
    }
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') {
    token.remove_prefix(1);
  }
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
    token.remove_suffix(1);
  }
  return agency_for_token(token);
}

}  // namespace caselink::ingress
