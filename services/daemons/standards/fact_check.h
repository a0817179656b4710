#pragma once

// The fact-catalogue check every entry point shares (issue 20 #10): caselink-standards applies it
// to each referral and penalty record (refused -> DLQ with dlq.error.class
// standards.invalid_input), caselink-ingress to each such event before publishing it (refused ->
// 422 naming the field). One implementation, so the two can never disagree.

#include <google/protobuf/repeated_field.h>

#include "caselink/v1/referral.pb.h"
#include "services/lib/core/result.h"
#include "services/daemons/standards/engine/rule.h"
#include "services/daemons/standards/engine/types.h"

namespace caselink::standards {

// DLQ error class of an input the service refuses (bad date, code, fact name, kind or unit, ...).
inline constexpr const char* kInvalidInput = "standards.invalid_input";

// Proto facts -> engine facts, checked against the catalogue (rules/catalogue/facts.yaml,
// documented in docs/facts.md): every fact has a name the catalogue knows and a value, no name
// twice, the catalogue's kind and (when given) its unit. Errors are kInvalid with `field` =
// "facts[<i>]", "facts[<i>].name" or "facts[<i>].unit" and the message names the fact.
Result<Facts> to_facts(const google::protobuf::RepeatedPtrField<v1::Fact>& facts, const Catalogue& catalogue);

}  // namespace caselink::standards
