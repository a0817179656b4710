#include "services/lib/kafka/statistics.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

namespace caselink::kafka {

namespace {

using nlohmann::json;

// librdkafka reports times in microseconds.
double micros_to_seconds(const json& window, const char* field) {
  if (!window.is_object()) return 0;
  return static_cast<double>(window.value(field, int64_t{0})) / 1e6;
}

void parse_brokers(const json& brokers, std::vector<BrokerStatistics>& out) {
  if (!brokers.is_object()) return;
  for (const auto& [name, b] : brokers.items()) {
    const int32_t node_id = b.value("nodeid", -1);
    if (node_id < 0) continue;  // a bootstrap entry: not a broker of the cluster yet
    const json rtt = b.contains("rtt") ? b["rtt"] : json();
    out.push_back({b.value("name", name), node_id, b.value("state", "") == "UP", micros_to_seconds(rtt, "avg"),
                   micros_to_seconds(rtt, "p99"), b.value("outbuf_cnt", int64_t{0}),
                   b.value("waitresp_cnt", int64_t{0})});
  }
}

void parse_partitions(const json& topics, std::vector<PartitionStatistics>& out) {
  if (!topics.is_object()) return;
  for (const auto& [topic, t] : topics.items()) {
    if (!t.contains("partitions") || !t["partitions"].is_object()) continue;
    for (const auto& [pid, p] : t["partitions"].items()) {
      int32_t partition = -1;
      std::from_chars(pid.data(), pid.data() + pid.size(), partition);
      if (partition < 0) continue;  // -1: librdkafka's internal "unassigned" partition
      out.push_back({topic, partition, p.value("consumer_lag", int64_t{-1}), p.value("fetchq_cnt", int64_t{0})});
    }
  }
}

}  // namespace

bool ClientStatistics::any_broker_up() const {
  return std::any_of(brokers.begin(), brokers.end(), [](const BrokerStatistics& b) { return b.up; });
}

Result<ClientStatistics> parse_statistics(std::string_view json_text) {
  const json stats = json::parse(json_text, nullptr, false);
  if (stats.is_discarded() || !stats.is_object()) {
    return Error::invalid("librdkafka statistics are not a JSON object");
  }
  ClientStatistics out;
  try {
    out.type = stats.value("type", "");
    out.queue_messages = stats.value("msg_cnt", int64_t{0});
    out.queue_bytes = stats.value("msg_size", int64_t{0});
    out.reply_queue_events = stats.value("replyq", int64_t{0});
    if (stats.contains("brokers")) parse_brokers(stats["brokers"], out.brokers);
    if (stats.contains("topics")) parse_partitions(stats["topics"], out.partitions);
  } catch (const json::exception& e) {
    // A field of an unexpected type (value() throws type_error): reject the document, keep the service.
    return Error::invalid(std::string("librdkafka statistics: ") + e.what());
  }
  return out;
}

}  // namespace caselink::kafka
