#pragma once

// Verification of an evidence manifest: pure logic over plain types, a blob store and the
// material rules. No Kafka, no protobuf, no clock.
//
// For every item: id present and unique, hash well-formed, size not negative, category and
// evidence type known, media type present, blob present in the store, stored size equal to the claimed size, and
// the stored content still hashing to its name. Then: the required material categories of
// the case's domain profile, each item's usability in criminal proceedings, and the Merkle
// root (merkle.h). Decision:
//   REJECTED    at least one item has a problem (each bad item is named with why)
//   INCOMPLETE  no item problem, but a required category (or one the list requires for the
//               manifest's offence) is missing (each is named); it opens no deadline: the
//               police's MaterialsSupplementRequested does, in caselink-sync (S2 Art 8)
//   ACCEPTED    otherwise

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "services/lib/core/result.h"
#include "services/daemons/evidence/blob_store.h"
#include "services/daemons/evidence/material_rules.h"

namespace caselink::evidence {

struct ManifestItem {
  std::string item_id;
  std::string evidence_type;  // vocabulary name; "" when unset or not a known enum value
  std::string sha256_hex;
  int64_t size_bytes = 0;
  std::string media_type;
  std::string description;
  std::string collector;
  std::string collecting_body;
  std::string category;  // vocabulary name; "" when unset or not a known enum value
  // What the sender actually put in the enum fields, for messages ("17", "UNSPECIFIED").
  std::string evidence_type_raw;
  std::string category_raw;
};

struct Manifest {
  std::string manifest_id;
  std::string case_domain;  // selects the material list and usability profile
  std::string offence_code;  // makes offence-specific conditional categories required
  std::vector<ManifestItem> items;
};

// Stable problem codes; they appear in receipts, logs and the metric label `problem`.
enum class ItemProblem {
  kMissingItemId,
  kDuplicateItemId,
  kMalformedHash,
  kNegativeSize,
  kUnknownCategory,
  kUnknownEvidenceType,
  kMediaTypeMissing,
  kBlobMissing,
  kSizeMismatch,
  kHashMismatch,
};
const char* to_string(ItemProblem p);  // "SHA256_MALFORMED", ... (EvidenceItemResult.problem_code)

struct ItemIssue {
  ItemProblem problem;
  std::string message;  // says exactly what is wrong, with the values involved
};

struct ItemResult {
  std::string item_id;
  std::string category;
  std::string evidence_type;
  std::string collecting_body;
  Usability usability = Usability::kNotListed;
  const LegalSource* usability_source = nullptr;  // points into the MaterialRules
  std::vector<ItemIssue> issues;
  bool ok() const { return issues.empty(); }
  bool requires_recollection() const { return usability == Usability::kRequiresRecollection; }
};

// "SIZE_NEGATIVE: size_bytes is -5; ...; MEDIA_TYPE_MISSING: ..." ("" when the item is fine).
std::string describe_issues(const ItemResult& result);

enum class ReceiptStatus { kAccepted, kIncomplete, kRejected };
const char* to_string(ReceiptStatus s);

struct MissingCategory {
  std::string category;
  std::string title;
  Requirement requirement = Requirement::kRequired;
  const LegalSource* source = nullptr;
};

struct Verdict {
  ReceiptStatus status = ReceiptStatus::kRejected;
  std::string profile;              // material list / usability profile applied
  const MaterialList* list = nullptr;  // the material list applied (points into the rules)
  std::string rules_version;        // MaterialRules::version()
  std::string merkle_root_hex;      // merkle.h, items sorted by id; empty when a hash is malformed
  int64_t total_size_bytes = 0;     // sum of the non-negative claimed sizes
  std::vector<ItemResult> items;    // in manifest order
  std::vector<MissingCategory> missing_required;     // make the receipt INCOMPLETE
  std::vector<MissingCategory> missing_conditional;  // reported as "confirm not applicable"
  // True exactly when INCOMPLETE: the receipt opens caselink-sync's supplement deadline (issue 20
  // #4); the police's written request, from which the law counts, replaces it.
  bool supplement_period_starts = false;
  std::string summary;                               // one human-readable paragraph
};

struct VerifyOptions {
  // Re-hash every stored blob (detects content altered in the store). Without it only
  // presence and size are checked.
  bool verify_content = true;
  // Check the manifest against the material list of its domain. Off for manifests whose
  // completeness cannot be judged alone (a supplement adds to an earlier manifest).
  bool check_completeness = true;
};

// Integrity only, the part of verify_manifest that says whether the stored evidence still
// matches the manifest: item id present and unique, hash well-formed, size not negative,
// blob present, stored size and (with verify_content) stored content as claimed. Category,
// evidence type, media type and completeness are not looked at. kUnavailable when the store
// cannot be read.
Result<std::vector<ItemResult>> check_integrity(const std::vector<ManifestItem>& items, const BlobStore& store,
                                                bool verify_content);

// The manifest's Merkle root (merkle.h over merkle_leaves), or "" when a hash is malformed.
std::string merkle_root_hex(const std::vector<ManifestItem>& items);

// The items' digests ordered as the Merkle root takes them: by item_id (byte-wise ascending;
// equal ids keep manifest order). Items whose hash is malformed are skipped.
std::vector<crypto::Sha256Digest> merkle_leaves(const std::vector<ManifestItem>& items);

// kUnavailable when the store cannot be read (retry later); every problem with the input
// itself is part of the Verdict, never an error.
Result<Verdict> verify_manifest(const Manifest& manifest, const BlobStore& store, const MaterialRules& rules,
                                const VerifyOptions& options = {});

}  // namespace caselink::evidence
