// Fuzz target: evidence manifest verification (services/daemons/evidence) as caselink-evidence and the
// caselink-evidence-verify command run it: proto3 JSON -> contract checks -> verification against
// a blob store and the shipped material lists -> a receipt. Any input ends in a verdict, a named
// refusal or an "unavailable" error, never a crash.
//
// The store holds three blobs whose hashes the seed manifests use (tests/fuzz/corpus/manifest):
//   "transfer letter", "investigation report", "site video".

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "services/daemons/evidence/local_blob_store.h"
#include "services/daemons/evidence/material_rules.h"
#include "services/daemons/evidence/proto_mapping.h"
#include "services/daemons/evidence/verification.h"

namespace {

using namespace caselink::evidence;

struct Fixture {
  std::unique_ptr<LocalBlobStore> store;
  std::unique_ptr<MaterialRules> rules;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture x;
    // One store for every run (content-addressed: writing the same blobs again changes nothing).
    const auto root = std::filesystem::temp_directory_path() / "caselink-fuzz-blob-store";
    x.store = std::move(LocalBlobStore::create(root).value());
    for (const char* content : {"transfer letter", "investigation report", "site video"}) {
      (void)x.store->put(content);
    }
    auto rules = MaterialRules::load_directory(std::filesystem::path(CASELINK_RULES_DIR) / "materials",
                                               contract_vocabulary());
    x.rules = std::make_unique<MaterialRules>(std::move(rules.value()));
    return x;
  }();
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)fixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string json(reinterpret_cast<const char*>(data), size);
  auto manifest = manifest_from_json(json);
  if (!manifest || !validate_manifest(manifest.value())) {
    return 0;
  }
  const Manifest m = to_manifest(manifest.value());
  for (bool content : {false, true}) {
    auto verdict = verify_manifest(m, *fixture().store, *fixture().rules, options_for(manifest.value(), content));
    if (verdict) {
      (void)to_receipt(verdict.value(), manifest.value(), "fuzz-event");
    }
  }
  (void)merkle_root_hex(m.items);
  return 0;
}
