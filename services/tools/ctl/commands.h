#pragma once
// caselinkctl's commands as functions over an output stream, so tests can run them in-process.

#include <ostream>
#include <string>

#include "services/tools/ctl/case_history.h"

namespace caselink::ctl {

// Exit codes (also in docs/services/caselinkctl.md).
enum ExitCode : int {
  kOk = 0,
  kNotFound = 1,
  kUsage = 2,
  kBrokerError = 3,
  kChainBroken = 4,
  kAttention = 5,  // ops: topics drift from the spec; a group falling behind
  kFailing = 6,    // ops: a group stalled or stopped
  kNonConformant = 7,  // conformance: at least one check failed
  kReceiptMismatch = 8,  // audit verify: chain intact, but a receipt's digest matches no stored copy or its signature fails
};

// `key_registry`: the key registry file (docs/contracts/signing.md) the events' signatures are
// checked against; empty = signatures are shown but not checked.
int case_show(const std::string& case_id, const ReadOptions& options, bool json, std::ostream& out, std::ostream& err,
              const std::string& key_registry = {});
int case_list(const std::string& state_filter, const ReadOptions& options, std::ostream& out, std::ostream& err);
int dlq_tail(int64_t count, const ReadOptions& options, std::ostream& out, std::ostream& err);

}  // namespace caselink::ctl
