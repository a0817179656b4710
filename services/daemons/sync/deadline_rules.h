#pragma once

// Statutory deadline profiles and the holiday calendar, loaded from the data files in
// rules/deadlines/ (profiles.yaml, holidays-cn-*.yaml). No legal number lives in code: this
// module only knows how to count (hours, natural days, working days, months; start day
// excluded; holiday roll-forward) in China Standard Time (UTC+8).

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "caselink/v1/referral.pb.h"
#include "services/lib/core/clock.h"
#include "services/lib/core/result.h"
#include "services/lib/organs/registry.h"

namespace caselink::sync {

using Date = std::chrono::sys_days;  // a local (UTC+8) calendar date

// "YYYY-MM-DD" <-> Date.
std::optional<Date> parse_date(const std::string& text);
std::string format_date(Date d);

// Local date (UTC+8) of an instant, and the instant 00:00 local of a date.
Date local_date(TimePoint t);
TimePoint local_midnight(Date d);

class HolidayCalendar {
 public:
  // Parses one holidays-*.yaml text (several files may be added).
  Status add_yaml(const std::string& yaml_text, const std::string& origin);
  // Weekday and not a holiday, or an adjusted working day. Outside the covered ranges only
  // weekends are non-working days.
  bool is_working_day(Date d) const;
  bool covers(Date d) const;

 private:
  std::set<Date> holidays_;
  std::set<Date> adjusted_working_;
  std::vector<std::pair<Date, Date>> covered_;
};

enum class Unit { kHours, kNaturalDays, kWorkingDays, kMonths };
const char* to_string(Unit unit);

// How a period in days or months is counted (issue 16 §2: counting rules are data with their
// source). Named in profiles.yaml `counting_rules` (natural days under Order 310, CPL Art 105 for
// police steps, S2 Art 38 in the environmental field, ...) and cited by every deadline counted
// with them.
struct Counting {
  bool start_day_excluded = true;
  bool holiday_roll_forward = false;
  std::string name;          // key in counting_rules; "" for an inline rule
  std::string legal_source;  // why the days are counted this way
  v1::Confidence confidence = v1::CONFIDENCE_UNSPECIFIED;
};

enum class ExtensionFrom { kStart, kCurrentDue };

struct Extension {
  std::string event;  // event key pattern
  int64_t amount = 0;
  bool amount_from_event = false;
  Unit unit = Unit::kNaturalDays;
  ExtensionFrom from = ExtensionFrom::kStart;
  std::string legal_source;
  v1::Confidence confidence = v1::CONFIDENCE_UNSPECIFIED;
};

// An also_start entry with its own source (issue 20 #4): a start the law does not name itself,
// e.g. the INCOMPLETE evidence receipt that opens the supplement period before the police's
// written request does. The deadline it opens cites this source, and it never opens a second
// deadline of a step that is already open.
struct SourcedStart {
  std::string event;  // event key pattern
  std::string legal_source;
  v1::Confidence confidence = v1::CONFIDENCE_UNSPECIFIED;
};

struct StepRule {
  std::string step;
  std::string rule_id;  // "deadline.<profile>.<step>"
  std::string start;
  std::vector<std::string> also_start;
  std::vector<SourcedStart> sourced_starts;  // the also_start entries given as {event, legal_source, confidence}
  std::vector<std::string> stop;
  std::vector<std::string> cancel;
  std::vector<std::string> suspend;
  std::vector<std::string> resume;
  bool passive = false;
  bool due_from_event = false;
  int64_t amount = 0;
  Unit unit = Unit::kNaturalDays;
  Counting counting;
  std::string responsible;  // party role keyword
  std::string on_overdue;   // "", "supervision_clue", "opinion_unanswered"
  std::string alert_kind;   // "", "RECOMMENDATION_REPLY_OVERDUE"
  std::string per;          // "", "recommendation_id", "consultation_id"
  std::vector<Extension> extensions;
  std::string legal_source;
  v1::Confidence confidence = v1::CONFIDENCE_UNSPECIFIED;
  // The step is done when caselink records its starting event (recorded_at): a notice or a
  // platform entry due within N days of a decision (S2 Art 9, 18, 34), because recording the
  // decision in caselink delivers it to every party. No timer: the deadline closes at once, MET or
  // OVERDUE (late entry).
  bool closes_on_record = false;
  // First local day the step's source is in force (e.g. the 2024 reverse-linkage guide): a start
  // event that occurred earlier starts no deadline. Absent: the profile's date only.
  std::optional<Date> effective_from;
  std::string effective_source;
  v1::Confidence effective_confidence = v1::CONFIDENCE_UNSPECIFIED;

  bool starts_on(const std::string& key) const;
  // The sourced start `key` matches, if any (nullptr: the step's own start or a plain also_start).
  const SourcedStart* sourced_start(const std::string& key) const;
};

// What a deadline cites (its RuleRef): the step's legal source, plus, for a period in days or
// months, the counting rule that placed its end ("; counting <name>: <source>"); the confidence is
// the weaker of the two, since a wrong counting rule moves the due date as much as a wrong number.
std::string cited_source(const std::string& source, Unit unit, const Counting& counting);
v1::Confidence cited_confidence(v1::Confidence confidence, Unit unit, const Counting& counting);

struct Profile {
  std::string name;
  // First day the profile's source is in force (issue 16 §2); a case referred earlier is not
  // selected for it (the next matching selection applies). Absent: no date limit.
  std::optional<Date> effective_from;
  std::string effective_source;
  v1::Confidence effective_confidence = v1::CONFIDENCE_UNSPECIFIED;
  bool copy_to_procuratorate_required = false;
  std::vector<StepRule> steps;  // in file order
};

// True when event key `key` ("FilingDecision.FILED") matches `pattern` ("FilingDecision" or
// "FilingDecision.FILED").
bool key_matches(const std::string& pattern, const std::string& key);

class DeadlineRules {
 public:
  // Loads profiles.yaml and the calendars it lists from `directory`.
  static Result<DeadlineRules> load_directory(const std::string& directory);
  // From texts (tests): profiles.yaml text and calendar texts.
  static Result<DeadlineRules> from_texts(const std::string& profiles_yaml, const std::vector<std::string>& calendars);

  const std::string& version() const { return version_; }
  const HolidayCalendar& calendar() const { return calendar_; }
  // The named counting rules of profiles.yaml (`counting_rules`).
  const std::map<std::string, Counting>& counting_rules() const { return counting_rules_; }
  // Profile for a case's domain and offence code (selection rules of profiles.yaml); with `on`
  // (the local date of the referral), a profile not yet in force on that day is skipped.
  const Profile& select(v1::Domain domain, const std::string& offence_code,
                        std::optional<Date> on = std::nullopt) const;
  const Profile* profile(const std::string& name) const;

  // Computes the exclusive due instant of a period of `amount` `unit` starting at `start`.
  // `calendar_unknown` (optional) receives the first day the counting had to judge as working or
  // not (working days, holiday roll-forward) that no calendar file covers, e.g. a day of 2027
  // while only holidays-cn-2026.yaml is loaded; the due instant then treats only weekends as
  // non-working and must be reported as uncertain ("calendar unknown"), never passed off as exact.
  TimePoint due(TimePoint start, int64_t amount, Unit unit, const Counting& counting,
                std::optional<Date>* calendar_unknown = nullptr) const;

  // The organ registry (rules/organs/organs.yaml) supervision clues are addressed from when no
  // procuratorate is a party of the case; null = none loaded (the clue then names the gap).
  const organs::Registry* organs() const { return organs_.get(); }
  void set_organs(std::shared_ptr<const organs::Registry> registry) { organs_ = std::move(registry); }

 private:
  struct Selection {
    std::string profile;
    std::set<int> domains;
    std::set<std::string> offence_codes;
  };
  std::string version_;
  HolidayCalendar calendar_;
  std::map<std::string, Counting> counting_rules_;
  std::map<std::string, Profile> profiles_;
  std::vector<Selection> selection_;
  std::shared_ptr<const organs::Registry> organs_;
};

}  // namespace caselink::sync
