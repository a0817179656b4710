#include "services/daemons/evidence/local_blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

namespace caselink::evidence {

namespace fs = std::filesystem;

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// A file descriptor closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  uint64_t v = rng();
  for (int i = 0; i < 16; ++i) {
    s.push_back(kDigits[v & 0x0F]);
    v >>= 4;
  }
  return s;
}

Status write_all(int fd, std::string_view bytes, const fs::path& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Error::unavailable("cannot write " + path.string() + ": " + errno_text(errno));
    }
    done += static_cast<size_t>(n);
  }
  return Status::success();
}

Status fsync_dir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
    return Error::unavailable("cannot fsync directory " + dir.string() + ": " + errno_text(errno));
  }
  return Status::success();
}

class FileReader final : public BlobReader {
 public:
  explicit FileReader(int fd, fs::path path) : fd_(fd), path_(std::move(path)) {}
  Result<size_t> read(char* buffer, size_t capacity) override {
    for (;;) {
      const ssize_t n = ::read(fd_.get(), buffer, capacity);
      if (n >= 0) {
        return static_cast<size_t>(n);
      }
      if (errno != EINTR) {
        return Error::unavailable("cannot read " + path_.string() + ": " + errno_text(errno));
      }
    }
  }

 private:
  Fd fd_;
  fs::path path_;
};

}  // namespace

Result<std::unique_ptr<LocalBlobStore>> LocalBlobStore::create(const fs::path& root) {
  if (root.empty()) {
    return Error::invalid("the blob store directory is empty", "evidence.store.path");
  }
  std::error_code ec;
  fs::create_directories(root / "sha256", ec);
  if (!ec) {
    fs::create_directories(root / "tmp", ec);
  }
  if (ec) {
    return Error::unavailable("cannot create blob store directory " + root.string() + ": " + ec.message());
  }
  // Writes that a crash interrupted are never visible as blobs. Drop the ones older than a
  // day; younger ones may belong to another process writing to the same store right now.
  const auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(24);
  for (const auto& entry : fs::directory_iterator(root / "tmp", ec)) {
    std::error_code ignored;
    if (entry.last_write_time(ignored) < cutoff && !ignored) {
      fs::remove(entry.path(), ignored);
    }
  }
  return std::unique_ptr<LocalBlobStore>(new LocalBlobStore(fs::absolute(root)));
}

Result<std::unique_ptr<LocalBlobStore>> LocalBlobStore::open_existing(const fs::path& root) {
  std::error_code ec;
  if (root.empty() || !fs::is_directory(root, ec)) {
    return Error::not_found("blob store directory '" + root.string() + "' does not exist");
  }
  return std::unique_ptr<LocalBlobStore>(new LocalBlobStore(fs::absolute(root)));
}

fs::path LocalBlobStore::path_of(const crypto::Sha256Digest& digest) const {
  const std::string hex = digest.hex();
  return root_ / "sha256" / hex.substr(0, 2) / hex;
}

std::string LocalBlobStore::describe(const crypto::Sha256Digest& digest) const { return path_of(digest).string(); }

Result<crypto::Sha256Digest> LocalBlobStore::put(std::string_view bytes, std::optional<crypto::Sha256Digest> claimed) {
  const crypto::Sha256Digest digest = crypto::sha256(bytes);
  if (Status st = check_claimed(digest, claimed); !st.ok()) {
    return st.error();
  }
  // Already stored and intact: content addressing makes the put a no-op. A stored copy that
  // no longer matches its name is replaced (repaired) by the good bytes.
  if (auto st = stat(digest); st.ok() && st->size_bytes == static_cast<int64_t>(bytes.size())) {
    auto content = rehash(*this, digest);
    if (content.ok() && content->content_digest == digest) {
      return digest;
    }
  }
  if (Status st = put_named(digest, [bytes](const ByteSink& sink) { return sink(bytes); }); !st.ok()) {
    return st.error();
  }
  return digest;
}

Status LocalBlobStore::put_named(const crypto::Sha256Digest& name,
                                 const std::function<Status(const ByteSink&)>& produce) {
  const fs::path target = path_of(name);
  std::error_code ec;
  fs::create_directories(root_ / "tmp", ec);
  fs::create_directories(target.parent_path(), ec);
  if (ec) {
    return Error::unavailable("cannot create " + target.parent_path().string() + ": " + ec.message());
  }
  const fs::path temp = root_ / "tmp" / (name.hex() + "." + random_suffix() + ".part");
  {
    Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd.get() < 0) {
      return Error::unavailable("cannot create " + temp.string() + ": " + errno_text(errno));
    }
    Status written = produce([&](std::string_view piece) { return write_all(fd.get(), piece, temp); });
    if (written.ok() && ::fsync(fd.get()) != 0) {
      written = Error::unavailable("cannot fsync " + temp.string() + ": " + errno_text(errno));
    }
    if (written.ok() && ::fchmod(fd.get(), 0444) != 0) {
      written = Error::unavailable("cannot chmod " + temp.string() + ": " + errno_text(errno));
    }
    if (!written.ok()) {
      fs::remove(temp, ec);
      return written.error();
    }
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    fs::remove(temp, ec);
    return Error::unavailable("cannot rename " + temp.string() + " to " + target.string() + ": " + errno_text(err));
  }
  return fsync_dir(target.parent_path());
}

Result<std::unique_ptr<BlobReader>> LocalBlobStore::open(const crypto::Sha256Digest& digest) const {
  const fs::path path = path_of(digest);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return Error::not_found("no blob " + digest.hex() + " in " + root_.string());
    }
    return Error::unavailable("cannot open " + path.string() + ": " + errno_text(errno));
  }
  return std::unique_ptr<BlobReader>(std::make_unique<FileReader>(fd, path));
}

Result<BlobStat> LocalBlobStore::stat(const crypto::Sha256Digest& digest) const {
  const fs::path path = path_of(digest);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return Error::not_found("no blob " + digest.hex() + " in " + root_.string());
    }
    return Error::unavailable("cannot stat " + path.string() + ": " + errno_text(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return Error::internal(path.string() + " is not a regular file");
  }
  return BlobStat{static_cast<int64_t>(st.st_size)};
}

Result<bool> LocalBlobStore::exists(const crypto::Sha256Digest& digest) const {
  auto st = stat(digest);
  if (st.ok()) {
    return true;
  }
  if (st.error().code == ErrorCode::kNotFound) {
    return false;
  }
  return st.error();
}

}  // namespace caselink::evidence
