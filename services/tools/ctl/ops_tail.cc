#include "services/tools/ctl/ops_tail.h"

#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

#include "services/lib/core/clock.h"
#include "services/tools/ctl/commands.h"
#include "services/tools/ctl/ops_read.h"

namespace caselink::ctl {

std::optional<kafka::StartAt> parse_start(const std::string& text) {
  if (text == "beginning") return kafka::StartAt::beginning();
  if (text == "end") return kafka::StartAt::end();
  const auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  const std::string kind = text.substr(0, colon);
  const std::string value = text.substr(colon + 1);
  if (kind == "time") {
    TimePoint t;
    if (!parse_rfc3339(value, &t)) return std::nullopt;
    return kafka::StartAt::time(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
  }
  try {
    size_t used = 0;
    const int64_t n = std::stoll(value, &used);
    if (used != value.size() || n < 0) return std::nullopt;
    if (kind == "offset") return kafka::StartAt::offset(n);
    if (kind == "last") return kafka::StartAt::last(n);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

std::string tail_line(const CaseRecordRef& r) {
  // ordered_json: the envelope first, as operators read it.
  nlohmann::ordered_json j;
  if (!r.envelope.event_id().empty()) {
    std::string env;
    google::protobuf::util::JsonPrintOptions opts;
    opts.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(r.envelope, &env, opts);
    j["envelope"] = nlohmann::ordered_json::parse(env);
  } else {
    j["envelope"] = nullptr;
    auto value = nlohmann::ordered_json::parse(r.raw, nullptr, /*allow_exceptions=*/false);
    if (!value.is_discarded()) {
      j["value"] = value;
    } else {
      j["value_bytes"] = r.raw.size();
    }
  }
  j["topic"] = r.topic;
  j["partition"] = r.partition;
  j["offset"] = r.offset;
  j["timestamp"] = r.timestamp_ms < 0 ? std::string()
                                      : format_rfc3339(TimePoint(std::chrono::milliseconds(r.timestamp_ms)));
  j["key"] = r.key;
  nlohmann::ordered_json headers = nlohmann::ordered_json::object();
  for (const auto& [k, v] : r.headers) headers[k] = v;
  j["headers"] = headers;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

namespace {

bool wanted(const TailRequest& request, const CaseRecordRef& r) {
  if (!request.case_id.empty() && r.key != request.case_id && r.envelope.case_id() != request.case_id) return false;
  if (request.event_type.empty()) return true;
  // "FilingDecision" or the full "caselink.v1.FilingDecision".
  const std::string& type = r.envelope.event_type();
  return type == request.event_type ||
         (type.size() > request.event_type.size() && type.ends_with("." + request.event_type));
}

}  // namespace

int tail_command(const TailRequest& request, const OpsOptions& options, std::ostream& out, std::ostream& err) {
  auto reader_opts = reader_options(options, "caselinkctl-tail");
  reader_opts.topics = {request.topic};
  reader_opts.start = request.start;
  reader_opts.end = kafka::EndAt::kStableNow;
  auto reader = kafka::TopicReader::open(options.kafka, std::move(reader_opts));
  if (!reader.ok()) {
    err << "caselinkctl: " << reader.error().message << "\n";
    return reader.error().code == ErrorCode::kNotFound ? kNotFound : kBrokerError;
  }
  int64_t printed = 0;
  auto done = [&] {
    if (request.limit > 0 && printed >= request.limit) return true;
    if (request.stop != nullptr && request.stop->load()) return true;
    return !request.follow && reader.value()->at_end();
  };
  while (!done()) {
    const Status st = reader.value()->poll(std::chrono::milliseconds(200), [&](const ConsumedRecord& record) {
      if (request.limit > 0 && printed >= request.limit) return;
      const CaseRecordRef r = to_ref(record);
      if (!wanted(request, r)) return;
      out << tail_line(r) << "\n";
      ++printed;
    });
    out.flush();  // a follower's reader (a pipe, a script) sees each record when it comes
    if (!st.ok()) {
      err << "caselinkctl: " << st.error().message << "\n";
      return kBrokerError;
    }
  }
  return kOk;
}

}  // namespace caselink::ctl
