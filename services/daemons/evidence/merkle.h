#pragma once

// The Merkle root of an evidence manifest (docs/services/evidence.md, "Merkle root").
//
//   leaf(d)      = SHA-256(0x00 || d)           d = the 32 raw bytes of an item's SHA-256
//   node(l, r)   = SHA-256(0x01 || l || r)
//   leaves       one per item, ordered by item_id (byte-wise ascending), so the root does not
//                depend on the order a sender listed the items in (verification.h merkle_leaves)
//   odd node     at the end of a level is promoted unchanged to the next level (never duplicated)
//   zero leaves  root = SHA-256("") (e3b0c442...)
//
// This is exactly the RFC 6962 §2.1 Merkle Tree Hash over the items' raw digests, so any
// Certificate-Transparency-style implementation can check a receipt independently.

#include <vector>

#include "services/lib/crypto/sha256.h"

namespace caselink::evidence {

// EvidenceReceipt.merkle_scheme of the construction below.
inline constexpr const char* kMerkleScheme = "rfc6962-sha256-items-sorted-by-id-v1";

// merkle_root() takes the digests already in leaf order.

crypto::Sha256Digest merkle_leaf(const crypto::Sha256Digest& item);
crypto::Sha256Digest merkle_node(const crypto::Sha256Digest& left, const crypto::Sha256Digest& right);
crypto::Sha256Digest merkle_root(const std::vector<crypto::Sha256Digest>& items);

}  // namespace caselink::evidence
