#pragma once

// Synthetic administrative penalty records for the bulk-screening benchmark, with the outcome
// each one must get known in advance.
//
// Every record is drawn from a hand-written case table (generator.cc): an offence with shipped
// rules, a jurisdiction (provinces with their own figures and without), facts, and the outcome
// read off the rule files by hand (MEETS / BELOW / INSUFFICIENT_FACTS). One "lever" fact per
// case is scaled in the direction that cannot change the outcome (up for a case that meets,
// down for one that falls short), so records differ in their figures without leaving their
// class. The engine is never asked what to expect: the expectation is the table's, and the
// benchmark fails when the service disagrees.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/core/clock.h"

namespace caselink::bench {

enum class Expected { kMeets, kBelow, kInsufficientFacts };
const char* to_string(Expected expected);

// What the generator promised for the records it made so far.
struct ExpectedCounts {
  int64_t records = 0;
  int64_t meets = 0;
  int64_t below = 0;
  int64_t insufficient = 0;
  // meets, penalty imposed, never referred: the 以罚代刑 clues the service must raise.
  int64_t clues = 0;
  // meets but already transferred (ever_referred) or no penalty imposed: no clue.
  int64_t meets_without_clue = 0;
};

struct GeneratedRecord {
  v1::Envelope envelope;
  Expected expected = Expected::kBelow;
  bool clue = false;
  size_t case_index = 0;
};

class PenaltyGenerator {
 public:
  // `seed` fixes the sequence; `now` is the assessment day (records are decided in the
  // 30 days before it, acts in the years the case table names).
  PenaltyGenerator(uint64_t seed, TimePoint now);

  GeneratedRecord next();
  const ExpectedCounts& counts() const { return counts_; }

  // The case table, for the pre-flight check: record of case `index` with its lever scaled
  // by `lever_factor` (the extremes of the allowed range are the interesting ones).
  size_t case_count() const;
  std::string case_name(size_t index) const;
  Expected case_expected(size_t index) const;
  // The allowed lever range of case `index` ([low, high] multiplier).
  std::pair<double, double> lever_range(size_t index) const;
  GeneratedRecord make(size_t index, double lever_factor, bool ever_referred, bool imposed, int64_t serial);

 private:
  std::mt19937_64 rng_;
  TimePoint now_;
  std::discrete_distribution<size_t> pick_case_;
  ExpectedCounts counts_;
  int64_t serial_ = 0;
};

}  // namespace caselink::bench
