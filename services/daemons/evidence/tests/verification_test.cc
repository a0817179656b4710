// Manifest verification: decisions, each missing category, each item problem, usability
// flags, the Merkle root, and store failures.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "services/daemons/evidence/local_blob_store.h"
#include "services/daemons/evidence/merkle.h"
#include "services/daemons/evidence/tests/test_support.h"
#include "services/daemons/evidence/verification.h"

namespace caselink::evidence {
namespace {

namespace fs = std::filesystem;

class VerificationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = LocalBlobStore::create(dir_.path());
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    auto rules = MaterialRules::load_directory(testing::shipped_rules_dir(), testing::test_vocabulary());
    ASSERT_TRUE(rules.ok()) << rules.error().message;
    rules_ = std::make_unique<MaterialRules>(std::move(*rules));
  }

  // Stores `content` and returns a well-formed item describing it.
  ManifestItem item(const std::string& id, const std::string& category, const std::string& type,
                    const std::string& content) {
    auto digest = store_->put(content);
    EXPECT_TRUE(digest.ok());
    ManifestItem i;
    i.item_id = id;
    i.category = category;
    i.category_raw = category;
    i.evidence_type = type;
    i.evidence_type_raw = type;
    i.sha256_hex = digest->hex();
    i.size_bytes = static_cast<int64_t>(content.size());
    i.media_type = "application/pdf";
    i.collecting_body = "某市生态环境局";
    return i;
  }

  Manifest general_complete() {
    Manifest m;
    m.manifest_id = "m-1";
    m.case_domain = "market_regulation";
    m.items = {item("i1", "TRANSFER_LETTER", "DOCUMENTARY", "transfer letter"),
               item("i2", "INVESTIGATION_REPORT", "DOCUMENTARY", "investigation report"),
               item("i3", "SEIZED_ITEMS_LIST", "DOCUMENTARY", "seized items list"),
               item("i4", "INSPECTION_OR_APPRAISAL_REPORT", "APPRAISAL_OPINION", "appraisal report")};
    return m;
  }

  Manifest environment_complete() {
    Manifest m;
    m.manifest_id = "m-2";
    m.case_domain = "environment";
    m.items = {item("e1", "TRANSFER_LETTER", "DOCUMENTARY", "env transfer letter"),
               item("e2", "INVESTIGATION_REPORT", "DOCUMENTARY", "env investigation report"),
               item("e3", "SITE_INSPECTION_RECORD", "INSPECTION_RECORD", "site inspection record"),
               item("e4", "MONITORING_TEST_REPORT", "MONITORING_REPORT", "monitoring report"),
               item("e5", "INTERVIEW_RECORD", "WITNESS_TESTIMONY", "interview record"),
               item("e6", "PHOTO_AUDIO_VIDEO_LIST", "AUDIO_VISUAL", "site video")};
    return m;
  }

  Verdict verify(const Manifest& m, VerifyOptions options = {}) {
    auto verdict = verify_manifest(m, *store_, *rules_, options);
    EXPECT_TRUE(verdict.ok()) << verdict.error().describe();
    return verdict.ok() ? *verdict : Verdict{};
  }

  const ItemResult& result_of(const Verdict& v, const std::string& id) {
    for (const auto& r : v.items) {
      if (r.item_id == id) {
        return r;
      }
    }
    static ItemResult none;
    ADD_FAILURE() << "no result for " << id;
    return none;
  }

  testing::TempDir dir_;
  std::unique_ptr<LocalBlobStore> store_;
  std::unique_ptr<MaterialRules> rules_;
};

std::vector<std::string> categories(const std::vector<MissingCategory>& missing) {
  std::vector<std::string> out;
  for (const auto& m : missing) {
    out.push_back(m.category);
  }
  return out;
}

TEST_F(VerificationTest, CompleteGeneralManifestIsAccepted) {
  const Manifest m = general_complete();
  const Verdict v = verify(m);
  EXPECT_EQ(v.status, ReceiptStatus::kAccepted) << v.summary;
  EXPECT_EQ(v.profile, "general");
  EXPECT_EQ(v.rules_version, rules_->version());
  EXPECT_TRUE(v.missing_required.empty());
  // Asked of every general-list case where they exist; the offence-specific categories (order to
  // pay, recovery notice, land survey …) are not asked of a case without that offence.
  EXPECT_EQ(categories(v.missing_conditional),
            (std::vector<std::string>{"PENALTY_DECISION", "COERCIVE_MEASURE_DOCUMENT"}));
  EXPECT_FALSE(v.supplement_period_starts);
  ASSERT_EQ(v.items.size(), 4U);
  for (const auto& r : v.items) {
    EXPECT_TRUE(r.ok()) << r.item_id;
    EXPECT_EQ(r.collecting_body, "某市生态环境局");
  }
  std::vector<crypto::Sha256Digest> digests;
  for (const auto& i : m.items) {
    digests.push_back(*crypto::Sha256Digest::from_hex(i.sha256_hex));
  }
  // Item ids i1..i4 are already in id order.
  EXPECT_EQ(v.merkle_root_hex, merkle_root(digests).hex());
  EXPECT_EQ(v.total_size_bytes, 15 + 20 + 17 + 16);
  ASSERT_NE(v.list, nullptr);
  EXPECT_EQ(v.list->id, "materials.s1.art6");
  EXPECT_NE(v.summary.find("Accepted: 4 items"), std::string::npos) << v.summary;
}

TEST_F(VerificationTest, ConditionalCategoriesMissingStillAccepted) {
  Manifest m = general_complete();
  m.items.resize(2);  // letter + report only
  const Verdict v = verify(m);
  EXPECT_EQ(v.status, ReceiptStatus::kAccepted) << v.summary;
  EXPECT_EQ(categories(v.missing_conditional),
            (std::vector<std::string>{"SEIZED_ITEMS_LIST", "INSPECTION_OR_APPRAISAL_REPORT", "PENALTY_DECISION",
                                      "COERCIVE_MEASURE_DOCUMENT"}));
  EXPECT_NE(v.summary.find("confirm not applicable: SEIZED_ITEMS_LIST"), std::string::npos) << v.summary;
}

// Each required category of each list, removed in turn.
TEST_F(VerificationTest, EachMissingRequiredCategoryMakesItIncomplete) {
  struct Case {
    Manifest manifest;
    std::string category;
  };
  std::vector<Case> cases;
  for (const char* category : {"TRANSFER_LETTER", "INVESTIGATION_REPORT"}) {
    cases.push_back({general_complete(), category});
  }
  for (const char* category : {"TRANSFER_LETTER", "INVESTIGATION_REPORT", "SITE_INSPECTION_RECORD"}) {
    cases.push_back({environment_complete(), category});
  }
  for (Case& c : cases) {
    auto& items = c.manifest.items;
    items.erase(std::remove_if(items.begin(), items.end(),
                               [&](const ManifestItem& i) { return i.category == c.category; }),
                items.end());
    const Verdict v = verify(c.manifest);
    SCOPED_TRACE(c.manifest.case_domain + " without " + c.category);
    EXPECT_EQ(v.status, ReceiptStatus::kIncomplete) << v.summary;
    EXPECT_EQ(categories(v.missing_required), std::vector<std::string>{c.category});
    EXPECT_TRUE(v.supplement_period_starts);
    EXPECT_NE(v.summary.find("missing " + c.category), std::string::npos) << v.summary;
    EXPECT_NE(v.summary.find("opens the supplement deadline in caselink-sync"), std::string::npos) << v.summary;
    ASSERT_NE(v.missing_required[0].source, nullptr);
    EXPECT_FALSE(v.missing_required[0].source->article.empty());
  }
}

TEST_F(VerificationTest, EnvironmentNeedsSiteRecordsGeneralDoesNot) {
  Manifest m = general_complete();
  EXPECT_EQ(verify(m).status, ReceiptStatus::kAccepted);
  m.case_domain = "environment";
  const Verdict v = verify(m);
  EXPECT_EQ(v.profile, "environment");
  EXPECT_EQ(v.status, ReceiptStatus::kIncomplete);
  EXPECT_EQ(categories(v.missing_required), std::vector<std::string>{"SITE_INSPECTION_RECORD"});
}

TEST_F(VerificationTest, EmptyManifestIsIncompleteNamingEveryRequiredCategory) {
  Manifest m;
  m.case_domain = "environment";
  const Verdict v = verify(m);
  EXPECT_EQ(v.status, ReceiptStatus::kIncomplete);
  EXPECT_EQ(categories(v.missing_required),
            (std::vector<std::string>{"TRANSFER_LETTER", "INVESTIGATION_REPORT", "SITE_INSPECTION_RECORD"}));
  EXPECT_EQ(v.merkle_root_hex, crypto::sha256("").hex());
}

struct ProblemCase {
  const char* name;
  ItemProblem problem;
  std::function<void(ManifestItem&, LocalBlobStore&)> spoil;
  const char* message_part;
};

TEST_F(VerificationTest, EachItemProblemRejectsNamingTheItem) {
  const std::vector<ProblemCase> cases = {
      {"missing id", ItemProblem::kMissingItemId, [](ManifestItem& i, LocalBlobStore&) { i.item_id.clear(); },
       "item_id must be set"},
      {"duplicate id", ItemProblem::kDuplicateItemId, [](ManifestItem& i, LocalBlobStore&) { i.item_id = "i1"; },
       "'i1' appears more than once"},
      {"malformed hash", ItemProblem::kMalformedHash,
       [](ManifestItem& i, LocalBlobStore&) { i.sha256_hex = "not-a-hash"; }, "sha256 'not-a-hash' must be 64 hex"},
      {"negative size", ItemProblem::kNegativeSize, [](ManifestItem& i, LocalBlobStore&) { i.size_bytes = -5; },
       "size_bytes is -5"},
      {"unknown category", ItemProblem::kUnknownCategory,
       [](ManifestItem& i, LocalBlobStore&) {
         i.category.clear();
         i.category_raw = "42";
       },
       "material category '42' is not a known"},
      {"unknown evidence type", ItemProblem::kUnknownEvidenceType,
       [](ManifestItem& i, LocalBlobStore&) {
         i.evidence_type.clear();
         i.evidence_type_raw = "UNSPECIFIED";
       },
       "evidence type 'UNSPECIFIED' is not a known"},
      {"media type missing", ItemProblem::kMediaTypeMissing,
       [](ManifestItem& i, LocalBlobStore&) { i.media_type.clear(); }, "media_type must be set"},
      {"blob missing", ItemProblem::kBlobMissing,
       [](ManifestItem& i, LocalBlobStore&) { i.sha256_hex = crypto::sha256("never uploaded").hex(); },
       "no blob with sha256"},
      {"size mismatch", ItemProblem::kSizeMismatch, [](ManifestItem& i, LocalBlobStore&) { i.size_bytes += 1; },
       "the stored blob has"},
      {"tampered blob", ItemProblem::kHashMismatch,
       [](ManifestItem& i, LocalBlobStore& store) {
         const fs::path path = store.path_of(*crypto::Sha256Digest::from_hex(i.sha256_hex));
         fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
         std::ofstream(path, std::ios::binary | std::ios::trunc) << "investigation rep0rt";  // same size
       },
       "(the blob was altered)"},
  };
  for (const ProblemCase& c : cases) {
    SCOPED_TRACE(c.name);
    Manifest m = general_complete();
    // Fresh content per case so a tampered blob does not leak into the next case.
    m.items[1] = item("i2", "INVESTIGATION_REPORT", "DOCUMENTARY", "investigation report");
    c.spoil(m.items[1], *store_);
    const Verdict v = verify(m);
    EXPECT_EQ(v.status, ReceiptStatus::kRejected) << v.summary;
    ASSERT_EQ(v.items.size(), 4U);
    EXPECT_TRUE(v.items[0].ok());
    EXPECT_TRUE(v.items[2].ok());
    EXPECT_TRUE(v.items[3].ok());
    ASSERT_EQ(v.items[1].issues.size(), 1U) << v.summary;
    EXPECT_EQ(v.items[1].issues[0].problem, c.problem);
    EXPECT_NE(v.items[1].issues[0].message.find(c.message_part), std::string::npos) << v.items[1].issues[0].message;
    EXPECT_NE(v.summary.find("1 of 4 items failed"), std::string::npos) << v.summary;
    EXPECT_NE(v.summary.find(c.message_part), std::string::npos) << v.summary;
    // Restore the blob for the next case.
    ASSERT_TRUE(store_->put("investigation report").ok());
  }
}

TEST_F(VerificationTest, SeveralProblemsOnOneItemAndSeveralBadItems) {
  Manifest m = general_complete();
  m.items[0].size_bytes = -1;
  m.items[0].category.clear();
  m.items[3].sha256_hex = crypto::sha256("nothing").hex();
  const Verdict v = verify(m);
  EXPECT_EQ(v.status, ReceiptStatus::kRejected);
  EXPECT_EQ(v.items[0].issues.size(), 2U);
  EXPECT_EQ(v.items[3].issues.size(), 1U);
  EXPECT_NE(v.summary.find("2 of 4 items failed"), std::string::npos) << v.summary;
  EXPECT_NE(v.summary.find("item 'i1'"), std::string::npos);
  EXPECT_NE(v.summary.find("item 'i4'"), std::string::npos);
  // The transfer letter is bad, so it does not count as present.
  EXPECT_EQ(categories(v.missing_required), std::vector<std::string>{"TRANSFER_LETTER"});
  EXPECT_FALSE(v.merkle_root_hex.empty()) << "all hashes are well-formed, so the root is computed";
}

TEST_F(VerificationTest, MerkleRootIgnoresListingOrderButNotIds) {
  Manifest m = general_complete();
  const std::string root = verify(m).merkle_root_hex;
  std::reverse(m.items.begin(), m.items.end());
  EXPECT_EQ(verify(m).merkle_root_hex, root) << "leaves are sorted by item_id";
  std::swap(m.items[0].item_id, m.items[1].item_id);
  EXPECT_NE(verify(m).merkle_root_hex, root) << "moving a hash to another id changes the root";
}

TEST_F(VerificationTest, SupplementSkipsCompleteness) {
  Manifest m = general_complete();
  m.items.erase(m.items.begin());  // no transfer letter
  EXPECT_EQ(verify(m).status, ReceiptStatus::kIncomplete);
  const Verdict v = verify(m, {.verify_content = true, .check_completeness = false});
  EXPECT_EQ(v.status, ReceiptStatus::kAccepted);
  EXPECT_TRUE(v.missing_required.empty());
}

TEST_F(VerificationTest, MalformedHashLeavesNoMerkleRoot) {
  Manifest m = general_complete();
  m.items[2].sha256_hex = "xyz";
  EXPECT_TRUE(verify(m).merkle_root_hex.empty());
}

TEST_F(VerificationTest, UppercaseHashIsAccepted) {
  Manifest m = general_complete();
  for (char& c : m.items[0].sha256_hex) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  EXPECT_EQ(verify(m).status, ReceiptStatus::kAccepted);
}

TEST_F(VerificationTest, UsabilityFlagsFollowTheProfile) {
  const Verdict env = verify(environment_complete());
  EXPECT_EQ(env.status, ReceiptStatus::kAccepted) << env.summary;
  EXPECT_EQ(result_of(env, "e1").usability, Usability::kUsable);           // documentary
  EXPECT_EQ(result_of(env, "e3").usability, Usability::kUsable);           // inspection record (S2 Art 20)
  EXPECT_EQ(result_of(env, "e4").usability, Usability::kUsable);           // monitoring report (S2 Art 20)
  EXPECT_TRUE(result_of(env, "e5").requires_recollection());              // witness testimony
  EXPECT_EQ(result_of(env, "e6").usability, Usability::kUsable);           // audio-visual
  ASSERT_NE(result_of(env, "e4").usability_source, nullptr);
  EXPECT_NE(result_of(env, "e4").usability_source->article.find("第二十条"), std::string::npos);

  Manifest general = environment_complete();
  general.case_domain = "";
  const Verdict gen = verify(general);
  EXPECT_EQ(result_of(gen, "e3").usability, Usability::kUsableAfterReview);
  EXPECT_EQ(result_of(gen, "e4").usability, Usability::kNotListed);
  EXPECT_EQ(result_of(gen, "e4").usability_source, nullptr);
  EXPECT_TRUE(result_of(gen, "e5").requires_recollection());
}

TEST_F(VerificationTest, PartyStatementRequiresRecollectionButIsNotAProblem) {
  Manifest m = general_complete();
  m.items.push_back(item("i5", "OTHER_MATERIALS", "PARTY_STATEMENT", "statement of the party"));
  const Verdict v = verify(m);
  EXPECT_EQ(v.status, ReceiptStatus::kAccepted);
  EXPECT_TRUE(result_of(v, "i5").requires_recollection());
  EXPECT_TRUE(result_of(v, "i5").ok());
}

TEST_F(VerificationTest, WithoutContentCheckTamperingGoesUnnoticedButSizeIsChecked) {
  Manifest m = general_complete();
  const fs::path path = store_->path_of(*crypto::Sha256Digest::from_hex(m.items[0].sha256_hex));
  fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "transfer lettex";
  EXPECT_EQ(verify(m, {.verify_content = false}).status, ReceiptStatus::kAccepted);
  EXPECT_EQ(verify(m, {.verify_content = true}).status, ReceiptStatus::kRejected);
  m.items[0].size_bytes = 1;
  EXPECT_EQ(verify(m, {.verify_content = false}).status, ReceiptStatus::kRejected);
}

// A store that cannot be reached: verification reports kUnavailable (retry), not a verdict.
class DownStore final : public BlobStore {
 public:
  Result<crypto::Sha256Digest> put(std::string_view, std::optional<crypto::Sha256Digest>) override {
    return Error::unavailable("down");
  }
  Result<std::unique_ptr<BlobReader>> open(const crypto::Sha256Digest&) const override {
    return Error::unavailable("down");
  }
  Result<BlobStat> stat(const crypto::Sha256Digest&) const override { return Error::unavailable("down"); }
  Result<bool> exists(const crypto::Sha256Digest&) const override { return Error::unavailable("down"); }
  std::string describe(const crypto::Sha256Digest&) const override { return "down"; }
};

TEST_F(VerificationTest, StoreDownIsUnavailableNotAVerdict) {
  DownStore down;
  auto verdict = verify_manifest(general_complete(), down, *rules_);
  ASSERT_FALSE(verdict.ok());
  EXPECT_EQ(verdict.error().code, ErrorCode::kUnavailable);
}

// Issue 20 #4: Order 310 Art 6(4) (test or appraisal reports) is conditional, and the condition
// always holds for an offence whose threshold is proven by a measurement: a referral of such an
// offence without any report is INCOMPLETE naming the category; for other offences it stays
// conditional (ACCEPTED, "confirm not applicable").
TEST_F(VerificationTest, AppraisalReportIsRequiredForOffencesProvenByMeasurement) {
  for (const char* offence : {"fake_products", "major_liability_accident", "pollution_environment"}) {
    Manifest m = general_complete();
    m.offence_code = offence;
    std::erase_if(m.items, [](const ManifestItem& i) { return i.category == "INSPECTION_OR_APPRAISAL_REPORT"; });
    const Verdict v = verify(m);
    SCOPED_TRACE(offence);
    EXPECT_EQ(v.status, ReceiptStatus::kIncomplete) << v.summary;
    EXPECT_EQ(categories(v.missing_required), std::vector<std::string>{"INSPECTION_OR_APPRAISAL_REPORT"});
  }
  for (const char* offence : {"fraud", ""}) {
    Manifest m = general_complete();
    m.offence_code = offence;
    std::erase_if(m.items, [](const ManifestItem& i) { return i.category == "INSPECTION_OR_APPRAISAL_REPORT"; });
    const Verdict v = verify(m);
    SCOPED_TRACE(offence);
    EXPECT_EQ(v.status, ReceiptStatus::kAccepted) << v.summary;
    EXPECT_EQ(categories(v.missing_conditional),
              (std::vector<std::string>{"INSPECTION_OR_APPRAISAL_REPORT", "PENALTY_DECISION", "COERCIVE_MEASURE_DOCUMENT"}));
  }
}

// Issue 16 §3, materials per offence: the documents an offence's threshold runs from are required
// for that offence (INCOMPLETE naming each one missing) and never asked of another offence.
TEST_F(VerificationTest, MaterialsPerOffenceAreRequiredForTheirOffenceOnly) {
  struct Case {
    const char* offence;
    std::vector<std::string> required;
  };
  const std::vector<Case> cases = {{"wage_arrears", {"ORDER_TO_PAY", "SERVICE_RECORD"}},
                                   {"tax_evasion", {"SERVICE_RECORD", "TAX_RECOVERY_NOTICE"}},
                                   {"farmland_occupation", {"LAND_SURVEY"}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.offence);
    Manifest m = general_complete();
    m.offence_code = c.offence;
    Verdict v = verify(m);
    EXPECT_EQ(v.status, ReceiptStatus::kIncomplete) << v.summary;
    EXPECT_EQ(categories(v.missing_required), c.required);
    // Each one alone still missing keeps it INCOMPLETE; all of them supplied makes it ACCEPTED.
    for (size_t i = 0; i < c.required.size(); ++i) {
      Manifest partial = general_complete();
      partial.offence_code = c.offence;
      for (size_t j = 0; j < c.required.size(); ++j) {
        if (j != i) partial.items.push_back(item("x" + std::to_string(j), c.required[j], "DOCUMENTARY", c.required[j]));
      }
      v = verify(partial);
      EXPECT_EQ(v.status, ReceiptStatus::kIncomplete) << v.summary;
      EXPECT_EQ(categories(v.missing_required), std::vector<std::string>{c.required[i]});
    }
    for (size_t j = 0; j < c.required.size(); ++j) {
      m.items.push_back(item("x" + std::to_string(j), c.required[j], "DOCUMENTARY", c.required[j]));
    }
    v = verify(m);
    EXPECT_EQ(v.status, ReceiptStatus::kAccepted) << v.summary;
    for (const char* category : {"ORDER_TO_PAY", "SERVICE_RECORD", "TAX_RECOVERY_NOTICE", "LAND_SURVEY"}) {
      const std::vector<std::string> asked = categories(v.missing_conditional);
      EXPECT_EQ(std::count(asked.begin(), asked.end(), category), 0) << category << " asked of " << c.offence;
    }
  }
}

// An optional entry with required_for_offences is asked of those offences only; a required entry
// cannot name offences (it is required for all).
TEST(MaterialRequirement, OptionalEntriesNamingOffencesAreRequiredForThemOnly) {
  MaterialEntry e;
  e.requirement = Requirement::kOptional;
  e.required_for_offences = {"wage_arrears"};
  EXPECT_EQ(e.requirement_for("wage_arrears"), Requirement::kRequired);
  EXPECT_EQ(e.requirement_for("fraud"), Requirement::kOptional);
  EXPECT_EQ(e.requirement_for(""), Requirement::kOptional);
}

// Every offence a material list names has an offence file (rules/<code>.yaml): a misspelt code
// would silently never apply.
TEST_F(VerificationTest, OffencesNamedByMaterialListsExist) {
  size_t named = 0;
  for (const MaterialList& list : rules_->lists()) {
    for (const MaterialEntry& e : list.entries) {
      for (const auto& code : e.required_for_offences) {
        ++named;
        EXPECT_TRUE(fs::exists(testing::shipped_rules_dir().parent_path() / (code + ".yaml"))) << list.file << ": " << code;
      }
    }
  }
  EXPECT_GT(named, 0U);
}

}  // namespace
}  // namespace caselink::evidence
