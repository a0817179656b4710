#pragma once

// The thin layer between the caselink.v1 contracts and the engine's plain types: input events
// (CaseReferral, AdministrativePenaltyReported) -> CaseFacts, and an engine Assessment ->
// StandardsAssessment. Pure; the only place that knows both worlds.

#include <string>

#include "caselink/v1/alert.pb.h"
#include "caselink/v1/referral.pb.h"
#include "caselink/v1/standards.pb.h"
#include "services/lib/core/clock.h"
#include "services/lib/core/result.h"
#include "services/daemons/standards/engine/engine.h"
#include "services/daemons/standards/fact_check.h"

namespace caselink::standards {

// The calendar day of an instant in China Standard Time (UTC+8), as the contracts use.
Date china_date(TimePoint t);

// Proto jurisdiction -> engine jurisdiction. Codes must be 6 digits when given; a city tier
// must be one of the catalogue's and agree with the city's tier.
Result<Jurisdiction> to_jurisdiction(const v1::Jurisdiction& jurisdiction, const Catalogue& catalogue);

// The engine input of a referral or a penalty record (offence, jurisdiction, act date, facts).
Result<CaseFacts> case_facts(const v1::CaseReferral& referral, const Catalogue& catalogue);
Result<CaseFacts> case_facts(const v1::AdministrativePenaltyReported& penalty, const Catalogue& catalogue);

// What the assessment is about.
struct Subject {
  v1::AssessmentSubjectKind kind = v1::ASSESSMENT_SUBJECT_KIND_UNSPECIFIED;
  std::string event_id;
  std::string penalty_decision_number;
  const google::protobuf::RepeatedPtrField<v1::Fact>* facts = nullptr;  // copied into facts_used
  v1::Jurisdiction jurisdiction;
};

v1::AssessmentOutcome to_proto(Outcome outcome);
v1::ThresholdLayer to_proto(Layer layer);

// Engine assessment -> contract. An empty offence code (the agency mapped none) becomes
// INSUFFICIENT_FACTS naming `offence_code`; an offence or date no rule covers becomes
// ASSESSMENT_OUTCOME_UNSPECIFIED with the reason in `summary`.
v1::StandardsAssessment to_proto(const Assessment& assessment, const RuleSet& rules, const CaseFacts& input,
                                 const Subject& subject, const std::string& assessment_id);

// One line for dashboards and logs.
std::string summarize(const Assessment& assessment, const CaseFacts& input);

}  // namespace caselink::standards
