#pragma once

// Helpers for the evidence unit tests: a temporary directory, a vocabulary shaped like the
// contract's, and a small rule set.

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "services/daemons/evidence/material_rules.h"

namespace caselink::evidence::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "caselink-evidence-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    // Blobs are read-only; make them writable again so remove_all succeeds.
    for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
         it != std::filesystem::recursive_directory_iterator(); ++it) {
      std::filesystem::permissions(it->path(), std::filesystem::perms::owner_write,
                                   std::filesystem::perm_options::add, ec);
    }
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// An X25519 key pair as scripts/keys.sh blob writes it (openssl genpkey / pkey -pubout), in
// `dir`: {private key file, public key file}. Empty paths when openssl failed.
inline std::pair<std::filesystem::path, std::filesystem::path> write_blob_key_pair(const std::filesystem::path& dir,
                                                                                   const std::string& stem = "blob") {
  const auto key = dir / (stem + ".key");
  const auto pub = dir / (stem + ".pub");
  const std::string cmd = "openssl genpkey -algorithm x25519 -out '" + key.string() + "' && openssl pkey -in '" +
                          key.string() + "' -pubout -out '" + pub.string() + "'";
  if (std::system(cmd.c_str()) != 0) {
    return {};
  }
  return {key, pub};
}

// Mirrors the enums of proto/caselink/v1 (MaterialCategory, EvidenceType, Domain) without their
// prefixes; the service builds the same sets from the descriptors (proto_mapping_test checks).
inline Vocabulary test_vocabulary() {
  Vocabulary v;
  v.material_categories = {"TRANSFER_LETTER",
                           "INVESTIGATION_REPORT",
                           "SEIZED_ITEMS_LIST",
                           "INSPECTION_OR_APPRAISAL_REPORT",
                           "OTHER_MATERIALS",
                           "SITE_INSPECTION_RECORD",
                           "INTERVIEW_RECORD",
                           "SITE_DIAGRAM",
                           "SAMPLING_RECORD",
                           "PHOTO_AUDIO_VIDEO_LIST",
                           "MONITORING_TEST_REPORT",
                           "INCIDENT_INVESTIGATION_REPORT",
                           "DETERMINATION_OPINION",
                           "PENALTY_DECISION",
                           "FILING_SUPERVISION_SUGGESTION",
                           "POLICE_DECISION",
                           "APPRAISER_QUALIFICATION",
                           "ORDER_TO_PAY",
                           "SERVICE_RECORD",
                           "TAX_RECOVERY_NOTICE",
                           "LAND_SURVEY",
                           "COERCIVE_MEASURE_DOCUMENT"};
  v.evidence_types = {"PHYSICAL",          "DOCUMENTARY",       "AUDIO_VISUAL",      "ELECTRONIC_DATA",
                      "MONITORING_REPORT", "TEST_REPORT",       "DETERMINATION_OPINION", "APPRAISAL_OPINION",
                      "INSPECTION_RECORD", "SURVEY_RECORD",     "WITNESS_TESTIMONY", "PARTY_STATEMENT",
                      "OTHER"};
  v.domains = {"environment",   "market_regulation", "labour",      "work_safety",
               "natural_resources", "tax",           "public_security_general", "healthcare_security",
               "agriculture",   "intellectual_property", "other"};
  return v;
}

// The shipped rules/materials directory, found from the source dir ctest passes.
inline std::filesystem::path shipped_rules_dir() {
  const char* source = std::getenv("CASELINK_SOURCE_DIR");
  return std::filesystem::path(source != nullptr ? source : ".") / "rules" / "materials";
}

}  // namespace caselink::evidence::testing
