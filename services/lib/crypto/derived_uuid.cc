#include "services/lib/crypto/derived_uuid.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>

#include "services/lib/core/uuid.h"

namespace caselink::crypto {

namespace {

// kIdNamespace as bytes.
constexpr std::array<unsigned char, 16> kNamespaceBytes = {0x6f, 0x1c, 0x2a, 0x90, 0x4b, 0x7e, 0x4d, 0x0a,
                                                           0x9b, 0x55, 0x3e, 0x21, 0xc8, 0x0d, 0x71, 0x42};

}  // namespace

std::string derived_uuid(std::string_view purpose, std::string_view input) {
  std::string data(reinterpret_cast<const char*>(kNamespaceBytes.data()), kNamespaceBytes.size());
  data.append(purpose);
  data.push_back(':');
  data.append(input);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha1(), nullptr) != 1 || length < 16) {
    // OpenSSL failing to hash a buffer is a broken environment, not bad input.
    std::fprintf(stderr, "caselink: EVP_Digest(SHA-1) failed\n");
    std::abort();
  }
  std::array<uint8_t, 16> bytes{};
  std::copy(digest, digest + bytes.size(), bytes.begin());
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x50);  // version 5
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return uuid_text(bytes);
}

}  // namespace caselink::crypto
