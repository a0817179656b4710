#include "services/daemons/standards/engine/loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <tuple>
#include <set>
#include <sstream>

#include "services/lib/crypto/sha256.h"

namespace caselink::standards {

namespace {

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const auto& s : items) {
    out += (out.empty() ? "" : sep) + s;
  }
  return out;
}

// yaml-cpp throws InvalidNode when a missing key (the "zombie" node a const operator[] returns)
// is asked for its type. Every type test goes through these, so a rule file with a key missing
// is refused with a message, never an exception that ends the service (found by fuzzing).
bool is_map(const YAML::Node& n) { return n.IsDefined() && n.IsMap(); }
bool is_list(const YAML::Node& n) { return n.IsDefined() && n.IsSequence(); }
bool is_scalar(const YAML::Node& n) { return n.IsDefined() && n.IsScalar(); }
bool is_null(const YAML::Node& n) { return n.IsDefined() && n.IsNull(); }

std::string show(const YAML::Node& node) {
  if (!node.IsDefined() || is_null(node)) {
    return "nothing";
  }
  if (is_scalar(node)) {
    return "'" + node.Scalar() + "'";
  }
  return is_list(node) ? "a list" : "a map";
}

int line_of(const YAML::Node& node) { return node.IsDefined() ? node.Mark().line + 1 : 0; }

bool is_code(const std::string& s, size_t len) {
  return s.size() == len && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Collects problems; `who` says which rule/fact/example a problem belongs to.
class Problems {
 public:
  void add(const std::string& file, int line, const std::string& who, const std::string& field,
           const std::string& message) {
    std::string s = file;
    if (line > 0) {
      s += ":" + std::to_string(line);
    }
    s += ": ";
    if (!who.empty()) {
      s += who + ": ";
    }
    if (!field.empty()) {
      s += field + ": ";
      if (first_field_.empty()) {
        first_field_ = field;
      }
    }
    lines_.push_back(s + message);
  }
  bool empty() const { return lines_.empty(); }
  size_t size() const { return lines_.size(); }
  Error error() const { return Error::invalid(join(lines_, "\n"), first_field_, "standards.rules_invalid"); }

 private:
  std::vector<std::string> lines_;
  std::string first_field_;
};

// Reading context of one file: problems go to the shared list with file and "who".
struct Ctx {
  Problems& problems;
  std::string file;
  std::string who;

  void error(const YAML::Node& node, const std::string& field, const std::string& message) const {
    problems.add(file, line_of(node), who, field, message);
  }

  // Reports keys of `map` outside `allowed`. Returns false when `map` is not a map.
  bool check_keys(const YAML::Node& map, const std::string& field, const std::vector<std::string>& allowed) const {
    if (!is_map(map)) {
      error(map, field.empty() ? "(top level)" : field, "expected a map, got " + show(map));
      return false;
    }
    for (const auto& kv : map) {
      const std::string key = kv.first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        error(kv.first, field.empty() ? key : field + "." + key,
              "unknown key '" + key + "' (allowed: " + join(allowed) + ")");
      }
    }
    return true;
  }

  bool string(const YAML::Node& node, const std::string& field, std::string* out, bool required = true) const {
    if (!node.IsDefined() || is_null(node)) {
      if (required) {
        error(node, field, "is required");
      }
      return false;
    }
    if (!is_scalar(node)) {
      error(node, field, "expected text, got " + show(node));
      return false;
    }
    *out = node.Scalar();
    if (required && out->empty()) {
      error(node, field, "must not be empty");
      return false;
    }
    return true;
  }

  bool number(const YAML::Node& node, const std::string& field, double* out) const {
    if (!node.IsDefined() || is_null(node)) {
      error(node, field, "is required");
      return false;
    }
    double v = 0;
    if (!is_scalar(node) || !YAML::convert<double>::decode(node, v) || !std::isfinite(v)) {
      error(node, field, "expected a number, got " + show(node));
      return false;
    }
    *out = v;
    return true;
  }

  bool integer(const YAML::Node& node, const std::string& field, int64_t* out) const {
    if (!node.IsDefined() || is_null(node)) {
      error(node, field, "is required");
      return false;
    }
    int64_t v = 0;
    if (!is_scalar(node) || !YAML::convert<int64_t>::decode(node, v)) {
      error(node, field, "expected a whole number, got " + show(node));
      return false;
    }
    *out = v;
    return true;
  }

  bool boolean(const YAML::Node& node, const std::string& field, bool* out) const {
    if (!node.IsDefined() || is_null(node)) {
      return false;
    }
    bool v = false;
    if (!is_scalar(node) || !YAML::convert<bool>::decode(node, v)) {
      error(node, field, "expected true or false, got " + show(node));
      return false;
    }
    *out = v;
    return true;
  }

  bool date(const YAML::Node& node, const std::string& field, Date* out, bool required = true) const {
    if (!node.IsDefined() || is_null(node)) {
      if (required) {
        error(node, field, "is required (YYYY-MM-DD)");
      }
      return false;
    }
    std::optional<Date> d;
    if (is_scalar(node)) {
      d = Date::parse(node.Scalar());
    }
    if (!d) {
      error(node, field, show(node) + " is not a date (YYYY-MM-DD)");
      return false;
    }
    *out = *d;
    return true;
  }

  bool confidence(const YAML::Node& node, const std::string& field, Confidence* out) const {
    std::string text;
    if (!string(node, field, &text)) {
      return false;
    }
    auto c = parse_confidence(text);
    if (!c) {
      error(node, field, "'" + text + "' is not a confidence (high | medium | low | unconfirmed)");
      return false;
    }
    *out = *c;
    return true;
  }
};

// ---------------------------------------------------------------------------------------------
// Catalogues

void parse_facts(const YAML::Node& root, Ctx ctx, Catalogue* cat) {
  if (!ctx.check_keys(root, "", {"facts"})) {
    return;
  }
  const YAML::Node facts = root["facts"];
  if (!is_map(facts) || facts.size() == 0) {
    ctx.error(facts, "facts", "expected a non-empty map of fact name -> {kind, unit, description}");
    return;
  }
  static const std::regex kName("[a-z][a-z0-9_]*");
  for (const auto& kv : facts) {
    FactSpec spec;
    spec.name = kv.first.Scalar();
    Ctx fc{ctx.problems, ctx.file, "fact " + spec.name};
    if (!std::regex_match(spec.name, kName)) {
      fc.error(kv.first, "name", "must be lower_snake_case");
    }
    const YAML::Node n = kv.second;
    if (!fc.check_keys(n, "", {"kind", "unit", "integer", "procedural", "windowed", "description"})) {
      continue;
    }
    std::string kind;
    if (fc.string(n["kind"], "kind", &kind)) {
      if (kind == "number") {
        spec.kind = FactKind::kNumber;
      } else if (kind == "flag") {
        spec.kind = FactKind::kFlag;
      } else if (kind == "text") {
        spec.kind = FactKind::kText;
      } else {
        fc.error(n["kind"], "kind", "'" + kind + "' is not a kind (number | flag | text)");
      }
    }
    if (spec.kind == FactKind::kNumber) {
      fc.string(n["unit"], "unit", &spec.unit);
    } else if (n["unit"].IsDefined()) {
      fc.error(n["unit"], "unit", "only numbers have a unit");
    }
    fc.boolean(n["integer"], "integer", &spec.integer);
    fc.boolean(n["procedural"], "procedural", &spec.procedural);
    if (fc.string(n["windowed"], "windowed", &spec.windowed, false) &&
        (spec.windowed != kWindowedPenaltyCount || spec.kind != FactKind::kNumber || !spec.integer)) {
      fc.error(n["windowed"], "windowed",
               "'" + spec.windowed + "': the only windowed kind is " + kWindowedPenaltyCount + " (an integer number)");
    }
    fc.string(n["description"], "description", &spec.description);
    if (cat->facts.count(spec.name) != 0) {
      fc.error(kv.first, "name", "declared twice");
    }
    cat->facts[spec.name] = spec;
  }
}

void parse_jurisdictions(const YAML::Node& root, Ctx ctx, Catalogue* cat) {
  if (!ctx.check_keys(root, "", {"provinces", "city_tiers"})) {
    return;
  }
  const YAML::Node provinces = root["provinces"];
  if (!is_map(provinces) || provinces.size() == 0) {
    ctx.error(provinces, "provinces", "expected a non-empty map of code -> name");
    return;
  }
  for (const auto& kv : provinces) {
    const std::string code = kv.first.Scalar();
    if (!is_code(code, 6) || code.substr(2) != "0000") {
      ctx.error(kv.first, "provinces." + code, "a province code has 6 digits ending in 0000 (e.g. \"440000\")");
    }
    std::string name;
    ctx.string(kv.second, "provinces." + code, &name);
    cat->provinces[code] = name;
  }
  const YAML::Node tiers = root["city_tiers"];
  if (!tiers.IsDefined()) {
    return;
  }
  if (!is_map(tiers)) {
    ctx.error(tiers, "city_tiers", "expected a map of tier id -> {province, name, source, cities}");
    return;
  }
  std::map<std::string, std::string> city_owner;
  for (const auto& kv : tiers) {
    CityTier tier;
    tier.id = kv.first.Scalar();
    Ctx tc{ctx.problems, ctx.file, "city tier " + tier.id};
    const YAML::Node n = kv.second;
    if (!tc.check_keys(n, "", {"province", "name", "source", "cities"})) {
      continue;
    }
    if (tc.string(n["province"], "province", &tier.province) && cat->provinces.count(tier.province) == 0) {
      tc.error(n["province"], "province", "unknown province '" + tier.province + "' (not in provinces)");
    }
    tc.string(n["name"], "name", &tier.name);
    std::string source;
    tc.string(n["source"], "source", &source);
    const YAML::Node cities = n["cities"];
    if (!is_map(cities) || cities.size() == 0) {
      tc.error(cities, "cities", "expected a non-empty map of city code -> name");
      continue;
    }
    for (const auto& c : cities) {
      const std::string code = c.first.Scalar();
      if (!is_code(code, 6) || code.substr(0, 2) != tier.province.substr(0, 2) || code.substr(4) != "00") {
        tc.error(c.first, "cities." + code,
                 "a city code has 6 digits, ends in 00 and starts with the province's first two digits");
      }
      if (city_owner.count(code) != 0) {
        tc.error(c.first, "cities." + code, "city already in tier " + city_owner[code]);
      }
      city_owner[code] = tier.id;
      tier.cities[code] = is_scalar(c.second) ? c.second.Scalar() : "";
    }
    cat->tiers[tier.id] = tier;
  }
}

// ---------------------------------------------------------------------------------------------
// Conditions

const std::vector<std::string> kLeafKeys = {"fact", "gte", "gt", "lte", "lt", "eq", "gte_range", "approaching", "is",
                                            "equals", "in", "window", "item", "confidence", "recall", "note"};
const std::vector<std::string> kSumKeys = {"sum", "gte", "gt", "lte", "lt", "eq", "item", "confidence", "recall", "note"};
const std::vector<std::pair<const char*, Condition::Op>> kOps = {{"gte", Condition::Op::kGte},
                                                                  {"gt", Condition::Op::kGt},
                                                                  {"lte", Condition::Op::kLte},
                                                                  {"lt", Condition::Op::kLt},
                                                                  {"eq", Condition::Op::kEq}};

struct ConditionParser {
  const Ctx& ctx;
  const Catalogue& cat;
  bool procedural_only = false;  // `requires:` may only read procedural facts

  void common(const YAML::Node& n, const std::string& path, Condition* c) {
    ctx.string(n["item"], path + ".item", &c->item, false);
    ctx.string(n["note"], path + ".note", &c->note, false);
    if (n["confidence"].IsDefined()) {
      Confidence conf{};
      if (ctx.confidence(n["confidence"], path + ".confidence", &conf)) {
        c->confidence = conf;
      }
    }
    ctx.boolean(n["recall"], path + ".recall", &c->recall);
  }

  const FactSpec* fact(const YAML::Node& node, const std::string& field) {
    std::string name;
    if (!ctx.string(node, field, &name)) {
      return nullptr;
    }
    const FactSpec* spec = cat.fact(name);
    if (spec == nullptr) {
      ctx.error(node, field, "unknown fact '" + name + "' (declare it in " + kFactCatalogue + ")");
      return nullptr;
    }
    if (procedural_only && !spec->procedural) {
      ctx.error(node, field, "'" + name + "' is not a procedural fact; `requires` holds procedural conditions only "
                             "(mark it procedural in " + kFactCatalogue + " or move it to `threshold`)");
    }
    return spec;
  }

  std::optional<Condition> parse(const YAML::Node& n, const std::string& path) {
    if (is_list(n)) {  // a bare list means all_of
      return group(n, path, Condition::Kind::kAllOf);
    }
    if (!is_map(n)) {
      ctx.error(n, path, "expected a condition (a map with any_of, all_of, fact or sum), got " + show(n));
      return std::nullopt;
    }
    const bool any = n["any_of"].IsDefined();
    const bool all = n["all_of"].IsDefined();
    const bool has_fact = n["fact"].IsDefined();
    const bool sum = n["sum"].IsDefined();
    const int kinds = int{any} + int{all} + int{has_fact} + int{sum};
    if (kinds != 1) {
      ctx.error(n, path,
                kinds == 0 ? "a condition needs one of any_of, all_of, fact, sum"
                           : "a condition has exactly one of any_of, all_of, fact, sum");
      return std::nullopt;
    }
    if (any || all) {
      ctx.check_keys(n, path, {any ? "any_of" : "all_of", "item", "note"});
      auto c = group(n[any ? "any_of" : "all_of"], path + (any ? ".any_of" : ".all_of"),
                     any ? Condition::Kind::kAnyOf : Condition::Kind::kAllOf);
      if (c) {
        ctx.string(n["item"], path + ".item", &c->item, false);
        ctx.string(n["note"], path + ".note", &c->note, false);
      }
      return c;
    }
    if (sum) {
      return parse_sum(n, path);
    }
    return parse_leaf(n, path);
  }

  std::optional<Condition> group(const YAML::Node& list, const std::string& path, Condition::Kind kind) {
    if (!is_list(list) || list.size() == 0) {
      ctx.error(list, path, "expected a non-empty list of conditions, got " + show(list));
      return std::nullopt;
    }
    Condition c;
    c.kind = kind;
    bool ok = true;
    for (size_t i = 0; i < list.size(); ++i) {
      auto child = parse(list[i], path + "[" + std::to_string(i) + "]");
      if (child) {
        c.children.push_back(std::move(*child));
      } else {
        ok = false;
      }
    }
    return ok ? std::optional<Condition>(std::move(c)) : std::nullopt;
  }

  // Exactly one of the comparison keys in `allowed` must be present.
  std::vector<std::string> comparators(const YAML::Node& n, const std::vector<std::string>& allowed) {
    std::vector<std::string> found;
    for (const auto& k : allowed) {
      if (n[k].IsDefined()) {
        found.push_back(k);
      }
    }
    return found;
  }

  // gte_range: [low, high], low <= high.
  bool parse_range(const YAML::Node& r, const std::string& field, Condition* c) {
    if (!is_list(r) || r.size() != 2) {
      ctx.error(r, field, "expected [low, high], got " + show(r));
      return false;
    }
    c->kind = Condition::Kind::kRange;
    if (!ctx.number(r[0], field + "[0]", &c->range_low) || !ctx.number(r[1], field + "[1]", &c->range_high)) {
      return false;
    }
    if (c->range_low > c->range_high) {
      ctx.error(r, field, "low must not exceed high");
      return false;
    }
    return true;
  }

  // window: {years: N} or {months: N}, required on a windowed fact (it says which past the
  // count covers) and refused elsewhere; a windowed leaf compares with gte (a lower bound).
  bool parse_window(const YAML::Node& w, const std::string& field, const FactSpec& spec, const std::string& op,
                    Condition* c) {
    if (spec.windowed.empty()) {
      if (w.IsDefined()) {
        ctx.error(w, field, "fact '" + spec.name + "' is not windowed (catalogue `windowed:`)");
        return false;
      }
      return true;
    }
    if (!w.IsDefined()) {
      ctx.error(w, field, "fact '" + spec.name + "' is windowed: say over which past it counts ({years: N} or {months: N})");
      return false;
    }
    if (!ctx.check_keys(w, field, {"years", "months"}) || w.size() != 1) {
      ctx.error(w, field, "expected one of {years: N} or {months: N}, got " + show(w));
      return false;
    }
    int64_t n = 0;
    const bool years = w["years"].IsDefined();
    if (!ctx.integer(w[years ? "years" : "months"], field + (years ? ".years" : ".months"), &n)) {
      return false;
    }
    if (n < 1 || n > 600 || op != "gte") {
      ctx.error(w, field, "a window is 1 or more years/months on a 'gte' comparison");
      return false;
    }
    c->window_months = static_cast<int32_t>(years ? n * 12 : n);
    return true;
  }

  // approaching: {figure: 30000, share: 0.8} -> value >= 24000, the figure and share kept for
  // the description. Both are required: "接近" has no figure of its own, so the rule file must
  // state (and mark the confidence of) the share it uses.
  bool parse_approaching(const YAML::Node& v, const std::string& field, Condition* c) {
    if (!ctx.check_keys(v, field, {"figure", "share"})) {
      return false;
    }
    c->kind = Condition::Kind::kCompare;
    c->op = Condition::Op::kGte;
    if (!ctx.number(v["figure"], field + ".figure", &c->approach_figure) ||
        !ctx.number(v["share"], field + ".share", &c->approach_share)) {
      return false;
    }
    if (c->approach_figure <= 0 || c->approach_share <= 0 || c->approach_share >= 1) {
      ctx.error(v, field, "figure must be above 0 and share between 0 and 1 (exclusive)");
      return false;
    }
    c->value = c->approach_figure * c->approach_share;
    return true;
  }

  bool parse_compare(const YAML::Node& v, const std::string& op, const std::string& field, Condition* c) {
    c->kind = Condition::Kind::kCompare;
    for (const auto& [name, o] : kOps) {
      if (op == name) {
        c->op = o;
      }
    }
    return ctx.number(v, field, &c->value);
  }

  bool parse_flag(const YAML::Node& v, const std::string& field, Condition* c) {
    c->kind = Condition::Kind::kFlag;
    if (!ctx.boolean(v, field, &c->flag)) {
      if (is_null(v)) {
        ctx.error(v, field, "expected true or false, got nothing");
      }
      return false;
    }
    return true;
  }

  // equals: one text value; in: a non-empty list of them (a bad item is an error, the rest are kept).
  bool parse_text(const YAML::Node& v, const std::string& op, const std::string& field, Condition* c) {
    c->kind = Condition::Kind::kText;
    if (op == "equals") {
      std::string text;
      if (!ctx.string(v, field, &text)) {
        return false;
      }
      c->texts.push_back(text);
      return true;
    }
    if (!is_list(v) || v.size() == 0) {
      ctx.error(v, field, "expected a non-empty list of text values, got " + show(v));
      return false;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      std::string text;
      if (ctx.string(v[i], field + "[" + std::to_string(i) + "]", &text)) {
        c->texts.push_back(text);
      }
    }
    return true;
  }

  std::optional<Condition> parse_leaf(const YAML::Node& n, const std::string& path) {
    ctx.check_keys(n, path, kLeafKeys);
    Condition c;
    const FactSpec* spec = fact(n["fact"], path + ".fact");
    c.fact = is_scalar(n["fact"]) ? n["fact"].Scalar() : "";
    common(n, path, &c);
    const auto found =
        comparators(n, {"gte", "gt", "lte", "lt", "eq", "gte_range", "approaching", "is", "equals", "in"});
    if (found.size() != 1) {
      ctx.error(n, path,
                found.empty() ? "a fact condition needs one comparison (gte, gt, lte, lt, eq, gte_range, approaching, "
                                "is, equals, in)"
                              : "a fact condition has exactly one comparison, found " + join(found));
      return std::nullopt;
    }
    const std::string& op = found.front();
    const std::string field = path + "." + op;
    if (spec == nullptr) {
      return std::nullopt;
    }
    const bool numeric =
        op == "gte" || op == "gt" || op == "lte" || op == "lt" || op == "eq" || op == "gte_range" || op == "approaching";
    const FactKind wanted = numeric ? FactKind::kNumber : op == "is" ? FactKind::kFlag : FactKind::kText;
    if (spec->kind != wanted) {
      ctx.error(n[op], field,
                "'" + op + "' compares a " + to_string(wanted) + " but fact '" + c.fact + "' is a " +
                    to_string(spec->kind));
      return std::nullopt;
    }
    if (!parse_window(n["window"], path + ".window", *spec, op, &c)) {
      return std::nullopt;
    }
    bool ok = false;
    if (op == "gte_range") {
      ok = parse_range(n[op], field, &c);
    } else if (op == "approaching") {
      ok = parse_approaching(n[op], field, &c);
    } else if (numeric) {
      ok = parse_compare(n[op], op, field, &c);
    } else if (op == "is") {
      ok = parse_flag(n[op], field, &c);
    } else {
      ok = parse_text(n[op], op, field, &c);
    }
    return ok ? std::optional<Condition>(std::move(c)) : std::nullopt;
  }

  std::optional<Condition> parse_sum(const YAML::Node& n, const std::string& path) {
    ctx.check_keys(n, path, kSumKeys);
    Condition c;
    c.kind = Condition::Kind::kSum;
    common(n, path, &c);
    const YAML::Node terms = n["sum"];
    if (!is_list(terms) || terms.size() < 2) {
      ctx.error(terms, path + ".sum", "expected a list of at least two {fact, weight} terms, got " + show(terms));
      return std::nullopt;
    }
    bool ok = true;
    std::string unit;
    for (size_t i = 0; i < terms.size(); ++i) {
      const std::string tp = path + ".sum[" + std::to_string(i) + "]";
      if (!ctx.check_keys(terms[i], tp, {"fact", "weight"})) {
        ok = false;
        continue;
      }
      const FactSpec* spec = fact(terms[i]["fact"], tp + ".fact");
      double weight = 1;
      if (terms[i]["weight"].IsDefined() && !ctx.number(terms[i]["weight"], tp + ".weight", &weight)) {
        ok = false;
      }
      if (spec == nullptr) {
        ok = false;
        continue;
      }
      if (spec->kind != FactKind::kNumber) {
        ctx.error(terms[i]["fact"], tp + ".fact", "fact '" + spec->name + "' is a " + to_string(spec->kind) +
                                                      "; a sum adds numbers");
        ok = false;
        continue;
      }
      if (!unit.empty() && spec->unit != unit) {
        ctx.error(terms[i]["fact"], tp + ".fact",
                  "unit '" + spec->unit + "' differs from the first term's unit '" + unit + "'");
        ok = false;
      }
      unit = spec->unit;
      c.terms.emplace_back(spec->name, weight);
    }
    const auto found = comparators(n, {"gte", "gt", "lte", "lt", "eq"});
    if (found.size() != 1) {
      ctx.error(n, path, "a sum needs exactly one comparison (gte, gt, lte, lt, eq)");
      return std::nullopt;
    }
    for (const auto& [name, o] : kOps) {
      if (found.front() == name) {
        c.op = o;
      }
    }
    if (!ctx.number(n[found.front()], path + "." + found.front(), &c.value)) {
      ok = false;
    }
    return ok ? std::optional<Condition>(std::move(c)) : std::nullopt;
  }
};

// ---------------------------------------------------------------------------------------------
// Offence files

const std::vector<std::string> kTopKeys = {"offence", "title", "statute", "note", "rules", "examples"};
const std::vector<std::string> kRuleKeys = {"id",         "version",    "jurisdiction", "effective_from",
                                            "effective_to", "anchor",   "retroactive_if_more_lenient", "tier", "exit",
                                            "legal_source", "layer",      "confidence", "recall",     "note",
                                            "threshold",  "requires"};
const std::vector<std::string> kExampleKeys = {"name",    "jurisdiction", "act_date", "filing_date", "as_of",
                                               "facts",   "expect",       "expect_rule", "expect_missing", "expect_tier", "expect_exit"};

bool parse_jurisdiction(const YAML::Node& n, const std::string& field, const Ctx& ctx, const Catalogue& cat,
                        bool allow_city, Jurisdiction* out) {
  if (is_scalar(n) && n.Scalar() == "national") {
    return true;
  }
  if (!is_map(n)) {
    ctx.error(n, field, "expected 'national' or a map {province" + std::string(allow_city ? ", city" : "") +
                            ", city_tier}, got " + show(n));
    return false;
  }
  std::vector<std::string> keys = {"province", "city_tier"};
  if (allow_city) {
    keys.push_back("city");
  }
  ctx.check_keys(n, field, keys);
  bool ok = ctx.string(n["province"], field + ".province", &out->province);
  if (ok && cat.provinces.count(out->province) == 0) {
    ctx.error(n["province"], field + ".province",
              "unknown province '" + out->province + "' (codes are listed in " + kJurisdictionCatalogue + ")");
    ok = false;
  }
  if (n["city_tier"].IsDefined() && ctx.string(n["city_tier"], field + ".city_tier", &out->city_tier)) {
    auto tier = cat.tiers.find(out->city_tier);
    if (tier == cat.tiers.end()) {
      ctx.error(n["city_tier"], field + ".city_tier",
                "unknown city tier '" + out->city_tier + "' (declare it in " + kJurisdictionCatalogue + ")");
      ok = false;
    } else if (tier->second.province != out->province) {
      ctx.error(n["city_tier"], field + ".city_tier",
                "tier '" + out->city_tier + "' belongs to province " + tier->second.province + ", not " +
                    out->province);
      ok = false;
    }
  }
  if (allow_city && n["city"].IsDefined()) {
    ctx.string(n["city"], field + ".city", &out->city);
  }
  return ok;
}

// Names the rule in every message as soon as its id and version are known.
std::string rule_label(const YAML::Node& n, const RuleSet& set) {
  std::string who = "rule";
  if (is_map(n) && is_scalar(n["id"])) {
    who += " " + n["id"].Scalar();
    if (is_scalar(n["version"])) {
      who += " v" + n["version"].Scalar();
    }
  } else {
    who += " #" + std::to_string(set.rules.size() + 1);
  }
  return who;
}

void parse_rule_identity(const YAML::Node& n, const Ctx& ctx, const std::string& offence, Rule* r) {
  static const std::regex kId("[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+");
  if (ctx.string(n["id"], "id", &r->id)) {
    if (!std::regex_match(r->id, kId)) {
      ctx.error(n["id"], "id", "'" + r->id + "' must look like <offence>.<name> (lowercase, dots, underscores)");
    } else if (r->id.rfind(offence + ".", 0) != 0) {
      ctx.error(n["id"], "id", "must start with the offence code '" + offence + ".'");
    }
  }
  if (ctx.integer(n["version"], "version", &r->version) && r->version < 1) {
    ctx.error(n["version"], "version", "must be 1 or more");
  }
}

// effective_from / effective_to, the anchor date that selects the version, and retroactivity.
void parse_rule_validity(const YAML::Node& n, const Ctx& ctx, Rule* r) {
  const bool from_ok = ctx.date(n["effective_from"], "effective_from", &r->effective_from);
  if (n["effective_to"].IsDefined() && !is_null(n["effective_to"])) {
    Date to;
    if (ctx.date(n["effective_to"], "effective_to", &to)) {
      r->effective_to = to;
      if (from_ok && to < r->effective_from) {
        ctx.error(n["effective_to"], "effective_to", to.str() + " is before effective_from " + r->effective_from.str());
      }
    }
  }
  if (n["anchor"].IsDefined()) {
    std::string anchor;
    if (ctx.string(n["anchor"], "anchor", &anchor)) {
      if (anchor == "act_date") {
        r->anchor = Anchor::kActDate;
      } else if (anchor == "filing_date") {
        r->anchor = Anchor::kFilingDate;
      } else {
        ctx.error(n["anchor"], "anchor", "'" + anchor + "' is not an anchor (act_date | filing_date)");
      }
    }
  }
  ctx.boolean(n["retroactive_if_more_lenient"], "retroactive_if_more_lenient", &r->retroactive_if_more_lenient);
  if (n["tier"].IsDefined() && ctx.string(n["tier"], "tier", &r->tier) && tier_rank(r->tier) == 0) {
    ctx.error(n["tier"], "tier", "'" + r->tier + "' is not a tier (" + tier_names() + ")");
  }
  if (n["exit"].IsDefined() && ctx.string(n["exit"], "exit", &r->exit)) {
    if (!is_exit_kind(r->exit)) {
      ctx.error(n["exit"], "exit", "'" + r->exit + "' is not an exit (" + exit_kinds() + ")");
    } else if (n["tier"].IsDefined()) {
      ctx.error(n["tier"], "tier", "an exit has no penalty tier");
    }
    // An exit is judged by the version in force at its anchor only: "more lenient" has no
    // meaning for a permission to decline filing.
    r->retroactive_if_more_lenient = false;
  }
}

// The layer follows from the scope unless the rule names one.
void parse_rule_layer(const YAML::Node& n, const Ctx& ctx, Rule* r) {
  r->layer = !r->scope.city_tier.empty()  ? Layer::kCityTier
             : !r->scope.province.empty() ? Layer::kProvincial
                                          : Layer::kJudicialInterpretation;
  if (!n["layer"].IsDefined()) {
    return;
  }
  std::string layer;
  if (ctx.string(n["layer"], "layer", &layer)) {
    if (auto l = parse_layer(layer)) {
      r->layer = *l;
    } else {
      ctx.error(n["layer"], "layer",
                "'" + layer + "' is not a layer (statute | judicial_interpretation | filing_standard | provincial | "
                              "city_tier)");
    }
  }
}

// legal_source, confidence, recall, note.
void parse_rule_provenance(const YAML::Node& n, const Ctx& ctx, Rule* r) {
  const YAML::Node src = n["legal_source"];
  if (!src.IsDefined()) {
    ctx.error(n, "legal_source", "is required ({document, article})");
  } else if (ctx.check_keys(src, "legal_source", {"document", "article"})) {
    ctx.string(src["document"], "legal_source.document", &r->source.document);
    ctx.string(src["article"], "legal_source.article", &r->source.article);
  }
  if (!n["confidence"].IsDefined()) {
    ctx.error(n, "confidence", "is required (high | medium | low | unconfirmed)");
  } else {
    ctx.confidence(n["confidence"], "confidence", &r->confidence);
  }
  ctx.boolean(n["recall"], "recall", &r->recall);
  ctx.string(n["note"], "note", &r->note, false);
}

// threshold (required) and requires (procedural conditions, optional).
void parse_rule_conditions(const YAML::Node& n, const Ctx& ctx, const Catalogue& cat, Rule* r) {
  if (!n["threshold"].IsDefined()) {
    ctx.error(n, "threshold", "is required (a condition)");
  } else {
    ConditionParser p{ctx, cat, false};
    if (auto c = p.parse(n["threshold"], "threshold")) {
      r->threshold = std::move(*c);
    }
  }
  if (n["requires"].IsDefined()) {
    ConditionParser p{ctx, cat, true};
    if (auto c = p.parse(n["requires"], "requires")) {
      r->procedural = std::move(*c);
    }
  }
}

void parse_rule(const YAML::Node& n, const std::string& file, const std::string& offence, Problems& problems,
                const Catalogue& cat, RuleSet* set) {
  Rule r;
  r.offence = offence;
  r.file = file;
  r.line = line_of(n);
  Ctx ctx{problems, file, rule_label(n, *set)};
  const size_t before = problems.size();
  if (!ctx.check_keys(n, "", kRuleKeys)) {
    return;
  }
  parse_rule_identity(n, ctx, offence, &r);
  Jurisdiction j;
  if (!n["jurisdiction"].IsDefined()) {
    ctx.error(n, "jurisdiction", "is required ('national' or {province, city_tier})");
  } else if (parse_jurisdiction(n["jurisdiction"], "jurisdiction", ctx, cat, false, &j)) {
    r.scope = RuleScope{j.province, j.city_tier};
  }
  parse_rule_validity(n, ctx, &r);
  parse_rule_layer(n, ctx, &r);
  parse_rule_provenance(n, ctx, &r);
  parse_rule_conditions(n, ctx, cat, &r);
  if (problems.size() == before) {
    set->rules.push_back(std::move(r));
  }
}

// One fact value of an example, read as the kind the catalogue declares for it.
void parse_example_fact(const YAML::Node& key, const YAML::Node& value, const Ctx& ctx, const Catalogue& cat,
                        Facts* facts) {
  const std::string name = key.Scalar();
  const std::string field = "facts." + name;
  const FactSpec* spec = cat.fact(name);
  if (spec == nullptr) {
    ctx.error(key, field, "unknown fact '" + name + "' (declare it in " + kFactCatalogue + ")");
    return;
  }
  if (spec->kind == FactKind::kNumber) {
    double v = 0;
    if (ctx.number(value, field, &v)) {
      (*facts)[name] = v;
    }
  } else if (spec->kind == FactKind::kFlag) {
    bool v = false;
    if (ctx.boolean(value, field, &v)) {
      (*facts)[name] = v;
    } else if (is_null(value)) {
      ctx.error(value, field, "expected true or false, got nothing");
    }
  } else {
    std::string v;
    if (ctx.string(value, field, &v)) {
      (*facts)[name] = v;
    }
  }
}

void parse_example_dates(const YAML::Node& n, const Ctx& ctx, RuleExample* ex) {
  Date d;
  if (n["act_date"].IsDefined() && ctx.date(n["act_date"], "act_date", &d)) {
    ex->input.act_date = d;
  }
  if (n["filing_date"].IsDefined() && ctx.date(n["filing_date"], "filing_date", &d)) {
    ex->input.filing_date = d;
  }
  if (n["as_of"].IsDefined() && ctx.date(n["as_of"], "as_of", &d)) {
    ex->as_of = d;
  }
  if (!ex->input.act_date && !ex->input.filing_date && !ex->as_of) {
    ctx.error(n, "as_of", "an example without act_date or filing_date needs as_of");
  }
}

// expect (an outcome), expect_rule, expect_missing (fact names).
void parse_example_expectations(const YAML::Node& n, const Ctx& ctx, RuleExample* ex) {
  std::string expect;
  if (ctx.string(n["expect"], "expect", &expect)) {
    auto o = parse_outcome(expect);
    if (!o) {
      ctx.error(n["expect"], "expect",
                "'" + expect + "' is not an outcome (MEETS_THRESHOLD | BELOW_THRESHOLD | INSUFFICIENT_FACTS | "
                               "NO_APPLICABLE_RULE)");
    } else {
      ex->expect_outcome = *o;
    }
  }
  ctx.string(n["expect_rule"], "expect_rule", &ex->expect_rule, false);
  if (n["expect_tier"].IsDefined()) {
    std::string tier;
    if (ctx.string(n["expect_tier"], "expect_tier", &tier, false)) {
      if (!tier.empty() && tier_rank(tier) == 0) {
        ctx.error(n["expect_tier"], "expect_tier", "'" + tier + "' is not a tier (" + tier_names() + ", or \"\")");
      }
      ex->expect_tier = tier;
    }
  }
  if (n["expect_exit"].IsDefined()) {
    std::string exit;
    if (ctx.string(n["expect_exit"], "expect_exit", &exit, false)) {
      ex->expect_exit = exit;
    }
  }
  if (!n["expect_missing"].IsDefined()) {
    return;
  }
  const YAML::Node list = n["expect_missing"];
  if (!is_list(list)) {
    ctx.error(list, "expect_missing", "expected a list of fact names, got " + show(list));
    return;
  }
  ex->expect_missing.emplace();
  for (size_t i = 0; i < list.size(); ++i) {
    std::string v;
    if (ctx.string(list[i], "expect_missing[" + std::to_string(i) + "]", &v)) {
      ex->expect_missing->push_back(v);
    }
  }
}

void parse_example(const YAML::Node& n, const std::string& file, const std::string& offence, Problems& problems,
                   const Catalogue& cat, RuleSet* set) {
  RuleExample ex;
  ex.file = file;
  ex.line = line_of(n);
  ex.input.offence = offence;
  std::string who = "example";
  if (is_map(n) && is_scalar(n["name"])) {
    who += " '" + n["name"].Scalar() + "'";
  }
  Ctx ctx{problems, file, who};
  const size_t before = problems.size();
  if (!ctx.check_keys(n, "", kExampleKeys)) {
    return;
  }
  ctx.string(n["name"], "name", &ex.name);
  if (n["jurisdiction"].IsDefined()) {
    parse_jurisdiction(n["jurisdiction"], "jurisdiction", ctx, cat, true, &ex.input.jurisdiction);
  }
  parse_example_dates(n, ctx, &ex);
  const YAML::Node facts = n["facts"];
  if (facts.IsDefined() && !is_null(facts)) {
    if (!is_map(facts)) {
      ctx.error(facts, "facts", "expected a map of fact name -> value, got " + show(facts));
    } else {
      for (const auto& kv : facts) {
        parse_example_fact(kv.first, kv.second, ctx, cat, &ex.input.facts);
      }
    }
  }
  parse_example_expectations(n, ctx, &ex);
  if (problems.size() == before) {
    set->examples.push_back(std::move(ex));
  }
}

void parse_offence(const YAML::Node& root, const std::string& file, Problems& problems, const Catalogue& cat,
                   RuleSet* set) {
  Ctx ctx{problems, file, ""};
  if (!ctx.check_keys(root, "", kTopKeys)) {
    return;
  }
  Offence off;
  off.file = file;
  const std::string stem = std::filesystem::path(file).stem().string();
  if (ctx.string(root["offence"], "offence", &off.code) && off.code != stem) {
    ctx.error(root["offence"], "offence", "'" + off.code + "' must equal the file name '" + stem + "'");
  }
  ctx.string(root["title"], "title", &off.title);
  ctx.string(root["statute"], "statute", &off.statute);
  if (off.code.empty()) {
    return;
  }
  if (set->offences.count(off.code) != 0) {
    ctx.error(root["offence"], "offence", "offence '" + off.code + "' already defined in " +
                                              set->offences[off.code].file);
    return;
  }
  const YAML::Node rules = root["rules"];
  if (!is_list(rules) || rules.size() == 0) {
    ctx.error(rules, "rules", "expected a non-empty list of rules, got " + show(rules));
  } else {
    for (const auto& r : rules) {
      parse_rule(r, file, off.code, problems, cat, set);
    }
  }
  const YAML::Node examples = root["examples"];
  if (examples.IsDefined() && !is_null(examples)) {
    if (!is_list(examples)) {
      ctx.error(examples, "examples", "expected a list of examples, got " + show(examples));
    } else {
      for (const auto& e : examples) {
        parse_example(e, file, off.code, problems, cat, set);
      }
    }
  }
  set->offences[off.code] = off;
}

// Cross-rule checks: unique (id, version), one offence per id, no overlapping validity of one
// id within one jurisdiction.
void check_rule_table(RuleSet* set, Problems& problems) {
  std::map<std::pair<std::string, int64_t>, const Rule*> versions;
  std::map<std::string, std::string> id_offence;
  for (const Rule& r : set->rules) {
    const std::string who = "rule " + r.ref();
    auto [it, fresh] = versions.emplace(std::make_pair(r.id, r.version), &r);
    if (!fresh) {
      problems.add(r.file, r.line, who, "version",
                   "duplicate: " + r.ref() + " is already defined at " + it->second->file + ":" +
                       std::to_string(it->second->line) + " (a version names exactly one entry)");
    }
    auto [oit, ofresh] = id_offence.emplace(r.id, r.offence);
    if (!ofresh && oit->second != r.offence) {
      problems.add(r.file, r.line, who, "id", "id already used by offence " + oit->second);
    }
  }
  // One chain per (id, tier, jurisdiction): each penalty tier has its own versions.
  std::map<std::tuple<std::string, std::string, RuleScope>, std::vector<const Rule*>> chains;
  std::map<std::string, bool> has_entry;
  std::map<std::string, const Rule*> first_of_id;
  for (const Rule& r : set->rules) {
    chains[{r.id, r.tier, r.scope}].push_back(&r);
    has_entry[r.id] = has_entry[r.id] || r.tier == kEntryTier;
    auto [first, fresh] = first_of_id.emplace(r.id, &r);
    if (!fresh && first->second->exit.empty() != r.exit.empty()) {
      problems.add(r.file, r.line, "rule " + r.ref(), "exit",
                   "lineage " + r.id + " mixes exit and threshold entries (" + first->second->ref() +
                       (first->second->exit.empty() ? " is a threshold)" : " is an exit)"));
    }
  }
  for (const Rule& r : set->rules) {
    if (!has_entry[r.id]) {
      problems.add(r.file, r.line, "rule " + r.ref(), "tier",
                   "lineage " + r.id + " has no entry-tier version; a higher tier refines an entry threshold");
      has_entry[r.id] = true;  // once per lineage
    }
  }
  for (auto& [key, chain] : chains) {
    std::sort(chain.begin(), chain.end(),
              [](const Rule* a, const Rule* b) { return a->effective_from < b->effective_from; });
    for (size_t i = 1; i < chain.size(); ++i) {
      const Rule* prev = chain[i - 1];
      const Rule* next = chain[i];
      if (!prev->effective_to || *prev->effective_to >= next->effective_from) {
        problems.add(next->file, next->line, "rule " + next->ref(), "effective_from",
                     "validity " + next->effective_from.str() + ".." +
                         (next->effective_to ? next->effective_to->str() : std::string("open")) + " overlaps " +
                         prev->ref() + " (" + std::get<2>(key).str() + ", " + prev->effective_from.str() + ".." +
                         (prev->effective_to ? prev->effective_to->str() : std::string("open")) + ", " + prev->file +
                         ":" + std::to_string(prev->line) + "); one rule id has one version in force per jurisdiction");
      }
    }
  }
}

std::optional<YAML::Node> parse_yaml(const RuleFile& f, Problems& problems) {
  try {
    YAML::Node root = YAML::Load(f.text);
    if (!root.IsDefined() || is_null(root)) {
      problems.add(f.path, 0, "", "", "file is empty");
      return std::nullopt;
    }
    return root;
  } catch (const YAML::Exception& e) {
    problems.add(f.path, e.mark.line + 1, "", "", "YAML syntax error: " + e.msg);
    return std::nullopt;
  }
}

}  // namespace

namespace {

// The fact and jurisdiction catalogues, which every offence file is checked against.
void parse_catalogues(const std::vector<RuleFile>& files, Problems& problems, RuleSet* set) {
  auto find = [&](const std::string& path) -> const RuleFile* {
    for (const auto& f : files) {
      if (f.path == path) {
        return &f;
      }
    }
    return nullptr;
  };
  for (const char* path : {kFactCatalogue, kJurisdictionCatalogue}) {
    const RuleFile* f = find(path);
    if (f == nullptr) {
      problems.add(path, 0, "", "", "catalogue file is missing");
      continue;
    }
    auto root = parse_yaml(*f, problems);
    if (!root) {
      continue;
    }
    Ctx ctx{problems, f->path, ""};
    if (std::string(path) == kFactCatalogue) {
      parse_facts(*root, ctx, &set->catalogue);
    } else {
      parse_jurisdictions(*root, ctx, &set->catalogue);
    }
  }
}

// Every file outside catalogue/ is an offence file; there must be at least one.
void parse_offence_files(const std::vector<RuleFile>& files, Problems& problems, RuleSet* set) {
  size_t offence_files = 0;
  for (const auto& f : files) {
    if (f.path.rfind("catalogue/", 0) == 0) {
      if (f.path != kFactCatalogue && f.path != kJurisdictionCatalogue) {
        problems.add(f.path, 0, "", "", std::string("unknown catalogue file (expected ") + kFactCatalogue + " or " +
                                            kJurisdictionCatalogue + ")");
      }
      continue;
    }
    ++offence_files;
    auto root = parse_yaml(f, problems);
    if (root) {
      parse_offence(*root, f.path, problems, set->catalogue, set);
    }
  }
  if (offence_files == 0) {
    problems.add("(rule directory)", 0, "", "", "no offence files (*.yaml) found");
  }
}

// Each rule's fact names; lineages by id (in (scope, effective_from) order) and per offence.
void index_rules(RuleSet* set) {
  for (Rule& r : set->rules) {
    r.threshold.collect_facts(&r.facts);
    if (r.procedural) {
      r.procedural->collect_facts(&r.facts);
    }
    std::sort(r.facts.begin(), r.facts.end());
    r.facts.erase(std::unique(r.facts.begin(), r.facts.end()), r.facts.end());
  }
  for (size_t i = 0; i < set->rules.size(); ++i) {
    auto& lineage = set->by_id[set->rules[i].id];
    if (lineage.empty()) {
      set->offences[set->rules[i].offence].lineages.push_back(set->rules[i].id);
    }
    lineage.push_back(i);
  }
  for (auto& [id, lineage] : set->by_id) {
    std::sort(lineage.begin(), lineage.end(), [&](size_t a, size_t b) {
      const Rule& ra = set->rules[a];
      const Rule& rb = set->rules[b];
      return std::tie(ra.scope, ra.effective_from) < std::tie(rb.scope, rb.effective_from);
    });
  }
}

}  // namespace

Result<RuleSet> parse_rule_set(const std::vector<RuleFile>& input) {
  std::vector<RuleFile> files = input;
  std::sort(files.begin(), files.end(), [](const RuleFile& a, const RuleFile& b) { return a.path < b.path; });
  Problems problems;
  RuleSet set;
  std::string hash_input;
  for (const auto& f : files) {
    set.files.push_back(f.path);
    hash_input += f.path + '\0' + std::to_string(f.text.size()) + '\0' + f.text;
  }
  set.version = "sha256:" + crypto::sha256_hex(hash_input).substr(0, 16);

  try {
    parse_catalogues(files, problems, &set);
    if (!problems.empty()) {
      return problems.error();  // offence files cannot be checked without the catalogues
    }
    parse_offence_files(files, problems, &set);
    check_rule_table(&set, problems);
  } catch (const YAML::Exception& e) {
    // Rule files are outside input: a shape the checks above missed is refused, never thrown
    // out of the loader (it would end caselink-standards on a hot reload).
    problems.add("(rule set)", e.mark.line + 1, "", "", "unexpected YAML structure: " + e.msg);
  }
  if (!problems.empty()) {
    return problems.error();
  }
  index_rules(&set);
  return set;
}

Result<RuleSet> load_rule_set(const std::string& dir) { return load_rule_set(dir, RuleSetLimits{}); }

namespace {

// Bytes of the files load_rule_set reads from `dir` (what the YAML parser will hold).
uint64_t rule_text_bytes(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  uint64_t total = 0;
  std::error_code ec;
  for (const fs::path& d : {dir, dir / "catalogue"}) {
    for (const auto& entry : fs::directory_iterator(d, ec)) {
      std::error_code size_ec;
      if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
        const uintmax_t size = entry.file_size(size_ec);
        total += size_ec ? 0 : static_cast<uint64_t>(size);
      }
    }
  }
  return total;
}

}  // namespace

Result<RuleSet> load_rule_set(const std::string& dir, const RuleSetLimits& limits) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Error::invalid("rule directory '" + dir + "' does not exist or is not a directory", "standards.rules_dir",
                          "standards.rules_invalid");
  }
  if (const uint64_t bytes = rule_text_bytes(dir); limits.max_bytes > 0 && bytes > limits.max_bytes) {
    return Error::invalid("rule directory '" + dir + "' holds " + std::to_string(bytes) +
                              " bytes of YAML, over standards.max_rule_bytes (" + std::to_string(limits.max_bytes) +
                              "); not parsed",
                          "standards.max_rule_bytes", "standards.rules_too_large");
  }
  std::vector<RuleFile> files;
  auto read_dir = [&](const fs::path& d, const std::string& prefix) -> Status {
    if (!fs::is_directory(d, ec)) {
      return Status::success();
    }
    for (const auto& entry : fs::directory_iterator(d, ec)) {
      if (!entry.is_regular_file() || entry.path().extension() != ".yaml") {
        continue;
      }
      std::ifstream in(entry.path(), std::ios::binary);
      if (!in) {
        return Error::invalid("cannot read " + entry.path().string(), "standards.rules_dir", "standards.rules_invalid");
      }
      std::stringstream buf;
      buf << in.rdbuf();
      files.push_back({prefix + entry.path().filename().string(), buf.str()});
    }
    if (ec) {
      return Error::invalid("cannot list " + d.string() + ": " + ec.message(), "standards.rules_dir",
                            "standards.rules_invalid");
    }
    return Status::success();
  };
  if (Status st = read_dir(fs::path(dir), ""); !st.ok()) {
    return st.error();
  }
  if (Status st = read_dir(fs::path(dir) / "catalogue", "catalogue/"); !st.ok()) {
    return st.error();
  }
  auto set = parse_rule_set(files);
  if (set.ok() && limits.max_rules > 0 && set->rules.size() > limits.max_rules) {
    return Error::invalid("rule directory '" + dir + "' holds " + std::to_string(set->rules.size()) +
                              " rules, over standards.max_rules (" + std::to_string(limits.max_rules) + ")",
                          "standards.max_rules", "standards.rules_too_large");
  }
  return set;
}

}  // namespace caselink::standards
