#include "services/daemons/standards/engine/rule.h"

#include <cmath>
#include <cstdio>

namespace caselink::standards {

// Whole numbers without a decimal point, others as %g: how rule texts and reports print figures.
std::string number_text(double v) {
  char buf[32];
  if (std::floor(v) == v && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%g", v);
  }
  return buf;
}

namespace {
struct TierName {
  const char* name;
  int rank;
};
constexpr TierName kTiers[] = {{kEntryTier, 1},
                               {"amount_large", 2},
                               {"circumstances_serious", 2},
                               {"amount_especially_large", 3},
                               {"circumstances_especially_serious", 3}};
}  // namespace

int tier_rank(std::string_view tier) {
  for (const TierName& t : kTiers) {
    if (tier == t.name) {
      return t.rank;
    }
  }
  return 0;
}

std::string tier_names() {
  std::string out;
  for (const TierName& t : kTiers) {
    out += (out.empty() ? "" : " | ") + std::string(t.name);
  }
  return out;
}

const FactSpec* Catalogue::fact(std::string_view name) const {
  auto it = facts.find(name);
  return it == facts.end() ? nullptr : &it->second;
}

std::string Catalogue::tier_of_city(std::string_view city) const {
  for (const auto& [id, tier] : tiers) {
    if (tier.cities.count(std::string(city)) != 0) {
      return id;
    }
  }
  return {};
}

namespace {

// Each comparison, as written, and the comparison that holds exactly when it does not.
struct OpText {
  Condition::Op op;
  const char* text;
  const char* negated;
};
constexpr OpText kOpTexts[] = {{Condition::Op::kGte, ">=", "<"},
                               {Condition::Op::kGt, ">", "<="},
                               {Condition::Op::kLte, "<=", ">"},
                               {Condition::Op::kLt, "<", ">="},
                               {Condition::Op::kEq, "==", "!="}};

const OpText* op_text(Condition::Op op) {
  for (const OpText& t : kOpTexts) {
    if (t.op == op) {
      return &t;
    }
  }
  return nullptr;
}

}  // namespace

const char* to_string(Condition::Op op) {
  const OpText* t = op_text(op);
  return t != nullptr ? t->text : "?";
}

const char* negated_string(Condition::Op op) {
  const OpText* t = op_text(op);
  return t != nullptr ? t->negated : "?";
}

void Condition::collect_facts(std::vector<std::string>* out) const {
  switch (kind) {
    case Kind::kAllOf:
    case Kind::kAnyOf:
      for (const auto& child : children) {
        child.collect_facts(out);
      }
      break;
    case Kind::kSum:
      for (const auto& [name, weight] : terms) {
        out->push_back(name);
      }
      break;
    default:
      out->push_back(fact);
  }
}

std::string Condition::describe() const {
  switch (kind) {
    case Kind::kAllOf:
      return "all_of";
    case Kind::kAnyOf:
      return "any_of";
    case Kind::kCompare:
      if (approach_figure > 0) {
        return fact + " approaching " + number_text(approach_figure) + " (>= " + number_text(approach_share) +
               " of it: " + number_text(value) + ")";
      }
      return fact + " " + to_string(op) + " " + number_text(value) +
             (window_months == 0              ? ""
              : window_months % 12 == 0 ? " within " + std::to_string(window_months / 12) + " years"
                                        : " within " + std::to_string(window_months) + " months");
    case Kind::kRange:
      return fact + " >= [" + number_text(range_low) + ".." + number_text(range_high) + "]";
    case Kind::kFlag:
      return fact + (flag ? " is true" : " is false");
    case Kind::kText: {
      std::string s = fact + " in {";
      for (size_t i = 0; i < texts.size(); ++i) {
        s += (i ? ", " : "") + texts[i];
      }
      return s + "}";
    }
    case Kind::kSum: {
      std::string s;
      for (size_t i = 0; i < terms.size(); ++i) {
        s += (i ? " + " : "") + (terms[i].second == 1 ? "" : number_text(terms[i].second) + "*") + terms[i].first;
      }
      return s + " " + to_string(op) + " " + number_text(value);
    }
  }
  return "?";
}

const char* to_string(Layer layer) {
  switch (layer) {
    case Layer::kStatute:
      return "statute";
    case Layer::kJudicialInterpretation:
      return "judicial_interpretation";
    case Layer::kFilingStandard:
      return "filing_standard";
    case Layer::kProvincial:
      return "provincial";
    case Layer::kCityTier:
      return "city_tier";
  }
  return "?";
}

std::optional<Layer> parse_layer(std::string_view text) {
  for (Layer l : {Layer::kStatute, Layer::kJudicialInterpretation, Layer::kFilingStandard, Layer::kProvincial,
                  Layer::kCityTier}) {
    if (text == to_string(l)) {
      return l;
    }
  }
  return std::nullopt;
}

const char* to_string(Anchor anchor) { return anchor == Anchor::kActDate ? "act_date" : "filing_date"; }

std::string RuleScope::str() const {
  if (province.empty()) {
    return "national";
  }
  return city_tier.empty() ? province : province + "/" + city_tier;
}

const Rule* RuleSet::find(std::string_view id, int64_t version) const {
  auto it = by_id.find(id);
  if (it == by_id.end()) {
    return nullptr;
  }
  for (size_t index : it->second) {
    if (rules[index].version == version) {
      return &rules[index];
    }
  }
  return nullptr;
}

}  // namespace caselink::standards
