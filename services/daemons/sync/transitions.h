#pragma once

// caselink-sync's transition table: THE one place that says which event may be applied in
// which case state, and what state follows. Every row names its legal source (domain.md).
// The table itself is in transitions.cc (a constexpr array), so it is reviewed as one piece.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "caselink/v1/case_state.pb.h"
#include "caselink/v1/envelope.pb.h"

namespace caselink::sync {

enum class Scope { kCase, kRecommendation };

// A state value that means "unchanged".
inline constexpr int kStay = -1;

struct Transition {
  Scope scope;
  const char* event_key;  // "FilingDecision.FILED" (payload message + discriminator), see event_key()
  uint32_t from_mask;     // bit i set = allowed from state value i (CaseState or RecommendationStatus)
  int to;                 // target state value, or kStay
  const char* rule_id;
  const char* legal_source;
  // Decision step: a second applied event of the same step (with another event id) is a
  // second, different decision and is refused (nullptr = repeatable).
  const char* decision_step;
  // false: the event is recorded but starts no deadline (a demand read after the referral it
  // asked for: the transfer it demands was made).
  bool opens_deadlines = true;
};

// All rows, in table order.
std::span<const Transition> transition_table();

// Event key of an envelope: payload message name, plus ".<VALUE>" of its discriminating enum
// (outcome, kind, step, status, basis, report context) when it has one. "" when no payload.
std::string event_key(const v1::Envelope& envelope);

// Events caselink-sync reads but deliberately does not fold (no-op, never dead-lettered):
// FeedbackAcknowledged (caselink-feedback's), StandardsAssessment, routine penalty screening.
bool is_ignored(const std::string& key);

// The row for (scope, key) whose from_mask admits `from`; nullptr when none does.
const Transition* find_transition(Scope scope, const std::string& key, int from);
// Any row for (scope, key), regardless of state (to explain a refusal); nullptr when unknown.
const Transition* any_transition(Scope scope, const std::string& key);

}  // namespace caselink::sync
