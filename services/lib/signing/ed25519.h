#pragma once

// Ed25519 (RFC 8032) through OpenSSL 3: key generation, signing, verification, and the two
// on-disk forms caselink uses — a private key as PKCS#8 PEM (what `openssl genpkey -algorithm
// ed25519` writes, see scripts/keys.sh) and a public key as 64 lowercase hex digits (the key
// registry). Errors are values; nothing here throws.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "services/lib/core/result.h"

namespace caselink::signing {

inline constexpr size_t kPublicKeySize = 32;
inline constexpr size_t kSignatureSize = 64;

using PublicKey = std::array<uint8_t, kPublicKeySize>;

// A private key; movable, not copyable (the OpenSSL key is freed with it).
class PrivateKey {
 public:
  // A fresh random key (tests, key generation).
  static Result<PrivateKey> generate();
  // From PKCS#8 PEM text ("-----BEGIN PRIVATE KEY-----"); `origin` names the source in errors.
  static Result<PrivateKey> from_pem(std::string_view pem, const std::string& origin);
  // From the 32-byte RFC 8032 seed (known-answer tests).
  static Result<PrivateKey> from_seed(std::string_view seed);

  PublicKey public_key() const;
  // PKCS#8 PEM of this key (what from_pem reads).
  std::string to_pem() const;
  // The 64-byte signature of `message`.
  std::string sign(std::string_view message) const;

  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  ~PrivateKey();

 private:
  explicit PrivateKey(void* pkey) : pkey_(pkey) {}
  void* pkey_ = nullptr;  // EVP_PKEY*
};

// True when `signature` is a valid Ed25519 signature of `message` by `key`.
bool verify(const PublicKey& key, std::string_view message, std::string_view signature);

// 64 lowercase hex digits <-> key; parse fails on any other length or character.
std::string to_hex(std::string_view bytes);
Result<PublicKey> public_key_from_hex(std::string_view hex);

}  // namespace caselink::signing
