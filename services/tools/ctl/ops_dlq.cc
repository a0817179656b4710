#include "services/tools/ctl/ops_dlq.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "services/daemons/sync/case_engine.h"
#include "services/lib/core/clock.h"
#include "services/lib/crypto/sha256.h"
#include "services/lib/kafka/dlq.h"
#include "services/tools/ctl/commands.h"
#include "services/tools/ctl/ops_format.h"
#include "services/tools/ctl/ops_read.h"
#include "services/tools/ctl/ops_replay_producer.h"

namespace caselink::ctl {

bool DlqSelector::empty() const {
  return !partition && !from_offset && !to_offset && reason.empty() && case_id.empty();
}

bool DlqSelector::matches(const CaseRecordRef& dead) const {
  if (partition && dead.partition != *partition) return false;
  if (from_offset && dead.offset < *from_offset) return false;
  if (to_offset && dead.offset > *to_offset) return false;
  if (!reason.empty() && find_header(dead.headers, kafka::kDlqErrorClass).value_or("") != reason) return false;
  if (!case_id.empty() && dead.key != case_id && dead.envelope.case_id() != case_id) return false;
  return true;
}

bool parse_offset_range(const std::string& text, DlqSelector* selector) {
  try {
    size_t used = 0;
    const auto dash = text.find('-', 1);
    const int64_t from = std::stoll(text.substr(0, dash), &used);
    if (used != (dash == std::string::npos ? text.size() : dash) || from < 0) return false;
    int64_t to = from;
    if (dash != std::string::npos) {
      to = std::stoll(text.substr(dash + 1), &used);
      if (used != text.size() - dash - 1 || to < from) return false;
    }
    selector->from_offset = from;
    selector->to_offset = to;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::string replay_id_for(const std::string& dlq_topic, int32_t partition, int64_t offset) {
  // 128 bits of the hash are plenty to tell dead letters apart; the input says what it names.
  return crypto::sha256_hex(dlq_topic + "/" + std::to_string(partition) + "/" + std::to_string(offset)).substr(0, 32);
}

namespace {

std::string location(const CaseRecordRef& r) { return r.topic + "/" + std::to_string(r.partition) + "@" + std::to_string(r.offset); }

std::string header_or(const CaseRecordRef& r, const char* name, const char* fallback = "-") {
  return find_header(r.headers, name).value_or(fallback);
}

}  // namespace

Result<OutgoingRecord> make_replay_record(const CaseRecordRef& dead) {
  const auto target = find_header(dead.headers, kafka::kDlqOriginalTopic);
  if (!target || target->empty()) {
    return Error::invalid(location(dead) + " has no " + std::string(kafka::kDlqOriginalTopic) + " header",
                          kafka::kDlqOriginalTopic);
  }
  if (target->rfind("caselink.", 0) != 0 || *target == dead.topic || *target == kReplayLogTopic) {
    return Error::invalid(location(dead) + ": will not replay to " + *target, kafka::kDlqOriginalTopic);
  }
  if (const auto omitted = find_header(dead.headers, kafka::kDlqValueOmitted)) {
    return Error::invalid(location(dead) + ": its value (" + *omitted +
                              " bytes) was too large to copy to the DLQ; the original is at " + *target + "[" +
                              header_or(dead, kafka::kDlqOriginalPartition) + "] offset " +
                              header_or(dead, kafka::kDlqOriginalOffset) + " until that topic's retention",
                          kafka::kDlqValueOmitted);
  }
  OutgoingRecord out{*target, dead.key, dead.raw, {}};
  for (const auto& h : dead.headers) {
    if (h.first.rfind("dlq.", 0) != 0 && h.first != kReplayIdHeader && h.first != kReplayOfHeader) {
      out.headers.push_back(h);
    }
  }
  out.headers.emplace_back(kReplayIdHeader, replay_id_for(dead.topic, dead.partition, dead.offset));
  out.headers.emplace_back(kReplayOfHeader, location(dead));
  return out;
}

OutgoingRecord make_replay_log_record(const CaseRecordRef& dead, const std::string& replayed_at,
                                      const std::string& by, const std::string& note) {
  const std::string id = replay_id_for(dead.topic, dead.partition, dead.offset);
  const nlohmann::json value = {
      {"replay_id", id},
      {"dead_letter", {{"topic", dead.topic}, {"partition", dead.partition}, {"offset", dead.offset}}},
      {"original",
       {{"topic", header_or(dead, kafka::kDlqOriginalTopic)},
        {"partition", header_or(dead, kafka::kDlqOriginalPartition)},
        {"offset", header_or(dead, kafka::kDlqOriginalOffset)}}},
      {"error_class", header_or(dead, kafka::kDlqErrorClass)},
      {"case_id", dead.envelope.case_id().empty() ? dead.key : dead.envelope.case_id()},
      {"event_id", dead.envelope.event_id()},
      {"event_type", dead.envelope.event_type()},
      {"replayed_at", replayed_at},
      {"by", by},
      {"note", note}};
  return OutgoingRecord{kReplayLogTopic, id, value.dump(), {{"content-type", "application/json"}}};
}

namespace {

Result<std::vector<CaseRecordRef>> selected_dead_letters(const DlqSelector& selector, const OpsOptions& options) {
  auto reader = reader_options(options, "caselinkctl-dlq");
  reader.topics = {kDlqTopic};
  reader.end = kafka::EndAt::kStableNow;  // what is dead-lettered now
  auto all = read_all(options, std::move(reader));
  if (!all.ok()) return all.error();
  std::vector<CaseRecordRef> out;
  for (auto& r : all.value()) {
    if (selector.matches(r)) out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const CaseRecordRef& a, const CaseRecordRef& b) {
    return std::tie(a.partition, a.offset) < std::tie(b.partition, b.offset);
  });
  return out;
}

// Replay id -> the replay log entry (JSON): everything on the log, waiting for transactions
// open when the read starts (kSettled), so a replay committed moments ago is never missed.
Result<std::map<std::string, nlohmann::json>> replay_log(const OpsOptions& options) {
  auto reader = reader_options(options, "caselinkctl-replay-log");
  reader.topics = {kReplayLogTopic};
  reader.end = kafka::EndAt::kSettled;
  auto records = read_all(options, std::move(reader));
  if (!records.ok()) {
    Error e = records.error();
    if (e.code == ErrorCode::kNotFound) e.message += " (apply deploy/topics.yaml with caselink-topics)";
    return e;
  }
  std::map<std::string, nlohmann::json> log;
  for (const auto& r : records.value()) {
    if (!r.key.empty()) log[r.key] = nlohmann::json::parse(r.raw, nullptr, /*allow_exceptions=*/false);
  }
  return log;
}

std::string proto_json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  opts.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

nlohmann::json dead_letter_json(const CaseRecordRef& r, const std::map<std::string, nlohmann::json>& log) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [k, v] : r.headers) headers[k] = v;
  const auto replayed = log.find(replay_id_for(r.topic, r.partition, r.offset));
  return {{"partition", r.partition},
          {"offset", r.offset},
          {"key", r.key},
          {"case_id", r.envelope.case_id()},
          {"event_id", r.envelope.event_id()},
          {"event_type", r.envelope.event_type()},
          {"headers", headers},
          {"replay_id", replay_id_for(r.topic, r.partition, r.offset)},
          {"replayed", replayed == log.end() ? nlohmann::json(nullptr) : replayed->second}};
}

std::string short_topic(const std::string& t) { return t.rfind("caselink.", 0) == 0 ? t.substr(9) : t; }

}  // namespace

int dlq_list(const DlqSelector& selector, const OpsOptions& options, std::ostream& out, std::ostream& err) {
  auto dead = selected_dead_letters(selector, options);
  auto log = dead.ok() ? replay_log(options) : Result<std::map<std::string, nlohmann::json>>(dead.error());
  if (!log.ok()) {
    err << "caselinkctl: " << log.error().message << "\n";
    return kBrokerError;
  }
  if (options.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : dead.value()) arr.push_back(dead_letter_json(r, log.value()));
    out << nlohmann::json{{"dead_letters", arr}}.dump(2) << "\n";
    return kOk;
  }
  Table table({"DLQ", "FAILED AT", "ORIGINAL", "SERVICE", "CLASS", "CASE", "EVENT", "REPLAYED", "REASON"});
  for (const auto& r : dead.value()) {
    const auto replayed = log.value().find(replay_id_for(r.topic, r.partition, r.offset));
    table.add({std::to_string(r.partition) + "@" + std::to_string(r.offset), header_or(r, kafka::kDlqFailedAt),
               short_topic(header_or(r, kafka::kDlqOriginalTopic)) + "/" + header_or(r, kafka::kDlqOriginalPartition) +
                   "@" + header_or(r, kafka::kDlqOriginalOffset),
               header_or(r, kafka::kDlqService), header_or(r, kafka::kDlqErrorClass), r.key.empty() ? "-" : r.key,
               r.envelope.event_type().empty() ? "-" : r.envelope.event_type(),
               replayed == log.value().end() ? "no" : replayed->second.value("replayed_at", "yes"),
               header_or(r, kafka::kDlqErrorMessage)});
  }
  out << table.render() << dead.value().size() << " dead letter(s)\n";
  return kOk;
}

int dlq_show(int32_t partition, int64_t offset, const OpsOptions& options, std::ostream& out, std::ostream& err) {
  DlqSelector selector;
  selector.partition = partition;
  selector.from_offset = selector.to_offset = offset;
  auto dead = selected_dead_letters(selector, options);
  auto log = dead.ok() ? replay_log(options) : Result<std::map<std::string, nlohmann::json>>(dead.error());
  if (!log.ok()) {
    err << "caselinkctl: " << log.error().message << "\n";
    return kBrokerError;
  }
  if (dead.value().empty()) {
    err << "caselinkctl: no dead letter at " << kDlqTopic << "/" << partition << "@" << offset << "\n";
    return kNotFound;
  }
  const CaseRecordRef& r = dead.value().front();
  nlohmann::json j = dead_letter_json(r, log.value());
  const bool decoded = !r.envelope.event_id().empty();
  j["envelope"] = decoded ? nlohmann::json::parse(proto_json(r.envelope)) : nlohmann::json(nullptr);
  j["value_bytes"] = r.raw.size();
  if (options.json) {
    out << j.dump(2) << "\n";
    return kOk;
  }
  out << "Dead letter " << location(r) << "   key " << (r.key.empty() ? "-" : r.key) << "\n";
  Table headers({"HEADER", "VALUE"});
  for (const auto& [k, v] : r.headers) headers.add({k, v});
  out << headers.render();
  out << "replay id  " << j["replay_id"].get<std::string>() << "  "
      << (j["replayed"].is_null() ? "not replayed" : "replayed " + j["replayed"].value("replayed_at", "")) << "\n";
  out << (decoded ? "Envelope (" + std::to_string(r.raw.size()) + " bytes):\n" + proto_json(r.envelope) + "\n"
                  : "The value (" + std::to_string(r.raw.size()) + " bytes) does not decode as an envelope.\n");
  return kOk;
}

}  // namespace caselink::ctl

namespace caselink::ctl {

namespace {

struct ReplayPlan {
  std::vector<const CaseRecordRef*> todo;
  std::vector<std::pair<const CaseRecordRef*, std::string>> done;  // with when it was replayed
  std::vector<OutgoingRecord> records;  // per todo: the replayed record, then its log entry
};

Result<ReplayPlan> plan_replay(const std::vector<CaseRecordRef>& dead, const std::map<std::string, nlohmann::json>& log,
                               const ReplayRequest& request) {
  ReplayPlan plan;
  const std::string now = format_rfc3339(SystemClock().now());
  for (const auto& r : dead) {
    const auto it = log.find(replay_id_for(r.topic, r.partition, r.offset));
    if (it != log.end()) {
      plan.done.emplace_back(&r, it->second.value("replayed_at", "?"));
      continue;
    }
    auto record = make_replay_record(r);
    if (!record.ok()) return record.error();
    plan.todo.push_back(&r);
    plan.records.push_back(std::move(record).value());
    plan.records.push_back(make_replay_log_record(r, now, request.by, request.note));
  }
  return plan;
}

std::string render_replay(const ReplayPlan& plan, const std::vector<kafka::Delivery>& landed, bool dry_run,
                          bool json) {
  nlohmann::json arr = nlohmann::json::array();
  Table table({"DLQ", "CASE", "EVENT", "RESULT"});
  for (const auto& [r, when] : plan.done) {
    table.add({location(*r), r->key, r->envelope.event_id(), "already replayed at " + when + " (skipped)"});
    arr.push_back({{"dead_letter", location(*r)}, {"replay_id", replay_id_for(r->topic, r->partition, r->offset)},
                   {"result", "already_replayed"}, {"replayed_at", when}});
  }
  for (size_t i = 0; i < plan.todo.size(); ++i) {
    const auto& r = *plan.todo[i];
    const auto& target = plan.records[2 * i].topic;
    const std::string at = dry_run ? std::string()
                                   : target + "/" + std::to_string(landed[2 * i].partition) + "@" +
                                         std::to_string(landed[2 * i].offset);
    table.add({location(r), r.key, r.envelope.event_id(), dry_run ? "would replay to " + target : "replayed to " + at});
    arr.push_back({{"dead_letter", location(r)}, {"replay_id", replay_id_for(r.topic, r.partition, r.offset)},
                   {"result", dry_run ? "would_replay" : "replayed"}, {"target", dry_run ? target : at}});
  }
  if (json) return nlohmann::json{{"dry_run", dry_run}, {"replays", arr}}.dump(2) + "\n";
  return table.render() + std::to_string(plan.todo.size()) + (dry_run ? " to replay, " : " replayed, ") +
         std::to_string(plan.done.size()) + " already replayed\n";
}

}  // namespace

int dlq_replay(const ReplayRequest& request, const OpsOptions& options, std::ostream& out, std::ostream& err) {
  auto dead = selected_dead_letters(request.selector, options);
  if (!dead.ok()) {
    err << "caselinkctl: " << dead.error().message << "\n";
    return kBrokerError;
  }
  if (dead.value().empty()) {
    err << "caselinkctl: no dead letter matches the selection\n";
    return kNotFound;
  }
  // Fence any other replay first, then read the log: what it holds now is final.
  std::unique_ptr<ReplayProducer> producer;
  if (!request.dry_run) {
    auto created = ReplayProducer::create(options.kafka, kReplayTransactionalId, options.timeout);
    if (!created.ok()) {
      err << "caselinkctl: " << created.error().message << "\n";
      return kBrokerError;
    }
    producer = std::move(created).value();
  }
  auto log = replay_log(options);
  if (!log.ok()) {
    err << "caselinkctl: " << log.error().message << "\n";
    return kBrokerError;
  }
  auto plan = plan_replay(dead.value(), log.value(), request);
  if (!plan.ok()) {
    err << "caselinkctl: " << plan.error().message << "; narrow the selection\n";
    return kUsage;
  }
  std::vector<kafka::Delivery> landed;
  if (!request.dry_run && !plan.value().records.empty()) {
    auto written = producer->write_transaction(plan.value().records);
    if (!written.ok()) {
      err << "caselinkctl: replay failed: " << written.error().message << "\n";
      return kBrokerError;
    }
    landed = std::move(written).value();
  }
  out << render_replay(plan.value(), landed, request.dry_run, options.json);
  return kOk;
}

}  // namespace caselink::ctl
