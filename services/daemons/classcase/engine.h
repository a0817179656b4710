#pragma once

// The class-case engine, pure (no Kafka): two steps, so groups can span cases and partitions.
//
//  1. extract(): an input event (alert, penalty record; keyed by case id) -> the ClassCaseFacts
//     it contributes, one per model it qualifies for, each keyed by its group's id. The handler
//     publishes them to caselink.classcase.facts.v1 in the input's transaction (repartition).
//  2. fold(): one fact -> its group's new state (ClassCaseGroupState, for the compacted
//     changelog) and the events to emit: ClassCaseOpened exactly once per model version, group
//     and window (when the N-th distinct case arrives), ClassCaseMemberJoined for each later
//     case, and the RecommendationIssued the model opens.
//
// Everything emitted carries a derived id (docs/topics.md "Derived ids"), so replaying an input
// yields the same records; a fact whose input event was already counted has no effect.

#include <cstdint>
#include <string>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "services/daemons/classcase/models.h"
#include "services/lib/core/clock.h"
#include "services/lib/organs/registry.h"

namespace caselink::classcase {

inline constexpr const char* kProducerId = "caselink-classcase";

// Derived-id purposes (docs/topics.md).
inline constexpr const char* kClassCaseIdSpace = "caselink-classcase/class-case";
inline constexpr const char* kFactIdSpace = "caselink-classcase/fact";
inline constexpr const char* kStateIdSpace = "caselink-classcase/state";
inline constexpr const char* kOpenedIdSpace = "caselink-classcase/opened";
inline constexpr const char* kJoinedIdSpace = "caselink-classcase/joined";
inline constexpr const char* kRecommendationIdSpace = "caselink-classcase/recommendation";

// The window [start, end] (inclusive dates, China time UTC+08:00) holding `t`.
struct WindowDates {
  std::string start;
  std::string end;
};
WindowDates window_of(Window window, TimePoint t);

// The canonical group key and the group's id (= the class case id it opens).
std::string group_key(const v1::ClassCaseModelRef& model, const v1::ClassCaseGroup& group);
std::string group_id(const std::string& key);

struct Extracted {
  std::vector<v1::Envelope> facts;
  // Events that qualified for a model but lack a field it groups by (counted, not grouped).
  uint32_t ungroupable = 0;
};

class Extractor {
 public:
  // `organs` (may be null): the procuratorate competent for a recommendation's recipient.
  Extractor(const ModelSet& models, const organs::Registry* organs) : models_(models), organs_(organs) {}
  Extracted extract(const v1::Envelope& input, TimePoint now) const;

 private:
  const ModelSet& models_;
  const organs::Registry* organs_;
};

struct Folded {
  bool changed = false;                // the state changed: publish `state`
  v1::Envelope state;                  // ClassCaseGroupState envelope (when changed)
  std::vector<v1::Envelope> events;    // ClassCaseOpened / ClassCaseMemberJoined / RecommendationIssued
};

// Folds the fact envelope `fact` into `state` (empty for a group never seen).
Folded fold(v1::ClassCaseGroupState& state, const v1::Envelope& fact, TimePoint now);

}  // namespace caselink::classcase
