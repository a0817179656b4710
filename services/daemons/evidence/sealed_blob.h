#pragma once

// The sealed-blob format: how an evidence blob is encrypted at rest (docs/services/evidence.md
// "Blobs at rest"). Each blob gets its own data key, agreed between a fresh X25519 key pair and
// the evidence service's X25519 public key (HKDF-SHA256), so whoever writes a blob needs only
// the public key and only the holder of the private key can read it. The content is encrypted
// with AES-256-GCM in chunks, so neither sealing nor opening holds more than one chunk.
//
// Layout (integers big-endian), version 1:
//   offset  size  field
//        0     6  magic "CLBLOB"
//        6     1  version (1)
//        7     1  suite (1 = X25519 + HKDF-SHA256 + AES-256-GCM)
//        8     4  chunk size C (plaintext bytes per chunk, 1..kMaxChunkSize)
//       12     8  plaintext size N
//       20    32  ephemeral X25519 public key
//       52     8  recipient key id (first 8 bytes of SHA-256 of the recipient's raw public key)
//       60    16  HKDF salt (random)
//       76     …  chunks: ceil(N / C) of them (one, empty, when N = 0), each C plaintext bytes
//                 (the last one the rest) encrypted, followed by its 16-byte GCM tag
// Key     = HKDF-SHA256(ikm = X25519(ephemeral, recipient), salt, info = "caselink blob v1" ||
//           ephemeral public || recipient public), 32 bytes.
// Nonce_i = chunk index i as 8 bytes || 3 zero bytes || 1 if the chunk is the last else 0.
// AAD     = the whole 76-byte header.
// The header is authenticated by every chunk (a swapped or edited header fails), the index in
// the nonce fixes the chunk order (reordered chunks fail), and the last-chunk flag plus N in
// the header make truncation and appended bytes fail.

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "services/lib/core/result.h"
#include "services/daemons/evidence/blob_store.h"

namespace caselink::evidence::sealed {

inline constexpr std::string_view kMagic{"CLBLOB", 6};
inline constexpr uint8_t kVersion = 1;
inline constexpr uint8_t kSuiteX25519HkdfAesGcm = 1;
inline constexpr size_t kHeaderSize = 76;
inline constexpr size_t kTagSize = 16;
inline constexpr uint32_t kDefaultChunkSize = 64 * 1024;
// Bounds the memory a reader spends on one chunk whatever a (not yet authenticated) header says.
inline constexpr uint32_t kMaxChunkSize = 4 * 1024 * 1024;
// Bounds the plaintext size a header may announce (256 TiB), so no size arithmetic overflows.
inline constexpr uint64_t kMaxPlaintextSize = uint64_t{1} << 48;

// Reason of every error that means "these bytes are not an intact sealed blob for this key".
inline constexpr const char* kCorruptReason = "evidence.blob_sealed_corrupt";
inline constexpr const char* kWrongKeyReason = "evidence.blob_wrong_key";

using RawKey = std::array<uint8_t, 32>;

// The key a writer seals to.
struct PublicKey {
  RawKey raw{};
  // Hex of the 8-byte key id written in each header (logs, error messages).
  std::string id_hex() const;
};

// The evidence service's private key: opens sealed blobs. Move-only; the key material never
// leaves OpenSSL's EVP_PKEY and is never printed.
class PrivateKey {
 public:
  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  ~PrivateKey();
  const PublicKey& public_key() const { return public_; }
  // Impl is OpenSSL's key, defined in sealed_blob.cc only: use load_private_key or
  // generate_private_key.
  struct Impl;
  PrivateKey(std::unique_ptr<Impl> impl, PublicKey pub);
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
  PublicKey public_;
};

// PEM files as `openssl genpkey -algorithm x25519` and `openssl pkey -pubout` write them.
// load_public_key also accepts a private key file (and uses its public half). Errors name the
// file, never its content: kNotFound when missing, kInvalid when not an X25519 key.
Result<PublicKey> load_public_key(const std::filesystem::path& pem);
Result<PrivateKey> load_private_key(const std::filesystem::path& pem);
// A fresh key pair (tests, benchmarks).
Result<PrivateKey> generate_private_key();

// The fields of a header, parsed but not yet authenticated (only opening a chunk proves them).
struct Header {
  uint32_t chunk_size = 0;
  uint64_t plaintext_size = 0;
  RawKey ephemeral{};
  std::array<uint8_t, 8> recipient_id{};
  std::array<uint8_t, 16> salt{};
};

// True when `prefix` (the first bytes of a stored file) starts with the magic.
bool has_magic(std::string_view prefix);
// Parses a header: kInvalid (reason kCorruptReason) for an unknown version or suite or a chunk
// size out of bounds.
Result<Header> parse_header(std::string_view bytes);
// The size of the sealed file for a plaintext of `plaintext_size` bytes.
uint64_t sealed_size(uint64_t plaintext_size, uint32_t chunk_size);

// Writes the sealed form of `plaintext` to `sink`, header first then chunk by chunk.
Status seal(std::string_view plaintext, const PublicKey& recipient, const ByteSink& sink,
            uint32_t chunk_size = kDefaultChunkSize);

// Pulls exactly `size` bytes (fewer only at the end of the source) into `buffer`.
using ByteSource = std::function<Result<size_t>(char* buffer, size_t size)>;

// Opens a sealed stream chunk by chunk. Construct with the header already read from the source.
class Opener {
 public:
  static Result<Opener> start(std::string_view header_bytes, const PrivateKey& key, ByteSource source);
  Opener(Opener&&) noexcept;
  Opener& operator=(Opener&&) noexcept;
  ~Opener();
  // The next chunk of plaintext (empty when done()). kInvalid (reason
  // kCorruptReason) when a chunk fails authentication, the stream is short, or bytes follow
  // the last chunk.
  Result<std::string> next();
  // True once the last chunk was returned (an empty blob has one, empty, chunk).
  bool done() const;
  const Header& header() const { return header_; }

 private:
  struct Impl;
  Opener(Header header, std::unique_ptr<Impl> impl);
  Header header_;
  std::unique_ptr<Impl> impl_;
};

// Opens a whole sealed blob held in memory (tests and tools).
Result<std::string> open_all(std::string_view sealed_bytes, const PrivateKey& key);

}  // namespace caselink::evidence::sealed
