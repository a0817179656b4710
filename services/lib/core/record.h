#pragma once

// Kafka records as plain values, so handlers and their tests need no librdkafka.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace caselink {

using Header = std::pair<std::string, std::string>;
using Headers = std::vector<Header>;

// Value of the first header named `name`, if any.
inline std::optional<std::string> find_header(const Headers& headers, const std::string& name) {
  for (const auto& [key, value] : headers) {
    if (key == name) {
      return value;
    }
  }
  return std::nullopt;
}

// A record as read from a topic.
struct ConsumedRecord {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  int64_t timestamp_ms = -1;    // record timestamp (CreateTime), -1 when absent
  std::optional<std::string> key;
  std::optional<std::string> value;  // nullopt for a tombstone
  Headers headers;
};

// A record to write. The key is the case id for every caselink topic.
struct OutgoingRecord {
  std::string topic;
  std::string key;
  std::optional<std::string> value;  // nullopt writes a tombstone
  Headers headers;
};

}  // namespace caselink
