#include "services/common/crypto/derived_uuid.h"

#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <cstdlib>

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
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0F) | 0x50);  // version 5
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out.push_back('-');
    }
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0x0F]);
  }
  return out;
}

}  // namespace caselink::crypto
