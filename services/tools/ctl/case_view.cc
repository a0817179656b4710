#include "services/tools/ctl/case_view.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "services/daemons/sync/case_engine.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/signing/envelope_signature.h"

namespace caselink::ctl {

namespace {

// "CASE_STATE_FILED" -> "FILED": the prefix only repeats the enum's name.
std::string strip(const std::string& name, const char* prefix) {
  const std::string p = prefix;
  return name.rfind(p, 0) == 0 ? name.substr(p.size()) : name;
}

std::string short_type(const v1::Envelope& e) { return strip(e.event_type(), "caselink.v1."); }

std::string or_none(const std::string& number) { return number.empty() ? "(none)" : number; }

// ", case numbers 杭环移〔2026〕17号 / A3301002026000917" for an acknowledgement stating either.
template <typename Ack>
std::string case_numbers_text(const Ack& a) {
  if (a.agency_case_number().empty() && a.police_case_number().empty()) return "";
  return ", case numbers " + or_none(a.agency_case_number()) + " / " + or_none(a.police_case_number());
}

std::string organ_name(const v1::Organ& o) { return o.organ_id().empty() ? std::string("?") : o.organ_id(); }

std::string categories(const google::protobuf::RepeatedField<int>& list) {
  std::string out;
  for (int c : list) {
    if (!out.empty()) out += ", ";
    out += strip(v1::MaterialCategory_Name(static_cast<v1::MaterialCategory>(c)), "MATERIAL_CATEGORY_");
  }
  return out;
}

std::string time_text(const google::protobuf::Timestamp& ts) {
  return format_rfc3339(envelope::to_time_point(ts)).substr(0, 19).replace(10, 1, " ");
}

std::string duration_text(std::chrono::seconds s) {
  const auto total = s.count() < 0 ? -s.count() : s.count();
  const long long days = total / 86400;
  const long long hours = (total % 86400) / 3600;
  const long long minutes = (total % 3600) / 60;
  char buf[64];
  if (days > 0) {
    std::snprintf(buf, sizeof buf, "%lldd %lldh", days, hours);
  } else if (hours > 0) {
    std::snprintf(buf, sizeof buf, "%lldh %lldm", hours, minutes);
  } else {
    std::snprintf(buf, sizeof buf, "%lldm", minutes);
  }
  return buf;
}

std::string to_json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

}  // namespace

namespace {

// Each summarize_* writes one group of payloads; summarize() routes every payload case to one.

// Administrative agency side: the suspected crime, the transfer and what goes with it.
void summarize_transfer(const v1::Envelope& e, std::ostream& s) {
  using P = v1::Envelope;
  switch (e.payload_case()) {
    case P::kSuspectedCrimeReported:
      s << "suspected crime reported: " << e.suspected_crime_reported().offence_code() << " — "
        << e.suspected_crime_reported().summary();
      break;
    case P::kTransferDecided:
      s << "transfer " << strip(v1::TransferDecision_Name(e.transfer_decided().decision()), "TRANSFER_DECISION_");
      break;
    case P::kCaseReferral: {
      const auto& r = e.case_referral();
      s << "referral " << (r.offence_name().empty() ? r.offence_code() : r.offence_name()) << " from "
        << organ_name(r.referring_agency()) << " → " << organ_name(r.target_police_organ());
      if (r.copy_to_procuratorate()) s << " (copy to " << organ_name(r.procuratorate()) << ")";
      break;
    }
    case P::kMaterialsSupplemented:
      s << "materials supplemented: " << categories(e.materials_supplemented().categories_supplied());
      break;
    case P::kReconsiderationRequested:
      s << "reconsideration requested: " << e.reconsideration_requested().grounds();
      break;
    case P::kFilingSupervisionRequested:
      s << "filing supervision requested from " << organ_name(e.filing_supervision_requested().procuratorate()) << " ("
        << strip(v1::FilingSupervisionGround_Name(e.filing_supervision_requested().ground()),
                 "FILING_SUPERVISION_GROUND_")
        << ")";
      break;
    case P::kSeizedItemsHandedOver:
      s << "seized items handed over: " << e.seized_items_handed_over().items_size() << " item(s)";
      break;
    case P::kTransferOrdered:
      s << "transfer ordered by " << organ_name(e.transfer_ordered().ordering_organ()) << ": "
        << organ_name(e.transfer_ordered().agency()) << " to transfer before "
        << time_text(e.transfer_ordered().transfer_due_at());
      break;
    case P::kAdministrativePenaltyReported: {
      const auto& p = e.administrative_penalty_reported();
      s << "administrative penalty " << p.decision_number() << ": "
        << strip(v1::PenaltyOutcome_Name(p.outcome()), "PENALTY_OUTCOME_") << " ("
        << strip(v1::PenaltyReportContext_Name(p.report_context()), "PENALTY_REPORT_CONTEXT_") << ")";
      if (p.fine_amount_yuan() > 0) s << ", fine " << static_cast<long long>(p.fine_amount_yuan()) << " yuan";
      break;
    }
    default: break;
  }
}

// Police side: acceptance, forwarding, the filing decision and its review.
void summarize_police(const v1::Envelope& e, std::ostream& s) {
  using P = v1::Envelope;
  switch (e.payload_case()) {
    case P::kReferralAccepted: s << "referral accepted by " << organ_name(e.referral_accepted().police_organ()); break;
    case P::kMaterialsSupplementRequested:
      s << "materials supplement requested: " << categories(e.materials_supplement_requested().missing_categories());
      break;
    case P::kCaseForwarded:
      s << "forwarded (" << strip(v1::ForwardKind_Name(e.case_forwarded().kind()), "FORWARD_KIND_") << ") to "
        << organ_name(e.case_forwarded().to_organ());
      break;
    case P::kFilingReviewExtended:
      s << "filing review extended to " << e.filing_review_extended().claimed_limit_days() << " days";
      break;
    case P::kFilingDecision: {
      const auto& d = e.filing_decision();
      s << "filing decision: " << strip(v1::FilingOutcome_Name(d.outcome()), "FILING_OUTCOME_");
      if (d.outcome() == v1::FILING_OUTCOME_NOT_FILED) {
        s << " (" << strip(v1::NotFiledReason_Name(d.not_filed_reason()), "NOT_FILED_REASON_");
        if (!d.reasons().empty()) s << ": " << d.reasons();
        s << ")";
      }
      break;
    }
    case P::kReconsiderationDecided:
      s << "reconsideration "
        << strip(v1::ReconsiderationOutcome_Name(e.reconsideration_decided().outcome()), "RECONSIDERATION_OUTCOME_");
      break;
    default: break;
  }
}

// Procuratorate and court: supervision, prosecution, opinions, judgment, closing, reverse review.
void summarize_procuratorate(const v1::Envelope& e, std::ostream& s) {
  using P = v1::Envelope;
  switch (e.payload_case()) {
    case P::kFilingSupervisionAction:
      s << "filing supervision: "
        << strip(v1::FilingSupervisionStep_Name(e.filing_supervision_action().step()), "FILING_SUPERVISION_STEP_");
      break;
    case P::kProsecutionDecision:
      s << "prosecution decision: "
        << strip(v1::ProsecutionOutcome_Name(e.prosecution_decision().outcome()), "PROSECUTION_OUTCOME_");
      break;
    case P::kProcuratorialOpinion:
      s << "procuratorial opinion ("
        << strip(v1::ProcuratorialOpinionKind_Name(e.procuratorial_opinion().kind()), "PROCURATORIAL_OPINION_KIND_")
        << ") to " << organ_name(e.procuratorial_opinion().recipient());
      break;
    case P::kCourtJudgment:
      s << "judgment " << e.court_judgment().judgment_number() << ": "
        << strip(v1::Verdict_Name(e.court_judgment().verdict()), "VERDICT_");
      break;
    case P::kCaseClosed: s << "closed: " << strip(v1::CaseClosedReason_Name(e.case_closed().reason()), "CASE_CLOSED_REASON_"); break;
    case P::kReverseReviewStatusChanged:
      s << "reverse review: "
        << strip(v1::ReverseReviewStatus_Name(e.reverse_review_status_changed().status()), "REVERSE_REVIEW_STATUS_");
      break;
    default: break;
  }
}

// Evidence and the standards assessment.
void summarize_evidence(const v1::Envelope& e, std::ostream& s) {
  using P = v1::Envelope;
  switch (e.payload_case()) {
    case P::kEvidenceManifest:
      s << "evidence manifest " << e.evidence_manifest().manifest_id() << ": " << e.evidence_manifest().items_size()
        << " item(s) ("
        << strip(v1::ManifestPurpose_Name(e.evidence_manifest().purpose()), "MANIFEST_PURPOSE_") << ")";
      break;
    case P::kEvidenceReceipt: {
      const auto& r = e.evidence_receipt();
      s << "evidence receipt " << r.manifest_id() << ": " << strip(v1::ReceiptStatus_Name(r.status()), "RECEIPT_STATUS_");
      if (r.missing_categories_size() > 0) s << " missing: " << categories(r.missing_categories());
      break;
    }
    case P::kCustodyEvent: s << "chain-of-custody event"; break;
    case P::kStandardsAssessment: {
      const auto& a = e.standards_assessment();
      s << "standards assessment " << a.offence_code() << ": "
        << strip(v1::AssessmentOutcome_Name(a.outcome()), "ASSESSMENT_OUTCOME_");
      if (!a.conclusions().empty()) {
        const auto& rule = a.conclusions(0).rule();
        s << " (" << rule.rule_id() << (rule.rule_version().empty() ? "" : " v" + rule.rule_version()) << ")";
      }
      break;
    }
    default: break;
  }
}

// Recommendations, acknowledgements and caselink's own records.
void summarize_other(const v1::Envelope& e, std::ostream& s) {
  using P = v1::Envelope;
  switch (e.payload_case()) {
    case P::kRecommendationIssued: s << "procuratorial recommendation issued"; break;
    case P::kRecommendationReplied: s << "recommendation replied"; break;
    case P::kRecommendationFollowedUp: s << "recommendation followed up"; break;
    case P::kRecommendationEvaluated: s << "recommendation evaluated"; break;
    case P::kFeedbackAcknowledged: s << "feedback acknowledged"; break;
    case P::kStateAcknowledged:
      s << e.state_acknowledged().party_id() << " acknowledges version " << e.state_acknowledged().state_version()
        << case_numbers_text(e.state_acknowledged());
      break;
    case P::kConsultationRequested:
      s << e.consultation_requested().consulting_organ().organ_id() << " consults "
        << e.consultation_requested().consulted_party_id() << " in writing ("
        << strip(v1::ConsultationSubject_Name(e.consultation_requested().subject()), "CONSULTATION_SUBJECT_")
        << "), consultation " << e.consultation_requested().consultation_id();
      break;
    case P::kConsultationAnswered:
      s << e.consultation_answered().answering_organ().organ_id() << " answers consultation "
        << e.consultation_answered().consultation_id();
      break;
    case P::kCaseStateSnapshot: s << "state " << strip(v1::CaseState_Name(e.case_state_snapshot().state()), "CASE_STATE_"); break;
    case P::kAlert: s << strip(v1::AlertKind_Name(e.alert().kind()), "ALERT_KIND_") << ": " << e.alert().message(); break;
    case P::kClassCaseOpened:
      s << "class case opened by " << e.class_case_opened().model().model_id() << " with "
        << e.class_case_opened().members_size() << " member cases";
      break;
    case P::kClassCaseMemberJoined:
      s << e.class_case_member_joined().member().case_id() << " joins class case "
        << e.class_case_member_joined().class_case_id();
      break;
    case P::kClassCaseFact:
    case P::kClassCaseGroupState: s << "class-case supervision (internal record)"; break;
    case P::kProbe: s << "probe"; break;
    case P::PAYLOAD_NOT_SET: s << "(no payload)"; break;
    default: break;
  }
}

}  // namespace

// Every payload case is listed (no default), so the compiler names a new payload that has no summary.
std::string summarize(const v1::Envelope& e) {
  using P = v1::Envelope;
  std::ostringstream s;
  switch (e.payload_case()) {
    case P::kSuspectedCrimeReported:
    case P::kTransferDecided:
    case P::kCaseReferral:
    case P::kMaterialsSupplemented:
    case P::kReconsiderationRequested:
    case P::kFilingSupervisionRequested:
    case P::kSeizedItemsHandedOver:
    case P::kTransferOrdered:
    case P::kAdministrativePenaltyReported: summarize_transfer(e, s); break;
    case P::kReferralAccepted:
    case P::kMaterialsSupplementRequested:
    case P::kCaseForwarded:
    case P::kFilingReviewExtended:
    case P::kFilingDecision:
    case P::kReconsiderationDecided: summarize_police(e, s); break;
    case P::kFilingSupervisionAction:
    case P::kProsecutionDecision:
    case P::kProcuratorialOpinion:
    case P::kCourtJudgment:
    case P::kCaseClosed:
    case P::kReverseReviewStatusChanged: summarize_procuratorate(e, s); break;
    case P::kEvidenceManifest:
    case P::kEvidenceReceipt:
    case P::kCustodyEvent:
    case P::kStandardsAssessment: summarize_evidence(e, s); break;
    case P::kRecommendationIssued:
    case P::kRecommendationReplied:
    case P::kRecommendationFollowedUp:
    case P::kRecommendationEvaluated:
    case P::kFeedbackAcknowledged:
    case P::kStateAcknowledged:
    case P::kConsultationRequested:
    case P::kConsultationAnswered:
    case P::kCaseStateSnapshot:
    case P::kAlert:
    case P::kClassCaseOpened:
    case P::kClassCaseMemberJoined:
    case P::kClassCaseFact:
    case P::kClassCaseGroupState:
    case P::kProbe:
    case P::PAYLOAD_NOT_SET: summarize_other(e, s); break;
  }
  return s.str();
}

namespace {

// Every snapshot of the history: those folded while reading (read_case) and those kept as
// records (a history built otherwise). The newest is copied once, at the end.
StateFold all_states(const CaseHistory& history) {
  StateFold all = history.states;
  const v1::CaseStateSnapshot* newest = nullptr;
  for (const auto& r : history.records) {
    if (r.topic != kStateTopic || !r.envelope.has_case_state_snapshot()) continue;
    if (all.note(r.envelope.case_state_snapshot())) newest = &r.envelope.case_state_snapshot();
  }
  if (newest != nullptr) all.latest = *newest;
  return all;
}

ChainReport check_chain(const CaseHistory& history, const std::vector<SnapshotLink>& links) {
  ChainReport report;
  std::map<std::string, const std::string*> raw_by_event;
  for (const auto& r : history.records) {
    // The first record with an event id is the one caselink-sync applied; a later copy with
    // the same id was a duplicate with no effect.
    if (r.topic != kStateTopic && !r.envelope.event_id().empty()) raw_by_event.emplace(r.envelope.event_id(), &r.raw);
  }
  std::map<uint64_t, const SnapshotLink*> by_version;
  for (const auto& s : links) {
    auto [it, inserted] = by_version.emplace(s.version, &s);
    // Acknowledgements republish a version with new recognition, never with a new hash.
    if (!inserted && it->second->state_hash_hex != s.state_hash_hex) {
      report.ok = false;
      report.broken_version = s.version;
      report.problem = "it appears with two different hashes (" + it->second->state_hash_hex.substr(0, 16) +
                       "… and " + s.state_hash_hex.substr(0, 16) + "…)";
      return report;
    }
  }
  report.versions_present = by_version.size();
  if (!by_version.empty()) report.first_version = by_version.begin()->first;
  for (const auto& [version, s] : by_version) {
    auto fail = [&](const std::string& why) {
      report.ok = false;
      report.broken_version = version;
      report.problem = why;
    };
    if (version == 1 && !s->previous_state_hash_hex.empty()) {
      fail("the first version names a previous hash");
      return report;
    }
    auto prev = by_version.find(version - 1);
    if (prev != by_version.end() && s->previous_state_hash_hex != prev->second->state_hash_hex) {
      fail("it does not link to version " + std::to_string(version - 1) +
           " (previous hash " + s->previous_state_hash_hex.substr(0, 16) + "…, version " +
           std::to_string(version - 1) + " has " + prev->second->state_hash_hex.substr(0, 16) + "…)");
      return report;
    }
    auto event = raw_by_event.find(s->last_event_id);
    if (event == raw_by_event.end()) {
      ++report.unverifiable;
      continue;
    }
    const std::string expected = sync::chain_hash_hex(s->previous_state_hash_hex, *event->second);
    if (expected != s->state_hash_hex) {
      fail("hash " + s->state_hash_hex.substr(0, 16) +
           "… is not sha256(previous hash || event " + s->last_event_id + ") = " + expected.substr(0, 16) + "…");
      return report;
    }
    ++report.verified;
  }
  return report;
}

}  // namespace

ChainReport verify_chain(const CaseHistory& history) { return check_chain(history, all_states(history).links); }

namespace {

// Still waiting for its step (caselink-sync's is_open): an OVERDUE deadline whose step then
// happened late carries the closing event and is no longer running.
bool is_running(const v1::Deadline& d) {
  return d.closed_by_event_id().empty() &&
         (d.status() == v1::DEADLINE_STATUS_OPEN || d.status() == v1::DEADLINE_STATUS_OVERDUE);
}

std::vector<DeadlineLine> gather_deadlines(const StateFold& states, const std::vector<const CaseRecordRef*>& alerts,
                                           uint64_t latest) {
  std::map<std::string, DeadlineLine> by_id;
  for (const auto& [id, mention] : states.deadlines) {
    auto& line = by_id[id];
    line.deadline = mention.deadline;
    line.seen_at_version = mention.version;
    line.missed = mention.overdue_seen;
  }
  for (const auto* r : alerts) {
    const auto& a = r->envelope.alert();
    if (a.kind() != v1::ALERT_KIND_DEADLINE_OVERDUE || !a.has_deadline() || a.deadline().deadline_id().empty()) {
      continue;
    }
    auto [it, inserted] = by_id.try_emplace(a.deadline().deadline_id());
    if (inserted) it->second.deadline = a.deadline();  // its snapshots are gone: the alert's copy
    it->second.missed = true;
  }
  std::vector<DeadlineLine> out;
  for (auto& [id, line] : by_id) {
    line.closed_unknown = is_running(line.deadline) && line.seen_at_version < latest;
    out.push_back(std::move(line));
  }
  std::stable_sort(out.begin(), out.end(), [](const DeadlineLine& a, const DeadlineLine& b) {
    const bool ra = is_running(a.deadline) && !a.closed_unknown;
    const bool rb = is_running(b.deadline) && !b.closed_unknown;
    if (ra != rb) return ra;
    return envelope::to_time_point(a.deadline.due_at()) < envelope::to_time_point(b.deadline.due_at());
  });
  return out;
}

bool by_time_then_position(const CaseRecordRef* a, const CaseRecordRef* b) {
  const auto ta = envelope::to_time_point(a->envelope.occurred_at());
  const auto tb = envelope::to_time_point(b->envelope.occurred_at());
  if (ta != tb) return ta < tb;
  return std::tie(a->topic, a->partition, a->offset) < std::tie(b->topic, b->partition, b->offset);
}

}  // namespace

SignatureLine check_signature(const v1::Envelope& event, const signing::KeyRegistry* registry) {
  SignatureLine line;
  line.key_id = event.signature_key_id();
  line.signer = event.producer_agency_id();
  line.custodian = event.signature_custodian();
  if (event.signature().empty()) {
    line.status = "unsigned";
    return line;
  }
  if (registry == nullptr) {
    line.status = "not checked";
    return line;
  }
  if (const auto* key = registry->find(line.key_id)) {
    line.signer = key->party;
  }
  auto failure = signing::verify(event, *registry);
  line.status = failure ? failure->reason : "verified";
  line.detail = failure ? failure->detail : "";
  return line;
}

CaseView build_view(const std::string& case_id, const CaseHistory& history, const signing::KeyRegistry* registry) {
  CaseView view;
  view.case_id = case_id;
  for (const auto& r : history.records) {
    if (r.envelope.payload_case() == v1::Envelope::PAYLOAD_NOT_SET || r.topic == kStateTopic) continue;
    if (r.envelope.has_alert()) {
      view.alerts.push_back(&r);
    } else {
      view.timeline.push_back(&r);
    }
  }
  // A version republished later (acknowledgement, timer) wins.
  StateFold states = all_states(history);
  view.state = std::move(states.latest);
  states.latest.reset();
  view.deadlines = gather_deadlines(states, view.alerts, view.state ? view.state->version() : 0);
  std::stable_sort(view.timeline.begin(), view.timeline.end(), by_time_then_position);
  std::stable_sort(view.alerts.begin(), view.alerts.end(), by_time_then_position);
  for (const auto* r : view.timeline) view.signatures.push_back(check_signature(r->envelope, registry));
  view.chain = check_chain(history, states.links);
  return view;
}

namespace {

// Rows of cells printed with every column but the last padded to its widest cell. Cells of the
// padded columns are ASCII (ids, enum names, times); free text (summaries, alert messages, which
// may be Chinese) goes in the last column, so display width never matters.
class Table {
 public:
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out, const std::string& indent) const {
    std::vector<size_t> width;
    for (const auto& row : rows_) {
      for (size_t i = 0; i + 1 < row.size(); ++i) {
        if (width.size() <= i) width.resize(i + 1, 0);
        width[i] = std::max(width[i], row[i].size());
      }
    }
    for (const auto& row : rows_) {
      std::string line = indent;
      for (size_t i = 0; i < row.size(); ++i) {
        line += row[i];
        if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out << line << "\n";
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

void render_state(std::ostream& out, const v1::CaseStateSnapshot& s) {
  out << "  state       " << strip(v1::CaseState_Name(s.state()), "CASE_STATE_") << "   (version " << s.version()
      << ", " << strip(v1::Domain_Name(s.domain()), "DOMAIN_") << ", offence " << s.offence_code() << ")\n";
  out << "  last event  " << strip(s.last_event_type(), "caselink.v1.") << " at "
      << (s.has_last_event_occurred_at() ? time_text(s.last_event_occurred_at()) : std::string("?")) << "\n";
  out << "  parties    ";
  size_t required = 0;
  for (const auto& p : s.parties()) {
    out << " " << p.party_id() << " " << strip(v1::PartyRole_Name(p.role()), "PARTY_ROLE_")
        << (p.required_for_recognition() ? "*" : "");
    if (p.required_for_recognition()) ++required;
  }
  out << "   (* required for recognition)\n";
  out << "  recognition ";
  if (s.recognition().recognized_version() > 0) {
    out << "recognized at version " << s.recognition().recognized_version();
  } else {
    out << "not recognized yet";
  }
  out << " (" << s.recognition().acknowledgements_size() << " of " << required << " parties acknowledged)\n";
  for (const auto& a : s.recognition().acknowledgements()) {
    out << "              " << a.party_id() << " acknowledged version " << a.state_version()
        << (a.hash_matches() ? " (hash matches)" : " (HASH DIFFERS)")
        << (a.case_numbers_differ() ? " (CASE NUMBER DIFFERS)" : "") << case_numbers_text(a) << "\n";
  }
  out << "  hash        " << s.state_hash_hex() << "\n";
  if (!s.agency_case_number().empty() || !s.police_case_number().empty()) {
    out << "  numbers     agency " << or_none(s.agency_case_number()) << ", police " << or_none(s.police_case_number());
    for (const auto& earlier : s.earlier_police_case_numbers()) out << " (earlier " << earlier << ")";
    out << "\n";
  }
}

// "signed by sthjj-330100 (sthjj-330100.k1, custodial: caselink-ingress): verified".
std::string signature_text(const SignatureLine& s) {
  if (s.status == "unsigned") return "unsigned";
  std::string text = "signed by " + s.signer + " (" + s.key_id + (s.custodian.empty() ? "" : ", custodial: " + s.custodian) + "): ";
  return text + (s.status == "verified" || s.status == "not checked" ? s.status : "FAILED " + s.status);
}

void render_timeline(std::ostream& out, const CaseView& view) {
  out << "\nTimeline (" << view.timeline.size() << " events)\n";
  Table timeline;
  for (size_t i = 0; i < view.timeline.size(); ++i) {
    const auto* r = view.timeline[i];
    timeline.add({time_text(r->envelope.occurred_at()), r->envelope.producer_agency_id(), short_type(r->envelope),
                  strip(r->topic, "caselink.") + "/" + std::to_string(r->partition) + "@" + std::to_string(r->offset),
                  signature_text(view.signatures[i]), summarize(r->envelope)});
  }
  timeline.print(out, "  ");
}

// The status column and the "when" column of one deadline row.
std::pair<std::string, std::string> deadline_status(const DeadlineLine& line, TimePoint now) {
  const auto& d = line.deadline;
  std::string status = strip(v1::DeadlineStatus_Name(d.status()), "DEADLINE_STATUS_");
  std::string when;
  const bool running = is_running(d) && !line.closed_unknown;
  if (line.missed) status = "MISSED";
  if (line.closed_unknown) {
    if (!line.missed) status = "CLOSED";
    when = line.seen_at_version == 0 ? std::string("known from its overdue alert only (snapshots compacted away)")
                                     : "closed after version " + std::to_string(line.seen_at_version) +
                                           " (that snapshot was compacted away)";
  } else if (running) {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(envelope::to_time_point(d.due_at()) - now);
    when = left.count() >= 0 ? "due in " + duration_text(left) : "overdue by " + duration_text(left) + ", still open";
  } else if (!d.closed_by_event_id().empty()) {
    if (d.status() == v1::DEADLINE_STATUS_CANCELLED) {
      when = "cancelled by event " + d.closed_by_event_id();
    } else {
      when = std::string(line.missed ? "done late, " : "") + "closed by event " + d.closed_by_event_id();
    }
  }
  status.resize(std::max<size_t>(status.size(), 9), ' ');  // stable width for the common statuses
  return {status, when};
}

void render_deadlines(std::ostream& out, const CaseView& view, TimePoint now) {
  out << "\nDeadlines (" << view.deadlines.size() << ")\n";
  if (view.deadlines.empty()) out << "  (none)\n";
  Table deadlines;
  for (const auto& line : view.deadlines) {
    const auto& d = line.deadline;
    auto [status, when] = deadline_status(line, now);
    deadlines.add({status, d.deadline_id(), "due " + time_text(d.due_at()),
                   d.responsible_party_id().empty() ? "-" : d.responsible_party_id(), when});
  }
  deadlines.print(out, "  ");
  for (const auto& line : view.deadlines) {
    const auto& r = line.deadline.rule();
    if (r.rule_id().empty()) continue;
    out << "  rule of " << line.deadline.deadline_id() << ": " << r.rule_id() << " " << r.rule_version();
    if (!r.legal_source().empty()) out << " — " << r.legal_source();
    out << "\n";
  }
}

void render_alerts(std::ostream& out, const CaseView& view) {
  out << "\nAlerts (" << view.alerts.size() << ")\n";
  Table alerts;
  for (const auto* r : view.alerts) {
    const auto& a = r->envelope.alert();
    alerts.add({time_text(r->envelope.occurred_at()), strip(v1::AlertKind_Name(a.kind()), "ALERT_KIND_"),
                strip(v1::AlertSeverity_Name(a.severity()), "ALERT_SEVERITY_"),
                a.has_deadline() ? a.deadline().deadline_id() : "-", a.message()});
  }
  alerts.print(out, "  ");
}

void render_chain(std::ostream& out, const ChainReport& chain) {
  out << "\nHash chain: ";
  if (chain.versions_present == 0) {
    out << "no snapshots on " << kStateTopic << "\n";
  } else if (chain.ok) {
    out << "OK — " << chain.verified << " of " << chain.versions_present
        << " version(s) recomputed from the stored events";
    if (chain.unverifiable > 0) out << ", " << chain.unverifiable << " whose event has left retention";
    if (chain.first_version > 1) {
      out << "; versions 1–" << chain.first_version - 1 << " were compacted away";
    }
    out << "\n            (" << sync::kHashScheme << ")\n";
  } else {
    out << "BROKEN at version " << chain.broken_version << ": " << chain.problem << "\n";
  }
}

}  // namespace

std::string render_text(const CaseView& view, TimePoint now) {
  std::ostringstream out;
  out << "Case " << view.case_id << "   (times in UTC)\n";
  if (view.state) {
    render_state(out, *view.state);
  } else {
    out << "  state       (no synchronized state on " << kStateTopic << ")\n";
  }
  render_timeline(out, view);
  render_deadlines(out, view, now);
  render_alerts(out, view);
  render_chain(out, view.chain);
  return out.str();
}

std::string render_json(const CaseView& view) {
  nlohmann::json j;
  j["case_id"] = view.case_id;
  j["state"] = view.state ? nlohmann::json::parse(to_json(*view.state)) : nlohmann::json(nullptr);
  j["timeline"] = nlohmann::json::array();
  for (size_t i = 0; i < view.timeline.size(); ++i) {
    const auto* r = view.timeline[i];
    const SignatureLine& s = view.signatures[i];
    j["timeline"].push_back({{"event_id", r->envelope.event_id()},
                             {"signature", {{"key_id", s.key_id}, {"signer", s.signer}, {"custodian", s.custodian},
                                            {"status", s.status}, {"detail", s.detail}}},
                             {"event_type", r->envelope.event_type()},
                             {"producer", r->envelope.producer_agency_id()},
                             {"occurred_at", format_rfc3339(envelope::to_time_point(r->envelope.occurred_at()))},
                             {"summary", summarize(r->envelope)},
                             {"topic", r->topic},
                             {"partition", r->partition},
                             {"offset", r->offset}});
  }
  j["deadlines"] = nlohmann::json::array();
  for (const auto& line : view.deadlines) {
    auto d = nlohmann::json::parse(to_json(line.deadline));
    d["seen_at_version"] = line.seen_at_version;
    d["missed"] = line.missed;
    d["closed_unknown"] = line.closed_unknown;
    j["deadlines"].push_back(std::move(d));
  }
  j["alerts"] = nlohmann::json::array();
  for (const auto* r : view.alerts) {
    auto a = nlohmann::json::parse(to_json(r->envelope.alert()));
    a["occurred_at"] = format_rfc3339(envelope::to_time_point(r->envelope.occurred_at()));
    j["alerts"].push_back(std::move(a));
  }
  j["hash_chain"] = {{"ok", view.chain.ok},
                     {"versions_present", view.chain.versions_present},
                     {"first_version", view.chain.first_version},
                     {"verified", view.chain.verified},
                     {"unverifiable", view.chain.unverifiable},
                     {"broken_version", view.chain.broken_version},
                     {"problem", view.chain.problem}};
  return j.dump(2);
}

}  // namespace caselink::ctl
