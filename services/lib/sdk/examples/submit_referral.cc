// Example 1: an ecology and environment bureau transfers a suspected pollution crime.
//
// The Hangzhou Ecology and Environment Bureau (sthjj-330100) found an electroplating company
// discharging cadmium-bearing wastewater through a hidden pipe at 4.2 times the discharge
// standard (法释〔2023〕7号 Art 1(3): >= 3 times is "severe pollution"). The head approved the
// transfer; the bureau now sends it to the same-level police (S2 Art 5–6) with a copy to the
// procuratorate, and attaches the materials of S2 Art 6 as files in the blob store:
//
//   1. upload each file (the claim check: Kafka carries hashes, the blob store carries bytes);
//   2. publish the EvidenceManifest listing them (caselink-evidence checks it);
//   3. publish the CaseReferral naming that manifest;
// each acknowledged by the broker before the next is sent.
#include <CLI/CLI.hpp>

#include <algorithm>

#include "services/lib/core/uuid.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/config/cli.h"
#include "services/lib/sdk/examples/examples.h"

namespace caselink::sdk::examples {

namespace {

constexpr const char* kTextMedia = "text/plain; charset=utf-8";

struct EvidenceFile {
  EvidenceItemSpec spec;
  std::string content;
  std::string fact_to_prove;
  std::string document_number;
};

// The materials of S2 Art 6 this case has. Small text files stand in for the real scans; each
// names the case so two runs never share blobs by accident.
std::vector<EvidenceFile> evidence_files(const std::string& case_id) {
  return {
      {{"transfer-letter", v1::MATERIAL_CATEGORY_TRANSFER_LETTER, v1::EVIDENCE_TYPE_DOCUMENTARY, kTextMedia,
        "涉嫌犯罪案件移送书（附移送材料清单）"},
       "杭州市生态环境局 涉嫌犯罪案件移送书 杭环移〔2026〕12号\n案件编号: " + case_id +
           "\n移送单位: 杭州市生态环境局\n接收单位: 杭州市公安局\n涉嫌罪名: 污染环境罪（刑法第三百三十八条）\n"
           "主要依据: 法释〔2023〕7号 第一条第（三）项\n案件主办人: 陈明 0571-87000000\n",
       "the transfer and its legal basis", "杭环移〔2026〕12号"},
      {{"investigation-report", v1::MATERIAL_CATEGORY_INVESTIGATION_REPORT, v1::EVIDENCE_TYPE_DOCUMENTARY, kTextMedia,
        "案件调查报告"},
       "案件调查报告\n案件编号: " + case_id +
           "\n2026年9月14日执法人员对杭州某电镀有限公司开展现场检查，发现其通过暗管将含镉电镀废水直接排入厂区外"
           "雨水管网。经采样监测，总镉浓度为0.21 mg/L，超过《电镀污染物排放标准》(GB 21900-2008)限值"
           "(0.05 mg/L) 3.2倍（即为标准的4.2倍）。\n",
       "source of the case, facts and proposed handling", ""},
      {{"site-inspection-record", v1::MATERIAL_CATEGORY_SITE_INSPECTION_RECORD, v1::EVIDENCE_TYPE_INSPECTION_RECORD,
        kTextMedia, "现场检查（勘察）笔录"},
       "现场检查（勘察）笔录\n案件编号: " + case_id +
           "\n时间: 2026-09-14 09:30-11:45 地点: 杭州市钱塘区某工业园 杭州某电镀有限公司\n"
           "检查人: 陈明、刘洋（执法证号 33010012、33010027）\n发现: 车间东侧暗管一处，直通厂外雨水井。\n",
       "the hidden discharge pipe and its outlet", "杭环检〔2026〕0914号"},
      {{"sampling-record", v1::MATERIAL_CATEGORY_SAMPLING_RECORD, v1::EVIDENCE_TYPE_DOCUMENTARY, kTextMedia,
        "采样记录单"},
       "采样记录单\n案件编号: " + case_id +
           "\n采样点: 暗管出口（雨水井）\n采样时间: 2026-09-14 10:05\n样品编号: HZ-2026-0914-01/02\n"
           "采样人: 杭州市生态环境监测中心 赵磊、孙婷\n",
       "where and how the wastewater samples were taken", ""},
      {{"monitoring-report", v1::MATERIAL_CATEGORY_MONITORING_TEST_REPORT, v1::EVIDENCE_TYPE_MONITORING_REPORT,
        kTextMedia, "监测报告（总镉）"},
       "监测报告 杭环监字〔2026〕第0917号\n案件编号: " + case_id +
           "\n样品 HZ-2026-0914-01: 总镉 0.21 mg/L\n样品 HZ-2026-0914-02: 总镉 0.19 mg/L\n"
           "标准限值: 0.05 mg/L (GB 21900-2008 表2)\n最高超标倍数: 标准的4.2倍\n",
       "cadmium at 4.2 times the discharge standard (heavy_metal_multiple)", "杭环监字〔2026〕第0917号"},
  };
}

v1::Organ organ(const std::string& id, const std::string& name, v1::OrganKind kind) {
  v1::Organ o;
  o.set_organ_id(id);
  o.set_name(name);
  o.set_kind(kind);
  return o;
}

void add_number_fact(v1::CaseReferral& referral, const std::string& name, double value, const std::string& unit,
                     const std::string& evidence_item) {
  v1::Fact* fact = referral.add_facts();
  fact->set_name(name);
  fact->set_number(value);
  fact->set_unit(unit);
  fact->add_evidence_item_ids(evidence_item);
}

// A readable, unique case id for the example: sthjj-330100-2026-<8 random hex digits>.
std::string new_case_id(const std::string& agency) { return agency + "-2026-" + new_uuid().substr(0, 8); }

}  // namespace

Result<std::vector<v1::Envelope>> build_pollution_referral(AgencyClient& client, const std::string& case_id,
                                                           std::ostream& log) {
  const std::string& agency = client.options().agency_id;
  const v1::Organ bureau = organ(agency, "杭州市生态环境局", v1::ORGAN_KIND_ADMINISTRATIVE_AGENCY);

  // 1. The files: upload each, describe it as an EvidenceItem.
  v1::Envelope manifest_event = client.new_envelope(case_id);
  v1::EvidenceManifest* manifest = manifest_event.mutable_evidence_manifest();
  manifest->set_manifest_id(new_uuid());
  manifest->set_purpose(v1::MANIFEST_PURPOSE_REFERRAL);
  manifest->set_domain(v1::DOMAIN_ENVIRONMENT);
  manifest->set_offence_code("pollution_environment");
  // The site inspection of 2026-09-14, 10:05 China Standard Time.
  TimePoint collected_at;
  parse_rfc3339("2026-09-14T10:05:00+08:00", &collected_at);
  for (const EvidenceFile& file : evidence_files(case_id)) {
    auto item = client.upload_evidence(file.content, file.spec);
    if (!item.ok()) {
      return item.error();
    }
    item->set_fact_to_prove(file.fact_to_prove);
    item->set_document_number(file.document_number);
    item->set_collecting_body_name(bureau.name());
    item->set_collection_place("杭州市钱塘区某工业园 杭州某电镀有限公司");
    item->set_collector("陈明");
    envelope::set_timestamp(item->mutable_collected_at(), collected_at);
    log << "blob " << item->item_id() << " sha256=" << item->sha256_hex() << " size=" << item->size_bytes() << "\n";
    *manifest->add_items() = std::move(*item);
  }

  // 2. The transfer letter's content.
  v1::Envelope referral_event = client.new_envelope(case_id);
  referral_event.set_causation_id(manifest_event.event_id());
  v1::CaseReferral* referral = referral_event.mutable_case_referral();
  referral->set_transfer_letter_number("杭环移〔2026〕12号");
  *referral->mutable_referring_agency() = bureau;
  *referral->mutable_target_police_organ() = organ("ga-330100", "杭州市公安局", v1::ORGAN_KIND_POLICE);
  referral->set_offence_code("pollution_environment");
  referral->set_offence_name("污染环境罪");
  referral->set_domain(v1::DOMAIN_ENVIRONMENT);
  referral->mutable_jurisdiction()->set_province_code("330000");
  referral->mutable_jurisdiction()->set_city_code("330100");
  referral->mutable_jurisdiction()->set_county_code("330114");
  add_number_fact(*referral, "heavy_metal_multiple", 4.2, "multiple", "monitoring-report");
  referral->set_act_date("2026-09-14");
  referral->set_conduct_start_date("2026-06-01");
  referral->set_conduct_end_date("2026-09-14");
  referral->set_discovery_date("2026-09-14");
  v1::Suspect* company = referral->add_suspects();
  company->set_suspect_id("s1");
  company->set_kind(v1::SUSPECT_KIND_UNIT);
  company->set_name("杭州某电镀有限公司");
  company->set_id_document_type(v1::ID_DOCUMENT_TYPE_UNIFIED_SOCIAL_CREDIT_CODE);
  company->set_id_number_masked("913301********5X7K");
  v1::Suspect* manager = referral->add_suspects();
  manager->set_suspect_id("s2");
  manager->set_kind(v1::SUSPECT_KIND_PERSON);
  manager->set_name("王某");
  manager->set_id_document_type(v1::ID_DOCUMENT_TYPE_RESIDENT_ID_CARD);
  manager->set_id_number_masked("330104********2311");
  manager->set_unit_suspect_id("s1");
  referral->set_copy_to_procuratorate(true);
  *referral->mutable_procuratorate() = organ("jcy-330100", "杭州市人民检察院", v1::ORGAN_KIND_PROCURATORATE);
  referral->set_materials_manifest_id(manifest->manifest_id());
  referral->set_facts_summary(
      "2026年6月至9月，杭州某电镀有限公司通过暗管排放含镉电镀废水，总镉最高为排放标准的4.2倍，"
      "涉嫌污染环境罪（法释〔2023〕7号 第一条第（三）项），依法移送。");
  referral->set_case_officer_name("陈明");
  referral->set_case_officer_phone("0571-87000000");
  return std::vector<v1::Envelope>{std::move(manifest_event), std::move(referral_event)};
}

int submit_referral_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  ClientOptions options;
  options.agency_id = "sthjj-330100";
  std::string case_id;
  CLI::App app{"caselink-example-submit-referral — an ecology and environment bureau transfers a suspected "
               "pollution crime with its evidence (caselink adapter SDK example)"};
  app.add_option("--bootstrap", options.bootstrap, "Kafka bootstrap host:port")->required();
  app.add_option("--client-config", options.kafka_config_file,
                 "The agency's broker credentials, a librdkafka client file (kafka.sh --secure's "
                 "<agency>.properties); none: plaintext")
      ->envname("CASELINK_KAFKA_CLIENT_CONFIG_FILE");
  app.add_option("--agency", options.agency_id, "Agency (caselink party id) publishing the referral")
      ->capture_default_str();
  app.add_option("--blob-dir", options.blob_dir, "Blob store directory shared with caselink-evidence")->required();
  app.add_option("--blob-key", options.blob_public_key_file,
                 "caselink-evidence's X25519 public key: uploads are sealed to it at rest");
  app.add_option("--case-id", case_id, "Case id (default: <agency>-2026-<random>)");
  app.add_option("--topic-prefix", options.topic_prefix, "Sandbox topics: prefix of every topic name (default none)");
  app.add_option("--delivery-timeout-ms", options.delivery_timeout_ms, "How long to wait for each acknowledgement")
      ->capture_default_str();
  app.footer("Prints one 'blob' line per uploaded file and one 'delivered' line per event.\n"
             "Exit status: 0 all events acknowledged, 1 publishing failed, 2 bad arguments.");
  if (std::optional<int> status = config::parse_cli(app, args, out, err)) {
    return *status;
  }
  if (case_id.empty()) {
    case_id = new_case_id(options.agency_id);
  }

  auto client = AgencyClient::create(options);
  if (!client.ok()) {
    err << "cannot start: " << client.error().describe() << "\n";
    return 2;
  }
  auto events = build_pollution_referral(**client, case_id, out);
  if (!events.ok()) {
    err << "cannot prepare the referral: " << events.error().describe() << "\n";
    return 1;
  }
  std::vector<std::string> types;
  for (const auto& e : *events) {
    types.push_back(envelope::payload_type_name(e));
  }
  auto deliveries = (*client)->publish_all(std::move(*events));
  if (!deliveries.ok()) {
    err << "publishing failed: " << deliveries.error().describe() << "\n";
    return 1;
  }
  for (size_t i = 0; i < deliveries->size(); ++i) {
    const Delivery& d = (*deliveries)[i];
    out << "delivered event_type=" << types[i] << " case_id=" << case_id << " event_id=" << d.event_id
        << " topic=" << d.topic << " partition=" << d.partition << " offset=" << d.offset << "\n";
  }
  return 0;
}

}  // namespace caselink::sdk::examples
