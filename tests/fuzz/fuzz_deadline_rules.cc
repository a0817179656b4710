// Fuzz target: the statutory deadline profiles and holiday calendars (rules/deadlines, loaded by
// caselink-sync). The input is tried as profiles.yaml (with the shipped calendar) and as a
// calendar (with the shipped profiles); whatever loads then computes the due instant of every
// step of every profile from a fixed start, so amounts and calendars the loader let through
// must not overflow or loop.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "services/daemons/sync/deadline_rules.h"

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const std::filesystem::path kDir = std::filesystem::path(CASELINK_RULES_DIR) / "deadlines";

const std::string& shipped_profiles() {
  static const std::string text = read_file(kDir / "profiles.yaml");
  return text;
}

const std::string& shipped_calendar() {
  static const std::string text = read_file(kDir / "holidays-cn-2026.yaml");
  return text;
}

void exercise(const caselink::sync::DeadlineRules& rules) {
  // 2026-09-30T02:00:00Z: just before the National Day holidays, so calendars matter.
  const caselink::TimePoint start{std::chrono::seconds(1790733600)};
  for (const char* name : {"general", "environment", "economic_crime"}) {
    const auto* profile = rules.profile(name);
    if (profile == nullptr) {
      continue;
    }
    for (const auto& step : profile->steps) {
      (void)rules.due(start, step.amount, step.unit, step.counting);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)shipped_profiles();
  (void)shipped_calendar();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using caselink::sync::DeadlineRules;
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto as_profiles = DeadlineRules::from_texts(text, {shipped_calendar()})) {
    exercise(as_profiles.value());
  }
  if (auto as_calendar = DeadlineRules::from_texts(shipped_profiles(), {text})) {
    exercise(as_calendar.value());
  }
  return 0;
}
