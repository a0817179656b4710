#pragma once

// The SDK example programs as functions, so the binaries stay three lines and the tests can
// drive the same code. Read submit_referral.cc, read_feedback.cc and acknowledge_feedback.cc as the
// worked examples of docs/sdk.md.

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "services/lib/sdk/agency_client.h"

namespace CLI {
class App;
}

namespace caselink::sdk::examples {

// Parses an example's command line (help: 0, bad arguments: 2, as config::parse_cli) and then
// checks the two limits every reading example has (--max-records, --idle-timeout-ms >= 0).
// nullopt when the example should run, else its exit code.
std::optional<int> parse_with_limits(CLI::App& app, const std::vector<std::string>& args, std::ostream& out,
                                     std::ostream& err, const int64_t& max_records, const int64_t& idle_timeout_ms);

// caselink-example-submit-referral: the Hangzhou Ecology and Environment Bureau transfers a
// suspected pollution crime (污染环境罪) with its evidence. Exit 0 when every event was
// acknowledged, 1 when publishing failed, 2 on bad arguments.
int submit_referral_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// caselink-example-read-feedback: prints the agency's feedback records, one line each, and
// commits after each batch. Exit 0 after --max-records records or --idle-timeout-ms without
// records, 1 when reading failed, 2 on bad arguments.
int read_feedback_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// caselink-example-acknowledge-feedback: acknowledges the agency's filing and prosecution
// decisions, evidence receipts and threshold assessments exactly once (TypedConsumer on the
// transactional loop; FeedbackAcknowledged on caselink.ack.v1 in the transaction of the input).
// Exit 0 after --max-records acknowledgements, --idle-timeout-ms without one, or SIGINT/SIGTERM;
// 1 when the loop could not run; 2 on bad arguments.
int acknowledge_feedback_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The FeedbackAcknowledged envelope by `agency_id` for one feedback record. Its event id is
// derived from the feedback's event id and the agency (crypto::derived_uuid), so handling the
// same record again gives the same event.
v1::Envelope acknowledgement_for(const v1::Envelope& feedback, const std::string& agency_id,
                                 const std::string& acknowledged_by, TimePoint now);

// Uploads the case's evidence files and builds its two events, in publishing order: the
// EvidenceManifest, then the CaseReferral that names it (materials_manifest_id). One line per
// uploaded blob goes to `log`.
Result<std::vector<v1::Envelope>> build_pollution_referral(AgencyClient& client, const std::string& case_id,
                                                           std::ostream& log);

// One-line human summary of an event's payload: its set enum fields and document numbers,
// e.g. "outcome=FILING_OUTCOME_FILED decision_document_number=...".
std::string summarize(const v1::Envelope& envelope);

}  // namespace caselink::sdk::examples
