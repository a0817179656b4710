#include "bench/screening/generator.h"

#include <chrono>
#include <cmath>
#include <stdexcept>

#include "services/lib/envelope/codec.h"

namespace caselink::bench {

namespace {

enum class Kind { kNumber, kFlag, kText };

struct FactSpec {
  const char* name;
  Kind kind;
  double number = 0;
  bool flag = false;
  const char* text = "";
  const char* unit = "";
  // Scaled by the record's lever factor (numbers only).
  bool lever = false;
};

FactSpec num(const char* name, double value, const char* unit, bool lever = false) {
  return {name, Kind::kNumber, value, false, "", unit, lever};
}
FactSpec lever(const char* name, double value, const char* unit) { return num(name, value, unit, true); }
FactSpec flag(const char* name, bool value) { return {name, Kind::kFlag, 0, value, "", "", false}; }
FactSpec text(const char* name, const char* value) { return {name, Kind::kText, 0, false, value, "", false}; }

struct CaseSpec {
  const char* name;
  const char* offence;
  v1::Domain domain;
  const char* province;
  const char* city;
  const char* agency_id;
  const char* agency_name;
  const char* decision_prefix;  // 文号 prefix, e.g. 杭环罚
  const char* violation;
  const char* act_date;
  std::vector<FactSpec> facts;
  // Read off rules/<offence>.yaml by hand; see the comment of each entry.
  Expected expected;
  // Relative frequency in the generated mix.
  double weight;
  // Lever multiplier range: >= 1 for MEETS (more of what meets still meets), <= 1 for BELOW.
  double lever_low;
  double lever_high;
};

// Records that meet a threshold.
std::vector<CaseSpec> meeting_cases() {
  return {
      // pollution_environment.serious v2 (acts from 2023-08-15): hazardous waste >= 3 t.
      {"pollution: hazardous waste dumped, 5 t", "pollution_environment", v1::DOMAIN_ENVIRONMENT, "330000", "330100",
       "sthjj-330100", "杭州市生态环境局", "杭环罚", "非法倾倒危险废物(固体废物污染环境防治法第一百一十二条)",
       "2025-03-01", {lever("hazardous_waste_tonnes", 5, "t")}, Expected::kMeets, 5, 1.0, 3.0},
      // wage_arrears.amount v8 (Guangdong tier 1): one worker >= 3 months and >= 20,000, order ignored.
      {"wage arrears: Guangzhou, one worker 25,000", "wage_arrears", v1::DOMAIN_LABOUR, "440000", "440100",
       "rsj-440100", "广州市人力资源和社会保障局", "穗人社罚", "拖欠劳动报酬经责令限期支付逾期不支付",
       "2025-02-01",
       {num("months_unpaid", 4, "months"), lever("single_worker_amount_yuan", 25000, "yuan"),
        num("workers_unpaid", 1, "persons"), lever("amount_yuan", 25000, "yuan"),
        flag("prior_payment_order_ignored", true)},
       Expected::kMeets, 3, 1.0, 3.0},
      // wage_arrears.amount v9 (Guangdong tier 2, Shantou): 10,000 suffices where Guangzhou needs 20,000.
      {"wage arrears: Shantou, one worker 12,000", "wage_arrears", v1::DOMAIN_LABOUR, "440000", "440500",
       "rsj-440500", "汕头市人力资源和社会保障局", "汕人社罚", "拖欠劳动报酬经责令限期支付逾期不支付",
       "2025-01-15",
       {num("months_unpaid", 5, "months"), lever("single_worker_amount_yuan", 12000, "yuan"),
        num("workers_unpaid", 1, "persons"), lever("amount_yuan", 12000, "yuan"),
        flag("prior_payment_order_ignored", true)},
       Expected::kMeets, 3, 1.0, 3.0},
      // wage_arrears.amount v2 (Henan): >= 10 workers and >= 40,000 in total (each worker below 8,000).
      {"wage arrears: Zhengzhou, 12 workers 45,000", "wage_arrears", v1::DOMAIN_LABOUR, "410000", "410100",
       "rsj-410100", "郑州市人力资源和社会保障局", "郑人社罚", "拖欠农民工工资经责令支付仍不支付", "2024-12-01",
       {num("months_unpaid", 3, "months"), num("single_worker_amount_yuan", 3750, "yuan"),
        num("workers_unpaid", 12, "persons"), lever("amount_yuan", 45000, "yuan"),
        flag("prior_payment_order_ignored", true)},
       Expected::kMeets, 3, 1.0, 3.0},
      // fake_products.amount v1: 3 x sales + unsold >= 150,000 (40,000 x 3 + 30,000).
      {"fake products: sales 40,000 + stock 30,000", "fake_products", v1::DOMAIN_MARKET_REGULATION, "320000",
       "320500", "scjgj-320500", "苏州市市场监督管理局", "苏市监罚", "销售不合格产品、以次充好(产品质量法第五十条)",
       "2024-11-01",
       {num("sales_amount_yuan", 40000, "yuan"), lever("unsold_goods_value_yuan", 30000, "yuan")},
       Expected::kMeets, 4, 1.0, 3.0},
      // farmland_occupation.cultivated_land v1: permanent basic farmland >= 5 mu.
      {"farmland: 6 mu of permanent basic farmland", "farmland_occupation", v1::DOMAIN_NATURAL_RESOURCES, "510000",
       "510100", "zrzyj-510100", "成都市规划和自然资源局", "成规自罚", "非法占用永久基本农田建房(土地管理法第七十七条)",
       "2024-06-01", {text("land_type", "permanent_basic_farmland"), lever("area_mu", 6, "mu")}, Expected::kMeets,
       3, 1.0, 3.0},
      // major_liability_accident.consequences v2: one death.
      {"work accident: one death", "major_liability_accident", v1::DOMAIN_WORK_SAFETY, "330000", "330200",
       "yjglj-330200", "宁波市应急管理局", "甬应急罚", "未履行安全生产管理职责导致生产安全事故", "2025-01-10",
       {num("deaths", 1, "persons"), num("serious_injuries", 0, "persons"),
        lever("direct_economic_loss_yuan", 400000, "yuan"), flag("mine_accident", false)},
       Expected::kMeets, 2, 1.0, 2.0},
      // fraud.amount v2 (Chongqing): >= 5,000.
      {"fraud: Chongqing medical-insurance fraud 6,000", "fraud", v1::DOMAIN_HEALTHCARE_SECURITY, "500000", "500100",
       "ybj-500100", "重庆市医疗保障局", "渝医保罚", "以虚记费用方式骗取医保基金", "2025-04-01",
       {lever("amount_yuan", 6000, "yuan")}, Expected::kMeets, 3, 1.0, 3.0},
      // fraud.amount v3 (Yunnan, filed from 2013-08-01): >= 5,000.
      {"fraud: Kunming 8,000", "fraud", v1::DOMAIN_PUBLIC_SECURITY_GENERAL, "530000", "530100", "gaj-530100",
       "昆明市公安局", "昆公罚", "虚构事实骗取他人财物(治安管理处罚法第四十九条)", "2025-05-20",
       {lever("amount_yuan", 8000, "yuan")}, Expected::kMeets, 2, 1.0, 3.0},
      // tax_evasion.taxpayer v2 (from 2022-05-15): >= 100,000 and >= 10 %, recovery notice ignored.
      {"tax evasion: 150,000 at 15 %, recovery notice ignored", "tax_evasion", v1::DOMAIN_TAX, "310000", "310100",
       "swj-310100", "国家税务总局上海市税务局稽查局", "沪税稽罚", "虚假申报少缴税款(税收征收管理法第六十三条)",
       "2024-06-01",
       {lever("tax_evaded_yuan", 150000, "yuan"), num("tax_evaded_ratio", 0.15, "ratio"),
        flag("recovery_notice_ignored", true), num("withheld_tax_unpaid_yuan", 0, "yuan")},
       Expected::kMeets, 2, 1.0, 3.0},
  };
}

// Records that fall short of every threshold.
std::vector<CaseSpec> short_cases() {
  return {
      // wage_arrears.amount v8: Guangzhou needs 20,000 for one worker; 15,000 is below.
      {"wage arrears: Guangzhou, one worker 15,000", "wage_arrears", v1::DOMAIN_LABOUR, "440000", "440100",
       "rsj-440100", "广州市人力资源和社会保障局", "穗人社罚", "拖欠劳动报酬经责令限期支付逾期不支付",
       "2025-02-01",
       {num("months_unpaid", 4, "months"), lever("single_worker_amount_yuan", 15000, "yuan"),
        num("workers_unpaid", 1, "persons"), lever("amount_yuan", 15000, "yuan"),
        flag("prior_payment_order_ignored", true)},
       Expected::kBelow, 6, 0.5, 1.0},
      // fake_products.amount v1: 3 x 40,000 + 29,999 < 150,000, sales < 50,000.
      {"fake products: sales 40,000 + stock 29,999", "fake_products", v1::DOMAIN_MARKET_REGULATION, "320000",
       "320500", "scjgj-320500", "苏州市市场监督管理局", "苏市监罚", "销售不合格产品(产品质量法第四十九条)",
       "2024-10-01",
       {num("sales_amount_yuan", 40000, "yuan"), lever("unsold_goods_value_yuan", 29999, "yuan")},
       Expected::kBelow, 8, 0.5, 1.0},
      // farmland_occupation.cultivated_land v1: other cultivated land needs 10 mu; not forest land.
      {"farmland: 9.5 mu of other cultivated land", "farmland_occupation", v1::DOMAIN_NATURAL_RESOURCES, "510000",
       "510100", "zrzyj-510100", "成都市规划和自然资源局", "成规自罚", "非法占用耕地堆放建筑材料(土地管理法第七十五条)",
       "2024-08-01", {text("land_type", "other_cultivated_land"), lever("area_mu", 9.5, "mu")}, Expected::kBelow,
       6, 0.5, 1.0},
      // fraud.amount v2 (Chongqing): 4,000 < 5,000, and not telecom/network fraud (whose national
      // figure, 3,000, it would meet: fraud.telecom_network_amount).
      {"fraud: Chongqing medical-insurance fraud 4,000", "fraud", v1::DOMAIN_HEALTHCARE_SECURITY, "500000", "500100",
       "ybj-500100", "重庆市医疗保障局", "渝医保罚", "串换药品项目骗取医保基金", "2025-03-01",
       {lever("amount_yuan", 4000, "yuan"), flag("telecom_network_fraud", false)}, Expected::kBelow, 8, 0.5, 1.0},
      // major_liability_accident.consequences v2: no death, 1 serious injury (< 3), loss < 1,000,000.
      {"work accident: one serious injury, loss 300,000", "major_liability_accident", v1::DOMAIN_WORK_SAFETY,
       "330000", "330200", "yjglj-330200", "宁波市应急管理局", "甬应急罚", "未按规定进行安全生产教育培训",
       "2025-02-10",
       {num("deaths", 0, "persons"), num("serious_injuries", 1, "persons"),
        lever("direct_economic_loss_yuan", 300000, "yuan"), flag("mine_accident", false)},
       Expected::kBelow, 6, 0.5, 1.0},
      // tax_evasion.taxpayer v2: 80,000 < 100,000; withholding_agent v2: 0 < 100,000.
      {"tax evasion: 80,000 at 12 %", "tax_evasion", v1::DOMAIN_TAX, "310000", "310100", "swj-310100",
       "国家税务总局上海市税务局稽查局", "沪税稽罚", "少缴税款(税收征收管理法第六十三条)", "2024-05-01",
       {lever("tax_evaded_yuan", 80000, "yuan"), num("tax_evaded_ratio", 0.12, "ratio"),
        flag("recovery_notice_ignored", true), num("withheld_tax_unpaid_yuan", 0, "yuan")},
       Expected::kBelow, 6, 0.5, 1.0},
      // pollution_environment.serious v2 with the whole checklist reported and every item short
      // (an unknown item would leave the outcome open, as the 2.9 t case below shows).
      {"pollution: full checklist, 2.5 t and all items short", "pollution_environment", v1::DOMAIN_ENVIRONMENT,
       "330000", "330100", "sthjj-330100", "杭州市生态环境局", "杭环罚", "危险废物贮存不规范(固体废物污染环境防治法第一百一十二条)",
       "2025-04-01",
       {flag("toxic_discharge_in_key_protection_area", false), lever("hazardous_waste_tonnes", 2.5, "t"),
        num("heavy_metal_multiple", 1.5, "multiple"), num("other_metal_multiple", 4, "multiple"),
        flag("evasive_discharge_concealed_channels", false), flag("emergency_vent_opened_without_emergency", false),
        num("prior_penalties_count", 1, "count"), flag("key_emitter_monitoring_data_falsified", false),
        num("amount_yuan", 120000, "yuan"), num("drinking_water_intake_interrupted_hours", 0, "hours"),
        num("protected_land_function_lost_mu", 0, "mu"), num("other_agricultural_land_function_lost_mu", 0, "mu"),
        num("other_land_function_lost_mu", 0, "mu"), num("trees_killed_cubic_metres", 0, "m3"),
        num("persons_evacuated", 0, "persons"), num("persons_poisoned", 0, "persons"),
        num("minor_injuries", 0, "persons"), num("serious_injuries", 0, "persons"),
        // The 2023 情节严重 tier (an alternative of the entry threshold) reads these too.
        num("saplings_killed", 0, "plants"), num("permanent_basic_farmland_or_public_forest_function_lost_mu", 0, "mu")},
       Expected::kBelow, 5, 0.5, 1.0},
  };
}

// Records that lack a fact the rules need (or the province's own figure).
std::vector<CaseSpec> insufficient_cases() {
  return {
      // pollution_environment.serious v2: 2.9 t and nothing else known (rule file example).
      {"pollution: 2.9 t, nothing else reported", "pollution_environment", v1::DOMAIN_ENVIRONMENT, "330000",
       "330100", "sthjj-330100", "杭州市生态环境局", "杭环罚", "未按规定转移危险废物", "2025-05-01",
       {lever("hazardous_waste_tonnes", 2.9, "t")}, Expected::kInsufficientFacts, 7, 0.5, 1.0},
      // wage_arrears.amount v7 (Zhejiang): amount met, but no order to pay on record.
      {"wage arrears: Hangzhou, 50,000, no order to pay recorded", "wage_arrears", v1::DOMAIN_LABOUR, "330000",
       "330100", "rsj-330100", "杭州市人力资源和社会保障局", "杭人社罚", "拖欠劳动报酬", "2025-01-20",
       {num("months_unpaid", 6, "months"), lever("single_worker_amount_yuan", 50000, "yuan")},
       Expected::kInsufficientFacts, 5, 0.5, 2.0},
      // fake_products.amount v1: sales 40,000 < 50,000 and the stock is unknown.
      {"fake products: sales 40,000, stock unknown", "fake_products", v1::DOMAIN_MARKET_REGULATION, "320000",
       "320500", "scjgj-320500", "苏州市市场监督管理局", "苏市监罚", "销售伪劣商品", "2024-09-01",
       {lever("sales_amount_yuan", 40000, "yuan")}, Expected::kInsufficientFacts, 5, 0.5, 1.0},
      // wage_arrears.amount v1: Sichuan has no encoded figure; 12,000 lies inside the national
      // range 5,000-20,000, so the province's own figure is missing (rule file example).
      {"wage arrears: Chengdu, 12,000 inside the national range", "wage_arrears", v1::DOMAIN_LABOUR, "510000",
       "510100", "rsj-510100", "成都市人力资源和社会保障局", "成人社罚", "拖欠劳动报酬经责令限期支付逾期不支付",
       "2025-03-01",
       {num("months_unpaid", 3, "months"), lever("single_worker_amount_yuan", 12000, "yuan"),
        num("workers_unpaid", 1, "persons"), lever("amount_yuan", 12000, "yuan"),
        flag("prior_payment_order_ignored", true)},
       Expected::kInsufficientFacts, 4, 0.5, 1.6},
      // tax_evasion.taxpayer v2: amount and share met, none of the procedural preconditions known.
      {"tax evasion: 150,000 at 20 %, no recovery notice on record", "tax_evasion", v1::DOMAIN_TAX, "310000",
       "310100", "swj-310100", "国家税务总局上海市税务局稽查局", "沪税稽罚", "虚假申报少缴税款", "2024-07-01",
       {lever("tax_evaded_yuan", 150000, "yuan"), num("tax_evaded_ratio", 0.2, "ratio"),
        num("withheld_tax_unpaid_yuan", 0, "yuan")},
       Expected::kInsufficientFacts, 4, 1.0, 3.0},
  };
}

// The case table. Weights: 30 % of records meet a threshold, 45 % fall short, 25 % lack a fact
// the rules need (or the province's own figure). Expectations cite the rule entry they rest on.
const std::vector<CaseSpec>& cases() {
  static const std::vector<CaseSpec> table = [] {
    std::vector<CaseSpec> all = meeting_cases();
    for (auto& c : short_cases()) all.push_back(std::move(c));
    for (auto& c : insufficient_cases()) all.push_back(std::move(c));
    return all;
  }();
  return table;
}

const std::vector<double>& weights() {
  static const std::vector<double> w = [] {
    std::vector<double> out;
    for (const auto& c : cases()) out.push_back(c.weight);
    return out;
  }();
  return w;
}

// Levers are rounded to what an agency writes: whole yuan, 0.01 t / mu.
double round_lever(double value, const char* unit) {
  const std::string u = unit;
  if (u == "yuan" || u == "persons" || u == "months" || u == "count") return std::floor(value);
  return std::floor(value * 100.0) / 100.0;
}

}  // namespace

const char* to_string(Expected expected) {
  switch (expected) {
    case Expected::kMeets: return "MEETS_THRESHOLD";
    case Expected::kBelow: return "BELOW_THRESHOLD";
    case Expected::kInsufficientFacts: return "INSUFFICIENT_FACTS";
  }
  return "?";
}

PenaltyGenerator::PenaltyGenerator(uint64_t seed, TimePoint now)
    : rng_(seed), now_(now), pick_case_(weights().begin(), weights().end()) {}

size_t PenaltyGenerator::case_count() const { return cases().size(); }
std::string PenaltyGenerator::case_name(size_t index) const { return cases().at(index).name; }
Expected PenaltyGenerator::case_expected(size_t index) const { return cases().at(index).expected; }
std::pair<double, double> PenaltyGenerator::lever_range(size_t index) const {
  return {cases().at(index).lever_low, cases().at(index).lever_high};
}

GeneratedRecord PenaltyGenerator::make(size_t index, double lever_factor, bool ever_referred, bool imposed,
                                       int64_t serial) {
  const CaseSpec& c = cases().at(index);
  const std::string number = std::to_string(serial);
  const TimePoint decided = now_ - std::chrono::minutes(1 + serial % (30 * 24 * 60));
  v1::Envelope env = envelope::make_envelope(CaseId(std::string("pen-") + c.agency_id + "-" + number),
                                             AgencyId(c.agency_id), decided, now_);
  auto* p = env.mutable_administrative_penalty_reported();
  p->set_decision_number(std::string(c.decision_prefix) + "〔" + std::string(c.act_date).substr(0, 4) + "〕" +
                         number + "号");
  p->mutable_deciding_agency()->set_organ_id(c.agency_id);
  p->mutable_deciding_agency()->set_name(c.agency_name);
  p->mutable_deciding_agency()->set_kind(v1::ORGAN_KIND_ADMINISTRATIVE_AGENCY);
  p->set_report_context(v1::PENALTY_REPORT_CONTEXT_ROUTINE_SCREENING);
  p->set_offence_code(c.offence);
  p->set_violation_description(c.violation);
  p->set_domain(c.domain);
  p->mutable_jurisdiction()->set_province_code(c.province);
  p->mutable_jurisdiction()->set_city_code(c.city);
  for (const FactSpec& f : c.facts) {
    v1::Fact* fact = p->add_facts();
    fact->set_name(f.name);
    switch (f.kind) {
      case Kind::kNumber:
        fact->set_number(f.lever ? round_lever(f.number * lever_factor, f.unit) : f.number);
        fact->set_unit(f.unit);
        break;
      case Kind::kFlag: fact->set_flag(f.flag); break;
      case Kind::kText: fact->set_text(f.text); break;
    }
  }
  if (imposed) {
    p->set_outcome(v1::PENALTY_OUTCOME_IMPOSED);
    p->add_penalty_kinds(v1::PENALTY_KIND_FINE);
    p->set_fine_amount_yuan(static_cast<double>(10000 + (serial % 50) * 2000));
    p->set_fine_paid_yuan(p->fine_amount_yuan());
  } else {
    p->set_outcome(v1::PENALTY_OUTCOME_NOT_IMPOSED);
    p->set_not_imposed_reason("违法行为轻微并及时改正，没有造成危害后果(行政处罚法第三十三条)");
  }
  env.mutable_administrative_penalty_reported()->mutable_decided_at()->CopyFrom(env.occurred_at());
  p->set_act_date(c.act_date);
  v1::Suspect* party = p->add_penalized_parties();
  party->set_suspect_id("party-" + number);
  party->set_kind(v1::SUSPECT_KIND_UNIT);
  party->set_name(std::string(c.agency_name).substr(0, 6) + "某某有限公司" + number);
  party->set_id_document_type(v1::ID_DOCUMENT_TYPE_UNIFIED_SOCIAL_CREDIT_CODE);
  party->set_id_number_masked("91" + std::string(c.city) + "**********");
  p->set_ever_referred(ever_referred);
  if (ever_referred) {
    p->set_referral_case_id(std::string("ref-") + c.agency_id + "-" + number);
  }
  envelope::seal(env);

  GeneratedRecord out;
  out.envelope = std::move(env);
  out.expected = c.expected;
  out.clue = c.expected == Expected::kMeets && imposed && !ever_referred;
  out.case_index = index;
  return out;
}

GeneratedRecord PenaltyGenerator::next() {
  const size_t index = pick_case_(rng_);
  const CaseSpec& c = cases()[index];
  std::uniform_real_distribution<double> lever_factor(c.lever_low, c.lever_high);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  // Of the records that meet a threshold, some were transferred after all (8 %) and some
  // closed without a penalty (4 %): neither is 以罚代刑, so neither may raise a clue.
  const double draw = unit(rng_);
  const bool ever_referred = draw < 0.08;
  const bool imposed = !(draw >= 0.08 && draw < 0.12);
  GeneratedRecord r = make(index, lever_factor(rng_), ever_referred, imposed, ++serial_);
  ++counts_.records;
  switch (r.expected) {
    case Expected::kMeets:
      ++counts_.meets;
      if (r.clue) {
        ++counts_.clues;
      } else {
        ++counts_.meets_without_clue;
      }
      break;
    case Expected::kBelow: ++counts_.below; break;
    case Expected::kInsufficientFacts: ++counts_.insufficient; break;
  }
  return r;
}

}  // namespace caselink::bench
