// Fuzz target: the evidence material lists and usability profiles (rules/materials, loaded by
// caselink-evidence). The input is loaded alone and beside the shipped files (so `extends` and
// duplicate-id checks meet real neighbours); the loader answers with rules or named problems.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "services/daemons/evidence/material_rules.h"
#include "services/daemons/evidence/proto_mapping.h"

namespace {

using Files = std::vector<std::pair<std::string, std::string>>;

const Files& shipped() {
  static const Files files = [] {
    Files f;
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(CASELINK_RULES_DIR) / "materials")) {
      std::ifstream in(entry.path(), std::ios::binary);
      f.emplace_back(entry.path().filename().string(),
                     std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
    }
    return f;
  }();
  return files;
}

const caselink::evidence::Vocabulary& vocabulary() {
  static const caselink::evidence::Vocabulary v = caselink::evidence::contract_vocabulary();
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)shipped();
  (void)vocabulary();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using caselink::evidence::MaterialRules;
  std::string text(reinterpret_cast<const char*>(data), size);
  auto alone = MaterialRules::load_texts({{"fuzz.yaml", text}}, vocabulary());
  if (alone) {
    (void)alone.value().list_for_domain("environment");
  }
  Files with_shipped = shipped();
  with_shipped.emplace_back("fuzz.yaml", std::move(text));
  (void)MaterialRules::load_texts(with_shipped, vocabulary());
  return 0;
}
