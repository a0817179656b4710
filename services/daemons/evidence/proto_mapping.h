#pragma once

// The edge between the contract (proto/caselink/v1/evidence.proto) and the pure evidence
// logic: manifest -> plain Manifest, Verdict -> EvidenceReceipt, the vocabulary of enum names
// the rule files may use, and the structural checks that make a record not a manifest at all.

#include <string>
#include <string_view>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "caselink/v1/evidence.pb.h"
#include "services/lib/core/clock.h"
#include "services/lib/core/result.h"
#include "services/daemons/evidence/material_rules.h"
#include "services/daemons/evidence/verification.h"

namespace caselink::evidence {

// Error classes (Error::reason / dlq.error.class) for records dead-lettered by this service.
inline constexpr const char* kInvalidManifest = "evidence.invalid_manifest";
inline constexpr const char* kInvalidCustodyEvent = "evidence.invalid_custody_event";
inline constexpr const char* kUnexpectedType = "evidence.unexpected_event_type";

// Enum value names of MaterialCategory, EvidenceType (prefix removed, UNSPECIFIED left out)
// and Domain (prefix removed, lowercase), read from the descriptors.
Vocabulary contract_vocabulary();

// "environment" for DOMAIN_ENVIRONMENT; "" for UNSPECIFIED or a number the contract lacks.
std::string domain_name(int domain);

// Manifest-level problems that leave nothing to receipt: no manifest_id, purpose or domain
// not stated or unknown. Item-level problems are never errors here; they go into the receipt.
Status validate_manifest(const caselink::v1::EvidenceManifest& manifest);

// A custody event must say what happened, to which items of which manifest, who did it,
// when, and who received or accessed the items (and who gave them up for a hand-over or return).
Status validate_custody_event(const caselink::v1::CustodyEvent& event);

Manifest to_manifest(const caselink::v1::EvidenceManifest& manifest);

// Completeness is judged for a referral; a supplement, a filing-supervision package or a
// procuratorial-opinion package is checked item by item only (see docs/services/evidence.md).
VerifyOptions options_for(const caselink::v1::EvidenceManifest& manifest, bool verify_content);

caselink::v1::EvidenceUsability to_proto(Usability usability);

caselink::v1::EvidenceReceipt to_receipt(const Verdict& verdict, const caselink::v1::EvidenceManifest& manifest,
                                         const std::string& manifest_event_id);

// Purpose of the receipt's event id: crypto::derived_uuid(kReceiptIdPurpose, manifest event id),
// so the same input always yields the same output event id (redelivery is idempotent downstream).
inline constexpr const char* kReceiptIdPurpose = "caselink-evidence/receipt";

// Purpose of the access record's event id: derived_uuid(kAccessIdPurpose, manifest event id).
inline constexpr const char* kAccessIdPurpose = "caselink-evidence/access";

// The audit record of a blob read (docs/services/evidence.md "Audited reads"): a CustodyEvent
// ACCESSED saying that `reader` read the content of the items of `manifest` whose blobs are in
// `read`, held for `holder` (the party that declared them), at `at`, to verify the manifest
// event `manifest_event_id`. The note names the purpose and every blob digest read.
caselink::v1::CustodyEvent to_access_record(const caselink::v1::EvidenceManifest& manifest,
                                            const std::vector<crypto::Sha256Digest>& read, const std::string& reader,
                                            const std::string& holder, const std::string& manifest_event_id,
                                            TimePoint at);

// Proto3 JSON (as written by JsonStringToMessage's counterpart) -> manifest. Unknown fields
// are rejected.
Result<caselink::v1::EvidenceManifest> manifest_from_json(const std::string& json);

}  // namespace caselink::evidence
