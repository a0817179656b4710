#pragma once

// The one SHA-256 of the tree (OpenSSL EVP): evidence blob identities, the case-sync hash chain,
// rule-set versions, request fingerprints and bearer-token hashes all hash through it.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "services/lib/core/result.h"

namespace caselink::crypto {

// A SHA-256 digest. The canonical text form is 64 lowercase hex digits.
class Sha256Digest {
 public:
  static constexpr size_t kSize = 32;
  using Bytes = std::array<uint8_t, kSize>;

  Sha256Digest() = default;
  explicit Sha256Digest(const Bytes& bytes) : bytes_(bytes) {}

  // Parses 64 hex digits (either case). Anything else is invalid, with a message saying why.
  static Result<Sha256Digest> from_hex(std::string_view text);

  const Bytes& bytes() const { return bytes_; }
  std::string hex() const;

  friend bool operator==(const Sha256Digest&, const Sha256Digest&) = default;
  friend auto operator<=>(const Sha256Digest&, const Sha256Digest&) = default;

 private:
  Bytes bytes_{};
};

// Incremental hasher for data that arrives in pieces (blob files read in chunks).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void update(std::string_view data);
  void update(const uint8_t* data, size_t size);
  // Returns the digest; the hasher is then reset and can be reused.
  Sha256Digest finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

Sha256Digest sha256(std::string_view data);

// 64 lowercase hex digits of the SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace caselink::crypto
