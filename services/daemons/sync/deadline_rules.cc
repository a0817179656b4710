#include "services/daemons/sync/deadline_rules.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace caselink::sync {

namespace {

using namespace std::chrono;

constexpr auto kUtcOffset = hours(8);

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Result<Unit> parse_unit(const std::string& text, const std::string& where) {
  if (text == "hours") return Unit::kHours;
  if (text == "natural_days") return Unit::kNaturalDays;
  if (text == "working_days") return Unit::kWorkingDays;
  if (text == "months") return Unit::kMonths;
  return Error::invalid("unknown unit '" + text + "' (hours|natural_days|working_days|months)", where);
}

Result<v1::Confidence> parse_confidence(const std::string& text, const std::string& where) {
  if (text == "high") return v1::CONFIDENCE_HIGH;
  if (text == "medium") return v1::CONFIDENCE_MEDIUM;
  if (text == "low") return v1::CONFIDENCE_LOW;
  if (text == "unconfirmed") return v1::CONFIDENCE_UNCONFIRMED;
  return Error::invalid("unknown confidence '" + text + "'", where);
}

std::vector<std::string> strings(const YAML::Node& node) {
  std::vector<std::string> out;
  if (!node) {
    return out;
  }
  if (node.IsScalar()) {
    out.push_back(node.as<std::string>());
    return out;
  }
  for (const auto& n : node) {
    out.push_back(n.as<std::string>());
  }
  return out;
}

YAML::Node merge(const YAML::Node& base, const YAML::Node& overlay) {
  YAML::Node out = YAML::Clone(base);
  for (const auto& kv : overlay) {
    out[kv.first.as<std::string>()] = YAML::Clone(kv.second);
  }
  return out;
}

// effective_from: {date: YYYY-MM-DD, legal_source: ..., confidence: ...} (optional), of a profile
// or a step.
template <typename T>
Status parse_effective(const YAML::Node& n, const std::string& where, T* p) {
  if (!n) return Status::success();
  if (!n.IsMap() || !n["date"] || !n["legal_source"] || !n["confidence"]) {
    return Error::invalid("needs {date, legal_source, confidence}", where);
  }
  p->effective_from = parse_date(n["date"].as<std::string>());
  if (!p->effective_from) return Error::invalid("date must be YYYY-MM-DD", where + ".date");
  p->effective_source = n["legal_source"].as<std::string>();
  auto conf = parse_confidence(n["confidence"].as<std::string>(), where + ".confidence");
  if (!conf.ok()) return conf.error();
  p->effective_confidence = *conf;
  return Status::success();
}

// also_start: event keys, each either a plain key or {event, legal_source, confidence} (a start
// the step's own legal_source does not cover, issue 20 #4).
Status parse_also_start(const YAML::Node& node, const std::string& where, StepRule* r) {
  if (!node) return Status::success();
  if (node.IsScalar()) {
    r->also_start.push_back(node.as<std::string>());
    return Status::success();
  }
  int i = 0;
  for (const auto& n : node) {
    const std::string w = where + ".also_start[" + std::to_string(i++) + "]";
    if (n.IsScalar()) {
      r->also_start.push_back(n.as<std::string>());
      continue;
    }
    if (!n.IsMap() || !n["event"] || !n["legal_source"] || !n["confidence"]) {
      return Error::invalid("needs an event key or {event, legal_source, confidence}", w);
    }
    auto conf = parse_confidence(n["confidence"].as<std::string>(), w + ".confidence");
    if (!conf.ok()) return conf.error();
    r->also_start.push_back(n["event"].as<std::string>());
    r->sourced_starts.push_back({n["event"].as<std::string>(), n["legal_source"].as<std::string>(), *conf});
  }
  return Status::success();
}

using CountingRules = std::map<std::string, Counting>;

// A counting rule: a name from `counting_rules`, or an inline map that carries its own source.
Result<Counting> parse_counting(const YAML::Node& n, const std::string& where, const CountingRules& named) {
  if (n.IsScalar()) {
    auto it = named.find(n.as<std::string>());
    if (it != named.end()) return it->second;
    std::string names;
    for (const auto& [name, rule] : named) names += (names.empty() ? "" : ", ") + name;
    return Error::invalid("unknown counting rule '" + n.as<std::string>() + "' (counting_rules: " + names + ")", where);
  }
  if (!n.IsMap() || !n["legal_source"] || !n["confidence"]) {
    return Error::invalid("a counting rule is a name from counting_rules or {start_day_excluded, "
                          "holiday_roll_forward, legal_source, confidence}",
                          where);
  }
  Counting c;
  if (n["start_day_excluded"]) c.start_day_excluded = n["start_day_excluded"].as<bool>();
  if (n["holiday_roll_forward"]) c.holiday_roll_forward = n["holiday_roll_forward"].as<bool>();
  c.legal_source = n["legal_source"].as<std::string>();
  auto conf = parse_confidence(n["confidence"].as<std::string>(), where + ".confidence");
  if (!conf.ok()) return conf.error();
  c.confidence = *conf;
  return c;
}

Result<CountingRules> parse_counting_rules(const YAML::Node& n) {
  CountingRules out;
  for (const auto& kv : n) {
    const std::string name = kv.first.as<std::string>();
    if (!kv.second.IsMap()) return Error::invalid("expected a map", "counting_rules." + name);
    auto c = parse_counting(kv.second, "counting_rules." + name, out);
    if (!c.ok()) return c.error();
    c->name = name;
    out[name] = std::move(c).value();
  }
  return out;
}

// The step's counting rule: the profile's day_counting (a field-wide rule such as S2 Art 38) for
// day units, else the step's own; required for every period in days or months.
Status resolve_counting(const YAML::Node& n, const YAML::Node& day_counting, const CountingRules& named,
                        const std::string& where, StepRule* r) {
  // Built once: assigning to a yaml-cpp node read from a missing key throws (invalid node).
  const bool field_wide = day_counting && (r->unit == Unit::kNaturalDays || r->unit == Unit::kWorkingDays);
  const YAML::Node counting = field_wide ? day_counting : n["counting"];
  if (!counting) {
    if (r->unit == Unit::kHours) return Status::success();
    return Error::invalid("a period in days or months needs a counting rule (a name from counting_rules)",
                          where + ".counting");
  }
  auto c = parse_counting(counting, where + ".counting", named);
  if (!c.ok()) return c.error();
  r->counting = std::move(c).value();
  return Status::success();
}

Result<StepRule> parse_step(const std::string& profile, const std::string& step, const YAML::Node& n,
                            const YAML::Node& day_counting, const CountingRules& named) {
  const std::string where = "profiles." + profile + ".steps." + step;
  StepRule r;
  r.step = step;
  r.rule_id = "deadline." + profile + "." + step;
  if (!n["start"] || !n["amount"] || !n["unit"] || !n["legal_source"] || !n["confidence"] || !n["responsible"]) {
    return Error::invalid("needs start, amount, unit, responsible, legal_source and confidence", where);
  }
  r.start = n["start"].as<std::string>();
  if (auto st = parse_also_start(n["also_start"], where, &r); !st.ok()) return st.error();
  r.stop = strings(n["stop"]);
  r.cancel = strings(n["cancel"]);
  r.suspend = strings(n["suspend"]);
  r.resume = strings(n["resume"]);
  r.passive = n["passive"] && n["passive"].as<bool>();
  r.closes_on_record = n["closes_on_record"] && n["closes_on_record"].as<bool>();
  if (Status st = parse_effective(n["effective_from"], where + ".effective_from", &r); !st.ok()) return st.error();
  r.due_from_event = n["due_from_event"] && n["due_from_event"].as<bool>();
  r.amount = n["amount"].as<int64_t>();
  auto unit = parse_unit(n["unit"].as<std::string>(), where + ".unit");
  if (!unit.ok()) return unit.error();
  r.unit = *unit;
  if (Status st = resolve_counting(n, day_counting, named, where, &r); !st.ok()) return st.error();
  r.responsible = n["responsible"].as<std::string>();
  if (n["on_overdue"]) r.on_overdue = n["on_overdue"].as<std::string>();
  if (n["alert_kind"]) r.alert_kind = n["alert_kind"].as<std::string>();
  if (n["per"]) r.per = n["per"].as<std::string>();
  if (!r.per.empty() && r.per != "recommendation_id" && r.per != "consultation_id") {
    return Error::invalid("per must be recommendation_id or consultation_id, not '" + r.per + "'", where + ".per");
  }
  if (r.responsible == "consulted_party" && r.per != "consultation_id") {
    return Error::invalid("responsible: consulted_party needs per: consultation_id", where + ".responsible");
  }
  r.legal_source = n["legal_source"].as<std::string>();
  auto conf = parse_confidence(n["confidence"].as<std::string>(), where + ".confidence");
  if (!conf.ok()) return conf.error();
  r.confidence = *conf;
  if (r.amount <= 0 && !r.due_from_event) {
    return Error::invalid("amount must be positive", where + ".amount");
  }
  int i = 0;
  for (const auto& e : n["extensions"]) {
    const std::string ew = where + ".extensions[" + std::to_string(i++) + "]";
    Extension x;
    if (!e["event"] || !e["unit"] || !e["legal_source"] || !e["confidence"]) {
      return Error::invalid("needs event, unit, legal_source and confidence", ew);
    }
    x.event = e["event"].as<std::string>();
    x.amount = e["amount"] ? e["amount"].as<int64_t>() : 0;
    x.amount_from_event = e["amount_from_event"] && e["amount_from_event"].as<bool>();
    auto xu = parse_unit(e["unit"].as<std::string>(), ew + ".unit");
    if (!xu.ok()) return xu.error();
    x.unit = *xu;
    const std::string from = e["from"] ? e["from"].as<std::string>() : "start";
    if (from != "start" && from != "current_due") {
      return Error::invalid("from must be start or current_due", ew + ".from");
    }
    x.from = from == "start" ? ExtensionFrom::kStart : ExtensionFrom::kCurrentDue;
    x.legal_source = e["legal_source"].as<std::string>();
    auto xc = parse_confidence(e["confidence"].as<std::string>(), ew + ".confidence");
    if (!xc.ok()) return xc.error();
    x.confidence = *xc;
    r.extensions.push_back(std::move(x));
  }
  return r;
}

}  // namespace

std::optional<Date> parse_date(const std::string& text) {
  int y = 0;
  unsigned m = 0;
  unsigned d = 0;
  char tail = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3) {
    return std::nullopt;
  }
  year_month_day ymd{year{y}, month{m}, day{d}};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  return sys_days(ymd);
}

std::string format_date(Date d) {
  year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

Date local_date(TimePoint t) { return floor<days>(t + kUtcOffset); }

TimePoint local_midnight(Date d) { return TimePoint(d) - kUtcOffset; }

const char* to_string(Unit unit) {
  switch (unit) {
    case Unit::kHours: return "hours";
    case Unit::kNaturalDays: return "natural_days";
    case Unit::kWorkingDays: return "working_days";
    case Unit::kMonths: return "months";
  }
  return "?";
}

Status HolidayCalendar::add_yaml(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return Error::invalid(std::string("not YAML: ") + e.what(), origin);
  }
  auto from = parse_date(root["covers"]["from"].as<std::string>(""));
  auto to = parse_date(root["covers"]["to"].as<std::string>(""));
  if (!from || !to) {
    return Error::invalid("covers.from / covers.to must be YYYY-MM-DD", origin);
  }
  covered_.emplace_back(*from, *to);
  for (const char* list : {"holidays", "adjusted_working_days"}) {
    for (const auto& entry : root[list]) {
      auto d = parse_date(entry["date"].as<std::string>(""));
      if (!d) {
        return Error::invalid(std::string("bad date in ") + list, origin);
      }
      (std::string(list) == "holidays" ? holidays_ : adjusted_working_).insert(*d);
    }
  }
  return Status::success();
}

bool HolidayCalendar::covers(Date d) const {
  for (const auto& [from, to] : covered_) {
    if (d >= from && d <= to) return true;
  }
  return false;
}

bool HolidayCalendar::is_working_day(Date d) const {
  if (adjusted_working_.count(d) != 0) return true;
  if (holidays_.count(d) != 0) return false;
  const weekday wd{d};
  return wd != Saturday && wd != Sunday;
}

bool key_matches(const std::string& pattern, const std::string& key) {
  if (pattern == key) return true;
  return key.size() > pattern.size() && key.compare(0, pattern.size(), pattern) == 0 && key[pattern.size()] == '.';
}

std::string cited_source(const std::string& source, Unit unit, const Counting& counting) {
  if (unit == Unit::kHours || counting.legal_source.empty()) return source;
  return source + "; counting " + (counting.name.empty() ? std::string("(inline)") : counting.name) + ": " +
         counting.legal_source;
}

v1::Confidence cited_confidence(v1::Confidence confidence, Unit unit, const Counting& counting) {
  if (unit == Unit::kHours || counting.confidence == v1::CONFIDENCE_UNSPECIFIED) return confidence;
  return std::max(confidence, counting.confidence);  // the enum runs from HIGH (1) to UNCONFIRMED (4)
}

bool StepRule::starts_on(const std::string& key) const {
  if (key_matches(start, key)) return true;
  for (const auto& s : also_start) {
    if (key_matches(s, key)) return true;
  }
  return false;
}

const SourcedStart* StepRule::sourced_start(const std::string& key) const {
  if (key_matches(start, key)) return nullptr;
  for (const auto& s : sourced_starts) {
    if (key_matches(s.event, key)) return &s;
  }
  return nullptr;
}

Result<DeadlineRules> DeadlineRules::load_directory(const std::string& directory) {
  const std::string path = directory + "/profiles.yaml";
  auto text = read_file(path);
  if (!text) {
    return Error::invalid("cannot read " + path, "sync.rules_directory");
  }
  std::vector<std::string> calendars;
  try {
    YAML::Node root = YAML::Load(*text);
    for (const auto& name : strings(root["calendars"])) {
      auto cal = read_file(directory + "/" + name);
      if (!cal) {
        return Error::invalid("cannot read calendar " + directory + "/" + name, "sync.rules_directory");
      }
      calendars.push_back(*cal);
    }
  } catch (const YAML::Exception& e) {
    return Error::invalid(path + ": " + e.what(), "sync.rules_directory");
  }
  return from_texts(*text, calendars);
}

namespace {

// One profile: its own keys (copy requirement, effective date) and its resolved steps.
Result<Profile> build_profile(const std::string& name, const YAML::Node& n,
                              const std::vector<std::pair<std::string, YAML::Node>>& steps, const CountingRules& named) {
  Profile profile;
  profile.name = name;
  profile.copy_to_procuratorate_required =
      n["copy_to_procuratorate_required"] && n["copy_to_procuratorate_required"].as<bool>();
  if (Status st = parse_effective(n["effective_from"], "profiles." + name + ".effective_from", &profile); !st.ok()) {
    return st.error();
  }
  for (const auto& [step, node] : steps) {
    auto rule = parse_step(name, step, node, n["day_counting"], named);
    if (!rule.ok()) return rule.error();
    profile.steps.push_back(std::move(rule).value());
  }
  return profile;
}

}  // namespace

Result<DeadlineRules> DeadlineRules::from_texts(const std::string& profiles_yaml,
                                                const std::vector<std::string>& calendars) {
  DeadlineRules rules;
  try {
    for (size_t i = 0; i < calendars.size(); ++i) {
      if (Status st = rules.calendar_.add_yaml(calendars[i], "calendar #" + std::to_string(i)); !st.ok()) {
        return st.error();
      }
    }
    YAML::Node root = YAML::Load(profiles_yaml);
    rules.version_ = root["version"].as<std::string>("");
    auto counting = parse_counting_rules(root["counting_rules"]);
    if (!counting.ok()) return counting.error();
    rules.counting_rules_ = std::move(counting).value();
    YAML::Node profiles = root["profiles"];
    if (!profiles || !profiles.IsMap()) {
      return Error::invalid("profiles.yaml: `profiles` map missing", "profiles");
    }
    // Resolve inheritance (one level is enough for the data at hand; cycles are refused).
    std::map<std::string, std::vector<std::pair<std::string, YAML::Node>>> resolved;
    std::function<Status(const std::string&, int)> resolve = [&](const std::string& name, int depth) -> Status {
      if (resolved.count(name) != 0) return Status::success();
      if (depth > 4) return Error::invalid("inheritance too deep or cyclic", "profiles." + name);
      YAML::Node p = profiles[name];
      if (!p) return Error::invalid("unknown profile", "profiles." + name);
      std::vector<std::pair<std::string, YAML::Node>> steps;
      if (p["inherits"]) {
        const std::string parent = p["inherits"].as<std::string>();
        if (Status st = resolve(parent, depth + 1); !st.ok()) return st;
        // Deep copies: yaml-cpp nodes share their data, and assigning to one would edit the parent.
        for (const auto& [step, node] : resolved[parent]) steps.emplace_back(step, YAML::Clone(node));
      }
      for (const auto& kv : p["steps"]) {
        const std::string step = kv.first.as<std::string>();
        bool found = false;
        for (auto& [existing, node] : steps) {
          if (existing == step) {
            node.reset(merge(node, kv.second));
            found = true;
          }
        }
        if (!found) steps.emplace_back(step, YAML::Clone(kv.second));
      }
      resolved[name] = std::move(steps);
      return Status::success();
    };
    for (const auto& kv : profiles) {
      const std::string name = kv.first.as<std::string>();
      if (Status st = resolve(name, 0); !st.ok()) return st.error();
      auto profile = build_profile(name, kv.second, resolved[name], rules.counting_rules_);
      if (!profile.ok()) return profile.error();
      rules.profiles_[name] = std::move(profile).value();
    }
    for (const auto& s : root["selection"]) {
      Selection sel;
      sel.profile = s["profile"].as<std::string>();
      if (rules.profiles_.count(sel.profile) == 0) {
        return Error::invalid("selection names unknown profile " + sel.profile, "selection");
      }
      for (const auto& d : strings(s["domains"])) {
        v1::Domain domain;
        if (!v1::Domain_Parse(d, &domain)) return Error::invalid("unknown domain " + d, "selection");
        sel.domains.insert(domain);
      }
      for (const auto& o : strings(s["offence_codes"])) sel.offence_codes.insert(o);
      rules.selection_.push_back(std::move(sel));
    }
    if (rules.selection_.empty() || !rules.selection_.back().domains.empty() ||
        !rules.selection_.back().offence_codes.empty()) {
      return Error::invalid("the last selection entry must be a catch-all profile", "selection");
    }
  } catch (const YAML::Exception& e) {
    return Error::invalid(std::string("profiles.yaml: ") + e.what(), "profiles");
  }
  return rules;
}

const Profile& DeadlineRules::select(v1::Domain domain, const std::string& offence_code,
                                     std::optional<Date> on) const {
  for (const auto& sel : selection_) {
    const Profile& candidate = profiles_.at(sel.profile);
    if (on && candidate.effective_from && *on < *candidate.effective_from) continue;
    const bool catch_all = sel.domains.empty() && sel.offence_codes.empty();
    if (catch_all || sel.domains.count(domain) != 0 || sel.offence_codes.count(offence_code) != 0) {
      return profiles_.at(sel.profile);
    }
  }
  return profiles_.begin()->second;  // unreachable: the last selection is a catch-all
}

const Profile* DeadlineRules::profile(const std::string& name) const {
  auto it = profiles_.find(name);
  return it == profiles_.end() ? nullptr : &it->second;
}

TimePoint DeadlineRules::due(TimePoint start, int64_t amount, Unit unit, const Counting& counting,
                             std::optional<Date>* calendar_unknown) const {
  if (unit == Unit::kHours) {
    return start + hours(amount);
  }
  // Every day judged working / non-working must be covered by a calendar file.
  auto working = [&](Date d) {
    if (calendar_unknown != nullptr && !*calendar_unknown && !calendar_.covers(d)) {
      *calendar_unknown = d;
    }
    return calendar_.is_working_day(d);
  };
  // Day-based units: with the start day excluded, day 1 is the day after the start.
  Date first = local_date(start);
  Date last = first;
  if (unit == Unit::kNaturalDays) {
    last = first + days(counting.start_day_excluded ? amount : amount - 1);
  } else if (unit == Unit::kWorkingDays) {
    Date d = counting.start_day_excluded ? first : first - days(1);
    int64_t counted = 0;
    while (counted < amount) {
      d += days(1);
      if (working(d)) ++counted;
    }
    last = d;
  } else {  // months: the same day number `amount` months later, clamped to the month's end
    year_month_day ymd{first};
    year_month_day target = ymd + months(amount);
    if (!target.ok()) {
      target = year_month_day{target.year() / target.month() / std::chrono::last};
    }
    last = sys_days(target);
    if (!counting.start_day_excluded) last -= days(1);
  }
  if (counting.holiday_roll_forward) {
    while (!working(last)) last += days(1);
  }
  return local_midnight(last + days(1));
}

}  // namespace caselink::sync
