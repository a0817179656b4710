#include "services/daemons/standards/handler.h"

#include <array>
#include <chrono>
#include <cctype>

#include "services/lib/crypto/derived_uuid.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/decode.h"
#include "services/lib/logging/logging.h"
#include "services/daemons/standards/engine/loader.h"
#include "services/daemons/standards/mapping.h"

namespace caselink::standards {

namespace {

std::shared_ptr<spdlog::logger> log() { return logging::get("standards"); }

// 以罚代刑: a penalty imposed, never referred, for conduct that meets a criminal threshold.
bool needs_clue(const v1::AdministrativePenaltyReported& p, const v1::StandardsAssessment& published) {
  return published.outcome() == v1::ASSESSMENT_OUTCOME_MEETS_THRESHOLD && !p.ever_referred() &&
         p.outcome() == v1::PENALTY_OUTCOME_IMPOSED;
}

// "meets_threshold", "below_threshold", "insufficient_facts", "unspecified" (no applicable rule).
std::string outcome_label(v1::AssessmentOutcome outcome) {
  std::string name = v1::AssessmentOutcome_Name(outcome).substr(std::string("ASSESSMENT_OUTCOME_").size());
  for (char& c : name) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return name;
}

}  // namespace

// Declared in one place, registered at start-up (style.md rule 14).
struct StandardsHandler::Metrics {
  explicit Metrics(metrics::Registry& r)
      : assessments(r.counter("caselink_standards_assessments_total",
                              "Assessments published, by subject (referral|penalty) and outcome.",
                              {"subject", "outcome"})),
        clues(r.counter("caselink_standards_supervision_clues_total",
                        "Supervision clues (penalty records meeting a criminal threshold, never referred).")
                  .get()),
        unaddressed(r.counter("caselink_standards_unaddressed_clues_total",
                              "Supervision clues for a region the organ registry does not cover (published unaddressed).")
                        .get()),
        duplicates(r.counter("caselink_standards_duplicates_total",
                             "Redelivered input events dropped by the dedup window.")
                       .get()),
        ignored(r.counter("caselink_standards_ignored_total", "Input events of other types, ignored.", {"event_type"})),
        invalid(r.counter("caselink_standards_invalid_total", "Input events refused (dead-lettered), by reason.",
                          {"reason"})),
        reloads(r.counter("caselink_standards_rule_reloads_total", "Rule-set reloads, by result (ok|error).",
                          {"result"})),
        rule_set(r.gauge("caselink_standards_rule_set_info", "1 for the rule-set version in force.", {"version"})),
        rules(r.gauge("caselink_standards_rules", "Rule entries in the rule set in force.").get()),
        restored(r.counter("caselink_standards_penalty_history_restored_total",
                           "Imposed penalties read back from the penalty topic into the penalty history "
                           "(after a start or a reassignment).")
                     .get()) {
    // Resolved once: a label lookup per record (two strings built and hashed) is measurable
    // when screening millions of penalty records.
    for (int outcome = v1::AssessmentOutcome_MIN; outcome <= v1::AssessmentOutcome_MAX; ++outcome) {
      const std::string label = outcome_label(static_cast<v1::AssessmentOutcome>(outcome));
      assessment_by_outcome[0][static_cast<size_t>(outcome)] = &assessments.labels({"referral", label});
      assessment_by_outcome[1][static_cast<size_t>(outcome)] = &assessments.labels({"penalty", label});
    }
  }

  metrics::Counter& assessed(bool referral, v1::AssessmentOutcome outcome) {
    return *assessment_by_outcome[referral ? 0 : 1][static_cast<size_t>(outcome)];
  }

  metrics::CounterFamily& assessments;
  // [referral, penalty][outcome]
  std::array<std::array<metrics::Counter*, v1::AssessmentOutcome_ARRAYSIZE>, 2> assessment_by_outcome{};
  metrics::Counter& clues;
  metrics::Counter& unaddressed;
  metrics::Counter& duplicates;
  metrics::CounterFamily& ignored;
  metrics::CounterFamily& invalid;
  metrics::CounterFamily& reloads;
  metrics::GaugeFamily& rule_set;
  metrics::Gauge& rules;
  metrics::Counter& restored;
};

RuleSetLimits rule_set_limits(const Settings& s) {
  return RuleSetLimits{static_cast<uint64_t>(s.max_rule_bytes), static_cast<size_t>(s.max_rules)};
}

void bind(config::ConfigBinder& binder, Settings* s) {
  binder.bind("standards.rules_dir", &s->rules_dir,
              "Rule directory: offence files *.yaml and catalogue/ (reloaded on SIGHUP)");
  binder.bind("standards.assessment_topic", &s->assessment_topic, "Topic of the StandardsAssessment events");
  binder.bind("standards.alert_topic", &s->alert_topic, "Topic of the supervision-clue alerts");
  binder.bind("standards.organs_file", &s->organs_file,
              "Organ registry (rules/organs/organs.yaml): supervision clues go to the competent procuratorate");
  binder.bind("standards.dedup_capacity", &s->dedup_capacity,
              "Input event ids remembered to drop redeliveries (0 = off)");
  binder.bind("standards.penalty_history_parties", &s->penalty_history_parties,
              "Parties whose penalties are remembered to count windowed facts such as prior_penalties_count (0 = off)");
  binder.bind("standards.penalty_topic", &s->penalty_topic,
              "Input topic of the penalty records; its assigned partitions refill the penalty history at start");
  binder.bind("standards.restore_timeout_ms", &s->restore_timeout_ms,
              "Longest refill of the penalty history from the penalty topic (then it goes on with what it read)");
  binder.bind("standards.history_topic", &s->history_topic,
              "Penalty history topic: every remembered penalty is copied there and every instance follows it whole "
              "(empty = off: each instance counts only the penalties it read itself)");
  binder.bind("standards.max_rules", &s->max_rules,
              "Most rules a rule set may hold; a larger set is refused at start and at reload");
  binder.bind("standards.max_rule_bytes", &s->max_rule_bytes,
              "Most bytes of YAML in the rule directory (parsing holds about 65 times that); larger is refused "
              "before parsing, at start and at reload");
  binder.check([s]() -> Status {
    if (s->rules_dir.empty()) {
      return Error::invalid("must be set", "standards.rules_dir");
    }
    if (s->max_rules < 1) {
      return Error::invalid("must be >= 1", "standards.max_rules");
    }
    if (s->max_rule_bytes < 1) {
      return Error::invalid("must be >= 1", "standards.max_rule_bytes");
    }
    if (s->assessment_topic.empty()) {
      return Error::invalid("must be set", "standards.assessment_topic");
    }
    if (s->alert_topic.empty()) {
      return Error::invalid("must be set", "standards.alert_topic");
    }
    if (s->organs_file.empty()) {
      return Error::invalid("must be set", "standards.organs_file");
    }
    if (s->dedup_capacity < 0) {
      return Error::invalid("must be 0 or more", "standards.dedup_capacity");
    }
    if (s->penalty_history_parties < 0) {
      return Error::invalid("must be 0 or more", "standards.penalty_history_parties");
    }
    if (s->penalty_topic.empty()) {
      return Error::invalid("must be set", "standards.penalty_topic");
    }
    if (s->restore_timeout_ms < 1000) {
      return Error::invalid("must be 1000 or more", "standards.restore_timeout_ms");
    }
    return Status::success();
  });
}

StandardsHandler::StandardsHandler(Settings settings, std::shared_ptr<const RuleSet> rules, RuleLoader loader,
                                   const Clock& clock, metrics::Registry* registry, std::atomic<bool>* reload_flag)
    : settings_(std::move(settings)),
      engine_(std::move(rules)),
      loader_(std::move(loader)),
      clock_(clock),
      reload_flag_(reload_flag),
      history_(static_cast<size_t>(std::max<int64_t>(0, settings_.penalty_history_parties))) {
  if (registry != nullptr) {
    metrics_ = std::make_unique<Metrics>(*registry);
    metrics_->rule_set.labels({engine_.rules().version}).set(1);
    metrics_->rules.set(static_cast<double>(engine_.rules().rules.size()));
    metrics_->reloads.labels({"ok"});
    metrics_->reloads.labels({"error"});
  }
  log()->info("rule set {} in force: {} offences, {} rules", engine_.rules().version, engine_.rules().offences.size(),
              engine_.rules().rules.size());
}

StandardsHandler::~StandardsHandler() = default;

Status StandardsHandler::reload() {
  if (!loader_) {
    return Error::invalid("no rule loader configured");
  }
  auto loaded = loader_();
  if (!loaded.ok()) {
    log()->error("rule reload rejected, keeping rule set {}:\n{}", engine_.rules().version, loaded.error().message);
    if (metrics_) {
      metrics_->reloads.labels({"error"}).inc();
    }
    return loaded.error();
  }
  if (const auto failures = run_examples(*loaded); !failures.empty()) {
    std::string message;
    for (const auto& f : failures) {
      message += (message.empty() ? "" : "\n") + f;
    }
    log()->error("rule reload rejected (examples fail), keeping rule set {}:\n{}", engine_.rules().version, message);
    if (metrics_) {
      metrics_->reloads.labels({"error"}).inc();
    }
    return Error::invalid(message, settings_.rules_dir, "standards.rules_invalid");
  }
  const std::string old_version = engine_.rules().version;
  auto next = std::make_shared<const RuleSet>(std::move(*loaded));
  if (metrics_) {
    metrics_->rule_set.remove({old_version});
    metrics_->rule_set.labels({next->version}).set(1);
    metrics_->rules.set(static_cast<double>(next->rules.size()));
    metrics_->reloads.labels({"ok"}).inc();
  }
  log()->info("rule set reloaded: {} -> {} ({} rules)", old_version, next->version, next->rules.size());
  engine_ = Engine(std::move(next));
  return Status::success();
}

void StandardsHandler::maybe_reload() {
  if (reload_flag_ != nullptr && reload_flag_->load(std::memory_order_relaxed) && reload_flag_->exchange(false)) {
    (void)reload();
  }
}

std::vector<OutgoingRecord> StandardsHandler::on_tick(TimePoint) {
  maybe_reload();
  return {};
}

// Only what the history needs: the parties' document type, masked number and name, the decision
// number and date, the offence, field and outcome — no facts, no amounts, no addresses.
std::optional<OutgoingRecord> StandardsHandler::history_record(const v1::Envelope& in) const {
  if (settings_.history_topic.empty() || settings_.penalty_history_parties == 0 || !PenaltyHistory::remembers(in)) {
    return std::nullopt;
  }
  const auto& p = in.administrative_penalty_reported();
  v1::Envelope out = envelope::make_envelope(CaseId(in.case_id()), AgencyId(kProducerId),
                                             envelope::to_time_point(in.occurred_at()), clock_.now());
  out.set_event_id(crypto::derived_uuid(kHistoryIdSpace, in.event_id()));
  out.set_correlation_id(in.correlation_id());
  out.set_causation_id(in.event_id());
  auto* copy = out.mutable_administrative_penalty_reported();
  copy->set_decision_number(p.decision_number());
  *copy->mutable_decided_at() = p.decided_at();
  copy->set_outcome(p.outcome());
  copy->set_report_context(p.report_context());
  copy->set_domain(p.domain());
  copy->set_offence_code(p.offence_code());
  for (const auto& party : p.penalized_parties()) {
    auto* kept = copy->add_penalized_parties();
    kept->set_id_document_type(party.id_document_type());
    kept->set_id_number_masked(party.id_number_masked());
    kept->set_name(party.name());
  }
  envelope::seal(out);
  return envelope::to_record(out, settings_.history_topic);
}

bool StandardsHandler::seen(const std::string& event_id) const {
  return committed_.count(event_id) != 0 || pending_.count(event_id) != 0;
}

void StandardsHandler::on_transaction_committed() {
  history_.commit();
  if (settings_.dedup_capacity == 0) {
    pending_.clear();
    return;
  }
  for (const auto& id : pending_) {
    if (committed_.insert(id).second) {
      committed_order_.push_back(id);
    }
  }
  pending_.clear();
  while (committed_order_.size() > static_cast<size_t>(settings_.dedup_capacity)) {
    committed_.erase(committed_order_.front());
    committed_order_.pop_front();
  }
}

void StandardsHandler::on_transaction_aborted() {
  pending_.clear();
  history_.abort();
}

kafka::HandlerResult StandardsHandler::handle(const ConsumedRecord& record) {
  maybe_reload();
  auto decoded = kafka::decode_record(record);
  if (!decoded.ok()) {
    if (metrics_) {
      metrics_->invalid.labels({decoded.error().reason}).inc();
    }
    return kafka::refuse(decoded.error());
  }
  const v1::Envelope& in = *decoded;
  const bool referral = in.payload_case() == v1::Envelope::kCaseReferral;
  const bool penalty = in.payload_case() == v1::Envelope::kAdministrativePenaltyReported;
  if (!referral && !penalty) {
    if (metrics_) {
      metrics_->ignored.labels({in.event_type()}).inc();
    }
    return {};
  }
  if (settings_.dedup_capacity > 0) {
    if (seen(in.event_id())) {
      // Per record, so debug: a re-sent batch would otherwise flood the log (the metric counts it).
      log()->debug("event {} already assessed; redelivery dropped", in.event_id());
      if (metrics_) {
        metrics_->duplicates.inc();
      }
      return {};
    }
    pending_.insert(in.event_id());
  }

  const RuleSet& rules = engine_.rules();
  Subject subject;
  subject.event_id = in.event_id();
  Result<CaseFacts> input = input_facts(in);
  if (penalty) {
    const auto& p = in.administrative_penalty_reported();
    subject.kind = v1::ASSESSMENT_SUBJECT_KIND_ADMINISTRATIVE_PENALTY;
    subject.penalty_decision_number = p.decision_number();
    subject.facts = &p.facts();
    subject.jurisdiction = p.jurisdiction();
  } else {
    subject.kind = v1::ASSESSMENT_SUBJECT_KIND_REFERRAL;
    subject.facts = &in.case_referral().facts();
    subject.jurisdiction = in.case_referral().jurisdiction();
  }
  if (!input.ok()) {
    if (metrics_) {
      metrics_->invalid.labels({kInvalidInput}).inc();
    }
    log()->warn("refused: {}", input.error().message);
    return kafka::HandlerResult::reject(kInvalidInput, input.error().message);
  }

  // Windowed facts: the same party's earlier penalties this instance has seen (a lower bound).
  input->seen_penalties = history_.earlier(in);
  history_.add(in);
  const TimePoint occurred = envelope::to_time_point(in.occurred_at());
  const Assessment assessment = engine_.assess(*input, china_date(occurred));
  const std::string assessment_id = crypto::derived_uuid(kAssessmentIdSpace, in.event_id());
  const v1::Envelope assessed = assessment_envelope(
      in, to_proto(assessment, rules, *input, subject, assessment_id), occurred, referral);
  std::vector<OutgoingRecord> outputs{envelope::to_record(assessed, settings_.assessment_topic)};
  const v1::StandardsAssessment& published = assessed.standards_assessment();
  if (penalty && needs_clue(in.administrative_penalty_reported(), published)) {
    outputs.push_back(supervision_clue(in, published, rules.version, occurred));
  }
  if (auto copy = penalty ? history_record(in) : std::nullopt) {
    outputs.push_back(std::move(*copy));
  }
  return kafka::HandlerResult::emit(std::move(outputs));
}

Result<CaseFacts> StandardsHandler::input_facts(const v1::Envelope& in) const {
  const Catalogue& catalogue = engine_.rules().catalogue;
  if (in.has_case_referral()) {
    return case_facts(in.case_referral(), catalogue);
  }
  const auto& p = in.administrative_penalty_reported();
  Result<CaseFacts> input = case_facts(p, catalogue);
  if (input.ok() && p.report_context() == v1::PENALTY_REPORT_CONTEXT_UNSPECIFIED) {
    return Error::invalid("report_context: must be stated", "report_context", kInvalidInput);
  }
  if (input.ok() && p.outcome() == v1::PENALTY_OUTCOME_UNSPECIFIED) {
    return Error::invalid("outcome: must be stated", "outcome", kInvalidInput);
  }
  return input;
}

void StandardsHandler::on_partitions_assigned(const std::vector<kafka::TopicPartition>& partitions) {
  std::vector<int32_t> fresh;
  for (const auto& tp : partitions) {
    if (tp.topic == settings_.penalty_topic && restored_partitions_.insert(tp.partition).second) {
      fresh.push_back(tp.partition);
    }
  }
  if (!fresh.empty() && restore_reader_ != nullptr && settings_.penalty_history_parties > 0) {
    restore_history(fresh);
  }
}

void StandardsHandler::on_partitions_revoked(const std::vector<kafka::TopicPartition>& partitions) {
  // What those partitions added stays remembered: a lower bound may only grow. A partition
  // assigned again is read again (restore() ignores penalties it already holds).
  for (const auto& tp : partitions) {
    if (tp.topic == settings_.penalty_topic) {
      restored_partitions_.erase(tp.partition);
    }
  }
}

// Every record of the partitions, to their end: the records after the group's committed offset
// are handled again afterwards, and their penalties are then already known. That changes no
// count wrongly: a penalty counts only when decided inside the window before the act date, and
// the record's own decision never counts (PenaltyHistory::earlier).
void StandardsHandler::restore_history(const std::vector<int32_t>& partitions) {
  const auto started = std::chrono::steady_clock::now();
  size_t records = 0;
  size_t remembered = 0;
  const Status read = restore_reader_->read(settings_.penalty_topic, partitions, [&](const ConsumedRecord& record) {
    ++records;
    auto decoded = kafka::decode_record(record);  // the same signature and authorization checks as handle()
    if (decoded.ok() && decoded->has_administrative_penalty_reported() && input_facts(*decoded).ok() &&
        history_.restore(*decoded)) {
      ++remembered;
    }
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::string list;
  for (int32_t p : partitions) {
    list += (list.empty() ? "" : ",") + std::to_string(p);
  }
  if (metrics_) {
    metrics_->restored.inc(remembered);
  }
  if (!read.ok()) {
    log()->error("penalty history: refill from {} {} stopped after {} records ({:.1f} s): {}; going on with {} "
                 "penalties remembered (counts stay lower bounds)",
                 settings_.penalty_topic, list, records, seconds, read.error().describe(),
                 remembered);
    return;
  }
  log()->info("penalty history: refilled from {} partition(s) {}: {} records read, {} penalties remembered, {} "
              "parties held ({:.1f} s)",
              settings_.penalty_topic, list, records, remembered, history_.parties(), seconds);
}

Result<organs::Registry> load_organs(const std::string& path, const RuleSet& rules) {
  auto registry = organs::Registry::load_file(path);
  if (!registry.ok()) {
    return Error::invalid("standards.organs_file: " + registry.error().message, "standards.organs_file");
  }
  std::vector<std::string> provinces;
  for (const auto& kv : rules.catalogue.provinces) {
    provinces.push_back(kv.first);
  }
  if (const auto missing = registry->uncovered(provinces); !missing.empty()) {
    std::string list;
    for (const auto& code : missing) {
      list += (list.empty() ? "" : ", ") + code;
    }
    return Error::invalid("standards.organs_file: " + path + " has no organs for province(s) " + list,
                          "standards.organs_file");
  }
  return registry;
}

// The assessment in its envelope, counted and logged. The assessment is moved in, not copied (a
// copy per record showed up in the bulk-screening profile, bench/screening); only a clue, which
// must embed it, copies it.
v1::Envelope StandardsHandler::assessment_envelope(const v1::Envelope& in, v1::StandardsAssessment assessment,
                                                   TimePoint occurred, bool referral) {
  v1::Envelope assessed = envelope::make_envelope(CaseId(in.case_id()), AgencyId(kProducerId), occurred, clock_.now());
  assessed.set_event_id(assessment.assessment_id());
  assessed.set_correlation_id(in.correlation_id());
  assessed.set_causation_id(in.event_id());
  *assessed.mutable_standards_assessment() = std::move(assessment);
  envelope::seal(assessed);
  const v1::StandardsAssessment& published = assessed.standards_assessment();
  if (metrics_) {
    metrics_->assessed(referral, published.outcome()).inc();
  }
  log()->debug("assessed {} {}: {}", referral ? "referral" : "penalty record", in.event_id(), published.summary());
  return assessed;
}

// The procuratorate competent for the record's region (county, else city, else province; the
// deciding agency's id when the record states no region), from the organ registry. A region the
// registry does not cover yields no addressee, an error log naming it, and a counted metric.
std::vector<std::string> StandardsHandler::clue_addressees(const v1::AdministrativePenaltyReported& p,
                                                           std::string* note) {
  const v1::Jurisdiction& j = p.jurisdiction();
  const std::string region = !j.county_code().empty() ? j.county_code()
                             : !j.city_code().empty() ? j.city_code()
                                                      : j.province_code();
  Result<organs::Competent> found = Error::not_found("no organ registry loaded (standards.organs_file)");
  if (organs_ && !region.empty()) {
    found = organs_->competent_for(region);
  } else if (organs_) {
    found = organs_->competent_for_organ(p.deciding_agency().organ_id());
  }
  if (!found.ok()) {
    *note = "not addressed: " + found.error().message + " (region '" + region + "', agency '" +
            p.deciding_agency().organ_id() + "')";
    log()->error("supervision clue for penalty decision {}: {}", p.decision_number(), *note);
    if (metrics_) {
      metrics_->unaddressed.inc();
    }
    return {};
  }
  *note = found->note;
  return {found->organs->procuratorate.id};
}

// The 以罚代刑 clue for a penalty record that meets a criminal threshold and was never referred.
OutgoingRecord StandardsHandler::supervision_clue(const v1::Envelope& in, const v1::StandardsAssessment& published,
                                                  const std::string& rule_version, TimePoint occurred) {
  const auto& p = in.administrative_penalty_reported();
  v1::Envelope out = envelope::make_envelope(CaseId(in.case_id()), AgencyId(kProducerId), occurred, clock_.now());
  out.set_event_id(crypto::derived_uuid(kClueEventIdSpace, in.event_id()));
  out.set_correlation_id(in.correlation_id());
  out.set_causation_id(in.event_id());
  v1::Alert* alert = out.mutable_alert();
  // The same penalty decision reported again is the same condition: same alert id.
  const std::string condition = p.decision_number().empty()
                                    ? "event:" + in.event_id()
                                    : "decision:" + p.deciding_agency().organ_id() + "/" + p.decision_number();
  alert->set_alert_id(crypto::derived_uuid(kClueIdSpace, condition));
  alert->set_kind(v1::ALERT_KIND_SUPERVISION_CLUE);
  alert->set_severity(v1::ALERT_SEVERITY_WARNING);
  alert->set_status(v1::ALERT_STATUS_RAISED);
  std::string note;
  for (const auto& party : clue_addressees(p, &note)) {
    alert->add_addressed_to_party_ids(party);
  }
  v1::SupervisionClueDetails* details = alert->mutable_supervision_clue();
  details->set_reason(v1::SUPERVISION_CLUE_REASON_PENALTY_INSTEAD_OF_TRANSFER);
  *details->mutable_assessment() = published;
  details->set_penalty_decision_number(p.decision_number());
  details->set_penalty_event_id(in.event_id());
  *details->mutable_deciding_agency() = p.deciding_agency();
  alert->set_message("以罚代刑 supervision clue: penalty decision " +
                     (p.decision_number().empty() ? std::string("(no number)") : p.decision_number()) + " of " +
                     (!p.deciding_agency().name().empty()       ? p.deciding_agency().name()
                      : !p.deciding_agency().organ_id().empty() ? p.deciding_agency().organ_id()
                                                                 : std::string("(agency not stated)")) +
                     " meets a criminal threshold and was never transferred: " + published.summary() +
                     (note.empty() ? std::string() : " [" + note + "]"));
  v1::RuleRef* rule = alert->mutable_decided_by_rule();
  rule->set_rule_id("standards.screening.penalty_instead_of_transfer");
  rule->set_rule_version(rule_version);
  rule->set_legal_source("S1 Art 11 ¶1, Art 16 ¶2 (不得以行政处罚代替移送)");
  rule->set_confidence(v1::CONFIDENCE_HIGH);
  envelope::seal(out);
  if (metrics_) {
    metrics_->clues.inc();
  }
  // Debug, not info: a bulk screening run raises clues for a large share of millions of
  // records; the clue itself is on the alert topic and counted in the metrics.
  log()->debug("supervision clue for penalty decision {} ({}): {}", p.decision_number(), in.event_id(),
               published.summary());
  return envelope::to_record(out, settings_.alert_topic);
}

}  // namespace caselink::standards
