#include "services/lib/crypto/sha256.h"

#include "services/lib/crypto/hex.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <iostream>

namespace caselink::crypto {

namespace {

// OpenSSL failing to hash in memory is a broken invariant (no allocation, no provider), not
// bad input: crash at once rather than record a wrong digest.
[[noreturn]] void die(const char* what) {
  std::cerr << "caselink: OpenSSL SHA-256 failed in " << what << "\n";
  std::abort();
}

// Fetched once: with OpenSSL 3, EVP_sha256() passed to EVP_DigestInit_ex looks the algorithm up
// again on every call, a visible share of caselink-sync's per-event CPU (one chain hash per
// event). EVP_MD objects are shareable between threads.
const EVP_MD* sha256_algorithm() {
  static const EVP_MD* const algorithm = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return algorithm;
}

}  // namespace

Result<Sha256Digest> Sha256Digest::from_hex(std::string_view text) {
  if (text.size() != 2 * kSize) {
    return Error::invalid("must be 64 hex digits, got " + std::to_string(text.size()) + " characters", "sha256");
  }
  Bytes bytes{};
  if (const long bad = hex_decode(text, bytes); bad >= 0) {
    return Error::invalid("must be 64 hex digits, found a non-hex character at position " + std::to_string(bad),
                          "sha256");
  }
  return Sha256Digest(bytes);
}

std::string Sha256Digest::hex() const { return to_hex(std::span<const uint8_t>(bytes_)); }

struct Sha256Hasher::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() { EVP_MD_CTX_free(ctx); }
  void reset() {
    if (EVP_DigestInit_ex(ctx, sha256_algorithm(), nullptr) != 1) {
      die("EVP_DigestInit_ex");
    }
  }
};

Sha256Hasher::Sha256Hasher() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->ctx == nullptr) {
    die("EVP_MD_CTX_new");
  }
  impl_->reset();
}

Sha256Hasher::~Sha256Hasher() = default;

void Sha256Hasher::update(const uint8_t* data, size_t size) {
  if (size > 0 && EVP_DigestUpdate(impl_->ctx, data, size) != 1) {
    die("EVP_DigestUpdate");
  }
}

void Sha256Hasher::update(std::string_view data) {
  update(reinterpret_cast<const uint8_t*>(data.data()), data.size());
}

Sha256Digest Sha256Hasher::finish() {
  Sha256Digest::Bytes bytes{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, bytes.data(), &length) != 1 || length != Sha256Digest::kSize) {
    die("EVP_DigestFinal_ex");
  }
  impl_->reset();
  return Sha256Digest(bytes);
}

Sha256Digest sha256(std::string_view data) {
  Sha256Hasher hasher;
  hasher.update(data);
  return hasher.finish();
}

std::string sha256_hex(std::string_view data) { return sha256(data).hex(); }

}  // namespace caselink::crypto
