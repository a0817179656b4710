#include "services/daemons/standards/engine/types.h"

#include <chrono>
#include <cstdio>

namespace caselink::standards {

std::optional<Date> Date::parse(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  auto digits = [&](size_t from, size_t count, int* out) {
    int v = 0;
    for (size_t i = from; i < from + count; ++i) {
      if (text[i] < '0' || text[i] > '9') {
        return false;
      }
      v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
  };
  int y = 0;
  int m = 0;
  int d = 0;
  if (!digits(0, 4, &y) || !digits(5, 2, &m) || !digits(8, 2, &d)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  return Date{static_cast<int32_t>(std::chrono::sys_days{ymd}.time_since_epoch().count())};
}

Date Date::from_ymd(int year, unsigned month, unsigned day) {
  const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}};
  return Date{static_cast<int32_t>(std::chrono::sys_days{ymd}.time_since_epoch().count())};
}

std::string Date::str() const {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

const char* to_string(FactKind kind) {
  switch (kind) {
    case FactKind::kNumber:
      return "number";
    case FactKind::kFlag:
      return "flag";
    case FactKind::kText:
      return "text";
  }
  return "?";
}

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::kBelowThreshold:
      return "BELOW_THRESHOLD";
    case Outcome::kInsufficientFacts:
      return "INSUFFICIENT_FACTS";
    case Outcome::kMeetsThreshold:
      return "MEETS_THRESHOLD";
    case Outcome::kNoApplicableRule:
      return "NO_APPLICABLE_RULE";
  }
  return "?";
}

std::optional<Outcome> parse_outcome(std::string_view text) {
  for (Outcome o : {Outcome::kBelowThreshold, Outcome::kInsufficientFacts, Outcome::kMeetsThreshold,
                    Outcome::kNoApplicableRule}) {
    if (text == to_string(o)) {
      return o;
    }
  }
  return std::nullopt;
}

}  // namespace caselink::standards
