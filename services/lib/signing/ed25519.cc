#include "services/lib/signing/ed25519.h"

#include "services/lib/crypto/hex.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <utility>

namespace caselink::signing {
namespace {

EVP_PKEY* as_pkey(void* p) { return static_cast<EVP_PKEY*>(p); }

struct MdCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~MdCtx() { EVP_MD_CTX_free(ctx); }
};

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

Result<PrivateKey> PrivateKey::generate() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (pkey == nullptr) {
    return Error::internal("Ed25519 key generation failed (OpenSSL)");
  }
  return PrivateKey(pkey);
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem, const std::string& origin) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = bio == nullptr ? nullptr : PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (pkey == nullptr) {
    return Error::invalid(origin + ": not a PEM private key (expected `openssl genpkey -algorithm ed25519`)");
  }
  if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(pkey);
    return Error::invalid(origin + ": the private key is not an Ed25519 key");
  }
  return PrivateKey(pkey);
}

Result<PrivateKey> PrivateKey::from_seed(std::string_view seed) {
  if (seed.size() != 32) {
    return Error::invalid("Ed25519 seed must be 32 bytes");
  }
  EVP_PKEY* pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes_of(seed), seed.size());
  if (pkey == nullptr) {
    return Error::internal("Ed25519 key from seed failed (OpenSSL)");
  }
  return PrivateKey(pkey);
}

PublicKey PrivateKey::public_key() const {
  PublicKey key{};
  size_t size = key.size();
  EVP_PKEY_get_raw_public_key(as_pkey(pkey_), key.data(), &size);
  return key;
}

std::string PrivateKey::to_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  std::string out;
  if (bio != nullptr && PEM_write_bio_PrivateKey(bio, as_pkey(pkey_), nullptr, nullptr, 0, nullptr, nullptr) == 1) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    out.assign(data, static_cast<size_t>(size));
  }
  BIO_free(bio);
  return out;
}

std::string PrivateKey::sign(std::string_view message) const {
  std::string signature(kSignatureSize, '\0');
  size_t size = signature.size();
  MdCtx md;
  // Ed25519 is a one-shot scheme: no digest (nullptr), the whole message at once.
  if (md.ctx == nullptr || EVP_DigestSignInit(md.ctx, nullptr, nullptr, nullptr, as_pkey(pkey_)) != 1 ||
      EVP_DigestSign(md.ctx, reinterpret_cast<unsigned char*>(signature.data()), &size, bytes_of(message),
                     message.size()) != 1) {
    return {};
  }
  return signature;
}

PrivateKey::PrivateKey(PrivateKey&& other) noexcept : pkey_(std::exchange(other.pkey_, nullptr)) {}

PrivateKey& PrivateKey::operator=(PrivateKey&& other) noexcept {
  if (this != &other) {
    EVP_PKEY_free(as_pkey(pkey_));
    pkey_ = std::exchange(other.pkey_, nullptr);
  }
  return *this;
}

PrivateKey::~PrivateKey() { EVP_PKEY_free(as_pkey(pkey_)); }

bool verify(const PublicKey& key, std::string_view message, std::string_view signature) {
  if (signature.size() != kSignatureSize) {
    return false;
  }
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size());
  if (pkey == nullptr) {
    return false;
  }
  MdCtx md;
  const bool ok = md.ctx != nullptr && EVP_DigestVerifyInit(md.ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
                  EVP_DigestVerify(md.ctx, bytes_of(signature), signature.size(), bytes_of(message),
                                   message.size()) == 1;
  EVP_PKEY_free(pkey);
  return ok;
}

std::string to_hex(std::string_view bytes) { return crypto::to_hex(bytes); }

Result<PublicKey> public_key_from_hex(std::string_view hex) {
  PublicKey key{};
  if (hex.size() != key.size() * 2) {
    return Error::invalid("public key: expected 64 hex digits (32 bytes), got " + std::to_string(hex.size()) +
                          " characters");
  }
  if (const long bad = crypto::hex_decode(hex, key); bad >= 0) {
    return Error::invalid("public key: not a hex digit at position " + std::to_string(bad));
  }
  return key;
}

}  // namespace caselink::signing
