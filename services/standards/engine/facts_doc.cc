#include "services/standards/engine/facts_doc.h"

#include <map>
#include <set>

namespace caselink::standards {

namespace {

// One table cell: folded YAML text on one line, pipes escaped.
std::string cell(const std::string& text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
    }
    if (c == '|') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

std::string kind_text(const FactSpec& f) {
  std::string kind = to_string(f.kind);
  if (f.integer) {
    kind += ", integer";
  }
  if (f.procedural) {
    kind += ", procedural";
  }
  return kind;
}

const char* kHeader = R"(# Fact catalogue

<!-- Generated from rules/catalogue/facts.yaml and the offence rules: do not edit by hand.
     Regenerate: build/services/standards/standards-rules-check --facts-md rules > docs/facts.md
     (the unit test FactsDoc.IsUpToDate fails while this file is out of date). -->

Every fact a threshold rule may read. A `CaseReferral` or `AdministrativePenaltyReported` carries
facts as `repeated Fact facts` (`{"name": ..., "number" | "flag" | "text": ..., "unit": ...}`).
A fact whose **name** is not listed here, whose **kind** differs, or whose **unit** (numbers;
optional, but when given it must be the one listed) differs is refused: `422` with rule
`facts.catalogue` naming the field at `POST /v1/events`, and a dead letter with
`dlq.error.class = standards.invalid_input` naming the fact when sent on Kafka. A fact no rule
of the case's offence reads is accepted and ignored.

Kinds: `number` (finite; `integer` = a count, where "just under" is one less), `flag`
(true/false), `text` (one of the values the rule names). `procedural` = a procedural condition
(an order ignored, earlier penalties), which only a rule's `requires` may test. Source: the
offence files and rules whose conditions read the fact (docs/rules.md, rules/*.yaml); the legal
items are in each rule.

| fact | kind | unit | meaning | read by |
| --- | --- | --- | --- | --- |
)";

}  // namespace

std::string facts_markdown(const RuleSet& rules) {
  std::map<std::string, std::set<std::string>> readers;  // fact -> offence codes
  for (const Rule& r : rules.rules) {
    for (const auto& f : r.facts) {
      readers[f].insert(r.offence);
    }
  }
  std::string out = kHeader;
  for (const auto& [name, spec] : rules.catalogue.facts) {
    std::string read_by;
    for (const auto& offence : readers[name]) {
      read_by += (read_by.empty() ? "" : ", ") + offence;
    }
    out += "| `" + name + "` | " + kind_text(spec) + " | " + (spec.unit.empty() ? "—" : spec.unit) + " | " +
           cell(spec.description) + " | " + (read_by.empty() ? "(no rule yet)" : read_by) + " |\n";
  }
  return out;
}

}  // namespace caselink::standards
