#include "services/tools/ctl/case_history.h"

#include <algorithm>
#include <map>
#include <memory>

#include "services/lib/kafka/topic_reader.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/routing.h"

namespace caselink::ctl {

namespace {

kafka::KafkaSettings settings_for(const ReadOptions& options) {
  kafka::KafkaSettings settings = options.kafka;
  settings.bootstrap = options.bootstrap;
  return settings;
}

// An inspection tool shows what is committed now: records of a transaction still open are not
// read (it does not wait like a restore, EndAt::kSettled), and records produced while we read
// never keep us reading.
kafka::TopicReaderOptions reader_options(const ReadOptions& options) {
  kafka::TopicReaderOptions o;
  o.end = kafka::EndAt::kStableNow;
  o.client_id = "caselinkctl";
  o.timeout = options.timeout;
  o.fail_when_brokers_down = true;
  // A command-line tool reports broker trouble once, in its own words (and exit code 3);
  // librdkafka's per-connection error lines would only bury that on stderr.
  o.properties = {{"log_level", "2"}};
  return o;
}

Error with_broker(Error error, const ReadOptions& options) {
  if (error.code == ErrorCode::kUnavailable) error.message = "broker " + options.bootstrap + ": " + error.message;
  return error;
}


// Reads what `o` names to its end as of now. With `states`, snapshots on the state topic are
// folded there instead of kept (anything else on it, e.g. a tombstone, is kept as a record).
Result<std::vector<CaseRecordRef>> drain(const ReadOptions& options, kafka::TopicReaderOptions o,
                                         const std::string* key_filter, size_t* undecodable,
                                         StateFold* states = nullptr) {
  std::vector<CaseRecordRef> out;
  const Status read = kafka::read_topics_to_end(settings_for(options), std::move(o), [&](const ConsumedRecord& r) {
    if (key_filter != nullptr && r.key != *key_filter) return;  // a null key never matches
    if (states != nullptr && r.topic == kStateTopic && r.value) {
      if (auto decoded = envelope::decode(*r.value); decoded.ok() && decoded.value().has_case_state_snapshot()) {
        states->add(std::move(*decoded.value().mutable_case_state_snapshot()));
        return;
      }
    }
    out.push_back(to_record_ref(r, undecodable));
  });
  if (!read.ok()) return with_broker(read.error(), options);
  return out;
}

// The partition count of each topic (NotFound names a missing topic).
Result<std::vector<int32_t>> partition_counts(const std::vector<std::string>& topics, const ReadOptions& options) {
  auto o = reader_options(options);
  o.topics = topics;
  o.start = kafka::StartAt::end();
  auto reader = kafka::TopicReader::open(settings_for(options), o);
  if (!reader.ok()) return with_broker(reader.error(), options);
  std::vector<int32_t> counts(topics.size(), 0);
  for (const auto& [tp, end] : (*reader)->end_offsets()) {
    auto it = std::find(topics.begin(), topics.end(), tp.first);
    counts[static_cast<size_t>(it - topics.begin())] += 1;
  }
  return counts;
}

}  // namespace

CaseRecordRef to_record_ref(const ConsumedRecord& record, size_t* undecodable) {
  CaseRecordRef ref;
  ref.topic = record.topic;
  ref.partition = record.partition;
  ref.offset = record.offset;
  ref.timestamp_ms = record.timestamp_ms;
  ref.key = record.key.value_or("");
  ref.headers = record.headers;
  ref.raw = record.value.value_or("");
  if (record.value) {
    if (auto decoded = envelope::decode(*record.value); decoded.ok()) {
      ref.envelope = std::move(decoded).value();
      return ref;
    }
  }
  if (undecodable != nullptr) {
    ++*undecodable;  // a tombstone or a value that is no envelope
  }
  return ref;
}

bool StateFold::note(const v1::CaseStateSnapshot& s) {
  links.push_back({s.version(), s.state_hash_hex(), s.previous_state_hash_hex(), s.last_event_id()});
  for (const auto& d : s.deadlines()) {
    auto& mention = deadlines[d.deadline_id()];
    if (s.version() >= mention.version) {  // later mentions win
      mention.deadline = d;
      mention.version = s.version();
    }
    mention.overdue_seen = mention.overdue_seen || d.status() == v1::DEADLINE_STATUS_OVERDUE;
  }
  if (latest_version_ && s.version() < *latest_version_) return false;
  latest_version_ = s.version();
  return true;
}

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
  auto o = reader_options(options);
  if (options.all_partitions) {
    o.topics = case_topics();
  } else {
    // Only the partition the case id hashes to (every producer partitions by it).
    auto counts = partition_counts(case_topics(), options);
    if (!counts.ok()) return counts.error();
    for (size_t i = 0; i < case_topics().size(); ++i) {
      o.partitions.emplace_back(case_topics()[i], partition_for_key(case_id, (*counts)[i]));
    }
  }
  CaseHistory history;
  auto records = drain(options, std::move(o), &case_id, &history.undecodable, &history.states);
  if (!records.ok()) return records.error();
  history.records = std::move(records).value();
  std::stable_sort(history.records.begin(), history.records.end(), [](const auto& a, const auto& b) {
    return std::tie(a.topic, a.partition, a.offset) < std::tie(b.topic, b.partition, b.offset);
  });
  return history;
}

Result<std::vector<CaseRecordRef>> read_topic(const std::string& topic, const ReadOptions& options, int64_t last_n) {
  auto o = reader_options(options);
  o.topics = {topic};
  if (last_n > 0) o.start = kafka::StartAt::last(last_n);
  return drain(options, std::move(o), nullptr, nullptr);
}

}  // namespace caselink::ctl
