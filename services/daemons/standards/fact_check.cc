#include "services/daemons/standards/fact_check.h"

#include <cmath>

namespace caselink::standards {

namespace {

Error invalid(std::string field, std::string message) {
  return Error::invalid(field + ": " + message, field, kInvalidInput);
}

}  // namespace

Result<Facts> to_facts(const google::protobuf::RepeatedPtrField<v1::Fact>& facts, const Catalogue& catalogue) {
  Facts out;
  for (int i = 0; i < facts.size(); ++i) {
    const v1::Fact& f = facts.Get(i);
    const std::string field = "facts[" + std::to_string(i) + "]";
    if (f.name().empty()) {
      return invalid(field + ".name", "must not be empty");
    }
    if (out.count(f.name()) != 0) {
      return invalid(field + ".name", "fact '" + f.name() + "' is given twice");
    }
    FactValue value;
    FactKind kind = FactKind::kNumber;
    switch (f.value_case()) {
      case v1::Fact::kNumber:
        if (!std::isfinite(f.number())) {
          return invalid(field + ".number", "fact '" + f.name() + "' must be a finite number");
        }
        value = f.number();
        break;
      case v1::Fact::kFlag:
        value = f.flag();
        kind = FactKind::kFlag;
        break;
      case v1::Fact::kText:
        value = f.text();
        kind = FactKind::kText;
        break;
      default:
        return invalid(field, "fact '" + f.name() + "' has no value (number, flag or text)");
    }
    const FactSpec* spec = catalogue.fact(f.name());
    if (spec == nullptr) {
      return invalid(field + ".name", "unknown fact '" + f.name() +
                                          "': not in the fact catalogue (rules/catalogue/facts.yaml, docs/facts.md)");
    }
    if (spec->kind != kind) {
      return invalid(field, "fact '" + f.name() + "' must be a " + to_string(spec->kind) + ", got a " +
                                to_string(kind));
    }
    if (kind == FactKind::kNumber && !f.unit().empty() && f.unit() != spec->unit) {
      return invalid(field + ".unit",
                     "fact '" + f.name() + "' is in " + spec->unit + ", got unit '" + f.unit() + "'");
    }
    out.emplace(f.name(), std::move(value));
  }
  return out;
}

}  // namespace caselink::standards
