#pragma once

// caselink-evidence-verify: recompute the hashes and the Merkle root of a manifest's items from
// the blob store and say whether the stored evidence still matches what was received.
//
//   caselink-evidence-verify --store DIR [--store-key KEY.pem] --manifest FILE.json [--expect-root HEX]
//
// FILE.json is an EvidenceManifest in proto3 JSON. --expect-root is the merkle_root_hex of
// the receipt issued for it; --store-key is the private key of blobs sealed at rest. Exit
// codes: 0 everything matches, 1 a mismatch (each item named with why, or the root differs),
// 2 bad arguments or unreadable input or store (a sealed blob without --store-key included).

#include <ostream>
#include <string>
#include <vector>

namespace caselink::evidence {

int verify_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace caselink::evidence
