#pragma once
// `caselinkctl audit verify <case>`: recomputes a case's hash chain from the topics alone, with
// caselink-sync's own chain function (verify_chain in case_view.h, which calls
// sync::chain_hash_hex) — the check `case show` prints, as a command of its own with an exit
// code for scripts and auditors.

#include <ostream>
#include <string>

#include "services/lib/signing/key_registry.h"
#include "services/tools/ctl/ops.h"

namespace caselink::ctl {

// Also checks every receipt of the case that carries an event digest against the acknowledged
// event on the topics, and, with `registry`, each receipt's own signature (receipts_check.h).
// Exit: kOk chain intact, no receipt mismatched and no receipt signature failed; kChainBroken
// (wins over the rest), kReceiptMismatch (a digest matching no stored copy, or a receipt whose
// signature fails), kNotFound (no record of the case), kBrokerError.
int audit_verify(const std::string& case_id, bool all_partitions, const signing::KeyRegistry* registry,
                 const OpsOptions& options, std::ostream& out, std::ostream& err);

}  // namespace caselink::ctl
