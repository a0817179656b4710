#include "services/daemons/standards/engine/facts_doc.h"

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
     Regenerate: build/bin/standards-rules-check --facts-md rules > docs/facts.md
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
items are in each rule. The same table is in the OpenAPI description of the ingress
(docs/api/ingress.openapi.yaml, schema `Fact`, whose `name` lists every fact).

)";


// The table's header and one row per catalogue fact, each line after `indent`.
std::string fact_table(const RuleSet& rules, const std::string& indent) {
  std::map<std::string, std::set<std::string>> readers;  // fact -> offence codes
  for (const Rule& r : rules.rules) {
    for (const auto& f : r.facts) {
      readers[f].insert(r.offence);
    }
  }
  std::string out = indent + "| fact | kind | unit | meaning | read by |\n" + indent + "| --- | --- | --- | --- | --- |\n";
  for (const auto& [name, spec] : rules.catalogue.facts) {
    std::string read_by;
    for (const auto& offence : readers[name]) {
      read_by += (read_by.empty() ? "" : ", ") + offence;
    }
    out += indent + "| `" + name + "` | " + kind_text(spec) + " | " + (spec.unit.empty() ? "—" : spec.unit) + " | " +
           cell(spec.description) + " | " + (read_by.empty() ? "(no rule yet)" : read_by) + " |\n";
  }
  return out;
}

const char* kOpenApiDescription = R"(      description: |
        One fact of case_referral.facts or administrative_penalty_reported.facts (caselink.v1.Fact,
        proto/caselink/v1/referral.proto): a name from the fact catalogue below, exactly one of
        number / flag / text as the catalogue's kind says, and for a number optionally the unit,
        which must then be the catalogue's. Anything else is refused 422 with rule
        facts.catalogue naming the field (e.g. case_referral.facts[0].name); on Kafka the
        consumer dead-letters it (standards.invalid_input). A fact no rule of the case's offence
        reads is accepted and ignored. Generated from rules/catalogue/facts.yaml and the offence
        rules, like docs/facts.md (kinds: number, integer = a count; flag; text = one of the
        values the rule names; procedural = tested only by a rule's requires).

)";

}  // namespace

std::string facts_markdown(const RuleSet& rules) {
  return std::string(kHeader) + fact_table(rules, "");
}

std::string facts_openapi_schema(const RuleSet& rules) {
  std::string names;
  for (const auto& [name, spec] : rules.catalogue.facts) {
    names += (names.empty() ? "" : ", ") + name;
  }
  return std::string("    Fact:\n      type: object\n") + kOpenApiDescription + fact_table(rules, "        ") +
         "      required: [name]\n"
         "      properties:\n"
         "        name:\n"
         "          type: string\n"
         "          description: a fact of the catalogue (the table above)\n"
         "          enum: [" + names + "]\n"
         "        number: {type: number, description: 'finite; for kind number'}\n"
         "        flag: {type: boolean, description: for kind flag}\n"
         "        text: {type: string, description: for kind text}\n"
         "        unit: {type: string, description: \"optional; when given, the catalogue's unit\"}\n"
         "        evidence_item_ids: {type: array, items: {type: string}}\n"
         "      additionalProperties: false\n";
}

std::optional<std::string> splice_facts_openapi(const std::string& openapi, const RuleSet& rules) {
  const std::string begin = std::string(kOpenApiFactsBegin) + "\n";
  const std::string end = std::string(kOpenApiFactsEnd) + "\n";
  const auto b = openapi.find(begin);
  if (b == std::string::npos) return std::nullopt;
  const auto e = openapi.find(end, b + begin.size());
  if (e == std::string::npos) return std::nullopt;
  return openapi.substr(0, b + begin.size()) + facts_openapi_schema(rules) + openapi.substr(e);
}

}  // namespace caselink::standards
