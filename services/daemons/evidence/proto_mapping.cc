#include "services/daemons/evidence/proto_mapping.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cctype>

#include "services/lib/crypto/sha256.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/vocabulary.h"
#include "services/daemons/evidence/merkle.h"

namespace caselink::evidence {

namespace pb = google::protobuf;
namespace v1 = caselink::v1;

namespace {

// The value name without `prefix`, or "" when `number` is UNSPECIFIED (0) or not defined.
std::string value_name(const pb::EnumDescriptor* descriptor, int number, const std::string& prefix) {
  if (number == 0) {
    return {};
  }
  const pb::EnumValueDescriptor* value = descriptor->FindValueByNumber(number);
  if (value == nullptr || value->name().rfind(prefix, 0) != 0) {
    return {};
  }
  return value->name().substr(prefix.size());
}

// What the sender put in an enum field, for messages: "UNSPECIFIED", the name, or the number.
std::string raw_name(const pb::EnumDescriptor* descriptor, int number, const std::string& prefix) {
  const pb::EnumValueDescriptor* value = descriptor->FindValueByNumber(number);
  if (value == nullptr) {
    return std::to_string(number);
  }
  return value->name().rfind(prefix, 0) == 0 ? value->name().substr(prefix.size()) : value->name();
}

std::set<std::string> names_of(const pb::EnumDescriptor* descriptor, const std::string& prefix, bool lowercase) {
  std::set<std::string> out;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    std::string name = value_name(descriptor, descriptor->value(i)->number(), prefix);
    if (name.empty()) {
      continue;
    }
    if (lowercase) {
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    }
    out.insert(std::move(name));
  }
  return out;
}

const std::string kCategoryPrefix = "MATERIAL_CATEGORY_";
const std::string kTypePrefix = "EVIDENCE_TYPE_";
const std::string kDomainPrefix = "DOMAIN_";

v1::MaterialCategory category_of(const std::string& name) {
  const pb::EnumValueDescriptor* value = v1::MaterialCategory_descriptor()->FindValueByName(kCategoryPrefix + name);
  return value == nullptr ? v1::MATERIAL_CATEGORY_UNSPECIFIED : static_cast<v1::MaterialCategory>(value->number());
}

}  // namespace

Vocabulary contract_vocabulary() {
  Vocabulary v;
  v.material_categories = names_of(v1::MaterialCategory_descriptor(), kCategoryPrefix, false);
  v.evidence_types = names_of(v1::EvidenceType_descriptor(), kTypePrefix, false);
  v.domains = names_of(v1::Domain_descriptor(), kDomainPrefix, true);
  return v;
}

std::string domain_name(int domain) {
  std::string name = value_name(v1::Domain_descriptor(), domain, kDomainPrefix);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

Status validate_manifest(const v1::EvidenceManifest& manifest) {
  if (manifest.manifest_id().empty()) {
    return Error::invalid("must be set", "evidence_manifest.manifest_id", kInvalidManifest);
  }
  if (value_name(v1::ManifestPurpose_descriptor(), manifest.purpose(), "MANIFEST_PURPOSE_").empty()) {
    return Error::invalid("must be stated (got " + raw_name(v1::ManifestPurpose_descriptor(), manifest.purpose(),
                                                            "MANIFEST_PURPOSE_") + ")",
                          "evidence_manifest.purpose", kInvalidManifest);
  }
  if (domain_name(manifest.domain()).empty()) {
    return Error::invalid("must be stated; it selects the material list (got " +
                              raw_name(v1::Domain_descriptor(), manifest.domain(), kDomainPrefix) + ")",
                          "evidence_manifest.domain", kInvalidManifest);
  }
  return Status::success();
}

Status validate_custody_event(const v1::CustodyEvent& event) {
  auto invalid = [](const std::string& field, const std::string& message) {
    return Error::invalid(message, "custody_event." + field, kInvalidCustodyEvent);
  };
  if (value_name(v1::CustodyAction_descriptor(), event.action(), "CUSTODY_ACTION_").empty()) {
    return invalid("action", "must be stated (got " +
                                 raw_name(v1::CustodyAction_descriptor(), event.action(), "CUSTODY_ACTION_") + ")");
  }
  if (event.manifest_id().empty()) {
    return invalid("manifest_id", "must be set");
  }
  if (event.item_ids().empty()) {
    return invalid("item_ids", "must name at least one item");
  }
  for (int i = 0; i < event.item_ids_size(); ++i) {
    if (event.item_ids(i).empty()) {
      return invalid("item_ids[" + std::to_string(i) + "]", "must not be empty");
    }
  }
  if (event.actor().empty()) {
    return invalid("actor", "must be set");
  }
  if (!event.has_at()) {
    return invalid("at", "must be set");
  }
  if (event.to_party_id().empty()) {
    return invalid("to_party_id", "must be set");
  }
  const bool changes_hands = event.action() == v1::CUSTODY_ACTION_HANDED_OVER ||
                             event.action() == v1::CUSTODY_ACTION_RETURNED;
  if (changes_hands && event.from_party_id().empty()) {
    return invalid("from_party_id", "must be set for a hand-over or return");
  }
  return Status::success();
}

Manifest to_manifest(const v1::EvidenceManifest& manifest) {
  Manifest m;
  m.manifest_id = manifest.manifest_id();
  m.case_domain = domain_name(manifest.domain());
  m.offence_code = manifest.offence_code();
  m.items.reserve(manifest.items_size());
  for (const v1::EvidenceItem& item : manifest.items()) {
    ManifestItem i;
    i.item_id = item.item_id();
    i.evidence_type = value_name(v1::EvidenceType_descriptor(), item.evidence_type(), kTypePrefix);
    i.evidence_type_raw = raw_name(v1::EvidenceType_descriptor(), item.evidence_type(), kTypePrefix);
    i.category = value_name(v1::MaterialCategory_descriptor(), item.material_category(), kCategoryPrefix);
    i.category_raw = raw_name(v1::MaterialCategory_descriptor(), item.material_category(), kCategoryPrefix);
    i.sha256_hex = item.sha256_hex();
    i.size_bytes = item.size_bytes();
    i.media_type = item.media_type();
    i.description = item.description();
    i.collector = item.collector();
    i.collecting_body = item.collecting_body_name().empty() ? item.collecting_body_id() : item.collecting_body_name();
    m.items.push_back(std::move(i));
  }
  return m;
}

VerifyOptions options_for(const v1::EvidenceManifest& manifest, bool verify_content) {
  VerifyOptions options;
  options.verify_content = verify_content;
  options.check_completeness = manifest.purpose() == v1::MANIFEST_PURPOSE_REFERRAL;
  return options;
}

v1::EvidenceUsability to_proto(Usability usability) {
  switch (usability) {
    case Usability::kUsable:
      return v1::EVIDENCE_USABILITY_USABLE;
    case Usability::kUsableAfterReview:
      return v1::EVIDENCE_USABILITY_USABLE_AFTER_REVIEW;
    case Usability::kRequiresRecollection:
      return v1::EVIDENCE_USABILITY_REQUIRES_RECOLLECTION;
    case Usability::kNotListed:
      return v1::EVIDENCE_USABILITY_UNSPECIFIED;
  }
  return v1::EVIDENCE_USABILITY_UNSPECIFIED;
}

v1::EvidenceReceipt to_receipt(const Verdict& verdict, const v1::EvidenceManifest& manifest,
                               const std::string& manifest_event_id) {
  v1::EvidenceReceipt receipt;
  receipt.set_manifest_id(manifest.manifest_id());
  receipt.set_manifest_event_id(manifest_event_id);
  switch (verdict.status) {
    case ReceiptStatus::kAccepted:
      receipt.set_status(v1::RECEIPT_STATUS_ACCEPTED);
      break;
    case ReceiptStatus::kIncomplete:
      receipt.set_status(v1::RECEIPT_STATUS_INCOMPLETE);
      break;
    case ReceiptStatus::kRejected:
      receipt.set_status(v1::RECEIPT_STATUS_REJECTED);
      break;
  }
  receipt.set_merkle_root_hex(verdict.merkle_root_hex);
  receipt.set_merkle_scheme(kMerkleScheme);
  for (const ItemResult& r : verdict.items) {
    v1::EvidenceItemResult* out = receipt.add_item_results();
    out->set_item_id(r.item_id);
    out->set_verified(r.ok());
    out->set_usability(to_proto(r.usability));
    if (!r.ok()) {
      out->set_problem_code(to_string(r.issues.front().problem));
      out->set_problem_message(describe_issues(r));
    }
  }
  for (const MissingCategory& missing : verdict.missing_required) {
    receipt.add_missing_categories(category_of(missing.category));
  }
  if (verdict.list != nullptr) {
    v1::RuleRef* rule = receipt.mutable_material_list_rule();
    rule->set_rule_id(verdict.list->id);
    rule->set_rule_version(verdict.rules_version);
    rule->set_legal_source(verdict.list->source.document + " " + verdict.list->source.article);
    rule->set_confidence(envelope::to_proto(verdict.list->source.confidence));
  }
  receipt.set_item_count(static_cast<uint32_t>(verdict.items.size()));
  receipt.set_total_size_bytes(verdict.total_size_bytes);
  return receipt;
}

Result<v1::EvidenceManifest> manifest_from_json(const std::string& json) {
  v1::EvidenceManifest manifest;
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = pb::util::JsonStringToMessage(json, &manifest, options);
  if (!status.ok()) {
    return Error::invalid("not a proto3 JSON EvidenceManifest: " + std::string(status.message()), "--manifest");
  }
  return manifest;
}

v1::CustodyEvent to_access_record(const v1::EvidenceManifest& manifest, const std::vector<crypto::Sha256Digest>& read,
                                  const std::string& reader, const std::string& holder,
                                  const std::string& manifest_event_id, TimePoint at) {
  v1::CustodyEvent event;
  event.set_action(v1::CUSTODY_ACTION_ACCESSED);
  event.set_manifest_id(manifest.manifest_id());
  event.set_from_party_id(holder);
  event.set_to_party_id(reader);
  event.set_actor(reader);
  envelope::set_timestamp(event.mutable_at(), at);
  std::string digests;
  for (const crypto::Sha256Digest& d : read) {
    digests += (digests.empty() ? "" : ",") + d.hex();
    for (const v1::EvidenceItem& item : manifest.items()) {
      if (item.sha256_hex() == d.hex() &&
          std::find(event.item_ids().begin(), event.item_ids().end(), item.item_id()) == event.item_ids().end()) {
        event.add_item_ids(item.item_id());
      }
    }
  }
  event.set_note("purpose=manifest_verification manifest_event_id=" + manifest_event_id + " sha256=" + digests);
  return event;
}

}  // namespace caselink::evidence
