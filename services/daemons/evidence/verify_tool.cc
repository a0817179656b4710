#include "services/daemons/evidence/verify_tool.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "services/lib/config/cli.h"
#include "services/daemons/evidence/blob_store_factory.h"
#include "services/daemons/evidence/merkle.h"
#include "services/daemons/evidence/proto_mapping.h"
#include "services/daemons/evidence/verification.h"

namespace caselink::evidence {

int verify_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{"caselink-evidence-verify — does the stored evidence still match the manifest?",
               "caselink-evidence-verify"};
  std::string store_dir;
  std::string manifest_path;
  std::string expect_root;
  std::string store_key;
  app.add_option("--store", store_dir, "Root directory of the evidence blob store")->required();
  app.add_option("--store-key", store_key,
                 "PEM X25519 private key that opens blobs sealed at rest (evidence.store.private_key_file)");
  app.add_option("--manifest", manifest_path, "EvidenceManifest in proto3 JSON")->required();
  app.add_option("--expect-root", expect_root, "merkle_root_hex of the receipt to compare against");
  app.footer("Exit status: 0 all items and the root match, 1 mismatch, 2 usage or unreadable input.\n"
             "Merkle scheme: " + std::string(kMerkleScheme) + " (docs/services/evidence.md).");
  if (std::optional<int> status =
          config::parse_cli(app, args, out, err, "caselink-evidence-verify: ", /*help_on_error=*/false)) {
    return *status;
  }

  std::ifstream in(manifest_path);
  if (!in) {
    err << "caselink-evidence-verify: cannot read manifest file '" << manifest_path << "'\n";
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto manifest = manifest_from_json(text.str());
  if (!manifest.ok()) {
    err << "caselink-evidence-verify: " << manifest_path << ": " << manifest.error().message << "\n";
    return 2;
  }
  auto store = make_blob_store({.path = store_dir,
                                .private_key_file = store_key,
                                .create = false,
                                .path_key = "--store",
                                .private_key_key = "--store-key"});
  if (!store.ok()) {
    err << "caselink-evidence-verify: " << store.error().describe() << "\n";
    return 2;
  }

  const Manifest plain = to_manifest(*manifest);
  auto results = check_integrity(plain.items, **store, /*verify_content=*/true);
  if (!results.ok()) {
    err << "caselink-evidence-verify: cannot read the store: " << results.error().describe() << "\n";
    return 2;
  }
  size_t bad = 0;
  for (size_t i = 0; i < results->size(); ++i) {
    const ItemResult& r = (*results)[i];
    const ManifestItem& item = plain.items[i];
    const std::string id = r.item_id.empty() ? "(no id)" : r.item_id;
    if (r.ok()) {
      out << "OK        " << id << "  sha256=" << item.sha256_hex << "  size=" << item.size_bytes << "\n";
    } else {
      ++bad;
      out << "MISMATCH  " << id << "  " << describe_issues(r) << "\n";
    }
  }
  const std::string root = merkle_root_hex(plain.items);
  out << "merkle_root " << (root.empty() ? "(not computable: a hash is malformed)" : root) << "  scheme "
      << kMerkleScheme << "\n";
  bool root_matches = true;
  if (!expect_root.empty()) {
    std::string expected = expect_root;
    std::transform(expected.begin(), expected.end(), expected.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    root_matches = expected == root;
    out << (root_matches ? "the Merkle root matches the receipt\n"
                         : "the Merkle root DIFFERS from the receipt's " + expected + "\n");
  }
  out << "manifest " << manifest->manifest_id() << ": " << plain.items.size() << " items, " << bad
      << " mismatched" << (bad == 0 && root_matches ? " — the stored evidence matches\n" : "\n");
  return bad == 0 && root_matches ? 0 : 1;
}

}  // namespace caselink::evidence
