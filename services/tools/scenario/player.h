#pragma once
// Plays a Story: uploads blobs, publishes each event through its channel, and waits for the
// services' answer (snapshot, receipt, alert, recognition) before the next step, printing one
// progress line per step. Waiting is what a real counterpart does (the police react to a
// referral they have seen), and it keeps each case's events in causal order across topics.

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "services/lib/core/result.h"
#include "services/tools/scenario/channels.h"
#include "services/tools/scenario/story.h"
#include "services/tools/scenario/watcher.h"

namespace caselink::scenario {

struct PlayOptions {
  std::chrono::milliseconds step_timeout{60000};
  std::ostream* progress = nullptr;  // nullptr: quiet
};

struct CaseOutcome {
  std::string key;
  std::string case_id;
  std::string title;
  bool ok = true;
  std::vector<std::string> problems;  // expectation not met, in words
};

// Plays every step; stops at the first step whose answer does not come (returned as an error
// naming the step). Then checks every case's final state and alerts against the story.
Result<std::vector<CaseOutcome>> play(const Story& story, Channel& sdk, Channel& ingress, CaseWatcher& watcher,
                                      const PlayOptions& options);

}  // namespace caselink::scenario
