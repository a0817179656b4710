// A deliberately broken agency adapter for the conformance kit's integration test: it publishes
// well-formed envelopes (the client test suites decode every caselink.* record) with one defect
// each, and never acknowledges its feedback:
//   - the referral keyed by something other than its case id                 -> record.key
//   - a misspelt fact name in the referral                                   -> facts.catalogue
//   - the referral "retried" under a new event id                            -> retry.idempotent
//   - the evidence manifest without its ce_type header                       -> cloudevents.headers
//   - a filing decision, which only the police may send                      -> role.payload
//   - no FeedbackAcknowledged for the kit's filing decision                  -> feedback.acknowledged
// Usage: conformance-broken-adapter BOOTSTRAP AGENCY CASE_ID [TOPIC_PREFIX]. Exit 0 when all were
// delivered. The test runs it on sandbox topics: its records must never reach caselink.* topics.

#include <iostream>

#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/topics.h"
#include "services/lib/kafka/factory.h"
#include "services/lib/kafka/producer.h"

namespace v1 = caselink::v1;
using namespace caselink;

namespace {

v1::Envelope referral(const std::string& agency, const std::string& case_id) {
  const auto now = std::chrono::system_clock::now();
  v1::Envelope e = envelope::make_envelope(CaseId(case_id), AgencyId(agency), now, now);
  auto* r = e.mutable_case_referral();
  r->mutable_referring_agency()->set_organ_id(agency);
  r->mutable_referring_agency()->set_kind(v1::ORGAN_KIND_ADMINISTRATIVE_AGENCY);
  r->mutable_target_police_organ()->set_organ_id("ga-330100");
  r->mutable_target_police_organ()->set_kind(v1::ORGAN_KIND_POLICE);
  r->set_offence_code("pollution_environment");
  v1::Fact* fact = r->add_facts();
  fact->set_name("heavy_metal_multipel");  // misspelt: the catalogue knows heavy_metal_multiple
  fact->set_number(4.2);
  fact->set_unit("multiple");
  envelope::seal(e);
  return e;
}

std::vector<OutgoingRecord> records(const std::string& agency, const std::string& case_id, const std::string& prefix) {
  const auto now = std::chrono::system_clock::now();
  std::vector<OutgoingRecord> out;
  OutgoingRecord first = envelope::to_record(referral(agency, case_id), envelope::topics::kReferral);
  first.key = "not-" + case_id;
  out.push_back(first);
  out.push_back(envelope::to_record(referral(agency, case_id), envelope::topics::kReferral));  // new event id
  v1::Envelope manifest = envelope::make_envelope(CaseId(case_id), AgencyId(agency), now, now);
  manifest.mutable_evidence_manifest()->set_manifest_id(case_id + "-manifest");
  manifest.mutable_evidence_manifest()->set_purpose(v1::MANIFEST_PURPOSE_REFERRAL);
  envelope::seal(manifest);
  OutgoingRecord no_type = envelope::to_record(manifest, envelope::topics::kEvidenceManifest);
  std::erase_if(no_type.headers, [](const Header& h) { return h.first == envelope::kCeType; });
  out.push_back(no_type);
  v1::Envelope decision = envelope::make_envelope(CaseId(case_id), AgencyId(agency), now, now);
  decision.mutable_filing_decision()->set_outcome(v1::FILING_OUTCOME_FILED);
  decision.mutable_filing_decision()->mutable_police_organ()->set_organ_id(agency);
  envelope::seal(decision);
  out.push_back(envelope::to_record(decision, envelope::topics::kDecision));
  for (OutgoingRecord& record : out) record.topic = prefix + record.topic;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    std::cerr << "usage: conformance-broken-adapter BOOTSTRAP AGENCY CASE_ID [TOPIC_PREFIX]\n";
    return 2;
  }
  // Security from the environment (CASELINK_KAFKA_CLIENT_CONFIG_FILE, CASELINK_KAFKA_SASL_*, ...),
  // as every tool's: on the test command's secured broker the test's own credentials.
  auto settings = kafka::settings_from_environment();
  if (!settings.ok()) {
    std::cerr << settings.error().describe() << "\n";
    return 2;
  }
  settings->bootstrap = argv[1];
  auto producer = kafka::make_idempotent_producer(*settings, "conformance-broken-adapter");
  if (!producer.ok()) {
    std::cerr << producer.error().describe() << "\n";
    return 1;
  }
  for (const OutgoingRecord& record : records(argv[2], argv[3], argc == 5 ? argv[4] : "")) {
    auto sent = (*producer)->send(record);
    if (!sent.ok()) {
      std::cerr << "not delivered: " << sent.error().describe() << "\n";
      return 1;
    }
  }
  std::cout << "broken adapter: 4 records delivered, no acknowledgement will follow\n";
  return 0;
}
