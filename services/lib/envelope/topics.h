#pragma once
// Topic names without the protobuf contracts: a header for settings structs and input lists that
// need a name but not the routing table (routing.h includes it).

#include <string>
#include <string_view>

namespace caselink::envelope {

// Every topic name of docs/topics.md §2 (deploy/topics.yaml creates them), written here and
// nowhere else in service code: services name their defaults and inputs with these.
namespace topics {
inline constexpr const char* kReferral = "caselink.referral.v1";
inline constexpr const char* kDecision = "caselink.decision.v1";
inline constexpr const char* kEvidenceManifest = "caselink.evidence.manifest.v1";
inline constexpr const char* kEvidenceReceipt = "caselink.evidence.receipt.v1";
// The audit log of evidence blob reads (CustodyEvent ACCESSED by caselink-evidence).
inline constexpr const char* kEvidenceAccess = "caselink.evidence.access.v1";
inline constexpr const char* kAdminPenalty = "caselink.admin-penalty.v1";
// caselink-standards' copies of the imposed penalties it remembers (parties, decision, date,
// offence), kept six years and read whole by every instance: the penalty history of windowed facts.
inline constexpr const char* kPenaltyHistory = "caselink.penalty-history.v1";
inline constexpr const char* kStandardsAssessment = "caselink.standards.assessment.v1";
inline constexpr const char* kRecommendation = "caselink.recommendation.v1";
inline constexpr const char* kAck = "caselink.ack.v1";
inline constexpr const char* kCaseState = "caselink.case.state.v1";
inline constexpr const char* kAlert = "caselink.alert.v1";
inline constexpr const char* kDlq = "caselink.dlq.v1";
// Class-case supervision (caselink-classcase): the public record, its repartition step (keyed by
// group) and its compacted changelog (docs/services/classcase.md).
inline constexpr const char* kClassCase = "caselink.classcase.v1";
inline constexpr const char* kClassCaseFacts = "caselink.classcase.facts.v1";
inline constexpr const char* kClassCaseState = "caselink.classcase.state.v1";
// Every dead letter `caselinkctl dlq replay` re-published (docs/topics.md).
inline constexpr const char* kDlqReplay = "caselink.dlq.replay.v1";
inline constexpr const char* kFeedbackLoopState = "caselink.feedback-loop.state.v1";
// The per-agency feedback topics; {agency} stands for the agency id.
inline constexpr const char* kFeedbackTemplate = "caselink.feedback.{agency}.v1";
inline constexpr const char* kAgencyPlaceholder = "{agency}";
// Benchmark traffic of caselink-passthrough (docs/topics.md "caselink.bench.in.v1").
inline constexpr const char* kBenchIn = "caselink.bench.in.v1";
inline constexpr const char* kBenchOut = "caselink.bench.out.v1";
}  // namespace topics

// `text` (a topic name template, an ACL prefix, a description) with every {agency} replaced by
// `agency_id`.
std::string with_agency(std::string_view text, std::string_view agency_id);

// The per-agency feedback topic: `name_template` (deploy/topics.yaml
// feedback_agencies.name_template, caselink-feedback's feedback.topic_template) for `agency_id`.
// The one place a feedback topic name is built.
std::string feedback_topic_for(std::string_view agency_id, std::string_view name_template = topics::kFeedbackTemplate);

}  // namespace caselink::envelope
