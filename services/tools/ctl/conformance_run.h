#pragma once
// The conformance kit's driver (issue 17 §4): on the sandbox topics it starts the adapter under
// test (one or more shell commands, placeholders filled in) and/or watches what an adapter run
// elsewhere publishes, plays the other parties (the police's filing decision on the adapter's
// feedback topic, sent once and re-sent with the same event id, as a redelivery would), and
// collects what conformance.h judges. Needs a broker; the checks themselves do not.

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "services/lib/core/result.h"
#include "services/lib/kafka/settings.h"
#include "services/tools/ctl/conformance.h"

namespace caselink::ctl::conformance {

struct RunOptions {
  Profile profile;
  // Shell commands (run by /bin/sh -c, each in its own process group, stdout and stderr to the
  // kit's stderr) with {bootstrap}, {agency}, {case_id} and {topic_prefix} replaced. Empty: watch
  // only (the adapter is run by someone else and told the case id).
  std::vector<std::string> adapter_cmds;
  // How long the whole run may take; commands still running then are sent SIGTERM.
  std::chrono::milliseconds time_bound{std::chrono::minutes(3)};
  // The police organ whose filing decision the kit sends (the referral's target when it names one).
  std::string police_organ = "ga-330100";
  // The feedback topic template (caselink-feedback's feedback.topic_template), before the prefix.
  std::string feedback_template = "caselink.feedback.{agency}.v1";
};

struct RunResult {
  std::vector<Observed> seen;        // the adapter's records of the case, in read order
  std::vector<SentFeedback> sent;    // what the kit sent it
  std::vector<std::string> notes;    // adapter commands' exit statuses, in order
};

// `command` with every placeholder replaced (exposed for tests).
std::string fill_placeholders(std::string command, const Profile& profile, const std::string& bootstrap);

// Runs the scripted case. Errors: the broker did not answer, a topic is missing, a command could
// not be started.
Result<RunResult> run(const kafka::KafkaSettings& settings, const RunOptions& options, std::ostream& log);

}  // namespace caselink::ctl::conformance
