#include "services/daemons/evidence/verification.h"

#include <algorithm>
#include <set>

#include "services/daemons/evidence/merkle.h"

namespace caselink::evidence {

const char* to_string(ItemProblem p) {
  switch (p) {
    case ItemProblem::kMissingItemId:
      return "ITEM_ID_MISSING";
    case ItemProblem::kDuplicateItemId:
      return "ITEM_ID_DUPLICATE";
    case ItemProblem::kMalformedHash:
      return "SHA256_MALFORMED";
    case ItemProblem::kNegativeSize:
      return "SIZE_NEGATIVE";
    case ItemProblem::kUnknownCategory:
      return "CATEGORY_UNKNOWN";
    case ItemProblem::kUnknownEvidenceType:
      return "EVIDENCE_TYPE_UNKNOWN";
    case ItemProblem::kMediaTypeMissing:
      return "MEDIA_TYPE_MISSING";
    case ItemProblem::kBlobMissing:
      return "BLOB_MISSING";
    case ItemProblem::kSizeMismatch:
      return "SIZE_MISMATCH";
    case ItemProblem::kHashMismatch:
      return "HASH_MISMATCH";
  }
  return "UNKNOWN";
}

std::string describe_issues(const ItemResult& result) {
  std::string out;
  for (const ItemIssue& issue : result.issues) {
    out += (out.empty() ? "" : "; ") + std::string(to_string(issue.problem)) + ": " + issue.message;
  }
  return out;
}

const char* to_string(ReceiptStatus s) {
  switch (s) {
    case ReceiptStatus::kAccepted:
      return "ACCEPTED";
    case ReceiptStatus::kIncomplete:
      return "INCOMPLETE";
    case ReceiptStatus::kRejected:
      return "REJECTED";
  }
  return "REJECTED";
}

namespace {

std::string shown(const std::string& raw) { return raw.empty() ? "(unset)" : "'" + raw + "'"; }

// Checks the item against the store. Returns an error only when the store itself fails.
Status check_stored(const ManifestItem& item, const crypto::Sha256Digest& digest, const BlobStore& store,
                    const VerifyOptions& options, std::vector<ItemIssue>* issues) {
  auto stat = store.stat(digest);
  if (!stat.ok()) {
    if (stat.error().code == ErrorCode::kNotFound) {
      issues->push_back({ItemProblem::kBlobMissing, "no blob with sha256 " + digest.hex() + " in the evidence store"});
      return Status::success();
    }
    if (stat.error().code == ErrorCode::kInvalid) {  // a sealed blob whose header is damaged
      issues->push_back({ItemProblem::kHashMismatch, "the stored blob is damaged: " + stat.error().message});
      return Status::success();
    }
    return stat.error();
  }
  if (item.size_bytes >= 0 && stat->size_bytes != item.size_bytes) {
    issues->push_back({ItemProblem::kSizeMismatch, "manifest says " + std::to_string(item.size_bytes) +
                                                       " bytes, the stored blob has " +
                                                       std::to_string(stat->size_bytes)});
  }
  if (!options.verify_content) {
    return Status::success();
  }
  auto content = rehash(store, digest);
  if (!content.ok()) {
    if (content.error().code == ErrorCode::kNotFound) {  // removed between stat and open
      issues->push_back({ItemProblem::kBlobMissing, "no blob with sha256 " + digest.hex() + " in the evidence store"});
      return Status::success();
    }
    // kInvalid: a sealed blob that fails authentication (altered on disk, or sealed to another
    // key). That is the item's problem, not the store's: no retry would change it.
    if (content.error().code == ErrorCode::kInvalid) {
      issues->push_back({ItemProblem::kHashMismatch, "the stored blob cannot be opened (the blob was altered or "
                                                     "sealed to another key): " + content.error().message});
      return Status::success();
    }
    return content.error();
  }
  if (content->content_digest != digest) {
    issues->push_back({ItemProblem::kHashMismatch, "stored content hashes to " + content->content_digest.hex() +
                                                       ", not to the manifest's sha256 " + digest.hex() +
                                                       " (the blob was altered)"});
  }
  return Status::success();
}

std::string join_categories(const std::vector<MissingCategory>& missing) {
  std::string out;
  for (const auto& m : missing) {
    out += (out.empty() ? "" : ", ") + m.category + (m.title.empty() ? "" : " (" + m.title + ")");
  }
  return out;
}

}  // namespace

std::vector<crypto::Sha256Digest> merkle_leaves(const std::vector<ManifestItem>& items) {
  std::vector<const ManifestItem*> ordered;
  ordered.reserve(items.size());
  for (const ManifestItem& item : items) {
    ordered.push_back(&item);
  }
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const ManifestItem* a, const ManifestItem* b) { return a->item_id < b->item_id; });
  std::vector<crypto::Sha256Digest> digests;
  digests.reserve(items.size());
  for (const ManifestItem* item : ordered) {
    if (auto digest = crypto::Sha256Digest::from_hex(item->sha256_hex); digest.ok()) {
      digests.push_back(*digest);
    }
  }
  return digests;
}

Result<std::vector<ItemResult>> check_integrity(const std::vector<ManifestItem>& items, const BlobStore& store,
                                                bool verify_content) {
  const VerifyOptions options{.verify_content = verify_content};
  std::vector<ItemResult> results;
  results.reserve(items.size());
  std::set<std::string> seen_ids;
  for (const ManifestItem& item : items) {
    ItemResult result;
    result.item_id = item.item_id;
    result.category = item.category;
    result.evidence_type = item.evidence_type;
    result.collecting_body = item.collecting_body;
    if (item.item_id.empty()) {
      result.issues.push_back({ItemProblem::kMissingItemId, "item_id must be set"});
    } else if (!seen_ids.insert(item.item_id).second) {
      result.issues.push_back({ItemProblem::kDuplicateItemId, "item_id '" + item.item_id + "' appears more than once"});
    }
    if (item.size_bytes < 0) {
      result.issues.push_back(
          {ItemProblem::kNegativeSize, "size_bytes is " + std::to_string(item.size_bytes) + "; it cannot be negative"});
    }
    auto digest = crypto::Sha256Digest::from_hex(item.sha256_hex);
    if (!digest.ok()) {
      result.issues.push_back({ItemProblem::kMalformedHash, "sha256 " + shown(item.sha256_hex) + " " +
                                                                digest.error().message});
    } else if (Status st = check_stored(item, *digest, store, options, &result.issues); !st.ok()) {
      return st.error();
    }
    results.push_back(std::move(result));
  }
  return results;
}

std::string merkle_root_hex(const std::vector<ManifestItem>& items) {
  for (const ManifestItem& item : items) {
    if (!crypto::Sha256Digest::from_hex(item.sha256_hex).ok()) {
      return {};
    }
  }
  return merkle_root(merkle_leaves(items)).hex();
}

namespace {

// Per-item checks beyond integrity (category, evidence type, media type) and each item's
// usability; returns the categories of the items that passed.
std::set<std::string> check_items(const Manifest& manifest, const MaterialRules& rules, const MaterialList& list,
                                  Verdict* verdict) {
  std::set<std::string> present_categories;
  for (size_t i = 0; i < manifest.items.size(); ++i) {
    const ManifestItem& item = manifest.items[i];
    ItemResult& result = verdict->items[i];
    if (item.size_bytes >= 0) {
      verdict->total_size_bytes += item.size_bytes;
    }
    if (item.category.empty()) {
      result.issues.push_back({ItemProblem::kUnknownCategory, "material category " + shown(item.category_raw) +
                                                                  " is not a known transfer-material category"});
    }
    if (item.evidence_type.empty()) {
      result.issues.push_back({ItemProblem::kUnknownEvidenceType, "evidence type " + shown(item.evidence_type_raw) +
                                                                      " is not a known evidence type"});
    } else {
      result.usability = rules.usability(list.profile, item.evidence_type, &result.usability_source);
    }
    if (item.media_type.empty()) {
      result.issues.push_back({ItemProblem::kMediaTypeMissing, "media_type must be set (e.g. application/pdf)"});
    }
    if (result.ok()) {
      present_categories.insert(item.category);
    }
  }
  return present_categories;
}

// Required and conditional categories of the list that no passing item supplied.
// A conditional category the list requires for the case's offence counts as required.
void find_missing(const MaterialList& list, const std::set<std::string>& present_categories,
                  const std::string& offence_code, Verdict* verdict) {
  for (const MaterialEntry& entry : list.entries) {
    const Requirement requirement = entry.requirement_for(offence_code);
    if (present_categories.count(entry.category) != 0 || requirement == Requirement::kOptional) {
      continue;
    }
    MissingCategory missing{entry.category, entry.title, requirement, &entry.source};
    (requirement == Requirement::kRequired ? verdict->missing_required : verdict->missing_conditional)
        .push_back(std::move(missing));
  }
}

// Rejected when an item failed, else incomplete when a required category is missing, else
// accepted; the summary says why.
void decide(const MaterialList& list, Verdict* verdict) {
  size_t bad_items = 0;
  std::string bad;
  for (const ItemResult& r : verdict->items) {
    if (r.ok()) {
      continue;
    }
    ++bad_items;
    std::string why;
    for (const ItemIssue& issue : r.issues) {
      why += (why.empty() ? "" : "; ") + issue.message;
    }
    bad += (bad.empty() ? "" : " ") + std::string("item ") + (r.item_id.empty() ? "(no id)" : "'" + r.item_id + "'") +
           ": " + why + ".";
  }
  if (bad_items > 0) {
    verdict->status = ReceiptStatus::kRejected;
    verdict->summary = "Rejected: " + std::to_string(bad_items) + " of " + std::to_string(verdict->items.size()) +
                       " items failed verification. " + bad;
  } else if (!verdict->missing_required.empty()) {
    verdict->status = ReceiptStatus::kIncomplete;
    verdict->supplement_period_starts = true;
    verdict->summary = "Incomplete under the " + list.profile + " list (" + list.source.document + " " +
                       list.source.article + "): missing " + join_categories(verdict->missing_required) +
                       ". This receipt opens the supplement deadline in caselink-sync (3 days, referring agency); "
                       "the police's written request (MaterialsSupplementRequested) replaces it.";
  } else {
    verdict->status = ReceiptStatus::kAccepted;
    verdict->summary = "Accepted: " + std::to_string(verdict->items.size()) + " items verified under the " +
                       list.profile + " list (" + list.source.document + " " + list.source.article + ").";
  }
  if (!verdict->missing_conditional.empty() && verdict->status != ReceiptStatus::kRejected) {
    verdict->summary += " Not supplied, confirm not applicable: " + join_categories(verdict->missing_conditional) + ".";
  }
}

}  // namespace

Result<Verdict> verify_manifest(const Manifest& manifest, const BlobStore& store, const MaterialRules& rules,
                                const VerifyOptions& options) {
  const MaterialList& list = rules.list_for_domain(manifest.case_domain);
  Verdict verdict;
  verdict.profile = list.profile;
  verdict.list = &list;
  verdict.rules_version = rules.version();

  auto integrity = check_integrity(manifest.items, store, options.verify_content);
  if (!integrity.ok()) {
    return integrity.error();
  }
  verdict.items = std::move(*integrity);
  const std::set<std::string> present_categories = check_items(manifest, rules, list, &verdict);
  if (options.check_completeness) {
    find_missing(list, present_categories, manifest.offence_code, &verdict);
  }
  verdict.merkle_root_hex = merkle_root_hex(manifest.items);
  decide(list, &verdict);
  return verdict;
}

}  // namespace caselink::evidence
