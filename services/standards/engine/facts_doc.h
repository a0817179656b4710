#pragma once

// docs/facts.md, generated from the fact catalogue (rules/catalogue/facts.yaml) and the rules
// that read each fact (issue 20 #10: integrators must find every fact where they look). The
// test FactsDoc.IsUpToDate fails when docs/facts.md differs from what this renders; regenerate
// with `standards-rules-check --facts-md rules > docs/facts.md`.

#include <string>

#include "services/standards/engine/rule.h"

namespace caselink::standards {

std::string facts_markdown(const RuleSet& rules);

}  // namespace caselink::standards
