#include "services/ctl/case_history.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <map>
#include <memory>

#include "services/common/core/uuid.h"
#include "services/common/envelope/codec.h"
#include "services/common/envelope/routing.h"

namespace caselink::ctl {

namespace {

using TopicPartitions = std::vector<std::pair<std::string, int32_t>>;

std::unique_ptr<RdKafka::KafkaConsumer> make_consumer(const ReadOptions& options, std::string* error) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  const std::map<std::string, std::string> props = {
      {"bootstrap.servers", options.bootstrap},
      // assign() only, nothing committed; the API still wants a group id.
      {"group.id", "caselinkctl-" + new_uuid()},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"isolation.level", "read_committed"},
      // EOF is reported at the last stable offset: that is where "up to now" ends.
      {"enable.partition.eof", "true"},
      {"client.id", "caselinkctl"},
      // A command-line tool reports broker trouble once, in its own words (and exit code 3);
      // librdkafka's per-connection error lines would only bury that on stderr.
      {"log_level", "2"},
  };
  for (const auto& [k, v] : props) {
    if (conf->set(k, v, *error) != RdKafka::Conf::CONF_OK) return nullptr;
  }
  return std::unique_ptr<RdKafka::KafkaConsumer>(RdKafka::KafkaConsumer::create(conf.get(), *error));
}

Result<int32_t> partition_count(RdKafka::KafkaConsumer& consumer, const std::string& topic, int timeout_ms,
                                const std::string& bootstrap) {
  std::string err;
  std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(&consumer, topic, nullptr, err));
  RdKafka::Metadata* raw = nullptr;
  const auto code = consumer.metadata(false, handle.get(), &raw, timeout_ms);
  if (code != RdKafka::ERR_NO_ERROR || raw == nullptr) {
    return Error::unavailable("cannot read metadata of " + topic + " from " + bootstrap + ": " +
                              RdKafka::err2str(code));
  }
  std::unique_ptr<RdKafka::Metadata> md(raw);
  if (md->topics()->empty() || md->topics()->at(0)->err() != RdKafka::ERR_NO_ERROR) {
    return Error::not_found("topic " + topic + " does not exist (apply deploy/topics.yaml with caselink-topics)");
  }
  return static_cast<int32_t>(md->topics()->at(0)->partitions()->size());
}

using EndOffsets = std::map<std::pair<std::string, int32_t>, int64_t>;

// Assigns the non-empty partitions of `parts` from `start` and fills `end_at`: where "now" ends,
// per partition: the end offset at query time — for this read_committed consumer librdkafka
// answers the last stable offset, not the high watermark — or the EOF the consumer reports
// there. Records of a transaction still open at query time are not read (an inspection tool
// shows what is committed now; it does not wait like kafka::read_to_end). Whichever comes first
// closes the partition, so records produced while we read never keep us reading.
Status assign_to_end(RdKafka::KafkaConsumer& consumer, const TopicPartitions& parts, const EndOffsets& start,
                     const ReadOptions& options, EndOffsets* end_at) {
  std::vector<RdKafka::TopicPartition*> assignment;
  for (const auto& tp : parts) {
    auto it = start.find(tp);
    const int64_t from = it == start.end() ? RdKafka::Topic::OFFSET_BEGINNING : it->second;
    int64_t low = 0;
    int64_t high = 0;
    if (consumer.query_watermark_offsets(tp.first, tp.second, &low, &high,
                                         static_cast<int>(options.timeout.count())) != RdKafka::ERR_NO_ERROR) {
      RdKafka::TopicPartition::destroy(assignment);
      return Error::unavailable("cannot read the offsets of " + tp.first + "[" + std::to_string(tp.second) +
                                "] from " + options.bootstrap);
    }
    if (high <= low || (from >= 0 && from >= high)) continue;  // empty: nothing to wait for
    assignment.push_back(RdKafka::TopicPartition::create(tp.first, tp.second, from));
    (*end_at)[tp] = high;
  }
  if (assignment.empty()) return Status::success();
  const auto assigned = consumer.assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  if (assigned != RdKafka::ERR_NO_ERROR) return Error::unavailable("assign: " + RdKafka::err2str(assigned));
  return Status::success();
}

// A consumed record as caselinkctl keeps it (`msg` is not const: RdKafka::Message::headers() is not).
CaseRecordRef to_record_ref(RdKafka::Message& msg, size_t* undecodable) {
  CaseRecordRef ref;
  ref.topic = msg.topic_name();
  ref.partition = msg.partition();
  ref.offset = msg.offset();
  ref.timestamp_ms = msg.timestamp().timestamp;
  if (msg.key() != nullptr) ref.key = *msg.key();
  if (const RdKafka::Headers* headers = msg.headers(); headers != nullptr) {
    for (const auto& h : headers->get_all()) {
      ref.headers.emplace_back(h.key(), h.value() == nullptr ? std::string()
                                                             : std::string(static_cast<const char*>(h.value()),
                                                                           h.value_size()));
    }
  }
  if (msg.payload() != nullptr) ref.raw.assign(static_cast<const char*>(msg.payload()), msg.len());
  auto decoded = envelope::decode(ref.raw);
  if (decoded.ok()) {
    ref.envelope = std::move(decoded).value();
  } else if (undecodable != nullptr) {
    ++*undecodable;
  }
  return ref;
}

// Reads the given partitions from `start` (per partition) to their end as of now.
Result<std::vector<CaseRecordRef>> drain(RdKafka::KafkaConsumer& consumer, const TopicPartitions& parts,
                                         const EndOffsets& start, const ReadOptions& options,
                                         const std::string* key_filter, size_t* undecodable) {
  EndOffsets end_at;
  if (Status st = assign_to_end(consumer, parts, start, options, &end_at); !st.ok()) return st.error();
  std::vector<CaseRecordRef> out;
  if (end_at.empty()) return out;

  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  while (!end_at.empty()) {
    if (std::chrono::steady_clock::now() > deadline) {
      consumer.unassign();
      return Error::unavailable("timed out reading " + std::to_string(end_at.size()) +
                                " partition(s) to their end (raise --timeout-ms?)");
    }
    std::unique_ptr<RdKafka::Message> msg(consumer.consume(200));
    if (!msg) continue;
    if (msg->err() == RdKafka::ERR__PARTITION_EOF) {
      end_at.erase({msg->topic_name(), msg->partition()});
      continue;
    }
    if (msg->err() == RdKafka::ERR__TIMED_OUT) continue;
    if (msg->err() != RdKafka::ERR_NO_ERROR) {
      // A dropped connection is retried by librdkafka (the overall timeout still bounds us);
      // no broker at all is not worth waiting for.
      if (msg->err() == RdKafka::ERR__ALL_BROKERS_DOWN) {
        consumer.unassign();
        return Error::unavailable("broker " + options.bootstrap + ": " + msg->errstr());
      }
      continue;
    }
    const std::pair<std::string, int32_t> tp{msg->topic_name(), msg->partition()};
    auto end = end_at.find(tp);
    if (end == end_at.end()) continue;  // already at its end: a record produced after the query
    if (msg->offset() + 1 >= end->second) end_at.erase(end);
    if (key_filter != nullptr && (msg->key() == nullptr || *msg->key() != *key_filter)) continue;
    out.push_back(to_record_ref(*msg, undecodable));
  }
  consumer.unassign();
  return out;
}

}  // namespace

const std::vector<std::string>& case_topics() {
  static const std::vector<std::string> topics = [] {
    std::vector<std::string> all = envelope::event_topics();
    all.insert(all.end(), {envelope::topics::kAlert, envelope::topics::kCaseState});
    return all;
  }();
  return topics;
}

uint32_t murmur2(std::string_view key) {
  constexpr uint32_t kSeed = 0x9747b28c;
  constexpr uint32_t m = 0x5bd1e995;
  constexpr int r = 24;
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  size_t len = key.size();
  uint32_t h = kSeed ^ static_cast<uint32_t>(len);
  while (len >= 4) {
    uint32_t k = static_cast<uint32_t>(data[0]) | (static_cast<uint32_t>(data[1]) << 8) |
                 (static_cast<uint32_t>(data[2]) << 16) | (static_cast<uint32_t>(data[3]) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
    data += 4;
    len -= 4;
  }
  switch (len) {
    case 3: h ^= static_cast<uint32_t>(data[2]) << 16; [[fallthrough]];
    case 2: h ^= static_cast<uint32_t>(data[1]) << 8; [[fallthrough]];
    case 1:
      h ^= data[0];
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

int32_t partition_for_key(std::string_view key, int32_t partitions) {
  return static_cast<int32_t>((murmur2(key) & 0x7fffffff) % static_cast<uint32_t>(partitions));
}

Result<CaseHistory> read_case(const std::string& case_id, const ReadOptions& options) {
  std::string err;
  auto consumer = make_consumer(options, &err);
  if (!consumer) return Error::invalid("kafka client: " + err);
  TopicPartitions parts;
  for (const auto& topic : case_topics()) {
    auto count = partition_count(*consumer, topic, static_cast<int>(options.timeout.count()), options.bootstrap);
    if (!count.ok()) {
      consumer->close();
      return count.error();
    }
    if (options.all_partitions) {
      for (int32_t p = 0; p < count.value(); ++p) parts.emplace_back(topic, p);
    } else {
      parts.emplace_back(topic, partition_for_key(case_id, count.value()));
    }
  }
  CaseHistory history;
  auto records = drain(*consumer, parts, {}, options, &case_id, &history.undecodable);
  consumer->close();
  if (!records.ok()) return records.error();
  history.records = std::move(records).value();
  std::stable_sort(history.records.begin(), history.records.end(), [](const auto& a, const auto& b) {
    return std::tie(a.topic, a.partition, a.offset) < std::tie(b.topic, b.partition, b.offset);
  });
  return history;
}

Result<std::vector<CaseRecordRef>> read_topic(const std::string& topic, const ReadOptions& options, int64_t last_n) {
  std::string err;
  auto consumer = make_consumer(options, &err);
  if (!consumer) return Error::invalid("kafka client: " + err);
  auto count = partition_count(*consumer, topic, static_cast<int>(options.timeout.count()), options.bootstrap);
  if (!count.ok()) {
    consumer->close();
    return count.error();
  }
  TopicPartitions parts;
  std::map<std::pair<std::string, int32_t>, int64_t> start;
  for (int32_t p = 0; p < count.value(); ++p) {
    parts.emplace_back(topic, p);
    if (last_n > 0) {
      int64_t low = 0;
      int64_t high = 0;
      if (consumer->query_watermark_offsets(topic, p, &low, &high, static_cast<int>(options.timeout.count())) ==
          RdKafka::ERR_NO_ERROR) {
        start[{topic, p}] = std::max(low, high - last_n);
      }
    }
  }
  auto records = drain(*consumer, parts, start, options, nullptr, nullptr);
  consumer->close();
  return records;
}

}  // namespace caselink::ctl
