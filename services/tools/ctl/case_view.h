#pragma once
// What `caselinkctl case show` prints, computed from a CaseHistory: the timeline of events, the
// latest synchronized state, deadlines, alerts, and the re-verification of the hash chain
// (caselink-sync/chain-v1: each version's hash = sha256(previous hash || applied event's record
// value), so anyone holding the topics can check the history without trusting caselink-sync).

#include <optional>
#include <string>
#include <vector>

#include "services/lib/core/clock.h"
#include "services/lib/signing/key_registry.h"
#include "services/tools/ctl/case_history.h"

namespace caselink::ctl {

struct ChainReport {
  bool ok = true;
  size_t versions_present = 0;  // distinct versions found on the state topic
  uint64_t first_version = 0;   // lowest of them (> 1 when compaction removed older ones)
  size_t verified = 0;          // recomputed from the applied event's stored bytes
  size_t unverifiable = 0;      // the applied event is no longer on its topic (retention)
  uint64_t broken_version = 0;  // first version that does not check out (when !ok)
  std::string problem;          // why, in words
};

// Checks every snapshot present (a compacted topic may have dropped older versions): its hash
// against its applied event, its link to the previous version when that version is present, and
// that one version never carries two different hashes.
ChainReport verify_chain(const CaseHistory& history);

// One deadline as the topics tell it. A snapshot carries the case's running deadlines plus those
// closed by the event it applied, so met and missed deadlines are gathered from every snapshot
// still on the state topic (the latest mention of a deadline wins) and from the DEADLINE_OVERDUE
// alerts, which carry a copy of the deadline they are about.
struct DeadlineLine {
  v1::Deadline deadline;
  uint64_t seen_at_version = 0;  // version of the snapshot that last mentioned it (0: alerts only)
  // The due time passed without the step: some snapshot showed it OVERDUE, or an overdue alert
  // named it. It stays missed when the step comes late or the deadline is cancelled afterwards.
  bool missed = false;
  // Last seen running in an older snapshot and absent from the latest: an event closed it, but
  // the snapshot saying how was compacted away.
  bool closed_unknown = false;
};

// Who signed one event and whether the signature verifies (docs/contracts/signing.md).
struct SignatureLine {
  std::string key_id;     // empty: unsigned
  std::string signer;     // the key's party when the registry knows the key, else the producer
  std::string custodian;  // non-empty for a custodial signature
  // "verified", "unsigned", "not checked" (no key registry given) or the refusal reason
  // ("invalid", "revoked", "unknown_key", ...).
  std::string status;
  std::string detail;     // why, for a refusal
};

// `registry` null: signatures are reported but not checked.
SignatureLine check_signature(const v1::Envelope& event, const signing::KeyRegistry* registry);

struct CaseView {
  std::string case_id;
  std::vector<const CaseRecordRef*> timeline;  // events (not snapshots, not alerts), by occurred_at
  std::vector<SignatureLine> signatures;       // one per timeline entry, same order
  std::optional<v1::CaseStateSnapshot> state;  // highest version
  std::vector<DeadlineLine> deadlines;         // running first, then closed; each by due time
  std::vector<const CaseRecordRef*> alerts;    // Alert envelopes, by occurred_at
  ChainReport chain;
};

CaseView build_view(const std::string& case_id, const CaseHistory& history,
                    const signing::KeyRegistry* registry = nullptr);

// One line about an event's payload, for people ("filing decision: NOT_FILED (reason …)").
std::string summarize(const v1::Envelope& event);

// Text for a terminal; `now` for "due in …" / "overdue by …".
std::string render_text(const CaseView& view, TimePoint now);
// JSON (one object) for scripts.
std::string render_json(const CaseView& view);

}  // namespace caselink::ctl
