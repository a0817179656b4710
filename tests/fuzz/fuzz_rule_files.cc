// Fuzz target: loading law as data (rules/). The input is tried in two places of the shipped
// rule set: as an offence file (named after its `offence:` line, so the loader gets past the
// file-name check) and as the fact catalogue. Either the set loads or the loader names every
// problem; in neither case may it crash, hang or run its examples on a half-built set.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "services/daemons/standards/engine/loader.h"

namespace {

using caselink::standards::RuleFile;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Shipped {
  std::vector<RuleFile> catalogue;  // catalogue/*.yaml
  std::vector<RuleFile> offences;   // *.yaml
};

const Shipped& shipped() {
  static const Shipped files = [] {
    Shipped s;
    const std::filesystem::path dir(CASELINK_RULES_DIR);
    for (const auto& entry : std::filesystem::directory_iterator(dir / "catalogue")) {
      s.catalogue.push_back({"catalogue/" + entry.path().filename().string(), read_file(entry.path())});
    }
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
        s.offences.push_back({entry.path().filename().string(), read_file(entry.path())});
      }
    }
    return s;
  }();
  return files;
}

// "<code>.yaml" for the first line "offence: <code>" whose code is lower snake case, else "fuzz.yaml".
std::string offence_file_name(std::string_view text) {
  constexpr std::string_view kKey = "offence:";
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    if (line.substr(0, kKey.size()) == kKey) {
      line.remove_prefix(kKey.size());
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
      while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
      const bool snake = !line.empty() && line.size() <= 40 &&
                         line.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string_view::npos;
      if (snake) {
        return std::string(line) + ".yaml";
      }
    }
    start = end + 1;
  }
  return "fuzz.yaml";
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)shipped();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using caselink::standards::parse_rule_set;
  const std::string text(reinterpret_cast<const char*>(data), size);

  std::vector<RuleFile> as_offence = shipped().catalogue;
  as_offence.push_back({offence_file_name(text), text});
  (void)parse_rule_set(as_offence);

  std::vector<RuleFile> as_catalogue = shipped().offences;
  as_catalogue.push_back({caselink::standards::kFactCatalogue, text});
  for (const auto& file : shipped().catalogue) {
    if (file.path != caselink::standards::kFactCatalogue) {
      as_catalogue.push_back(file);
    }
  }
  (void)parse_rule_set(as_catalogue);
  return 0;
}
