#include "services/tools/scenario/story.h"

#include <chrono>
#include <ctime>
#include <functional>

#include "services/lib/core/ids.h"
#include "services/lib/crypto/sha256.h"
#include "services/lib/envelope/codec.h"

namespace caselink::scenario {

namespace {

using std::chrono::hours;
using std::chrono::minutes;

// The organs of the demo jurisdiction (Hangzhou, 330100). Agency ids follow deploy/topics.yaml.
v1::Organ organ(const char* id, const char* name, v1::OrganKind kind) {
  v1::Organ o;
  o.set_organ_id(id);
  o.set_name(name);
  o.set_kind(kind);
  return o;
}
const v1::Organ kEcology = organ("sthjj-330100", "杭州市生态环境局", v1::ORGAN_KIND_ADMINISTRATIVE_AGENCY);
const v1::Organ kLabour = organ("rsj-330100", "杭州市人力资源和社会保障局", v1::ORGAN_KIND_ADMINISTRATIVE_AGENCY);
const v1::Organ kMarket = organ("scjg-330100", "杭州市市场监督管理局", v1::ORGAN_KIND_ADMINISTRATIVE_AGENCY);
const v1::Organ kLand = organ("zrzy-330100", "杭州市规划和自然资源局", v1::ORGAN_KIND_ADMINISTRATIVE_AGENCY);
const v1::Organ kPolice = organ("ga-330100", "杭州市公安局", v1::ORGAN_KIND_POLICE);
const v1::Organ kProcuratorate = organ("jcy-330100", "杭州市人民检察院", v1::ORGAN_KIND_PROCURATORATE);
const v1::Organ kCourt = organ("fy-330100", "杭州市中级人民法院", v1::ORGAN_KIND_COURT);

void hangzhou(v1::Jurisdiction* j) {
  j->set_province_code("330000");
  j->set_city_code("330100");
}

void number_fact(v1::Fact* f, const char* name, double value, const char* unit) {
  f->set_name(name);
  f->set_number(value);
  f->set_unit(unit);
}
void flag_fact(v1::Fact* f, const char* name, bool value) {
  f->set_name(name);
  f->set_flag(value);
}
void text_fact(v1::Fact* f, const char* name, const char* value) {
  f->set_name(name);
  f->set_text(value);
}

void unit_suspect(v1::Suspect* s, const char* id, const char* name, const char* credit_code_masked) {
  s->set_suspect_id(id);
  s->set_kind(v1::SUSPECT_KIND_UNIT);
  s->set_name(name);
  s->set_id_document_type(v1::ID_DOCUMENT_TYPE_UNIFIED_SOCIAL_CREDIT_CODE);
  s->set_id_number_masked(credit_code_masked);
}

// Accumulates the steps of one case with its id and the sender of each event.
class CaseScript {
 public:
  CaseScript(Story& story, std::string key, std::string case_id) : story_(story), key_(std::move(key)), id_(std::move(case_id)) {}

  Step& add(const v1::Organ& sender, Via via, TimePoint occurred, std::string narration,
            const std::function<void(v1::Envelope&)>& fill) {
    Step step;
    step.case_key = key_;
    step.narration = std::move(narration);
    step.via = via;
    step.event = envelope::make_envelope(CaseId(id_), AgencyId(sender.organ_id()), occurred, occurred);
    step.event.set_correlation_id(id_);
    fill(step.event);
    envelope::seal(step.event);
    story_.steps.push_back(std::move(step));
    return story_.steps.back();
  }

  // A manifest whose items are built from the blobs (hash and size computed here, so the
  // evidence service can verify them against what the player uploads).
  Step& manifest(const v1::Organ& sender, Via via, TimePoint occurred, std::string narration, std::string manifest_id,
                 v1::ManifestPurpose purpose, std::string base_manifest_id,
                 std::vector<std::tuple<v1::MaterialCategory, v1::EvidenceType, std::string, std::string>> items,
                 v1::ReceiptStatus expected) {
    std::vector<Blob> blobs;
    Step& step = add(sender, via, occurred, std::move(narration), [&](v1::Envelope& e) {
      auto* m = e.mutable_evidence_manifest();
      m->set_manifest_id(manifest_id);
      m->set_purpose(purpose);
      m->set_domain(domain_);
      m->set_offence_code(offence_);
      m->set_base_manifest_id(base_manifest_id);
      int n = 0;
      for (auto& [category, type, description, text] : items) {
        auto* item = m->add_items();
        item->set_item_id(manifest_id + "-" + std::to_string(++n));
        item->set_material_category(category);
        item->set_evidence_type(type);
        item->set_description(description);
        item->set_sha256_hex(crypto::sha256(text).hex());
        item->set_size_bytes(static_cast<int64_t>(text.size()));
        item->set_media_type("text/plain; charset=utf-8");
        *item->mutable_collected_at() = e.occurred_at();
        item->set_collector("执法人员 王某、李某");
        item->set_collecting_body_id(sender.organ_id());
        item->set_collecting_body_name(sender.name());
        blobs.push_back(Blob{description, text});
      }
    });
    step.blobs = std::move(blobs);
    step.wait = WaitFor::kReceipt;
    step.expected_receipt = expected;
    return step;
  }

  void set_subject(v1::Domain domain, std::string offence) {
    domain_ = domain;
    offence_ = std::move(offence);
  }
  const std::string& id() const { return id_; }

 private:
  Story& story_;
  std::string key_;
  std::string id_;
  v1::Domain domain_ = v1::DOMAIN_UNSPECIFIED;
  std::string offence_;
};

// 1. 污染环境: complete forward flow, with an incomplete evidence set and its supplement, and
//    mutual recognition of the judged state by every party.
// Report, transfer decision, referral and the first (incomplete) evidence set.
void environmental_referral(CaseScript& c, TimePoint t0) {
  c.add(kEcology, Via::kSdk, t0, "生态环境局 task group reports a suspected crime (S1 Art 5)", [](v1::Envelope& e) {
    auto* r = e.mutable_suspected_crime_reported();
    *r->mutable_reporting_agency() = kEcology;
    r->set_report_number("杭环执报〔2026〕17号");
    r->set_offence_code("pollution_environment");
    r->set_domain(v1::DOMAIN_ENVIRONMENT);
    hangzhou(r->mutable_jurisdiction());
    number_fact(r->add_facts(), "hazardous_waste_tonnes", 12.6, "t");
    r->set_act_date("2026-10-21");
    r->set_summary("某电镀有限公司将含铬电镀污泥约12.6吨倾倒于厂区外废弃鱼塘");
  });
  c.add(kEcology, Via::kSdk, t0 + minutes(40), "the bureau head approves the transfer (within 3 days)",
        [](v1::Envelope& e) {
          auto* d = e.mutable_transfer_decided();
          d->set_decision(v1::TRANSFER_DECISION_APPROVED);
          d->set_approver_title("局长");
          d->set_decision_document_number("杭环移批〔2026〕17号");
        });
  c.add(kEcology, Via::kSdk, t0 + minutes(70), "the bureau refers the case to the police, copy to the procuratorate",
        [](v1::Envelope& e) {
          auto* r = e.mutable_case_referral();
          r->set_transfer_letter_number("杭环移〔2026〕17号");
          *r->mutable_referring_agency() = kEcology;
          *r->mutable_target_police_organ() = kPolice;
          r->set_offence_code("pollution_environment");
          r->set_offence_name("污染环境罪");
          r->set_domain(v1::DOMAIN_ENVIRONMENT);
          hangzhou(r->mutable_jurisdiction());
          number_fact(r->add_facts(), "hazardous_waste_tonnes", 12.6, "t");
          r->set_act_date("2026-10-21");
          unit_suspect(r->add_suspects(), "S-1", "杭州某电镀有限公司", "91330100********7X");
          r->set_copy_to_procuratorate(true);
          *r->mutable_procuratorate() = kProcuratorate;
          r->set_materials_manifest_id("M-ENV-1");
          r->set_facts_summary("非法处置危险废物12.6吨, 超过3吨 (法释〔2023〕7号 第一条(二))");
        });
  c.manifest(kEcology, Via::kSdk, t0 + minutes(75), "the bureau sends its evidence — without the site inspection record",
             "M-ENV-1", v1::MANIFEST_PURPOSE_REFERRAL, "",
             {{v1::MATERIAL_CATEGORY_TRANSFER_LETTER, v1::EVIDENCE_TYPE_DOCUMENTARY, "涉嫌犯罪案件移送书",
               "杭环移〔2026〕17号 涉嫌犯罪案件移送书"},
              {v1::MATERIAL_CATEGORY_INVESTIGATION_REPORT, v1::EVIDENCE_TYPE_DOCUMENTARY, "涉嫌犯罪案件调查报告",
               "调查报告: 2026年10月21日现场发现含铬污泥约12.6吨"},
              {v1::MATERIAL_CATEGORY_MONITORING_TEST_REPORT, v1::EVIDENCE_TYPE_MONITORING_REPORT, "监测报告",
               "杭环监〔2026〕第311号: 总铬 1830 mg/kg"}},
             v1::RECEIPT_STATUS_INCOMPLETE);
}

// The police sign, ask for the missing record, get it, file the case and receive the samples.
void environmental_filing(CaseScript& c, TimePoint t0) {
  c.add(kPolice, Via::kSdk, t0 + minutes(100), "the police sign for the referral (S1 Art 7)", [](v1::Envelope& e) {
    auto* a = e.mutable_referral_accepted();
    *a->mutable_police_organ() = kPolice;
    a->set_receipt_number("杭公受〔2026〕0917号");
  });
  c.add(kPolice, Via::kSdk, t0 + minutes(110), "the police ask for the missing site inspection record (S2 Art 8)",
        [](v1::Envelope& e) {
          auto* r = e.mutable_materials_supplement_requested();
          *r->mutable_police_organ() = kPolice;
          r->set_notice_number("杭公补〔2026〕0917号");
          r->add_missing_categories(v1::MATERIAL_CATEGORY_SITE_INSPECTION_RECORD);
          r->set_details("缺现场检查(勘察)笔录");
        });
  c.manifest(kEcology, Via::kSdk, t0 + minutes(150), "the bureau supplements the site inspection record", "M-ENV-2",
             v1::MANIFEST_PURPOSE_SUPPLEMENT, "M-ENV-1",
             {{v1::MATERIAL_CATEGORY_SITE_INSPECTION_RECORD, v1::EVIDENCE_TYPE_INSPECTION_RECORD, "现场检查(勘察)笔录",
               "现场检查笔录: 鱼塘东侧堆放黄绿色污泥, 取样3份"}},
             v1::RECEIPT_STATUS_ACCEPTED);
  c.add(kEcology, Via::kSdk, t0 + minutes(155), "the bureau reports the materials as supplemented", [](v1::Envelope& e) {
    auto* s = e.mutable_materials_supplemented();
    s->set_manifest_id("M-ENV-2");
    s->add_categories_supplied(v1::MATERIAL_CATEGORY_SITE_INSPECTION_RECORD);
  });
  c.add(kPolice, Via::kSdk, t0 + minutes(170), "the police file the case (立案)", [](v1::Envelope& e) {
    auto* d = e.mutable_filing_decision();
    d->set_outcome(v1::FILING_OUTCOME_FILED);
    *d->mutable_police_organ() = kPolice;
    d->set_decision_document_number("杭公立〔2026〕0917号");
    d->set_police_case_number("A3301002026000917");
    d->set_filed_offence_code("pollution_environment");
    d->set_copied_to_procuratorate(true);
  });
  c.add(kEcology, Via::kSdk, t0 + minutes(180), "the bureau hands over the seized sludge samples (S1 Art 12)",
        [](v1::Envelope& e) {
          auto* h = e.mutable_seized_items_handed_over();
          h->set_filing_notice_number("杭公立〔2026〕0917号");
          *h->mutable_police_organ() = kPolice;
          h->set_handover_record_number("杭环交〔2026〕17号");
          auto* item = h->add_items();
          item->set_item_id("I-1");
          item->set_name("含铬电镀污泥样品");
          item->set_quantity(3);
          item->set_unit("份");
          item->set_hazardous(true);
        });
}

// Prosecution, judgment, and every party acknowledging the judged state.
void environmental_trial(Story& story, CaseScript& c, TimePoint t0) {
  c.add(kProcuratorate, Via::kSdk, t0 + minutes(200), "the procuratorate prosecutes", [](v1::Envelope& e) {
    auto* p = e.mutable_prosecution_decision();
    p->set_outcome(v1::PROSECUTION_OUTCOME_PROSECUTE);
    *p->mutable_procuratorate() = kProcuratorate;
    p->set_decision_document_number("杭检刑诉〔2026〕88号");
    p->add_offence_codes("pollution_environment");
  });
  c.add(kCourt, Via::kSdk, t0 + minutes(220), "the court convicts", [](v1::Envelope& e) {
    auto* j = e.mutable_court_judgment();
    *j->mutable_court() = kCourt;
    j->set_judgment_number("(2026)浙01刑初88号");
    j->set_verdict(v1::VERDICT_CONVICTED);
    j->set_sentence("单位判处罚金人民币五十万元; 直接责任人员有期徒刑一年六个月");
    j->set_criminal_fine_yuan(500000);
    j->set_legally_effective(true);
  });
  Step ack;
  ack.case_key = "env";
  ack.narration = "every party acknowledges the judged state by its hash and both case numbers (结果互认)";
  ack.acknowledge_current_state = true;
  ack.wait = WaitFor::kRecognized;
  story.steps.push_back(std::move(ack));
}

void environmental_case(Story& story, TimePoint now) {
  const TimePoint t0 = now - hours(4);
  CaseScript c(story, "env", "sthjj-330100-" + story.run_id + "-01");
  c.set_subject(v1::DOMAIN_ENVIRONMENT, "pollution_environment");
  story.cases.push_back({"env", c.id(), "污染环境 — 某电镀公司非法倾倒危险废物 (ecology bureau → police → court)",
                         v1::CASE_STATE_JUDGED, {}, true});

  environmental_referral(c, t0);
  environmental_filing(c, t0);
  environmental_trial(story, c, t0);
}

// 2. 拒不支付劳动报酬: the police decide late (deadline missed → overdue alert and a supervision
//    clue), refuse to file; the bureau asks for reconsideration, the refusal is upheld, the
//    procuratorate supervises the filing.
void wage_case(Story& story, TimePoint now) {
  const TimePoint t0 = now - hours(24 * 6);
  CaseScript c(story, "wage", "rsj-330100-" + story.run_id + "-02");
  c.set_subject(v1::DOMAIN_LABOUR, "wage_arrears");
  story.cases.push_back({"wage", c.id(), "拒不支付劳动报酬 — 某建筑劳务公司拖欠23名工人工资 (police refuse, supervision)",
                         v1::CASE_STATE_FILING_SUPERVISION,
                         {v1::ALERT_KIND_DEADLINE_OVERDUE, v1::ALERT_KIND_SUPERVISION_CLUE}, true});

  c.add(kLabour, Via::kIngress, t0, "人社局 refers the case to the police (via the ingress)", [](v1::Envelope& e) {
    auto* r = e.mutable_case_referral();
    r->set_transfer_letter_number("杭人社移〔2026〕5号");
    *r->mutable_referring_agency() = kLabour;
    *r->mutable_target_police_organ() = kPolice;
    r->set_offence_code("wage_arrears");
    r->set_offence_name("拒不支付劳动报酬罪");
    r->set_domain(v1::DOMAIN_LABOUR);
    hangzhou(r->mutable_jurisdiction());
    number_fact(r->add_facts(), "workers_unpaid", 23, "persons");
    number_fact(r->add_facts(), "amount_yuan", 412000, "yuan");
    number_fact(r->add_facts(), "months_unpaid", 5, "months");
    flag_fact(r->add_facts(), "prior_payment_order_ignored", true);
    r->set_act_date("2026-06-30");
    unit_suspect(r->add_suspects(), "S-1", "杭州某建筑劳务有限公司", "91330100********3Q");
    *r->mutable_procuratorate() = kProcuratorate;
  });
  c.add(kPolice, Via::kSdk, t0 + hours(2), "the police sign for the referral", [](v1::Envelope& e) {
    auto* a = e.mutable_referral_accepted();
    *a->mutable_police_organ() = kPolice;
    a->set_receipt_number("杭公受〔2026〕1002号");
  });
  // Nothing happens for days: the 3-day filing decision limit (S1 Art 8) passes.
  Step& wait_overdue = story.steps.back();
  (void)wait_overdue;
  {
    Step watch;
    watch.case_key = "wage";
    watch.narration = "…three days pass without a police decision: caselink-sync raises the overdue alert";
    watch.wait = WaitFor::kAlert;
    watch.alert_kind = v1::ALERT_KIND_DEADLINE_OVERDUE;
    story.steps.push_back(std::move(watch));
  }
  c.add(kPolice, Via::kSdk, now - hours(30), "the police decide — late — not to file", [](v1::Envelope& e) {
    auto* d = e.mutable_filing_decision();
    d->set_outcome(v1::FILING_OUTCOME_NOT_FILED);
    *d->mutable_police_organ() = kPolice;
    d->set_decision_document_number("杭公不立〔2026〕1002号");
    d->set_not_filed_reason(v1::NOT_FILED_REASON_INSUFFICIENT_EVIDENCE);
    d->set_reasons("欠薪数额尚需核实");
    d->set_materials_returned(true);
  });
  c.add(kLabour, Via::kIngress, now - hours(20), "the bureau asks for reconsideration (within 3 days, S1 Art 9)",
        [](v1::Envelope& e) {
          auto* r = e.mutable_reconsideration_requested();
          r->set_refusal_document_number("杭公不立〔2026〕1002号");
          r->set_request_document_number("杭人社复〔2026〕2号");
          *r->mutable_police_organ() = kPolice;
          r->set_grounds("工资支付记录与劳动保障监察指令书证明欠薪41.2万元");
        });
  c.add(kPolice, Via::kSdk, now - hours(8), "the police uphold the refusal", [](v1::Envelope& e) {
    auto* d = e.mutable_reconsideration_decided();
    d->set_outcome(v1::RECONSIDERATION_OUTCOME_UPHELD);
    *d->mutable_police_organ() = kPolice;
    d->set_decision_document_number("杭公复决〔2026〕3号");
  });
  c.add(kLabour, Via::kIngress, now - hours(3), "the bureau asks the procuratorate to supervise the filing",
        [](v1::Envelope& e) {
          auto* s = e.mutable_filing_supervision_requested();
          *s->mutable_procuratorate() = kProcuratorate;
          s->set_ground(v1::FILING_SUPERVISION_GROUND_REFUSAL_UPHELD_ON_RECONSIDERATION);
          s->set_suggestion_document_number("杭人社监建〔2026〕1号");
        });
  c.add(kProcuratorate, Via::kSdk, now - hours(1), "the procuratorate asks the police to explain why they did not file",
        [](v1::Envelope& e) {
          auto* a = e.mutable_filing_supervision_action();
          a->set_step(v1::FILING_SUPERVISION_STEP_EXPLANATION_REQUESTED);
          *a->mutable_acting_organ() = kProcuratorate;
          a->set_document_number("杭检要说〔2026〕4号");
        });
}

// 3. 诈骗 (reverse linkage, 反向衔接): filed, not prosecuted, procuratorial opinion to the market
//    regulator, administrative penalty reported back.
// Referral with its evidence, the police signing and filing.
void fraud_filing(CaseScript& c, TimePoint t0) {
  c.add(kMarket, Via::kIngress, t0, "市场监管局 refers the case (via the ingress)", [](v1::Envelope& e) {
    auto* r = e.mutable_case_referral();
    r->set_transfer_letter_number("杭市监移〔2026〕9号");
    *r->mutable_referring_agency() = kMarket;
    *r->mutable_target_police_organ() = kPolice;
    r->set_offence_code("fraud");
    r->set_offence_name("诈骗罪");
    r->set_domain(v1::DOMAIN_MARKET_REGULATION);
    hangzhou(r->mutable_jurisdiction());
    number_fact(r->add_facts(), "amount_yuan", 38600, "yuan");
    r->set_act_date("2026-08-15");
    unit_suspect(r->add_suspects(), "S-1", "杭州某健康科技有限公司", "91330100********2K");
    *r->mutable_procuratorate() = kProcuratorate;
  });
  c.manifest(kMarket, Via::kIngress, t0 + minutes(5), "the regulator uploads its evidence through the ingress", "M-FRAUD-1",
             v1::MANIFEST_PURPOSE_REFERRAL, "",
             {{v1::MATERIAL_CATEGORY_TRANSFER_LETTER, v1::EVIDENCE_TYPE_DOCUMENTARY, "涉嫌犯罪案件移送书",
               "杭市监移〔2026〕9号"},
              {v1::MATERIAL_CATEGORY_INVESTIGATION_REPORT, v1::EVIDENCE_TYPE_DOCUMENTARY, "调查报告",
               "调查报告: 向37名老年人销售\"特效\"保健品, 金额38600元"},
              {v1::MATERIAL_CATEGORY_OTHER_MATERIALS, v1::EVIDENCE_TYPE_ELECTRONIC_DATA, "销售记录 (电子数据)",
               "订单导出 2026-08-01..2026-08-31, 37 笔"}},
             v1::RECEIPT_STATUS_ACCEPTED);
  c.add(kPolice, Via::kSdk, t0 + minutes(20), "the police sign for the referral", [](v1::Envelope& e) {
    *e.mutable_referral_accepted()->mutable_police_organ() = kPolice;
  });
  c.add(kPolice, Via::kSdk, t0 + minutes(40), "the police file the case", [](v1::Envelope& e) {
    auto* d = e.mutable_filing_decision();
    d->set_outcome(v1::FILING_OUTCOME_FILED);
    *d->mutable_police_organ() = kPolice;
    d->set_decision_document_number("杭公立〔2026〕1120号");
  });
}

// Not prosecuted → procuratorial opinion to the regulator → penalty reported → closed.
void fraud_reverse_linkage(CaseScript& c, TimePoint t0) {
  c.add(kProcuratorate, Via::kSdk, t0 + minutes(80), "the procuratorate does not prosecute (minor, restitution made)",
        [](v1::Envelope& e) {
          auto* p = e.mutable_prosecution_decision();
          p->set_outcome(v1::PROSECUTION_OUTCOME_NOT_PROSECUTE);
          p->set_non_prosecution_kind(v1::NON_PROSECUTION_KIND_DISCRETIONARY);
          *p->mutable_procuratorate() = kProcuratorate;
          p->set_decision_document_number("杭检刑不诉〔2026〕21号");
          p->set_administrative_penalty_needed(true);
        });
  c.add(kProcuratorate, Via::kSdk, t0 + minutes(90), "the case goes to the administrative prosecution department",
        [](v1::Envelope& e) {
          auto* s = e.mutable_reverse_review_status_changed();
          s->set_status(v1::REVERSE_REVIEW_STATUS_HANDED_TO_ADMIN_PROSECUTION);
          *s->mutable_acting_organ() = kProcuratorate;
        });
  c.add(kProcuratorate, Via::kSdk, t0 + minutes(110), "procuratorial opinion to the regulator: impose a penalty",
        [](v1::Envelope& e) {
          auto* o = e.mutable_procuratorial_opinion();
          o->set_kind(v1::PROCURATORIAL_OPINION_KIND_REVERSE_PENALTY);
          *o->mutable_procuratorate() = kProcuratorate;
          *o->mutable_recipient() = kMarket;
          o->set_opinion_document_number("杭检行意〔2026〕6号");
          o->set_non_prosecution_document_number("杭检刑不诉〔2026〕21号");
          o->add_proposed_penalty_kinds(v1::PENALTY_KIND_FINE);
          o->add_proposed_penalty_kinds(v1::PENALTY_KIND_CONFISCATION_OF_ILLEGAL_GAINS);
        });
  c.add(kMarket, Via::kIngress, t0 + minutes(150), "the regulator reports the penalty it imposed", [](v1::Envelope& e) {
    auto* p = e.mutable_administrative_penalty_reported();
    p->set_decision_number("杭市监罚〔2026〕311号");
    *p->mutable_deciding_agency() = kMarket;
    p->set_report_context(v1::PENALTY_REPORT_CONTEXT_PROCURATORIAL_OPINION_RESULT);
    p->set_outcome(v1::PENALTY_OUTCOME_IMPOSED);
    p->set_offence_code("fraud");
    p->set_domain(v1::DOMAIN_MARKET_REGULATION);
    hangzhou(p->mutable_jurisdiction());
    p->add_penalty_kinds(v1::PENALTY_KIND_FINE);
    p->add_penalty_kinds(v1::PENALTY_KIND_CONFISCATION_OF_ILLEGAL_GAINS);
    p->set_fine_amount_yuan(150000);
    p->set_confiscated_amount_yuan(38600);
    p->set_ever_referred(true);
  });
  c.add(kProcuratorate, Via::kSdk, t0 + minutes(160), "the procuratorate closes the reverse linkage", [](v1::Envelope& e) {
    auto* cl = e.mutable_case_closed();
    cl->set_reason(v1::CASE_CLOSED_REASON_REVERSE_LINKAGE_COMPLETED);
    *cl->mutable_closing_organ() = kProcuratorate;
  });
}

void fraud_case(Story& story, TimePoint now) {
  const TimePoint t0 = now - hours(3);
  CaseScript c(story, "fraud", "scjg-330100-" + story.run_id + "-03");
  c.set_subject(v1::DOMAIN_MARKET_REGULATION, "fraud");
  story.cases.push_back({"fraud", c.id(), "诈骗 — 虚假宣传保健品骗取老年人钱款 (not prosecuted → reverse linkage)",
                         v1::CASE_STATE_CLOSED, {}, true});

  fraud_filing(c, t0);
  fraud_reverse_linkage(c, t0);
}

// 4. 以罚代刑 screening: a farmland case closed with a fine only, never referred, although the
//    occupied area meets the criminal threshold → caselink-standards raises a supervision clue.
void penalty_only_case(Story& story, TimePoint now) {
  CaseScript c(story, "land", "zrzy-330100-" + story.run_id + "-04");
  story.cases.push_back({"land", c.id(), "非法占用农用地 — 罚款结案但从未移送 (以罚代刑 screening)",
                         v1::CASE_STATE_UNSPECIFIED, {v1::ALERT_KIND_SUPERVISION_CLUE}, false});
  Step& s = c.add(kLand, Via::kIngress, now - hours(2), "规划和自然资源局 reports a penalty (routine screening)",
                  [&](v1::Envelope& e) {
                    auto* p = e.mutable_administrative_penalty_reported();
                    p->set_decision_number("杭规划资源罚〔2026〕58号");
                    *p->mutable_deciding_agency() = kLand;
                    p->set_report_context(v1::PENALTY_REPORT_CONTEXT_ROUTINE_SCREENING);
                    p->set_outcome(v1::PENALTY_OUTCOME_IMPOSED);
                    p->set_offence_code("farmland_occupation");
                    p->set_violation_description("未经批准在永久基本农田上建设仓储用房");
                    p->set_domain(v1::DOMAIN_NATURAL_RESOURCES);
                    hangzhou(p->mutable_jurisdiction());
                    text_fact(p->add_facts(), "land_type", "permanent_basic_farmland");
                    number_fact(p->add_facts(), "area_mu", 8.4, "mu");
                    p->add_penalty_kinds(v1::PENALTY_KIND_FINE);
                    p->set_fine_amount_yuan(112000);
                    p->set_act_date("2026-05-10");
                    p->set_ever_referred(false);
                  });
  s.wait = WaitFor::kAlert;
  s.alert_kind = v1::ALERT_KIND_SUPERVISION_CLUE;
}

}  // namespace

const StoryCase* Story::find(const std::string& key) const {
  for (const auto& c : cases) {
    if (c.key == key) return &c;
  }
  return nullptr;
}

std::string run_id_from(TimePoint now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return buf;
}

Story build_story(const std::string& run_id, TimePoint now) {
  Story story;
  story.run_id = run_id;
  environmental_case(story, now);
  wage_case(story, now);
  fraud_case(story, now);
  penalty_only_case(story, now);
  return story;
}

}  // namespace caselink::scenario
