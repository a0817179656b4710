#pragma once
// The linkage scenario of the main job, as data: five cases of the Hangzhou (330100) demo
// jurisdiction, each a list of events in the order the parties would send them, with what the
// player must see before it sends the next one. Building the story does no I/O, so a unit test
// can check every event against the v1 contracts and the transition table.
//
// Time is simulated by dating events in the past (occurred_at): statutory deadlines run on event
// time (caselink-sync, docs/services/case-sync.md), so a police decision dated five days after
// the referral is late however fast the scenario runs. Everything else happens within the last
// hours, so no deadline of a timely step can fall due while the player waits between steps.

#include <string>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/core/clock.h"

namespace caselink::scenario {

// How an event reaches Kafka: an agency system that cannot speak Kafka posts to the ingress;
// police, procuratorate and the bigger agencies publish through the adapter SDK.
enum class Via { kSdk, kIngress };

// What the player waits for after publishing a step, before the next step of any case.
enum class WaitFor {
  kApplied,          // a case state snapshot whose last event is this event (caselink-sync applied it)
  kReceipt,          // an evidence receipt for this manifest, then the snapshot that folded it
  kAlert,            // an alert of `alert_kind` about this case (raised by caselink-sync or -standards)
  kRecognized,       // (acknowledge step) the case is recognized at the acknowledged version
};

struct Blob {
  std::string name;   // for the progress line only
  std::string bytes;  // stored by content (SHA-256) before the manifest is published
};

struct Step {
  std::string case_key;   // which story case ("env", "wage", ...)
  std::string narration;  // one line for the progress output
  Via via = Via::kSdk;
  // The event, sealed; its producer_agency_id is the sender. Empty payload for an acknowledge step.
  v1::Envelope event;
  std::vector<Blob> blobs;  // uploaded first (manifests only)
  WaitFor wait = WaitFor::kApplied;
  v1::AlertKind alert_kind = v1::ALERT_KIND_UNSPECIFIED;
  v1::ReceiptStatus expected_receipt = v1::RECEIPT_STATUS_UNSPECIFIED;
  // True for the step where every party required for recognition acknowledges the current state
  // version by its hash (结果互认); the player builds those events from the live snapshot.
  bool acknowledge_current_state = false;
};

struct StoryCase {
  std::string key;
  std::string case_id;
  std::string title;
  // What the case must look like at the end (the smoke test and the player check it).
  v1::CaseState final_state = v1::CASE_STATE_UNSPECIFIED;
  std::vector<v1::AlertKind> expected_alerts;
  bool has_state = true;  // false for the penalty screening case: caselink-sync keeps no state for it
};

struct Story {
  std::string run_id;
  std::vector<StoryCase> cases;
  std::vector<Step> steps;
  const StoryCase* find(const std::string& key) const;
};

// The scenario for one run. `run_id` makes the case ids unique, so a second run needs no
// cleanup (e.g. "20261128-1347"); `now` anchors the simulated dates.
Story build_story(const std::string& run_id, TimePoint now);

// A run id from the wall clock: yyyymmdd-HHMMSS (UTC).
std::string run_id_from(TimePoint now);

}  // namespace caselink::scenario
