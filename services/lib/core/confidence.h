#pragma once

// How sure the project is of a legal source (docs/domain.md confidence legend), shared by the rule
// files of caselink-standards and caselink-evidence. Ordered from weakest to strongest.

#include <optional>
#include <string_view>

namespace caselink {

enum class Confidence { kUnconfirmed = 0, kLow = 1, kMedium = 2, kHigh = 3 };

// "unconfirmed", "low", "medium", "high": the words of the rule files.
const char* to_string(Confidence confidence);
std::optional<Confidence> parse_confidence(std::string_view text);

}  // namespace caselink
