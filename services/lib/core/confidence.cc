#include "services/lib/core/confidence.h"

namespace caselink {

const char* to_string(Confidence confidence) {
  switch (confidence) {
    case Confidence::kUnconfirmed:
      return "unconfirmed";
    case Confidence::kLow:
      return "low";
    case Confidence::kMedium:
      return "medium";
    case Confidence::kHigh:
      return "high";
  }
  return "?";
}

std::optional<Confidence> parse_confidence(std::string_view text) {
  for (Confidence c : {Confidence::kUnconfirmed, Confidence::kLow, Confidence::kMedium, Confidence::kHigh}) {
    if (text == to_string(c)) {
      return c;
    }
  }
  return std::nullopt;
}

}  // namespace caselink
