#include "services/standards/engine/rule.h"

#include <cmath>
#include <cstdio>

namespace caselink::standards {

namespace {
std::string number(double v) {
  char buf[32];
  if (std::floor(v) == v && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%g", v);
  }
  return buf;
}
}  // namespace

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

const char* to_string(Condition::Op op) {
  switch (op) {
    case Condition::Op::kGte:
      return ">=";
    case Condition::Op::kGt:
      return ">";
    case Condition::Op::kLte:
      return "<=";
    case Condition::Op::kLt:
      return "<";
    case Condition::Op::kEq:
      return "==";
  }
  return "?";
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
        return fact + " approaching " + number(approach_figure) + " (>= " + number(approach_share) +
               " of it: " + number(value) + ")";
      }
      return fact + " " + to_string(op) + " " + number(value) +
             (window_months == 0              ? ""
              : window_months % 12 == 0 ? " within " + std::to_string(window_months / 12) + " years"
                                        : " within " + std::to_string(window_months) + " months");
    case Kind::kRange:
      return fact + " >= [" + number(range_low) + ".." + number(range_high) + "]";
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
        s += (i ? " + " : "") + (terms[i].second == 1 ? "" : number(terms[i].second) + "*") + terms[i].first;
      }
      return s + " " + to_string(op) + " " + number(value);
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
