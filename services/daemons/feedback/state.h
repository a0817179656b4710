#pragma once

// The per-case state of caselink-feedback: which agency originated the case, whether a filing
// decision is still expected, and every feedback record routed with its acknowledgement status.
// Persisted as one JSON document per case on the compacted changelog topic (key = case id).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "services/lib/core/clock.h"
#include "services/lib/core/result.h"

namespace caselink::feedback {

// One feedback record delivered to an agency.
struct FeedbackEntry {
  std::string source_event_id;    // the decision / receipt / assessment it copies
  std::string source_event_type;  // e.g. "caselink.v1.FilingDecision"
  std::string agency;             // <agency-id> of the topic it went to
  std::string topic;              // caselink.feedback.<agency-id>.v1
  TimePoint due_at{};             // acknowledgement due
  bool acked = false;
  bool alerted = false;           // FEEDBACK_UNACKNOWLEDGED raised

  friend bool operator==(const FeedbackEntry&, const FeedbackEntry&) = default;
};

inline constexpr size_t kMaxAgencyQuestions = 64;

struct CaseState {
  int32_t partition = -1;              // partition number of the case (same on every case topic)
  std::string agency;                  // originating agency; empty while unknown
  std::string referral_event_id;       // latest CaseReferral
  std::string police_party;            // target police organ of the referral (alert addressee)
  std::string procuratorate_party;     // procuratorate named in the referral, if any
  // A filing decision is still awaited: reported by a gauge only; the filing deadline is
  // caselink-sync's (issue 20 #2), feedback raises no alert for it.
  bool filing_expected = false;
  std::string filing_decision_event_id;
  std::map<std::string, FeedbackEntry> feedback;  // by feedback event id
  // Results that arrived before the case's referral (they travel on other topics, so Kafka does
  // not order them): source event id -> encoded envelope. Routed when the referral arrives.
  std::map<std::string, std::string> held;
  // Written consultations (S2 Art 24) the case's agency asked: consultation id -> consulted party,
  // oldest first, at most kMaxAgencyQuestions (older ones are dropped). Only the consulted party's
  // answer to one of them is the agency's feedback.
  std::vector<std::pair<std::string, std::string>> agency_questions;

  friend bool operator==(const CaseState&, const CaseState&) = default;
};

// Changelog value <-> state. The format is versioned ("v": 1).
std::string serialize(const CaseState& state);
Result<CaseState> deserialize(std::string_view json);

}  // namespace caselink::feedback
