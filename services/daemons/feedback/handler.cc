#include "services/daemons/feedback/handler.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "services/lib/crypto/derived_uuid.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/routing.h"
#include "services/lib/kafka/decode.h"
#include "services/lib/logging/logging.h"

namespace caselink::feedback {
namespace {

using kafka::HandlerResult;

std::shared_ptr<spdlog::logger> log() { return logging::get("feedback.handler"); }

bool valid_agency_id(const std::string& id) {
  if (id.empty() || id.size() > 100 || id.front() == '-' || id.back() == '-') {
    return false;
  }
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

bool is_result_payload(v1::Envelope::PayloadCase c) {
  switch (c) {
    case v1::Envelope::kReferralAccepted:
    case v1::Envelope::kMaterialsSupplementRequested:
    case v1::Envelope::kCaseForwarded:
    case v1::Envelope::kFilingReviewExtended:
    case v1::Envelope::kFilingDecision:
    case v1::Envelope::kReconsiderationDecided:
    case v1::Envelope::kFilingSupervisionAction:
    case v1::Envelope::kProsecutionDecision:
    case v1::Envelope::kProcuratorialOpinion:
    case v1::Envelope::kCourtJudgment:
    case v1::Envelope::kCaseClosed:
    case v1::Envelope::kReverseReviewStatusChanged:
    case v1::Envelope::kTransferOrdered:
    case v1::Envelope::kConsultationRequested:
    case v1::Envelope::kConsultationAnswered:
    case v1::Envelope::kEvidenceReceipt:
    case v1::Envelope::kStandardsAssessment:
      return true;
    default:
      return false;
  }
}

// The agency an addressed result names: a procuratorial opinion's recipient, the agency an order
// to transfer names. Empty for any other payload.
std::string addressed_agency(const v1::Envelope& env) {
  switch (env.payload_case()) {
    case v1::Envelope::kProcuratorialOpinion: return env.procuratorial_opinion().recipient().organ_id();
    case v1::Envelope::kTransferOrdered: return env.transfer_ordered().agency().organ_id();
    default: return {};
  }
}

// What a written consultation (S2 Art 24) read here is to the case's referring agency. This
// service reads it raw, before caselink-sync has judged it, so it trusts only the parties the
// case's referral named: a question of the referral's police organ or procuratorate to the agency,
// and the consulted party's answer to a question the agency asked, are the agency's feedback; the
// agency's own question is remembered (for its answer); anything else is not routed.
enum class ConsultationStep { kRoute, kRemember, kHold, kIgnore };

ConsultationStep consultation_step(const v1::Envelope& env, const CaseState* state) {
  if (state == nullptr || state->agency.empty()) return ConsultationStep::kHold;  // until the referral
  const std::string& sender = env.producer_agency_id();
  if (env.has_consultation_requested()) {
    if (sender == state->agency) return ConsultationStep::kRemember;
    const bool named = !sender.empty() && (sender == state->police_party || sender == state->procuratorate_party);
    return named && env.consultation_requested().consulted_party_id() == state->agency ? ConsultationStep::kRoute
                                                                                         : ConsultationStep::kIgnore;
  }
  const std::string& id = env.consultation_answered().consultation_id();
  const auto& asked = state->agency_questions;
  const bool answers_the_agency = std::any_of(asked.begin(), asked.end(), [&](const auto& q) {
    return q.first == id && q.second == sender && !sender.empty();
  });
  return answers_the_agency ? ConsultationStep::kRoute : ConsultationStep::kIgnore;
}

std::string ms_text(int64_t ms) { return std::to_string(ms) + " ms"; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

void bind(config::ConfigBinder& binder, Settings* s) {
  binder.bind("feedback.agencies", &s->agencies,
              "Agency ids allowed to receive feedback (one caselink.feedback.<agency-id>.v1 topic each)",
              config::Need::kRequired);
  binder.bind("feedback.topic_template", &s->topic_template, "Feedback topic of an agency; {agency} = agency id");
  binder.bind("feedback.ack_timeout_ms", &s->ack_timeout_ms,
              "Unacknowledged feedback raises FEEDBACK_UNACKNOWLEDGED after this many ms");
  binder.bind("feedback.changelog_topic", &s->changelog_topic, "Compacted changelog of the per-case state");
  binder.bind("feedback.alert_topic", &s->alert_topic, "Topic alerts are published to");
  binder.bind("feedback.producer_id", &s->producer_id, "Envelope.producer_agency_id of records this service makes");
  binder.bind("feedback.restore_timeout_ms", &s->restore_timeout_ms,
              "How long restoring state may fail before the process exits (a restart retries)");
  binder.check([s] { return validate(*s); });
}

Status validate(const Settings& s) {
  if (s.agencies.empty()) {
    return Error::invalid("list at least one agency id (e.g. sthjj-330100)", "feedback.agencies");
  }
  for (const auto& a : s.agencies) {
    if (!valid_agency_id(a)) {
      return Error::invalid("'" + a + "' is not an agency id: lower-case letters, digits and '-' inside",
                            "feedback.agencies");
    }
  }
  if (s.topic_template.find(envelope::topics::kAgencyPlaceholder) == std::string::npos) {
    return Error::invalid("must contain {agency}, e.g. caselink.feedback.{agency}.v1", "feedback.topic_template");
  }
  if (s.ack_timeout_ms <= 0) {
    return Error::invalid("must be > 0", "feedback.ack_timeout_ms");
  }
  if (s.restore_timeout_ms <= 0) {
    return Error::invalid("must be > 0", "feedback.restore_timeout_ms");
  }
  if (s.changelog_topic.empty()) {
    return Error::invalid("must be set", "feedback.changelog_topic");
  }
  if (s.alert_topic.empty()) {
    return Error::invalid("must be set", "feedback.alert_topic");
  }
  if (s.producer_id.empty()) {
    return Error::invalid("must be set", "feedback.producer_id");
  }
  return Status::success();
}

// ---------------------------------------------------------------------------------------------
// Metrics (all declared here)
// ---------------------------------------------------------------------------------------------

struct FeedbackHandler::Metrics {
  explicit Metrics(metrics::Registry& r)
      : routed(r.counter("caselink_feedback_routed_total", "Feedback records routed to an agency topic.",
                         {"agency"})),
        rejected(r.counter("caselink_feedback_rejected_total", "Input records dead-lettered by caselink-feedback.",
                           {"reason"})),
        ignored(r.counter("caselink_feedback_ignored_total", "Input records not relevant to feedback.",
                          {"event_type"})),
        duplicates(r.counter("caselink_feedback_duplicates_total",
                             "Redelivered or re-submitted events with no new effect.")),
        acknowledged(r.counter("caselink_feedback_acknowledged_total", "Feedback records acknowledged.")),
        held(r.counter("caselink_feedback_held_total",
                       "Results held because they arrived before their case's referral (routed when it comes).")),
        alerts(r.counter("caselink_feedback_alerts_total", "Alerts published.", {"kind", "status"})),
        restored(r.counter("caselink_feedback_restored_cases_total", "Case states read back from the changelog.")),
        restore_errors(r.counter("caselink_feedback_restore_errors_total",
                                 "Changelog reads that failed or values that could not be decoded.")),
        cases(r.gauge("caselink_feedback_cases", "Cases held in memory (owned partitions).").get()),
        pending_acks(r.gauge("caselink_feedback_pending_acks", "Feedback records awaiting acknowledgement.").get()),
        pending_filing(
            r.gauge("caselink_feedback_pending_filing_decisions", "Referrals awaiting a filing decision.").get()) {}

  metrics::CounterFamily& routed;
  metrics::CounterFamily& rejected;
  metrics::CounterFamily& ignored;
  metrics::CounterFamily& duplicates;
  metrics::CounterFamily& acknowledged;
  metrics::CounterFamily& held;
  metrics::CounterFamily& alerts;
  metrics::CounterFamily& restored;
  metrics::CounterFamily& restore_errors;
  metrics::Gauge& cases;
  metrics::Gauge& pending_acks;
  metrics::Gauge& pending_filing;
};

// ---------------------------------------------------------------------------------------------
// Handler
// ---------------------------------------------------------------------------------------------

FeedbackHandler::FeedbackHandler(Settings settings, const Clock& clock, kafka::ChangelogReader& changelog,
                                 metrics::Registry& registry)
    : settings_(std::move(settings)),
      agencies_(settings_.agencies.begin(), settings_.agencies.end()),
      clock_(clock),
      changelog_(changelog),
      metrics_(std::make_unique<Metrics>(registry)) {}

FeedbackHandler::~FeedbackHandler() = default;

std::string FeedbackHandler::topic_for(const std::string& agency) const {
  return envelope::feedback_topic_for(agency, settings_.topic_template);
}

HandlerResult FeedbackHandler::reject(const char* error_class, std::string message) {
  metrics_->rejected.labels({error_class}).inc();
  log()->warn("dead-lettered ({}): {}", error_class, message);
  return HandlerResult::reject(error_class, std::move(message));
}

CaseState& FeedbackHandler::touch(const std::string& case_id, int32_t partition) {
  auto it = cases_.find(case_id);
  if (!undo_.contains(case_id)) {
    undo_.emplace(case_id, it == cases_.end() ? std::nullopt : std::optional<CaseState>(it->second));
  }
  if (it == cases_.end()) {
    it = cases_.emplace(case_id, CaseState{}).first;
    it->second.partition = partition;
  }
  return it->second;
}

OutgoingRecord FeedbackHandler::changelog_record(const std::string& case_id) const {
  return OutgoingRecord{settings_.changelog_topic, case_id, serialize(cases_.at(case_id)), {}};
}

OutgoingRecord FeedbackHandler::alert_record(const std::string& case_id, const v1::Alert& alert, TimePoint now) const {
  v1::Envelope env = envelope::make_envelope(CaseId(case_id), AgencyId(settings_.producer_id), now, now);
  const char* purpose = alert.status() == v1::ALERT_STATUS_RESOLVED ? "alert.resolved" : "alert.raised";
  env.set_event_id(crypto::derived_uuid(purpose, alert.alert_id()));
  *env.mutable_alert() = alert;
  envelope::seal(env);
  return envelope::to_record(env, settings_.alert_topic);
}

HandlerResult FeedbackHandler::handle(const ConsumedRecord& record) {
  auto decoded = kafka::decode_record(record);
  if (!decoded.ok()) {
    metrics_->rejected.labels({decoded.error().reason}).inc();
    return kafka::refuse(decoded.error());
  }
  const v1::Envelope& env = *decoded;
  const auto payload = env.payload_case();
  if (payload == v1::Envelope::kCaseReferral) {
    return on_referral(env, record.partition);
  }
  if (payload == v1::Envelope::kFeedbackAcknowledged) {
    return on_ack(env);
  }
  if (is_result_payload(payload)) {
    return on_result(env, record.partition);
  }
  metrics_->ignored.labels({env.event_type()}).inc();
  return HandlerResult::emit({});
}

HandlerResult FeedbackHandler::on_referral(const v1::Envelope& env, int32_t partition) {
  const v1::CaseReferral& referral = env.case_referral();
  std::string agency = referral.referring_agency().organ_id();
  if (agency.empty()) {
    agency = env.producer_agency_id();
  }
  if (!agencies_.contains(agency)) {
    return reject(kUnauthorizedAgency, "CaseReferral of case '" + env.case_id() + "' names agency '" + agency +
                                           "', which is not in feedback.agencies (no feedback topic for it)");
  }
  auto it = cases_.find(env.case_id());
  if (it != cases_.end()) {
    if (it->second.referral_event_id == env.event_id()) {
      metrics_->duplicates.get().inc();
      return HandlerResult::emit({});
    }
    if (!it->second.agency.empty() && it->second.agency != agency) {
      return reject(kAgencyConflict, "case '" + env.case_id() + "' was referred by agency '" + it->second.agency +
                                         "'; a CaseReferral from '" + agency + "' cannot take it over");
    }
  }
  CaseState& state = touch(env.case_id(), partition);
  state.agency = agency;
  state.referral_event_id = env.event_id();
  state.police_party = referral.target_police_organ().organ_id();
  state.procuratorate_party = referral.procuratorate().organ_id();
  // Only for the pending-filing gauge: the filing deadline itself is caselink-sync's.
  state.filing_expected = true;
  state.filing_decision_event_id.clear();
  // Results that overtook this referral are routed now, in this transaction, in event-id order.
  std::vector<OutgoingRecord> outputs;
  const std::map<std::string, std::string> held = std::move(state.held);
  cases_.at(env.case_id()).held.clear();
  for (const auto& [id, bytes] : held) {
    auto decoded = envelope::decode(bytes);
    if (!decoded.ok()) continue;  // it decoded when it was held; the changelog is ours
    HandlerResult routed = on_result(*decoded, partition);
    if (routed.dead_letter) {
      log()->warn("held result {} of case {} could not be routed: {}", id, env.case_id(), routed.dead_letter->message);
      continue;
    }
    for (auto& record : routed.outputs) {
      if (record.topic != settings_.changelog_topic) outputs.push_back(std::move(record));
    }
  }
  outputs.push_back(changelog_record(env.case_id()));
  return HandlerResult::emit(std::move(outputs));
}

HandlerResult FeedbackHandler::on_result(const v1::Envelope& env, int32_t partition) {
  if (env.payload_case() == v1::Envelope::kStandardsAssessment &&
      env.standards_assessment().subject_kind() == v1::ASSESSMENT_SUBJECT_KIND_ADMINISTRATIVE_PENALTY) {
    // Screening of the agency's own penalty records: a clue for the procuratorate, not a
    // result of the agency's transfer.
    metrics_->ignored.labels({env.event_type()}).inc();
    return HandlerResult::emit({});
  }
  if (env.has_consultation_requested() || env.has_consultation_answered()) {
    if (auto handled = on_consultation(env, partition)) return std::move(*handled);
  }
  const std::string feedback_id = crypto::derived_uuid("feedback", env.event_id());
  auto it = cases_.find(env.case_id());
  if (it != cases_.end() && it->second.feedback.contains(feedback_id)) {
    metrics_->duplicates.get().inc();
    return HandlerResult::emit({});
  }

  // Who gets it: the agency an addressed result names (addressed_agency); otherwise the agency
  // that referred the case; otherwise, for a case returned to the agency, the organ it was
  // returned to.
  std::string agency = addressed_agency(env);
  if (agency.empty() && it != cases_.end()) agency = it->second.agency;
  if (agency.empty() && env.payload_case() == v1::Envelope::kCaseForwarded &&
      env.case_forwarded().kind() == v1::FORWARD_KIND_RETURNED_TO_AGENCY) {
    agency = env.case_forwarded().to_organ().organ_id();
  }
  if (agency.empty()) {
    return hold(env, partition);
  }
  if (!agencies_.contains(agency)) {
    return reject(kUnauthorizedAgency, env.event_type() + " for case '" + env.case_id() + "' would go to agency '" +
                                           agency + "', which is not in feedback.agencies");
  }

  const TimePoint now = clock_.now();
  v1::Envelope out = env;
  out.set_event_id(feedback_id);
  out.set_producer_agency_id(settings_.producer_id);
  out.set_causation_id(env.event_id());
  out.set_correlation_id(env.correlation_id().empty() ? env.event_id() : env.correlation_id());
  envelope::set_timestamp(out.mutable_recorded_at(), now);
  out.clear_signature();
  out.clear_signature_key_id();
  envelope::seal(out);
  const std::string topic = topic_for(agency);

  CaseState& state = touch(env.case_id(), partition);
  // An addressed result (an opinion's recipient, an order's agency) goes to its addressee but
  // does not make it the case's agency: that is the referral's to say (its sender could otherwise
  // steer a case's results, and this service reads events caselink-sync may refuse).
  const bool addressed = env.payload_case() == v1::Envelope::kProcuratorialOpinion ||
                         env.payload_case() == v1::Envelope::kTransferOrdered;
  if (state.agency.empty() && !addressed) {
    state.agency = agency;
  }
  FeedbackEntry entry;
  entry.source_event_id = env.event_id();
  entry.source_event_type = env.event_type();
  entry.agency = agency;
  entry.topic = topic;
  entry.due_at = now + std::chrono::milliseconds(settings_.ack_timeout_ms);
  state.feedback.emplace(feedback_id, std::move(entry));
  if (env.payload_case() == v1::Envelope::kFilingDecision || env.payload_case() == v1::Envelope::kCaseClosed) {
    state.filing_expected = false;
    state.filing_decision_event_id = env.event_id();
  }
  metrics_->routed.labels({agency}).inc();
  return HandlerResult::emit({envelope::to_record(out, topic), changelog_record(env.case_id())});
}

std::optional<HandlerResult> FeedbackHandler::on_consultation(const v1::Envelope& env, int32_t partition) {
  auto found = cases_.find(env.case_id());
  switch (consultation_step(env, found == cases_.end() ? nullptr : &found->second)) {
    case ConsultationStep::kRoute: return std::nullopt;
    case ConsultationStep::kHold: return hold(env, partition);
    case ConsultationStep::kIgnore: break;
    case ConsultationStep::kRemember: {
      const auto& q = env.consultation_requested();
      auto& asked = touch(env.case_id(), partition).agency_questions;
      if (std::none_of(asked.begin(), asked.end(), [&](const auto& a) { return a.first == q.consultation_id(); })) {
        asked.emplace_back(q.consultation_id(), q.consulted_party_id());
        if (asked.size() > kMaxAgencyQuestions) asked.erase(asked.begin());
      }
      metrics_->ignored.labels({env.event_type()}).inc();  // remembered, not routed
      return HandlerResult::emit({changelog_record(env.case_id())});
    }
  }
  metrics_->ignored.labels({env.event_type()}).inc();
  return HandlerResult::emit({});
}

// The referral and its results travel on different topics, so a result can overtake its
// referral (seen under load: an assessment read before the referral it assesses). Held in the
// case state (changelog, so a restart keeps it) and routed when the referral comes.
HandlerResult FeedbackHandler::hold(const v1::Envelope& env, int32_t partition) {
  auto held = cases_.find(env.case_id());
  const size_t already = held == cases_.end() ? 0 : held->second.held.size();
  if (held != cases_.end() && held->second.held.contains(env.event_id())) {
    metrics_->duplicates.get().inc();
    return HandlerResult::emit({});
  }
  if (already >= kMaxHeldPerCase) {
    return reject(kUnknownAgency, env.event_type() + " for case '" + env.case_id() + "': no CaseReferral seen for " +
                                      "this case, the payload names no agency, and " + std::to_string(already) +
                                      " results already wait for the referral");
  }
  CaseState& state = touch(env.case_id(), partition);
  state.held.emplace(env.event_id(), envelope::encode(env));
  metrics_->held.get().inc();
  log()->info("holding {} {} of case {} until its referral arrives", env.event_type(), env.event_id(), env.case_id());
  return HandlerResult::emit({changelog_record(env.case_id())});
}

HandlerResult FeedbackHandler::on_ack(const v1::Envelope& env) {
  const v1::FeedbackAcknowledged& ack = env.feedback_acknowledged();
  auto it = cases_.find(env.case_id());
  if (it == cases_.end() || !it->second.feedback.contains(ack.feedback_event_id())) {
    return reject(kUnknownFeedback, "FeedbackAcknowledged names feedback record '" + ack.feedback_event_id() +
                                        "', which caselink-feedback never sent for case '" + env.case_id() + "'");
  }
  const FeedbackEntry& current = it->second.feedback.at(ack.feedback_event_id());
  if (ack.agency_id() != current.agency) {
    return reject(kAckAgencyMismatch, "feedback record '" + ack.feedback_event_id() + "' went to agency '" +
                                          current.agency + "' but agency '" + ack.agency_id() + "' acknowledged it");
  }
  if (current.acked) {
    metrics_->duplicates.get().inc();
    return HandlerResult::emit({});
  }
  CaseState& state = touch(env.case_id(), it->second.partition);
  FeedbackEntry& entry = state.feedback.at(ack.feedback_event_id());
  entry.acked = true;
  metrics_->acknowledged.get().inc();
  std::vector<OutgoingRecord> outputs{changelog_record(env.case_id())};
  if (entry.alerted) {
    v1::Alert alert;
    alert.set_alert_id("feedback_unacknowledged:" + ack.feedback_event_id());
    alert.set_kind(v1::ALERT_KIND_FEEDBACK_UNACKNOWLEDGED);
    alert.set_severity(v1::ALERT_SEVERITY_INFO);
    alert.set_status(v1::ALERT_STATUS_RESOLVED);
    alert.add_addressed_to_party_ids(entry.agency);
    auto* details = alert.mutable_feedback_unacknowledged();
    details->set_feedback_event_id(ack.feedback_event_id());
    details->set_agency_id(entry.agency);
    details->set_feedback_topic(entry.topic);
    alert.set_message("agency " + entry.agency + " acknowledged feedback " + ack.feedback_event_id() + " late");
    outputs.push_back(alert_record(env.case_id(), alert, clock_.now()));
    metrics_->alerts.labels({"FEEDBACK_UNACKNOWLEDGED", "RESOLVED"}).inc();
  }
  return HandlerResult::emit(std::move(outputs));
}

v1::Alert FeedbackHandler::unacknowledged_alert(const std::string& feedback_id, const FeedbackEntry& entry) const {
  v1::Alert alert;
  alert.set_alert_id("feedback_unacknowledged:" + feedback_id);
  alert.set_kind(v1::ALERT_KIND_FEEDBACK_UNACKNOWLEDGED);
  alert.set_severity(v1::ALERT_SEVERITY_WARNING);
  alert.set_status(v1::ALERT_STATUS_RAISED);
  alert.add_addressed_to_party_ids(entry.agency);
  auto* details = alert.mutable_feedback_unacknowledged();
  details->set_feedback_event_id(feedback_id);
  details->set_agency_id(entry.agency);
  details->set_feedback_topic(entry.topic);
  alert.set_message("agency " + entry.agency + " has not acknowledged feedback " + feedback_id + " (" +
                    entry.source_event_type + ") within " + ms_text(settings_.ack_timeout_ms));
  auto* rule = alert.mutable_decided_by_rule();
  rule->set_rule_id("feedback.ack_timeout");
  rule->set_rule_version("ack_timeout_ms=" + std::to_string(settings_.ack_timeout_ms));
  rule->set_legal_source("caselink mechanism (acknowledgement.proto); domain.md §8.2: organs report back late");
  return alert;
}

// Acknowledgement tracking only: statutory deadlines are caselink-sync's (issue 20 #2).
std::vector<OutgoingRecord> FeedbackHandler::on_tick(TimePoint now) {
  std::vector<OutgoingRecord> outputs;
  // Collect first: touch() may insert into undo_ but never into cases_ here.
  for (auto& [case_id, current] : cases_) {
    std::vector<std::string> overdue;
    for (const auto& [id, entry] : current.feedback) {
      if (!entry.acked && !entry.alerted && entry.due_at <= now) {
        overdue.push_back(id);
      }
    }
    if (overdue.empty()) {
      continue;
    }
    CaseState& state = touch(case_id, current.partition);
    for (const auto& id : overdue) {
      FeedbackEntry& entry = state.feedback.at(id);
      entry.alerted = true;
      outputs.push_back(alert_record(case_id, unacknowledged_alert(id, entry), now));
      metrics_->alerts.labels({"FEEDBACK_UNACKNOWLEDGED", "RAISED"}).inc();
    }
    outputs.push_back(changelog_record(case_id));
  }
  update_gauges();
  return outputs;
}

void FeedbackHandler::update_gauges() {
  int64_t pending_acks = 0;
  int64_t pending_filing = 0;
  for (const auto& [id, state] : cases_) {
    pending_filing += state.filing_expected ? 1 : 0;
    for (const auto& [fid, entry] : state.feedback) {
      pending_acks += entry.acked ? 0 : 1;
    }
  }
  metrics_->cases.set(static_cast<double>(cases_.size()));
  metrics_->pending_acks.set(static_cast<double>(pending_acks));
  metrics_->pending_filing.set(static_cast<double>(pending_filing));
}

void FeedbackHandler::on_transaction_committed() { undo_.clear(); }

void FeedbackHandler::on_transaction_aborted() {
  for (auto& [case_id, previous] : undo_) {
    if (previous) {
      cases_[case_id] = std::move(*previous);
    } else {
      cases_.erase(case_id);
    }
  }
  if (!undo_.empty()) {
    log()->info("transaction aborted: rolled back {} case state(s)", undo_.size());
  }
  undo_.clear();
}

void FeedbackHandler::on_partitions_assigned(const std::vector<kafka::TopicPartition>& partitions) {
  std::vector<int32_t> fresh;
  for (const auto& tp : partitions) {
    if (owned_[tp.partition]++ == 0) {
      fresh.push_back(tp.partition);
    }
  }
  if (!fresh.empty()) {
    restore(fresh);
  }
  update_gauges();
}

void FeedbackHandler::on_partitions_revoked(const std::vector<kafka::TopicPartition>& partitions) {
  std::set<int32_t> gone;
  for (const auto& tp : partitions) {
    auto it = owned_.find(tp.partition);
    if (it != owned_.end() && --it->second <= 0) {
      owned_.erase(it);
      gone.insert(tp.partition);
    }
  }
  if (gone.empty()) {
    return;
  }
  size_t dropped = 0;
  for (auto it = cases_.begin(); it != cases_.end();) {
    if (gone.contains(it->second.partition)) {
      undo_.erase(it->first);
      it = cases_.erase(it);
      ++dropped;
    } else {
      ++it;
    }
  }
  log()->info("dropped {} case state(s) of {} revoked partition number(s)", dropped, gone.size());
  update_gauges();
}

void FeedbackHandler::restore(const std::vector<int32_t>& partitions) {
  const auto started = std::chrono::steady_clock::now();
  for (int attempt = 1;; ++attempt) {
    // Collected first and applied only when the whole read succeeded, so a failed attempt
    // leaves no half-restored state behind.
    std::vector<std::pair<std::string, std::optional<std::string>>> records;
    const Status read = changelog_.read(settings_.changelog_topic, partitions, [&records](const ConsumedRecord& r) {
      records.emplace_back(r.key.value_or(std::string()), r.value);
    });
    if (read.ok()) {
      size_t restored = 0;
      for (const auto& [key, value] : records) {
        if (!value) {
          cases_.erase(key);
          continue;
        }
        auto state = deserialize(*value);
        if (!state.ok()) {
          metrics_->restore_errors.get().inc();
          log()->error("changelog value of case '{}' skipped: {}", key, state.error().describe());
          continue;
        }
        cases_[key] = std::move(*state);
        ++restored;
      }
      metrics_->restored.get().inc(restored);
      log()->info("restored {} changelog record(s) ({} cases in memory) for {} partition number(s)", restored,
                  cases_.size(), partitions.size());
      return;
    }
    metrics_->restore_errors.get().inc();
    const auto waited =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    if (waited.count() >= settings_.restore_timeout_ms) {
      // Running on without the state would re-alert and forget pending acknowledgements.
      log()->critical("cannot restore state from '{}' after {} attempt(s): {}. Check that the topic exists with "
                      "as many partitions as the input topics (docs/services/feedback.md); exiting so that a "
                      "restart retries",
                      settings_.changelog_topic, attempt, read.error().describe());
      std::abort();
    }
    log()->warn("restore from '{}' failed (attempt {}): {}; retrying", settings_.changelog_topic, attempt,
                read.error().describe());
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(500LL * attempt, 5000)));
  }
}

}  // namespace caselink::feedback
