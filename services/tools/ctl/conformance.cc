#include "services/tools/ctl/conformance.h"

#include <algorithm>
#include <cctype>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "services/lib/core/uuid.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/routing.h"
#include "services/lib/signing/envelope_signature.h"
#include "services/tools/ctl/ops_format.h"
#include "services/daemons/standards/fact_check.h"

namespace caselink::ctl::conformance {

namespace v1 = caselink::v1;

namespace {

constexpr const char* kDecode = "envelope.decode";
constexpr const char* kFields = "envelope.fields";
constexpr const char* kKey = "record.key";
constexpr const char* kTopic = "record.topic";
constexpr const char* kHeaders = "cloudevents.headers";
constexpr const char* kRole = "role.payload";
constexpr const char* kFacts = "facts.catalogue";
constexpr const char* kSignature = "signature";
constexpr const char* kRetry = "retry.idempotent";
constexpr const char* kAck = "feedback.acknowledged";
constexpr const char* kExpected = "script.expected_events";

// An occurred_at this far after recorded_at is a clock error (the ingress's rule, issue 13).
constexpr int64_t kFutureToleranceMs = 300000;

std::string where(const Observed& r) {
  return r.topic + "[" + std::to_string(r.partition) + "]@" + std::to_string(r.offset);
}

std::string event_label(const v1::Envelope& e, const Observed& r) {
  return "event " + e.event_id() + " (" + e.event_type() + ", " + where(r) + ")";
}

// Results by check name; a check that looked at something and found nothing wrong passes.
class Ledger {
 public:
  void looked(const char* name) { at(name).checked++; }
  void fail(const char* name, std::string reason) { at(name).reasons.push_back(std::move(reason)); }
  void not_run(const char* name, std::string reason) { at(name).reasons.push_back(std::move(reason)); skipped_.insert(name); }
  std::vector<CheckResult> finish() {
    std::vector<CheckResult> out;
    for (const CheckInfo& info : checks()) {
      CheckResult r = at(info.name);
      r.name = info.name;
      if (skipped_.count(info.name) != 0) {
        r.verdict = Verdict::kNotRun;
      } else if (r.checked == 0) {
        r.verdict = Verdict::kNotRun;
        r.reasons.push_back("no event it applies to was sent");
      } else {
        r.verdict = r.reasons.empty() ? Verdict::kPass : Verdict::kFail;
      }
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  CheckResult& at(const std::string& name) { return results_[name]; }
  std::map<std::string, CheckResult> results_;
  std::set<std::string> skipped_;
};

void check_fields(const Profile& p, const v1::Envelope& e, const Observed& r, Ledger& ledger) {
  ledger.looked(kFields);
  const std::string label = event_label(e, r);
  if (!is_canonical_uuid(e.event_id())) ledger.fail(kFields, label + ": event_id is not a UUID");
  if (e.case_id() != p.case_id) ledger.fail(kFields, label + ": case_id '" + e.case_id() + "' is not the case " + p.case_id);
  if (e.producer_agency_id() != p.agency_id) {
    ledger.fail(kFields, label + ": producer_agency_id '" + e.producer_agency_id() + "' is not " + p.agency_id);
  }
  if (e.schema_version() != envelope::kSchemaVersion) {
    ledger.fail(kFields, label + ": schema_version " + std::to_string(e.schema_version()) + ", expected " +
                             std::to_string(envelope::kSchemaVersion));
  }
  if (e.correlation_id().empty()) ledger.fail(kFields, label + ": correlation_id is empty");
  const auto occurred = envelope::to_time_point(e.occurred_at());
  const auto recorded = envelope::to_time_point(e.recorded_at());
  if (occurred - recorded > std::chrono::milliseconds(kFutureToleranceMs)) {
    ledger.fail(kFields, label + ": occurred_at is " + human_duration(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                          occurred - recorded).count()) +
                             " after recorded_at");
  }
}

// ce_time is any RFC 3339 form of occurred_at (an offset, fewer or more digits), to the millisecond.
bool same_instant(const std::string& name, const std::string& value, const v1::Envelope& e) {
  TimePoint at;
  if (name != envelope::kCeTime || !parse_rfc3339(value, &at)) return false;
  const auto occurred = envelope::to_time_point(e.occurred_at());
  return std::chrono::abs(std::chrono::duration_cast<std::chrono::microseconds>(at - occurred)) <
         std::chrono::milliseconds(1);
}

void check_record(const Profile& p, const v1::Envelope& e, const Observed& r, Ledger& ledger) {
  const std::string label = event_label(e, r);
  ledger.looked(kKey);
  if (!r.key) {
    ledger.fail(kKey, label + ": the record has no key (the key must be the case id)");
  } else if (*r.key != e.case_id()) {
    ledger.fail(kKey, label + ": key '" + *r.key + "' is not the case id '" + e.case_id() + "'");
  }
  ledger.looked(kTopic);
  auto topic = envelope::topic_for(e);
  if (!topic.ok()) {
    ledger.fail(kTopic, label + ": " + topic.error().message);
  } else if (r.topic != p.topic_prefix + *topic) {
    ledger.fail(kTopic, label + ": published to " + r.topic + ", its payload goes to " + p.topic_prefix + *topic);
  }
  ledger.looked(kHeaders);
  for (const auto& [name, expected] : envelope::cloud_event_headers(e)) {
    int count = 0;
    std::optional<std::string> value;
    for (const auto& [key, v] : r.headers) {
      if (key == name) {
        ++count;
        value = v;
      }
    }
    if (count == 0) {
      ledger.fail(kHeaders, label + ": header " + name + " is missing");
    } else if (count > 1) {
      ledger.fail(kHeaders, label + ": header " + name + " appears " + std::to_string(count) + " times");
    } else if (*value != expected && !same_instant(name, *value, e)) {
      ledger.fail(kHeaders, label + ": header " + name + " is '" + *value + "', expected '" + expected + "'");
    }
  }
}

void check_role(const Profile& p, const v1::Envelope& e, const Observed& r, Ledger& ledger) {
  ledger.looked(kRole);
  const auto& model = authz::RoleModel::builtin();
  const std::string label = event_label(e, r);
  if (auto refusal = authz::check_kind(model, e.event_type(), p.kind, p.agency_id)) {
    ledger.fail(kRole, label + ": " + refusal->code() + ": " + refusal->message);
    return;
  }
  // The case is not known here: only "in its own name" (what the event itself shows) is checked.
  if (auto refusal = authz::check_case(model, e, p.agency_id, nullptr, nullptr)) {
    ledger.fail(kRole, label + ": " + refusal->code() + ": " + refusal->message);
  }
}

void check_facts(const Profile& p, const v1::Envelope& e, const Observed& r, Ledger& ledger) {
  if (!e.has_case_referral() && !e.has_administrative_penalty_reported()) return;
  if (p.catalogue == nullptr) return;
  ledger.looked(kFacts);
  const bool referral = e.has_case_referral();
  auto facts = standards::to_facts(referral ? e.case_referral().facts() : e.administrative_penalty_reported().facts(),
                                   *p.catalogue);
  if (!facts.ok()) {
    ledger.fail(kFacts, event_label(e, r) + ": " + (referral ? "case_referral." : "administrative_penalty_reported.") +
                            facts.error().field + ": " + facts.error().message);
  }
}

void check_signature(const Profile& p, const v1::Envelope& e, const Observed& r, Ledger& ledger) {
  if (p.keys == nullptr) return;
  ledger.looked(kSignature);
  if (auto failure = signing::verify(e, *p.keys)) {
    ledger.fail(kSignature, event_label(e, r) + ": " + failure->reason + ": " + failure->detail);
  }
}

// The payload alone (no ids, times, signature), deterministic: equal for a retry of one event.
std::string payload_bytes(const v1::Envelope& e) {
  v1::Envelope copy;
  copy.CopyFrom(e);
  const auto* field = copy.GetDescriptor()->FindOneofByName("payload");
  const auto* set = field == nullptr ? nullptr : copy.GetReflection()->GetOneofFieldDescriptor(copy, field);
  if (set == nullptr) return {};
  const auto& message = copy.GetReflection()->GetMessage(copy, set);
  std::string out = set->name() + ":";
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  {
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out + bytes;
}

// A retry re-sends the same event: the same event id always carries the same payload, and the
// same payload never comes under two event ids (consumers deduplicate by event id only).
void check_retries(const std::vector<std::pair<v1::Envelope, const Observed*>>& events, Ledger& ledger) {
  std::map<std::string, std::string> payload_of_id;
  std::map<std::string, std::string> id_of_payload;
  for (const auto& [e, r] : events) {
    ledger.looked(kRetry);
    const std::string payload = payload_bytes(e);
    auto [by_id, new_id] = payload_of_id.emplace(e.event_id(), payload);
    if (!new_id && by_id->second != payload) {
      ledger.fail(kRetry, event_label(e, *r) + ": the event id was used before for a different payload");
    }
    auto [by_payload, new_payload] = id_of_payload.emplace(payload, e.event_id());
    if (!new_payload && by_payload->second != e.event_id()) {
      ledger.fail(kRetry, event_label(e, *r) + ": the same " + e.event_type() + " was sent before as event " +
                              by_payload->second + " (a retry must keep its event id)");
    }
  }
}

void check_acks(const Profile& p, const std::vector<std::pair<v1::Envelope, const Observed*>>& events,
                const std::vector<SentFeedback>& sent, Ledger& ledger) {
  if (sent.empty()) {
    ledger.not_run(kAck, "the kit sent no feedback (the adapter sent nothing to answer, or is not an agency)");
    return;
  }
  std::map<std::string, int64_t> first_ack_ms;
  for (const auto& [e, r] : events) {
    if (!e.has_feedback_acknowledged()) continue;
    const auto& ack = e.feedback_acknowledged();
    if (ack.agency_id() != p.agency_id) {
      ledger.fail(kAck, event_label(e, *r) + ": acknowledges as '" + ack.agency_id() + "', not " + p.agency_id);
    }
    auto [it, inserted] = first_ack_ms.emplace(ack.feedback_event_id(), r->seen_ms);
    if (!inserted) it->second = std::min(it->second, r->seen_ms);
  }
  std::set<std::string> answered;
  for (const SentFeedback& f : sent) {
    if (!answered.insert(f.event_id).second) continue;  // a re-sent record is answered by the same ack
    ledger.looked(kAck);
    auto it = first_ack_ms.find(f.event_id);
    if (it == first_ack_ms.end()) {
      ledger.fail(kAck, "feedback " + f.event_id + " (" + f.event_type + ") was not acknowledged within " +
                            human_duration(p.ack_deadline.count()));
    } else if (it->second - f.sent_ms > p.ack_deadline.count()) {
      ledger.fail(kAck, "feedback " + f.event_id + " (" + f.event_type + ") was acknowledged after " +
                            human_duration(it->second - f.sent_ms) + ", the deadline is " +
                            human_duration(p.ack_deadline.count()));
    }
  }
}

void check_expected(const Profile& p, const std::vector<std::pair<v1::Envelope, const Observed*>>& events,
                    Ledger& ledger) {
  for (const std::string& type : p.expected_types) {
    ledger.looked(kExpected);
    const bool seen = std::any_of(events.begin(), events.end(), [&](const auto& pair) {
      return pair.first.event_type() == "caselink.v1." + type;
    });
    if (!seen) ledger.fail(kExpected, "no " + type + " of case " + p.case_id + " was sent");
  }
  if (p.expected_types.empty()) ledger.not_run(kExpected, "no event was expected (--expect)");
}

}  // namespace

const char* to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass: return "PASS";
    case Verdict::kFail: return "FAIL";
    case Verdict::kNotRun: return "NOT RUN";
  }
  return "?";
}

const std::vector<CheckInfo>& checks() {
  static const std::vector<CheckInfo> all = {
      {kDecode, "every record is a v1 Envelope that decodes and passes the contracts' value rules"},
      {kFields, "event_id a UUID, case_id the case, producer_agency_id the adapter's party, schema_version 1, "
                "correlation_id set, occurred_at not after recorded_at (5 min tolerance)"},
      {kKey, "the record key is the envelope's case id"},
      {kTopic, "the record is on the topic its payload is routed to (docs/topics.md)"},
      {kHeaders, "ce_specversion, ce_id, ce_source, ce_type, ce_time, ce_subject and content-type present once "
                 "and equal to the envelope's"},
      {kRole, "the payload is one the adapter's party kind may send, in its own name (rules/roles/roles.yaml)"},
      {kFacts, "facts of referrals and penalty reports use catalogue names, kinds and units (docs/facts.md)"},
      {kSignature, "every event carries a valid Ed25519 signature of the adapter's key (docs/contracts/signing.md)"},
      {kRetry, "a retry re-sends the same event id; one event id never carries two payloads"},
      {kAck, "every feedback record is acknowledged (FeedbackAcknowledged) within the deadline"},
      {kExpected, "the scripted case's events were sent (e.g. the CaseReferral)"},
  };
  return all;
}

bool Report::passed() const {
  return std::none_of(results.begin(), results.end(), [](const CheckResult& r) { return r.verdict == Verdict::kFail; });
}

bool belongs_to_case(const Observed& record, const std::string& case_id) {
  if (record.key && *record.key == case_id) return true;
  auto decoded = envelope::decode(record.value);
  return decoded.ok() && decoded->case_id() == case_id;
}

Report evaluate(const Profile& profile, const std::vector<Observed>& seen, const std::vector<SentFeedback>& sent) {
  Ledger ledger;
  std::vector<std::pair<v1::Envelope, const Observed*>> events;
  for (const Observed& r : seen) {
    ledger.looked(kDecode);
    auto decoded = envelope::decode(r.value);
    if (!decoded.ok()) {
      ledger.fail(kDecode, "record " + where(r) + ": " + decoded.error().reason + " " + decoded.error().field + ": " +
                               decoded.error().message);
      continue;
    }
    check_fields(profile, *decoded, r, ledger);
    check_record(profile, *decoded, r, ledger);
    check_role(profile, *decoded, r, ledger);
    check_facts(profile, *decoded, r, ledger);
    check_signature(profile, *decoded, r, ledger);
    events.emplace_back(std::move(*decoded), &r);
  }
  if (profile.keys == nullptr) ledger.not_run(kSignature, "no key registry given (--key-registry)");
  if (profile.catalogue == nullptr) ledger.not_run(kFacts, "no fact catalogue loaded (--rules-dir)");
  check_retries(events, ledger);
  check_acks(profile, events, sent, ledger);
  check_expected(profile, events, ledger);
  Report report;
  report.agency_id = profile.agency_id;
  report.case_id = profile.case_id;
  report.events = static_cast<int>(seen.size());
  report.results = ledger.finish();
  return report;
}

void print_text(const Report& report, std::ostream& out) {
  out << "conformance of " << report.agency_id << ", case " << report.case_id << ": " << report.events
      << " record(s) from the adapter\n";
  int failed = 0;
  for (const CheckResult& r : report.results) {
    out << (r.verdict == Verdict::kPass ? "  PASS     " : r.verdict == Verdict::kFail ? "  FAIL     " : "  NOT RUN  ")
        << r.name << " (" << r.checked << " checked)\n";
    for (const std::string& reason : r.reasons) out << "             " << reason << "\n";
    failed += r.verdict == Verdict::kFail ? 1 : 0;
  }
  out << (failed == 0 ? "RESULT: PASS" : "RESULT: FAIL (" + std::to_string(failed) + " check(s) failed)") << "\n";
}

void print_json(const Report& report, std::ostream& out) {
  nlohmann::json checks_json = nlohmann::json::array();
  for (const CheckResult& r : report.results) {
    checks_json.push_back({{"name", r.name}, {"verdict", to_string(r.verdict)}, {"checked", r.checked},
                           {"reasons", r.reasons}});
  }
  nlohmann::json doc = {{"agency_id", report.agency_id}, {"case_id", report.case_id}, {"events", report.events},
                        {"passed", report.passed()}, {"checks", checks_json}};
  out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

Result<std::chrono::milliseconds> parse_duration(const std::string& text) {
  static const std::map<std::string, int64_t> kUnits = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000},
                                                        {"d", 86400000}};
  int64_t total = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    if (text[i] == ' ') { ++i; continue; }
    size_t digits = i;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) ++digits;
    if (digits == i || digits - i > 9) return Error::invalid("not a duration: '" + text + "' (e.g. 90s, 2m, 1h)");
    const int64_t number = std::stoll(text.substr(i, digits - i));
    size_t unit_end = digits;
    while (unit_end < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_end])) != 0) ++unit_end;
    const std::string unit = unit_end == digits ? "s" : text.substr(digits, unit_end - digits);
    auto it = kUnits.find(unit);
    if (it == kUnits.end()) return Error::invalid("unknown unit '" + unit + "' in '" + text + "' (ms, s, m, h, d)");
    total += number * it->second;
    any = true;
    i = unit_end;
  }
  if (!any || total <= 0) return Error::invalid("not a positive duration: '" + text + "' (e.g. 90s, 2m, 1h)");
  return std::chrono::milliseconds(total);
}

}  // namespace caselink::ctl::conformance
