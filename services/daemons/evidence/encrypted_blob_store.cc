#include "services/daemons/evidence/encrypted_blob_store.h"

#include <algorithm>
#include <cstring>

namespace caselink::evidence {

namespace {

// Reads until `size` bytes or the end: BlobReader::read may return fewer than asked.
Result<size_t> read_exactly(BlobReader& reader, char* buffer, size_t size) {
  size_t done = 0;
  while (done < size) {
    auto n = reader.read(buffer + done, size - done);
    if (!n.ok()) {
      return n.error();
    }
    if (*n == 0) {
      break;
    }
    done += *n;
  }
  return done;
}

// The first bytes of a stored file, up to a header's size (fewer for a short plaintext blob).
Result<std::string> read_header(BlobReader& file) {
  std::string prefix(sealed::kHeaderSize, '\0');
  auto n = read_exactly(file, prefix.data(), prefix.size());
  if (!n.ok()) {
    return n.error();
  }
  prefix.resize(*n);
  return prefix;
}

// A blob stored before sealing: the bytes already read, then the rest of the file.
class PlainReader final : public BlobReader {
 public:
  PlainReader(std::string prefix, std::unique_ptr<BlobReader> rest) : prefix_(std::move(prefix)), rest_(std::move(rest)) {}
  Result<size_t> read(char* buffer, size_t capacity) override {
    if (pos_ < prefix_.size()) {
      const size_t n = std::min(capacity, prefix_.size() - pos_);
      std::memcpy(buffer, prefix_.data() + pos_, n);
      pos_ += n;
      return n;
    }
    return rest_->read(buffer, capacity);
  }

 private:
  std::string prefix_;
  size_t pos_ = 0;
  std::unique_ptr<BlobReader> rest_;
};

Error about_blob(const crypto::Sha256Digest& digest, Error e) {
  e.message = "blob " + digest.hex() + ": " + e.message;
  return e;
}

// Decrypts one chunk at a time; never holds more than one chunk of the blob.
class OpeningReader final : public BlobReader {
 public:
  OpeningReader(std::unique_ptr<BlobReader> file, const crypto::Sha256Digest& digest)
      : file_(std::move(file)), digest_(digest) {}
  Status start(const std::string& header, const sealed::PrivateKey& key) {
    BlobReader* file = file_.get();
    auto opener = sealed::Opener::start(
        header, key, [file](char* buffer, size_t size) { return read_exactly(*file, buffer, size); });
    if (!opener.ok()) {
      return opener.error();
    }
    opener_.emplace(std::move(*opener));
    return Status::success();
  }
  Result<size_t> read(char* buffer, size_t capacity) override {
    while (pos_ == chunk_.size()) {
      if (opener_->done()) {
        return size_t{0};
      }
      auto next = opener_->next();
      if (!next.ok()) {
        return about_blob(digest_, next.error());
      }
      chunk_ = std::move(*next);
      pos_ = 0;
    }
    const size_t n = std::min(capacity, chunk_.size() - pos_);
    std::memcpy(buffer, chunk_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::unique_ptr<BlobReader> file_;
  crypto::Sha256Digest digest_;
  std::optional<sealed::Opener> opener_;
  std::string chunk_;
  size_t pos_ = 0;
};

}  // namespace

EncryptedBlobStore::EncryptedBlobStore(std::unique_ptr<LocalBlobStore> files,
                                       std::optional<sealed::PublicKey> public_key,
                                       std::shared_ptr<const sealed::PrivateKey> private_key, uint32_t chunk_size)
    : files_(std::move(files)), public_(public_key), private_(std::move(private_key)), chunk_size_(chunk_size) {}

std::string EncryptedBlobStore::describe(const crypto::Sha256Digest& digest) const { return files_->describe(digest); }

Result<bool> EncryptedBlobStore::exists(const crypto::Sha256Digest& digest) const { return files_->exists(digest); }

Result<std::string> EncryptedBlobStore::read_prefix(const crypto::Sha256Digest& digest) const {
  auto file = files_->open(digest);
  if (!file.ok()) {
    return file.error();
  }
  return read_header(**file);
}

Result<BlobStat> EncryptedBlobStore::stat(const crypto::Sha256Digest& digest) const {
  auto file_stat = files_->stat(digest);
  if (!file_stat.ok()) {
    return file_stat.error();
  }
  auto prefix = read_prefix(digest);
  if (!prefix.ok()) {
    return prefix.error();
  }
  if (!sealed::has_magic(*prefix)) {
    return *file_stat;  // stored before sealing: the file is the plaintext
  }
  auto header = sealed::parse_header(*prefix);
  if (!header.ok()) {
    return header.error();
  }
  return BlobStat{static_cast<int64_t>(header->plaintext_size)};
}

Result<std::unique_ptr<BlobReader>> EncryptedBlobStore::open(const crypto::Sha256Digest& digest) const {
  auto file = files_->open(digest);
  if (!file.ok()) {
    return file.error();
  }
  auto header = read_header(**file);
  if (!header.ok()) {
    return header.error();
  }
  std::string prefix = std::move(*header);
  if (!sealed::has_magic(prefix)) {
    return std::unique_ptr<BlobReader>(std::make_unique<PlainReader>(std::move(prefix), std::move(*file)));
  }
  if (private_ == nullptr) {
    return Error::unauthorized("blob " + digest.hex() +
                               " is sealed at rest; reading it needs the evidence service's private key");
  }
  auto reader = std::make_unique<OpeningReader>(std::move(*file), digest);
  if (Status st = reader->start(prefix, *private_); !st.ok()) {
    return about_blob(digest, st.error());
  }
  return std::unique_ptr<BlobReader>(std::move(reader));
}

bool EncryptedBlobStore::stored_intact(const crypto::Sha256Digest& digest, size_t size) const {
  auto prefix = read_prefix(digest);
  if (!prefix.ok() || !sealed::has_magic(*prefix)) {
    return false;  // absent, unreadable, or stored before sealing: (re)write it sealed
  }
  auto header = sealed::parse_header(*prefix);
  auto file_stat = files_->stat(digest);
  if (!header.ok() || !file_stat.ok() || header->plaintext_size != size ||
      static_cast<uint64_t>(file_stat->size_bytes) != sealed::sealed_size(size, header->chunk_size)) {
    return false;
  }
  if (private_ == nullptr) {
    return true;  // a writer cannot look inside; the shape is right and the reader verifies
  }
  auto content = rehash(*this, digest);
  return content.ok() && content->content_digest == digest;
}

Result<crypto::Sha256Digest> EncryptedBlobStore::put(std::string_view bytes,
                                                     std::optional<crypto::Sha256Digest> claimed) {
  const crypto::Sha256Digest digest = crypto::sha256(bytes);
  if (!public_) {
    return files_->put(bytes, claimed);  // sealing is off: the plaintext store's put
  }
  if (Status st = check_claimed(digest, claimed); !st.ok()) {
    return st.error();
  }
  if (stored_intact(digest, bytes.size())) {
    return digest;
  }
  const Status written = files_->put_named(digest, [&](const ByteSink& sink) {
    return sealed::seal(bytes, *public_, sink, chunk_size_);
  });
  if (!written.ok()) {
    return written.error();
  }
  return digest;
}

}  // namespace caselink::evidence
