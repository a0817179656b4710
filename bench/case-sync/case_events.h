#pragma once
// The case events caselink-sync's benchmarks feed: forward cases from report to acknowledgement.

#include <cstdint>
#include <string>

#include "services/lib/core/clock.h"
#include "caselink/v1/envelope.pb.h"

namespace caselink::bench {

// Event `step` (0..9) of forward case `c`.
// Step 9 acknowledges version 9 with `ack_hash` (the caller passes the real chain hash, or a
// wrong one for every 10th case: one DIVERGENCE alert each).
v1::Envelope case_event(int64_t c, int step, TimePoint t0, const std::string& ack_hash = "");

}  // namespace caselink::bench
