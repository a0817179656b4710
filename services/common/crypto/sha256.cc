#include "services/common/crypto/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <iostream>

namespace caselink::crypto {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

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
  for (size_t i = 0; i < kSize; ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return Error::invalid("must be 64 hex digits, found a non-hex character at position " +
                                std::to_string(hi < 0 ? 2 * i : 2 * i + 1),
                            "sha256");
    }
    bytes[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return Sha256Digest(bytes);
}

std::string Sha256Digest::hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * kSize);
  for (uint8_t b : bytes_) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0F]);
  }
  return out;
}

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
