#include "services/daemons/evidence/blob_store_factory.h"

#include "services/daemons/evidence/encrypted_blob_store.h"
#include "services/daemons/evidence/local_blob_store.h"

namespace caselink::evidence {

namespace {

Error naming(Error e, const std::string& key) {
  e.field = key;
  return e;
}

}  // namespace

Result<std::unique_ptr<BlobStore>> make_blob_store(const BlobStoreConfig& config) {
  std::shared_ptr<const sealed::PrivateKey> private_key;
  if (!config.private_key_file.empty()) {
    auto loaded = sealed::load_private_key(config.private_key_file);
    if (!loaded.ok()) {
      return naming(loaded.error(), config.private_key_key);
    }
    private_key = std::make_shared<const sealed::PrivateKey>(std::move(*loaded));
  }
  std::optional<sealed::PublicKey> public_key;
  if (!config.public_key_file.empty()) {
    auto loaded = sealed::load_public_key(config.public_key_file);
    if (!loaded.ok()) {
      return naming(loaded.error(), config.public_key_key);
    }
    public_key = *loaded;
  }
  if (private_key && public_key && public_key->raw != private_key->public_key().raw) {
    return Error::invalid("the public key " + public_key->id_hex() + " is not the private key's (" +
                              private_key->public_key().id_hex() + "): blobs sealed to it could not be read",
                          config.public_key_key);
  }
  if (private_key && !public_key) {
    public_key = private_key->public_key();
  }

  auto files = config.create ? LocalBlobStore::create(config.path) : LocalBlobStore::open_existing(config.path);
  if (!files.ok()) {
    return naming(files.error(), config.path_key);
  }
  return std::unique_ptr<BlobStore>(
      std::make_unique<EncryptedBlobStore>(std::move(*files), public_key, std::move(private_key)));
}

bool is_sealing(const BlobStore& store) {
  const auto* sealing = dynamic_cast<const EncryptedBlobStore*>(&store);
  return sealing != nullptr && sealing->public_key().has_value();
}

std::string describe_sealing(const BlobStore& store, const std::string& key_setting) {
  const auto* sealing = dynamic_cast<const EncryptedBlobStore*>(&store);
  if (sealing == nullptr || !sealing->public_key()) {
    return "blobs are stored in PLAINTEXT (set " + key_setting + " to seal them at rest)";
  }
  return "blobs are sealed at rest to key " + sealing->public_key()->id_hex() +
         (sealing->can_read() ? " (this process holds the private key and can read them)"
                              : " (write-only: this process cannot read their content)");
}

}  // namespace caselink::evidence
