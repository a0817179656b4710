#include "services/daemons/standards/mapping.h"

#include <chrono>
#include <cmath>
#include <algorithm>

#include "services/lib/envelope/vocabulary.h"

namespace caselink::standards {

namespace {

Error invalid(std::string field, std::string message) {
  return Error::invalid(field + ": " + message, field, kInvalidInput);
}

bool six_digits(const std::string& s) {
  return s.size() == 6 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<std::optional<Date>> date_field(const std::string& text, const std::string& field) {
  if (text.empty()) {
    return std::optional<Date>();
  }
  auto d = Date::parse(text);
  if (!d) {
    return invalid(field, "'" + text + "' is not a date (YYYY-MM-DD)");
  }
  return std::optional<Date>(*d);
}

template <typename Event>
Result<CaseFacts> common(const Event& event, const Catalogue& catalogue) {
  CaseFacts out;
  out.offence = event.offence_code();
  auto j = to_jurisdiction(event.jurisdiction(), catalogue);
  if (!j.ok()) {
    return j.error();
  }
  out.jurisdiction = std::move(*j);
  auto act = date_field(event.act_date(), "act_date");
  if (!act.ok()) {
    return act.error();
  }
  out.act_date = *act;
  auto facts = to_facts(event.facts(), catalogue);
  if (!facts.ok()) {
    return facts.error();
  }
  out.facts = std::move(*facts);
  return out;
}

v1::RuleRef rule_ref(const RuleCitation& r, Confidence confidence) {
  v1::RuleRef ref;
  ref.set_rule_id(r.id);
  ref.set_rule_version(std::to_string(r.version));
  ref.set_legal_source(r.document + " " + r.article);
  ref.set_confidence(envelope::to_proto(confidence));
  return ref;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& s : items) {
    out += (out.empty() ? "" : sep) + s;
  }
  return out;
}

}  // namespace

Date china_date(TimePoint t) {
  const auto shifted = std::chrono::floor<std::chrono::days>(t + std::chrono::hours(8));
  return Date{static_cast<int32_t>(shifted.time_since_epoch().count())};
}

Result<Jurisdiction> to_jurisdiction(const v1::Jurisdiction& j, const Catalogue& catalogue) {
  Jurisdiction out;
  out.province = j.province_code();
  out.city = j.city_code();
  out.city_tier = j.city_tier();
  if (!out.province.empty() && !six_digits(out.province)) {
    return invalid("jurisdiction.province_code", "'" + out.province + "' is not a 6-digit division code");
  }
  if (!out.city.empty() && !six_digits(out.city)) {
    return invalid("jurisdiction.city_code", "'" + out.city + "' is not a 6-digit division code");
  }
  if (!out.province.empty() && !out.city.empty() && out.city.substr(0, 2) != out.province.substr(0, 2)) {
    return invalid("jurisdiction.city_code", "city " + out.city + " is not in province " + out.province);
  }
  if (!out.city_tier.empty()) {
    auto tier = catalogue.tiers.find(out.city_tier);
    if (tier == catalogue.tiers.end()) {
      return invalid("jurisdiction.city_tier", "unknown city tier '" + out.city_tier + "'");
    }
    if (!out.province.empty() && tier->second.province != out.province) {
      return invalid("jurisdiction.city_tier",
                     "tier '" + out.city_tier + "' belongs to province " + tier->second.province);
    }
    const std::string derived = out.city.empty() ? std::string() : catalogue.tier_of_city(out.city);
    if (!derived.empty() && derived != out.city_tier) {
      return invalid("jurisdiction.city_tier",
                     "tier '" + out.city_tier + "' disagrees with city " + out.city + " (tier '" + derived + "')");
    }
  }
  return out;
}

Result<CaseFacts> case_facts(const v1::CaseReferral& referral, const Catalogue& catalogue) {
  return common(referral, catalogue);
}

Result<CaseFacts> case_facts(const v1::AdministrativePenaltyReported& penalty, const Catalogue& catalogue) {
  return common(penalty, catalogue);
}

v1::AssessmentOutcome to_proto(Outcome outcome) {
  switch (outcome) {
    case Outcome::kMeetsThreshold:
      return v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD;
    case Outcome::kBelowThreshold:
      return v1::ASSESSMENT_OUTCOME_BELOW_THRESHOLD;
    case Outcome::kInsufficientFacts:
      return v1::ASSESSMENT_OUTCOME_INSUFFICIENT_FACTS;
    case Outcome::kNoApplicableRule:
      return v1::ASSESSMENT_OUTCOME_UNSPECIFIED;
  }
  return v1::ASSESSMENT_OUTCOME_UNSPECIFIED;
}

v1::ThresholdLayer to_proto(Layer layer) {
  switch (layer) {
    case Layer::kStatute:
      return v1::THRESHOLD_LAYER_STATUTE;
    case Layer::kJudicialInterpretation:
      return v1::THRESHOLD_LAYER_JUDICIAL_INTERPRETATION;
    case Layer::kFilingStandard:
      return v1::THRESHOLD_LAYER_FILING_STANDARD;
    case Layer::kProvincial:
      return v1::THRESHOLD_LAYER_PROVINCIAL;
    case Layer::kCityTier:
      return v1::THRESHOLD_LAYER_CITY_TIER;
  }
  return v1::THRESHOLD_LAYER_UNSPECIFIED;
}

std::string summarize(const Assessment& a, const CaseFacts& input) {
  if (input.offence.empty()) {
    return "not assessed: the record names no offence_code";
  }
  if (a.conclusions.empty()) {
    return "not assessed: rule set " + a.rule_set_version + " has no rules for offence '" + input.offence + "'";
  }
  std::string s = std::string(to_string(a.outcome)) + " " + input.offence;
  for (const auto& c : a.conclusions) {
    // A higher tier is named once, by tier_reached; its open items do not explain the verdict.
    if (c.outcome != a.outcome || (c.tier != kEntryTier && c.tier != a.tier_reached)) {
      continue;
    }
    if (c.rule) {
      s += " | " + c.rule->id + " v" + std::to_string(c.rule->version) + " (" + c.rule->document + " " +
           c.rule->article + ")";
    } else {
      s += " | " + c.rule_id;
    }
    if (c.outcome == Outcome::kMeetsThreshold && !c.basis.empty()) {
      s += ": " + c.basis.front();
    }
    if (c.outcome == Outcome::kNoApplicableRule) {
      s += ": " + c.explanation;
    }
    // An open verdict still says what the stated facts showed ("hazardous_waste_tonnes not met:
    // 2.5 < 3"), so INSUFFICIENT_FACTS never hides a stated item below its figure.
    if (c.outcome == Outcome::kInsufficientFacts) {
      for (const auto& item : c.items) {
        if (item.result != ItemResult::kUnknown) {
          s += "; " + item.condition + " " + item.text;
        }
      }
    }
  }
  if (!a.tier_reached.empty() && a.tier_reached != kEntryTier) {
    s += " | tier reached: " + a.tier_reached;
  }
  if (!a.missing_facts.empty()) {
    s += " | missing: " + join(a.missing_facts, ", ");
  }
  // Issue 16 §1: a met exit is said, whatever the outcome (a BELOW must not hide that the wages
  // were paid before filing, a MEETS must not hide that the police may decline to file or a court
  // may find no crime).
  for (const auto& exit : a.exits) {
    s += " | discretionary exit: " + exit;
  }
  return s;
}

// The per-item report of one conclusion (issue 20 #9).
void add_items(const Conclusion& c, v1::RuleConclusion* rc) {
  for (const ItemEvaluation& item : c.items) {
    v1::ItemEvaluation* out = rc->add_items();
    out->set_item(item.item);
    out->set_condition(item.condition);
    for (const auto& f : item.facts) {
      out->add_facts(f);
    }
    out->set_result(item.result == ItemResult::kMet      ? v1::ITEM_RESULT_MET
                    : item.result == ItemResult::kNotMet ? v1::ITEM_RESULT_NOT_MET
                                                         : v1::ITEM_RESULT_UNKNOWN);
    out->set_stated_value(item.stated);
    out->set_procedural(item.procedural);
    out->set_could_change_outcome(item.could_change_outcome);
    out->set_text(item.text);
    out->set_fact_source(item.fact_source);
    for (const auto& cited : item.cited_records) {
      out->add_cited_records(cited);
    }
  }
}

v1::StandardsAssessment to_proto(const Assessment& a, const RuleSet& rules, const CaseFacts& input,
                                 const Subject& subject, const std::string& assessment_id) {
  v1::StandardsAssessment out;
  out.set_assessment_id(assessment_id);
  out.set_subject_kind(subject.kind);
  out.set_subject_event_id(subject.event_id);
  out.set_penalty_decision_number(subject.penalty_decision_number);
  out.set_offence_code(input.offence);
  *out.mutable_jurisdiction() = subject.jurisdiction;
  if (out.jurisdiction().city_tier().empty() && !input.jurisdiction.city.empty()) {
    out.mutable_jurisdiction()->set_city_tier(rules.catalogue.tier_of_city(input.jurisdiction.city));
  }
  out.set_rule_set_version(a.rule_set_version);
  out.set_summary(summarize(a, input));
  if (input.offence.empty()) {
    out.set_outcome(v1::ASSESSMENT_OUTCOME_INSUFFICIENT_FACTS);
    out.add_missing_facts("offence_code");
    return out;
  }
  out.set_outcome(to_proto(a.outcome));
  out.set_tier_reached(a.tier_reached);
  for (const auto& m : a.missing_facts) {
    out.add_missing_facts(m);
  }
  const Conclusion* anchor = nullptr;
  for (const Conclusion& c : a.conclusions) {
    if (c.anchor_date && (anchor == nullptr || (c.outcome == a.outcome && anchor->outcome != a.outcome))) {
      anchor = &c;
    }
    if (c.more_lenient_applied && !out.more_lenient_comparison_applied()) {
      out.set_more_lenient_comparison_applied(true);
      out.set_more_lenient_compared_version(std::to_string(c.compared_with->version));
    }
    v1::RuleConclusion* rc = out.add_conclusions();
    rc->set_outcome(to_proto(c.outcome));
    rc->set_tier(c.tier);
    std::string explanation = c.explanation;
    if (c.rule) {
      *rc->mutable_rule() = rule_ref(*c.rule, c.confidence);
      rc->set_rule_jurisdiction(c.rule->jurisdiction);
      rc->set_layer(to_proto(c.rule->layer));
      rc->set_valid_from_date(c.rule->effective_from.str());
      if (c.rule->effective_to) {
        rc->set_valid_until_date(c.rule->effective_to->str());
      }
      if (const Rule* rule = rules.find(c.rule->id, c.rule->version); rule != nullptr && subject.facts != nullptr) {
        for (const v1::Fact& f : *subject.facts) {
          if (std::binary_search(rule->facts.begin(), rule->facts.end(), f.name())) {
            *rc->add_facts_used() = f;
          }
        }
      }
    } else {
      rc->mutable_rule()->set_rule_id(c.rule_id);
    }
    if (c.relies_on_recall) {
      explanation += "; relies on a figure given from recall (needs legal review)";
    }
    if (c.compared_with) {
      explanation += "; compared with " + c.compared_with->id + " v" + std::to_string(c.compared_with->version) +
                     " (" + c.compared_with->document + ")";
    }
    rc->set_matched_clause(join(c.basis, "; "));
    add_items(c, rc);
    for (const auto& m : c.missing_facts) {
      rc->add_missing_facts(m);
    }
    rc->set_explanation(explanation);
  }
  if (anchor != nullptr) {
    out.set_anchor_date(anchor->anchor_date->str());
    out.set_anchor_date_kind(anchor->anchor_kind == Anchor::kActDate ? v1::ANCHOR_DATE_KIND_ACT_DATE
                                                                     : v1::ANCHOR_DATE_KIND_FILING_DATE);
  }
  return out;
}

}  // namespace caselink::standards
