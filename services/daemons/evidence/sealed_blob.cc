#include "services/daemons/evidence/sealed_blob.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "services/lib/crypto/hex.h"
#include "services/lib/crypto/sha256.h"

namespace caselink::evidence::sealed {

namespace {

constexpr std::string_view kInfoLabel = "caselink blob v1";

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
struct KdfFree {
  void operator()(EVP_KDF* p) const { EVP_KDF_free(p); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Error corrupt(std::string msg) { return Error::invalid(std::move(msg), {}, kCorruptReason); }

void put_be(uint64_t v, uint8_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    out[n - 1 - i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

uint64_t get_be(const uint8_t* in, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    v = (v << 8) | in[i];
  }
  return v;
}

std::array<uint8_t, 8> key_id(const RawKey& raw) {
  const auto digest = crypto::sha256(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
  std::array<uint8_t, 8> id{};
  std::memcpy(id.data(), digest.bytes().data(), id.size());
  return id;
}

Result<RawKey> raw_public(EVP_PKEY* key) {
  RawKey raw{};
  size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, raw.data(), &len) != 1 || len != raw.size()) {
    return Error::internal("cannot extract an X25519 public key");
  }
  return raw;
}

// Reads a PEM file with `read`; the file's content never appears in an error.
template <typename Read>
Result<Pkey> read_pem(const std::filesystem::path& path, Read read, const char* what) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return Error::not_found("cannot open " + std::string(what) + " file '" + path.string() + "': " +
                            std::strerror(errno));
  }
  Pkey key(read(f));
  std::fclose(f);
  if (!key) {
    return Error::invalid("'" + path.string() + "' is not a PEM " + what + " (openssl genpkey -algorithm x25519)");
  }
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_X25519) {
    return Error::invalid("'" + path.string() + "' holds a key that is not X25519");
  }
  return key;
}

Result<Pkey> generate_x25519() {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr));
  EVP_PKEY* out = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &out) != 1) {
    return Error::internal("cannot generate an X25519 key");
  }
  return Pkey(out);
}

// X25519 then HKDF-SHA256: the blob's data key. `ours` is either the ephemeral private key
// (sealing) or the recipient's private key (opening); `theirs_raw` the other side's public key.
Result<RawKey> derive_key(EVP_PKEY* ours, const RawKey& theirs_raw, const Header& h, const RawKey& recipient_raw) {
  Pkey theirs(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, theirs_raw.data(), theirs_raw.size()));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new(ours, nullptr));
  std::array<uint8_t, 32> shared{};
  size_t shared_len = shared.size();
  // OpenSSL refuses an all-zero shared secret (a low-order public key), which is what we want.
  if (!theirs || !ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), theirs.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), shared.data(), &shared_len) != 1 || shared_len != shared.size()) {
    return corrupt("the blob's ephemeral key is not a usable X25519 key");
  }
  std::string info(kInfoLabel);
  info.append(reinterpret_cast<const char*>(h.ephemeral.data()), h.ephemeral.size());
  info.append(reinterpret_cast<const char*>(recipient_raw.data()), recipient_raw.size());

  // Fetched once: an OpenSSL 3 fetch is a provider lookup, costly next to one small blob.
  static const std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> kctx(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
  char digest_name[] = "SHA256";
  std::array<uint8_t, 16> salt = h.salt;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, shared.data(), shared.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end(),
  };
  RawKey key{};
  const bool ok = kctx && EVP_KDF_derive(kctx.get(), key.data(), key.size(), params) == 1;
  OPENSSL_cleanse(shared.data(), shared.size());
  if (!ok) {
    return Error::internal("HKDF-SHA256 failed");
  }
  return key;
}

std::array<uint8_t, 12> nonce_for(uint64_t index, bool last) {
  std::array<uint8_t, 12> nonce{};
  put_be(index, nonce.data(), 8);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

std::string encode_header(const Header& h) {
  std::string out(kHeaderSize, '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  std::memcpy(p, kMagic.data(), kMagic.size());
  p[6] = kVersion;
  p[7] = kSuiteX25519HkdfAesGcm;
  put_be(h.chunk_size, p + 8, 4);
  put_be(h.plaintext_size, p + 12, 8);
  std::memcpy(p + 20, h.ephemeral.data(), 32);
  std::memcpy(p + 52, h.recipient_id.data(), 8);
  std::memcpy(p + 60, h.salt.data(), 16);
  return out;
}

uint64_t chunk_count(uint64_t plaintext_size, uint32_t chunk_size) {
  return plaintext_size == 0 ? 1 : (plaintext_size + chunk_size - 1) / chunk_size;
}

// One AES-256-GCM operation over one chunk. `encrypt` false = decrypt and check `tag`.
// Returns false when the tag does not verify.
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const EVP_CIPHER* aes_256_gcm() {
  struct CipherFree {
    void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
  };
  static const std::unique_ptr<EVP_CIPHER, CipherFree> cipher(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr));
  return cipher.get();
}

bool gcm(EVP_CIPHER_CTX* ctx, bool encrypt, const RawKey& key, const std::array<uint8_t, 12>& nonce,
         std::string_view aad, std::string_view in, std::string& out, uint8_t* tag) {
  out.resize(in.size());
  int len = 0;
  const auto* in_p = reinterpret_cast<const uint8_t*>(in.data());
  auto* out_p = reinterpret_cast<uint8_t*>(out.data());
  if (ctx == nullptr || aes_256_gcm() == nullptr ||
      EVP_CipherInit_ex(ctx, aes_256_gcm(), nullptr, key.data(), nonce.data(), encrypt ? 1 : 0) != 1 ||
      EVP_CipherUpdate(ctx, nullptr, &len, reinterpret_cast<const uint8_t*>(aad.data()),
                       static_cast<int>(aad.size())) != 1 ||
      (!in.empty() && EVP_CipherUpdate(ctx, out_p, &len, in_p, static_cast<int>(in.size())) != 1)) {
    return false;
  }
  if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize), tag) != 1) {
    return false;
  }
  if (EVP_CipherFinal_ex(ctx, out_p + in.size(), &len) != 1) {
    return false;
  }
  return !encrypt || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize), tag) == 1;
}

}  // namespace

std::string PublicKey::id_hex() const { return crypto::to_hex(std::span<const uint8_t>(key_id(raw))); }

struct PrivateKey::Impl {
  Pkey key;
};

PrivateKey::PrivateKey(std::unique_ptr<Impl> impl, PublicKey pub) : impl_(std::move(impl)), public_(pub) {}
PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;
PrivateKey::~PrivateKey() = default;

Result<PublicKey> load_public_key(const std::filesystem::path& pem) {
  // A public-key PEM first; a private-key file also names its public half.
  auto key = read_pem(pem, [](std::FILE* f) { return PEM_read_PUBKEY(f, nullptr, nullptr, nullptr); },
                      "X25519 public key");
  if (!key.ok() && key.error().code == ErrorCode::kInvalid) {
    auto as_private = load_private_key(pem);
    if (as_private.ok()) {
      return as_private->public_key();
    }
  }
  if (!key.ok()) {
    return key.error();
  }
  auto raw = raw_public(key->get());
  if (!raw.ok()) {
    return raw.error();
  }
  return PublicKey{*raw};
}

namespace {
Result<PrivateKey> wrap_private(Result<Pkey> key) {
  if (!key.ok()) {
    return key.error();
  }
  auto raw = raw_public(key->get());
  if (!raw.ok()) {
    return raw.error();
  }
  return PrivateKey(std::make_unique<PrivateKey::Impl>(PrivateKey::Impl{std::move(*key)}), PublicKey{*raw});
}
}  // namespace

Result<PrivateKey> load_private_key(const std::filesystem::path& pem) {
  return wrap_private(read_pem(
      pem, [](std::FILE* f) { return PEM_read_PrivateKey(f, nullptr, nullptr, nullptr); }, "X25519 private key"));
}

Result<PrivateKey> generate_private_key() { return wrap_private(generate_x25519()); }

bool has_magic(std::string_view prefix) { return prefix.substr(0, kMagic.size()) == kMagic; }

Result<Header> parse_header(std::string_view bytes) {
  if (bytes.size() < kHeaderSize || !has_magic(bytes)) {
    return corrupt("not a sealed blob: the " + std::to_string(kHeaderSize) + "-byte header is missing");
  }
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  if (p[6] != kVersion || p[7] != kSuiteX25519HkdfAesGcm) {
    return corrupt("sealed blob version " + std::to_string(p[6]) + " suite " + std::to_string(p[7]) +
                   " is not supported (this build reads version 1 suite 1)");
  }
  Header h;
  h.chunk_size = static_cast<uint32_t>(get_be(p + 8, 4));
  h.plaintext_size = get_be(p + 12, 8);
  if (h.chunk_size == 0 || h.chunk_size > kMaxChunkSize) {
    return corrupt("sealed blob chunk size " + std::to_string(h.chunk_size) + " is out of bounds");
  }
  if (h.plaintext_size > kMaxPlaintextSize) {
    return corrupt("sealed blob size " + std::to_string(h.plaintext_size) + " is out of bounds");
  }
  std::memcpy(h.ephemeral.data(), p + 20, 32);
  std::memcpy(h.recipient_id.data(), p + 52, 8);
  std::memcpy(h.salt.data(), p + 60, 16);
  return h;
}

uint64_t sealed_size(uint64_t plaintext_size, uint32_t chunk_size) {
  return kHeaderSize + plaintext_size + chunk_count(plaintext_size, chunk_size) * kTagSize;
}

Status seal(std::string_view plaintext, const PublicKey& recipient, const ByteSink& sink, uint32_t chunk_size) {
  if (chunk_size == 0 || chunk_size > kMaxChunkSize) {
    return Error::invalid("chunk size " + std::to_string(chunk_size) + " is out of bounds");
  }
  auto ephemeral = generate_x25519();
  if (!ephemeral.ok()) {
    return ephemeral.error();
  }
  Header h;
  h.chunk_size = chunk_size;
  h.plaintext_size = plaintext.size();
  auto eph_raw = raw_public(ephemeral->get());
  if (!eph_raw.ok()) {
    return eph_raw.error();
  }
  h.ephemeral = *eph_raw;
  h.recipient_id = key_id(recipient.raw);
  if (RAND_bytes(h.salt.data(), static_cast<int>(h.salt.size())) != 1) {
    return Error::internal("no randomness for the blob salt");
  }
  auto key = derive_key(ephemeral->get(), recipient.raw, h, recipient.raw);
  if (!key.ok()) {
    return Error::invalid("the recipient public key is not usable: " + key.error().message);
  }
  const std::string header = encode_header(h);
  if (Status st = sink(header); !st.ok()) {
    return st;
  }
  const uint64_t chunks = chunk_count(plaintext.size(), chunk_size);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::string out;
  for (uint64_t i = 0; i < chunks; ++i) {
    const std::string_view piece = plaintext.substr(i * chunk_size, chunk_size);
    std::array<uint8_t, kTagSize> tag{};
    if (!gcm(ctx.get(), true, *key, nonce_for(i, i + 1 == chunks), header, piece, out, tag.data())) {
      return Error::internal("AES-256-GCM encryption failed");
    }
    out.append(reinterpret_cast<const char*>(tag.data()), tag.size());
    if (Status st = sink(out); !st.ok()) {
      return st;
    }
  }
  OPENSSL_cleanse(key->data(), key->size());
  return Status::success();
}

struct Opener::Impl {
  RawKey key{};
  CipherCtx ctx{EVP_CIPHER_CTX_new()};
  std::string header;
  ByteSource source;
  uint64_t chunks = 0;
  uint64_t next_index = 0;
  std::string buffer;
  ~Impl() { OPENSSL_cleanse(key.data(), key.size()); }
};

Opener::Opener(Header header, std::unique_ptr<Impl> impl) : header_(header), impl_(std::move(impl)) {}
Opener::Opener(Opener&&) noexcept = default;
Opener& Opener::operator=(Opener&&) noexcept = default;
Opener::~Opener() = default;

Result<Opener> Opener::start(std::string_view header_bytes, const PrivateKey& key, ByteSource source) {
  auto h = parse_header(header_bytes);
  if (!h.ok()) {
    return h.error();
  }
  const PublicKey& ours = key.public_key();
  if (h->recipient_id != key_id(ours.raw)) {
    return Error::invalid("the blob is sealed to key " + crypto::to_hex(std::span<const uint8_t>(h->recipient_id)) +
                              ", not to this service's key " + ours.id_hex(),
                          {}, kWrongKeyReason);
  }
  auto data_key = derive_key(key.impl().key.get(), h->ephemeral, *h, ours.raw);
  if (!data_key.ok()) {
    return data_key.error();
  }
  auto impl = std::make_unique<Impl>();
  impl->key = *data_key;
  impl->header.assign(header_bytes.substr(0, kHeaderSize));
  impl->source = std::move(source);
  impl->chunks = chunk_count(h->plaintext_size, h->chunk_size);
  return Opener(*h, std::move(impl));
}

bool Opener::done() const { return impl_->next_index == impl_->chunks; }

Result<std::string> Opener::next() {
  Impl& s = *impl_;
  if (s.next_index == s.chunks) {
    return std::string();
  }
  const bool last = s.next_index + 1 == s.chunks;
  const uint64_t plain = last ? header_.plaintext_size - s.next_index * header_.chunk_size : header_.chunk_size;
  // Read one byte more than the chunk: at the last chunk it must not be there.
  const size_t want = static_cast<size_t>(plain) + kTagSize + (last ? 1 : 0);
  s.buffer.resize(want);
  auto got = s.source(s.buffer.data(), want);
  if (!got.ok()) {
    return got.error();
  }
  const size_t expected = static_cast<size_t>(plain) + kTagSize;
  if (*got < expected) {
    return corrupt("sealed blob is truncated in chunk " + std::to_string(s.next_index) + " of " +
                   std::to_string(s.chunks));
  }
  if (*got > expected) {
    return corrupt("sealed blob has bytes after its last chunk");
  }
  std::string out;
  auto* tag = reinterpret_cast<uint8_t*>(s.buffer.data() + plain);
  if (!gcm(s.ctx.get(), false, s.key, nonce_for(s.next_index, last), s.header,
           std::string_view(s.buffer.data(), plain), out, tag)) {
    return corrupt("sealed blob chunk " + std::to_string(s.next_index) + " of " + std::to_string(s.chunks) +
                   " fails authentication (altered, reordered, truncated or a different header)");
  }
  ++s.next_index;
  return out;
}

Result<std::string> open_all(std::string_view sealed_bytes, const PrivateKey& key) {
  size_t pos = std::min(kHeaderSize, sealed_bytes.size());
  auto opener = Opener::start(sealed_bytes.substr(0, pos), key, [&](char* buffer, size_t size) -> Result<size_t> {
    const size_t n = std::min(size, sealed_bytes.size() - pos);
    std::memcpy(buffer, sealed_bytes.data() + pos, n);
    pos += n;
    return n;
  });
  if (!opener.ok()) {
    return opener.error();
  }
  std::string out;
  while (!opener->done()) {
    auto chunk = opener->next();
    if (!chunk.ok()) {
      return chunk.error();
    }
    out += *chunk;
  }
  return out;
}

}  // namespace caselink::evidence::sealed
