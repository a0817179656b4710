// caselink-blob-bench: put and read throughput of the evidence blob store, sealed at rest
// (X25519 + HKDF-SHA256 + AES-256-GCM, services/daemons/evidence/sealed_blob.h) against plaintext, in
// the same run and directory. Every put writes a new blob (fsync and rename included); every
// read streams a blob through a 64 KiB buffer and hashes it, as verification does.
//
//   caselink-blob-bench [--dir DIR] [--size-kib N] [--blobs N] [--rounds N]

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "services/daemons/evidence/encrypted_blob_store.h"
#include "services/daemons/evidence/local_blob_store.h"

namespace fs = std::filesystem;
using namespace caselink;
using namespace caselink::evidence;

namespace {

std::string content(size_t size, size_t seed) {
  std::string s(size, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ULL * (seed + 1);
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s[i] = static_cast<char>(x);
  }
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Figures {
  double put_mib_s = 0;
  double read_mib_s = 0;
};

// Puts `blobs` new blobs, then reads (rehashes) each; MiB/s of plaintext.
Figures measure(BlobStore& store, size_t size, size_t blobs, size_t round) {
  std::vector<std::string> data;
  data.reserve(blobs);
  for (size_t i = 0; i < blobs; ++i) {
    data.push_back(content(size, round * blobs + i));
  }
  std::vector<crypto::Sha256Digest> digests;
  const auto put_start = std::chrono::steady_clock::now();
  for (const std::string& d : data) {
    auto digest = store.put(d);
    if (!digest.ok()) {
      std::fprintf(stderr, "put: %s\n", digest.error().describe().c_str());
      std::exit(1);
    }
    digests.push_back(*digest);
  }
  const double put_s = seconds_since(put_start);
  const auto read_start = std::chrono::steady_clock::now();
  for (const auto& digest : digests) {
    auto c = rehash(store, digest);
    if (!c.ok() || c->content_digest != digest) {
      std::fprintf(stderr, "read: %s\n", c.ok() ? "content differs" : c.error().describe().c_str());
      std::exit(1);
    }
  }
  const double read_s = seconds_since(read_start);
  const double mib = static_cast<double>(size * blobs) / (1024.0 * 1024.0);
  return {mib / put_s, mib / read_s};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"caselink-blob-bench — blob store throughput, sealed at rest vs plaintext"};
  std::string dir = (fs::temp_directory_path() / "caselink-blob-bench").string();
  size_t size_kib = 1024;
  size_t blobs = 64;
  size_t rounds = 3;
  app.add_option("--dir", dir, "scratch directory (removed at the end)")->capture_default_str();
  app.add_option("--size-kib", size_kib, "size of each blob in KiB")->capture_default_str();
  app.add_option("--blobs", blobs, "blobs per store per round")->capture_default_str();
  app.add_option("--rounds", rounds, "alternating rounds (plain, sealed, plain, sealed, ...)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  fs::remove_all(dir);
  auto key = sealed::generate_private_key();
  if (!key.ok()) {
    std::fprintf(stderr, "%s\n", key.error().describe().c_str());
    return 1;
  }
  auto shared = std::make_shared<const sealed::PrivateKey>(std::move(*key));
  std::printf("blob %zu KiB, %zu blobs per round, %zu rounds; MiB/s of plaintext\n", size_kib, blobs, rounds);
  std::printf("%-6s %-8s %10s %10s\n", "round", "store", "put", "read");
  Figures plain_sum, sealed_sum;
  for (size_t r = 0; r < rounds; ++r) {
    auto plain = LocalBlobStore::create(fs::path(dir) / ("plain-" + std::to_string(r)));
    auto files = LocalBlobStore::create(fs::path(dir) / ("sealed-" + std::to_string(r)));
    if (!plain.ok() || !files.ok()) {
      std::fprintf(stderr, "cannot create the stores under %s\n", dir.c_str());
      return 1;
    }
    EncryptedBlobStore sealed_store(std::move(*files), shared->public_key(), shared);
    const Figures p = measure(**plain, size_kib * 1024, blobs, 2 * r);
    const Figures s = measure(sealed_store, size_kib * 1024, blobs, 2 * r + 1);
    std::printf("%-6zu %-8s %10.1f %10.1f\n", r + 1, "plain", p.put_mib_s, p.read_mib_s);
    std::printf("%-6zu %-8s %10.1f %10.1f\n", r + 1, "sealed", s.put_mib_s, s.read_mib_s);
    plain_sum.put_mib_s += p.put_mib_s;
    plain_sum.read_mib_s += p.read_mib_s;
    sealed_sum.put_mib_s += s.put_mib_s;
    sealed_sum.read_mib_s += s.read_mib_s;
  }
  std::printf("mean   plain    %10.1f %10.1f\n", plain_sum.put_mib_s / rounds, plain_sum.read_mib_s / rounds);
  std::printf("mean   sealed   %10.1f %10.1f\n", sealed_sum.put_mib_s / rounds, sealed_sum.read_mib_s / rounds);
  std::printf("ratio  sealed/plain put %.2f read %.2f\n", sealed_sum.put_mib_s / plain_sum.put_mib_s,
              sealed_sum.read_mib_s / plain_sum.read_mib_s);
  fs::remove_all(dir);
  return 0;
}
