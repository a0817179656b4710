#include "services/tools/scenario/player.h"

#include <algorithm>

#include "services/lib/core/clock.h"
#include "services/lib/core/ids.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/sdk/receipts.h"

namespace caselink::scenario {

namespace {

bool has_alert(const WatchedCase& c, v1::AlertKind kind) {
  return std::any_of(c.alerts.begin(), c.alerts.end(), [&](const v1::Alert& a) { return a.kind() == kind; });
}

// caselink-sync refused the event: it dead-letters it and raises TRANSITION_REJECTED naming it.
std::string rejection_of(const WatchedCase& c, const std::string& event_id) {
  for (const auto& a : c.alerts) {
    if (a.kind() == v1::ALERT_KIND_TRANSITION_REJECTED && a.transition_rejected().rejected_event_id() == event_id) {
      return a.transition_rejected().reason().empty() ? a.message() : a.transition_rejected().reason();
    }
  }
  return {};
}

class Progress {
 public:
  explicit Progress(std::ostream* out) : out_(out) {}
  template <typename... Parts>
  void line(const Parts&... parts) {
    if (out_ == nullptr) return;
    ((*out_) << ... << parts) << '\n';
    out_->flush();
  }

 private:
  std::ostream* out_;
};

std::string or_none(const std::string& number) { return number.empty() ? "(none)" : number; }

Error step_error(size_t index, const Step& step, const std::string& what) {
  return Error::unavailable("step " + std::to_string(index + 1) + " (" + step.case_key + ": " + step.narration +
                            "): " + what);
}

Status acknowledge(const Step& step, size_t index, const std::string& case_id, Channel& sdk, CaseWatcher& watcher,
                   const PlayOptions& options, Progress& progress) {
  const WatchedCase now = watcher.snapshot_of(case_id);
  if (!now.latest) return step_error(index, step, "no case state to acknowledge");
  const auto& snapshot = *now.latest;
  int parties = 0;
  for (const auto& party : snapshot.parties()) {
    if (!party.required_for_recognition()) continue;
    auto ack = envelope::make_envelope(CaseId(case_id), AgencyId(party.party_id()), SystemClock().now(),
                                       SystemClock().now());
    *ack.mutable_state_acknowledged() =
        sdk::state_acknowledgement(snapshot, party.party_id(), party.name().empty() ? party.party_id() : party.name());
    envelope::seal(ack);
    auto sent = sdk.publish(ack);
    if (!sent.ok()) return step_error(index, step, sent.error().message);
    progress.line("        ", party.party_id(), " acknowledges version ", snapshot.version(), " hash ",
                  snapshot.state_hash_hex().substr(0, 16), "…, case numbers ",
                  or_none(ack.state_acknowledged().agency_case_number()), " / ",
                  or_none(ack.state_acknowledged().police_case_number()));
    ++parties;
  }
  if (parties == 0) return step_error(index, step, "the snapshot names no party required for recognition");
  const uint64_t version = snapshot.version();
  const bool recognized = watcher.wait(
      case_id, [&](const WatchedCase& c) { return c.latest && c.latest->recognition().recognized_version() >= version; },
      options.step_timeout, [](const WatchedCase& c) { return has_alert(c, v1::ALERT_KIND_DIVERGENCE); });
  if (!recognized) return step_error(index, step, "the case was not recognized at version " + std::to_string(version));
  progress.line("        recognized by all parties at version ", version);
  return {};
}

// Uploads the step's blobs and publishes its event through the channel the step names.
Status publish_step(const Step& step, size_t index, Channel& sdk, Channel& ingress, Progress& progress) {
  Channel& channel = step.via == Via::kIngress ? ingress : sdk;
  const char* via = channel.name();
  for (const auto& blob : step.blobs) {
    auto stored = channel.upload_blob(step.event.producer_agency_id(), blob.bytes);
    if (!stored.ok()) return step_error(index, step, "blob upload: " + stored.error().message);
    progress.line("        blob ", stored.value().substr(0, 16), "… ", blob.name, " (", blob.bytes.size(),
                  " bytes, via ", via, ")");
  }
  auto sent = channel.publish(step.event);
  if (!sent.ok()) return step_error(index, step, sent.error().message);
  progress.line("        ", step.event.producer_agency_id(), " → ", sent.value().topic, "[", sent.value().partition,
                "]@", sent.value().offset, " via ", via);
  return {};
}

// caselink-evidence's receipt for the step's manifest (checked against the expected status),
// then caselink-sync applying that receipt. `answered` is false when either did not come.
Status wait_for_receipt(const Step& step, size_t index, const std::string& case_id, CaseWatcher& watcher,
                        const PlayOptions& options, Progress& progress, bool* answered) {
  const std::string& event_id = step.event.event_id();
  *answered = watcher.wait(
      case_id, [&](const WatchedCase& c) { return c.receipts.count(event_id) > 0; }, options.step_timeout);
  if (!*answered) return {};
  const v1::Envelope receipt = watcher.snapshot_of(case_id).receipts.at(event_id);
  const auto status = receipt.evidence_receipt().status();
  std::string missing;
  for (int m : receipt.evidence_receipt().missing_categories()) {
    missing += " " + v1::MaterialCategory_Name(static_cast<v1::MaterialCategory>(m));
  }
  progress.line("        caselink-evidence: ", v1::ReceiptStatus_Name(status), missing.empty() ? "" : " missing:",
                missing, " merkle ", receipt.evidence_receipt().merkle_root_hex().substr(0, 16), "…");
  if (step.expected_receipt != v1::RECEIPT_STATUS_UNSPECIFIED && status != step.expected_receipt) {
    return step_error(index, step, "expected receipt " + v1::ReceiptStatus_Name(step.expected_receipt) + ", got " +
                                       v1::ReceiptStatus_Name(status));
  }
  const std::string receipt_id = receipt.event_id();
  *answered = watcher.wait(
      case_id, [&](const WatchedCase& c) { return c.applied_event_ids.count(receipt_id) > 0; }, options.step_timeout);
  return {};
}

// Waits for what the step waits for; an error when caselink-sync rejected the event or nothing came.
Status await_answer(const Step& step, size_t index, const std::string& case_id, CaseWatcher& watcher,
                    const PlayOptions& options, Progress& progress) {
  const std::string& event_id = step.event.event_id();
  std::string rejected;
  auto fail_if_rejected = [&](const WatchedCase& c) {
    rejected = rejection_of(c, event_id);
    return !rejected.empty();
  };
  bool answered = false;
  switch (step.wait) {
    case WaitFor::kApplied:
      answered = watcher.wait(
          case_id, [&](const WatchedCase& c) { return c.applied_event_ids.count(event_id) > 0; },
          options.step_timeout, fail_if_rejected);
      break;
    case WaitFor::kReceipt:
      if (auto s = wait_for_receipt(step, index, case_id, watcher, options, progress, &answered); !s.ok()) return s;
      break;
    case WaitFor::kAlert:
      answered = watcher.wait(
          case_id, [&](const WatchedCase& c) { return has_alert(c, step.alert_kind); }, options.step_timeout);
      if (answered) {
        for (const auto& a : watcher.snapshot_of(case_id).alerts) {
          if (a.kind() == step.alert_kind) progress.line("        alert ", v1::AlertKind_Name(a.kind()), ": ", a.message());
        }
      }
      break;
    case WaitFor::kRecognized:
      answered = true;  // only acknowledge steps wait for recognition (handled in play_step)
      break;
  }
  if (!rejected.empty()) return step_error(index, step, "caselink-sync rejected the event: " + rejected);
  if (!answered) {
    return step_error(index, step, "no answer within " + std::to_string(options.step_timeout.count()) +
                                       " ms (are caselink-sync, -evidence and -standards running? see their logs)");
  }
  return {};
}

Status play_step(const Step& step, size_t index, const StoryCase& story_case, Channel& sdk, Channel& ingress,
                 CaseWatcher& watcher, const PlayOptions& options, Progress& progress) {
  const std::string& case_id = story_case.case_id;
  if (step.acknowledge_current_state) {
    return acknowledge(step, index, case_id, sdk, watcher, options, progress);
  }
  const bool publishes = step.event.payload_case() != v1::Envelope::PAYLOAD_NOT_SET;
  if (publishes) {
    if (auto s = publish_step(step, index, sdk, ingress, progress); !s.ok()) return s;
  }
  if (auto s = await_answer(step, index, case_id, watcher, options, progress); !s.ok()) return s;
  if (publishes && story_case.has_state) {
    const auto latest = watcher.snapshot_of(case_id).latest;
    if (latest) {
      progress.line("        state ", v1::CaseState_Name(latest->state()), " v", latest->version());
    }
  }
  return {};
}

// Each case's final state and expected alerts, as the watcher saw them.
std::vector<CaseOutcome> outcomes_of(const Story& story, CaseWatcher& watcher) {
  std::vector<CaseOutcome> outcomes;
  for (const auto& c : story.cases) {
    CaseOutcome out{c.key, c.case_id, c.title, true, {}};
    const WatchedCase seen = watcher.snapshot_of(c.case_id);
    if (c.has_state) {
      if (!seen.latest) {
        out.problems.push_back("no case state snapshot");
      } else if (seen.latest->state() != c.final_state) {
        out.problems.push_back("final state " + v1::CaseState_Name(seen.latest->state()) + ", expected " +
                               v1::CaseState_Name(c.final_state));
      }
    }
    for (auto kind : c.expected_alerts) {
      if (!has_alert(seen, kind)) out.problems.push_back("expected alert " + v1::AlertKind_Name(kind) + " not raised");
    }
    out.ok = out.problems.empty();
    outcomes.push_back(std::move(out));
  }
  return outcomes;
}

}  // namespace

Result<std::vector<CaseOutcome>> play(const Story& story, Channel& sdk, Channel& ingress, CaseWatcher& watcher,
                                      const PlayOptions& options) {
  Progress progress(options.progress);
  const size_t total = story.steps.size();
  for (size_t i = 0; i < total; ++i) {
    const Step& step = story.steps[i];
    const StoryCase* story_case = story.find(step.case_key);
    if (story_case == nullptr) return Error::internal("step names unknown case " + step.case_key);
    progress.line("[scenario ", i + 1, "/", total, "] ", step.case_key, ": ", step.narration);
    if (auto s = play_step(step, i, *story_case, sdk, ingress, watcher, options, progress); !s.ok()) return s.error();
  }
  return outcomes_of(story, watcher);
}

}  // namespace caselink::scenario
