#pragma once

// The one place a blob store is made from configuration: every writer and reader of the
// evidence store (ingress, SDK, scenario, caselink-evidence, caselink-evidence-verify) asks
// here, so all of them seal and open blobs the same way.

#include <memory>
#include <string>

#include "services/daemons/evidence/blob_store.h"

namespace caselink::evidence {

struct BlobStoreConfig {
  // Root directory of the store (required).
  std::string path;
  // PEM X25519 public key new blobs are sealed to (writers). A private key file works too.
  std::string public_key_file;
  // PEM X25519 private key that opens sealed blobs (caselink-evidence and the verify tool only).
  // Implies the public key when public_key_file is empty.
  std::string private_key_file;
  // false: open an existing store without creating or cleaning anything (read-only mounts).
  bool create = true;
  // The configuration keys (or flags) these fields came from, for error messages.
  std::string path_key = "path";
  std::string public_key_key = "public_key_file";
  std::string private_key_key = "private_key_file";
};

// An EncryptedBlobStore: sealing when a key is configured; without one it stores plaintext (the
// caller says so in its start-up log: describe_sealing) but still recognises sealed blobs. Errors name the configuration key: a key file that is
// missing or not an X25519 key, or a public key that is not the private key's.
Result<std::unique_ptr<BlobStore>> make_blob_store(const BlobStoreConfig& config);

// True when `store` seals blobs.
bool is_sealing(const BlobStore& store);
// One line for the start-up log: the key blobs are sealed to, and whether this process can
// read them; for a plaintext store, which setting would turn sealing on. Never key material.
std::string describe_sealing(const BlobStore& store, const std::string& key_setting);

}  // namespace caselink::evidence
