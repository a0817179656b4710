#pragma once

// Plain value types of the standards engine. Nothing here knows about protobuf or Kafka: the
// service maps events onto these types (services/daemons/standards/mapping.h) and back.

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "services/lib/core/confidence.h"

namespace caselink::standards {

// A civil date (Beijing calendar day), stored as days since 1970-01-01.
struct Date {
  int32_t days = 0;

  // "YYYY-MM-DD" with a real month and day; nullopt otherwise.
  static std::optional<Date> parse(std::string_view text);
  static Date from_ymd(int year, unsigned month, unsigned day);
  std::string str() const;

  friend auto operator<=>(const Date&, const Date&) = default;
  friend bool operator==(const Date&, const Date&) = default;
};

// The kinds of fact a rule can test. Every fact name has one kind (rules/catalogue/facts.yaml).
enum class FactKind { kNumber, kFlag, kText };
const char* to_string(FactKind kind);

// number (in the catalogue's unit) | flag | text
using FactValue = std::variant<double, bool, std::string>;
using Facts = std::map<std::string, FactValue, std::less<>>;

// Where the case is. Province is a 6-digit administrative division code ("440000"); city a
// 6-digit prefecture code ("440100"). city_tier may be given instead of city (a tier id from
// rules/catalogue/jurisdictions.yaml).
struct Jurisdiction {
  std::string province;
  std::string city;
  std::string city_tier;
};

// An administrative penalty caselink has seen on its own topics (AdministrativePenaltyReported)
// for the same party as the case: what windowed facts are counted from.
struct SeenPenalty {
  std::string decision_number;
  std::string offence;  // offence code of the penalised act
  Date decided;
};

// One case, for one offence, as the engine sees it.
struct CaseFacts {
  std::string offence;                  // offence code, e.g. "pollution"
  Jurisdiction jurisdiction;
  std::optional<Date> act_date;         // when the conduct took place (last act of a continuing one)
  std::optional<Date> filing_date;      // police filing (立案) date, when there is one
  Facts facts;
  // Earlier penalties of the same party(ies) caselink has seen (not the subject itself); a lower
  // bound of the real history (caselink sees only what is reported to it).
  std::vector<SeenPenalty> seen_penalties;
};

// Ordered from most to least lenient for the accused: a more-lenient comparison picks the
// smaller value.
enum class Outcome {
  kBelowThreshold = 0,
  kInsufficientFacts = 1,
  kMeetsThreshold = 2,
  kNoApplicableRule = 3,  // no encoded rule in force for this offence, place and date
};
const char* to_string(Outcome outcome);
std::optional<Outcome> parse_outcome(std::string_view text);

// Confidence (domain.md confidence legend): services/lib/core/confidence.h.

}  // namespace caselink::standards
