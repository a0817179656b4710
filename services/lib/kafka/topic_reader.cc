#include "services/lib/kafka/topic_reader.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "services/lib/kafka/client.h"
#include "services/lib/kafka/factory.h"

namespace caselink::kafka {

namespace {

using Clock = std::chrono::steady_clock;

std::string name(const TopicPartition& tp) { return tp.first + "[" + std::to_string(tp.second) + "]"; }

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 1, 10000));
}

// The partition count of `topic`, retried until the deadline while the broker does not answer.
Result<int32_t> partition_count(RdKafka::KafkaConsumer& consumer, const std::string& topic,
                                Clock::time_point deadline) {
  std::string err;
  std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(&consumer, topic, nullptr, err));
  for (;;) {
    RdKafka::Metadata* raw = nullptr;
    const RdKafka::ErrorCode code = consumer.metadata(false, handle.get(), &raw, remaining_ms(deadline));
    std::unique_ptr<RdKafka::Metadata> md(raw);
    if (code == RdKafka::ERR_NO_ERROR && md && !md->topics()->empty()) {
      const RdKafka::ErrorCode topic_err = md->topics()->at(0)->err();
      if (topic_err == RdKafka::ERR_NO_ERROR && !md->topics()->at(0)->partitions()->empty()) {
        return static_cast<int32_t>(md->topics()->at(0)->partitions()->size());
      }
      if (topic_err == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) {
        return Error::not_found("topic " + topic + " does not exist (apply deploy/topics.yaml with caselink-topics)");
      }
    }
    if (Clock::now() >= deadline) {
      return Error::unavailable("cannot read the metadata of " + topic + ": " + RdKafka::err2str(code));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// Asks the consumer for `topic`'s metadata once, at most 500 ms and not past `deadline`; a hint, errors ignored (a
// missing topic is reported by the watermark query that follows). Why: librdkafka 2.0.2 looks
// up a topic its handle has not seen only about once a second, so partitions assigned before
// the consumer knows their topic sit without a leader ("no current leader for partition") for up
// to a second before the first fetch (docs/performance.md "Each service against the passthrough").
void learn_topic(RdKafka::KafkaConsumer& consumer, const std::string& topic, Clock::time_point deadline) {
  std::string err;
  std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(&consumer, topic, nullptr, err));
  if (!handle) return;
  RdKafka::Metadata* raw = nullptr;
  (void)consumer.metadata(false, handle.get(), &raw, std::min(500, remaining_ms(deadline)));
  delete raw;
}

}  // namespace

Result<std::unique_ptr<TopicReader>> TopicReader::open(const KafkaSettings& settings, TopicReaderOptions options) {
  std::unique_ptr<TopicReader> reader(new TopicReader());
  reader->options_ = std::move(options);
  if (Status resolved = reader->resolve(settings); !resolved.ok()) return resolved.error();
  if (Status assigned = reader->assign(Clock::now() + reader->options_.timeout); !assigned.ok()) {
    return assigned.error();
  }
  return reader;
}

TopicReader::~TopicReader() {
  waker_.reset();  // before the consumer it asks
  if (consumer_) consumer_->close();
}

// Creates both handles and lists the partitions to read.
Status TopicReader::resolve(const KafkaSettings& settings) {
  Properties role = options_.properties;
  role.insert_or_assign("client.id", options_.client_id);
  role.insert_or_assign("group.id", options_.client_id);
  role.insert_or_assign("isolation.level", "read_committed");
  role.insert_or_assign("enable.auto.commit", "false");
  role.insert_or_assign("enable.auto.offset.store", "false");
  role.insert_or_assign("enable.partition.eof", "true");
  role.insert_or_assign("auto.offset.reset", "earliest");
  auto consumer = make_consumer(settings, role);
  if (!consumer.ok()) return consumer.error();
  consumer_ = std::move(consumer).value();
  if (options_.wake_fetcher_every.count() > 0) {
    waker_ = std::make_unique<FetchWaker>(*consumer_, options_.wake_fetcher_every);
  }
  Properties offsets_role = options_.properties;
  offsets_role.insert_or_assign("client.id", options_.client_id + "-watermarks");
  offsets_role.insert_or_assign("isolation.level", "read_uncommitted");
  auto watermarks = make_offsets_handle(settings, offsets_role);
  if (!watermarks.ok()) return watermarks.error();
  watermarks_ = std::move(watermarks).value();

  const auto deadline = Clock::now() + options_.timeout;
  partitions_ = options_.partitions;
  std::set<std::string> listed;
  for (const TopicPartition& tp : partitions_) {
    if (listed.insert(tp.first).second) learn_topic(*consumer_, tp.first, deadline);
  }
  for (const std::string& topic : options_.topics) {
    auto count = partition_count(*consumer_, topic, deadline);
    if (!count.ok()) return count.error();
    for (int32_t p = 0; p < *count; ++p) partitions_.emplace_back(topic, p);
  }
  return Status::success();
}

// Takes each partition's watermarks, resolves the start offset and assigns the partitions with
// something to read; those without are at their end from the start.
Status TopicReader::assign(Clock::time_point deadline) {
  std::vector<RdKafka::TopicPartition*> assignment;
  auto give_up = [&assignment](Error error) {
    RdKafka::TopicPartition::destroy(assignment);
    return Status(std::move(error));
  };
  for (const TopicPartition& tp : partitions_) {
    int64_t low = 0;
    int64_t high = 0;
    // Retried until the deadline: right after a topic is created or a leader moves, the broker
    // answers "not leader" for a while.
    RdKafka::ErrorCode rc = RdKafka::ERR_NO_ERROR;
    while ((rc = watermarks_->query_watermark_offsets(tp.first, tp.second, &low, &high, remaining_ms(deadline))) !=
               RdKafka::ERR_NO_ERROR &&
           Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (rc != RdKafka::ERR_NO_ERROR) {
      return give_up(Error::unavailable("reading " + name(tp) + ": high watermark: " + RdKafka::err2str(rc)));
    }
    int64_t from = RdKafka::Topic::OFFSET_BEGINNING;
    const auto exact = options_.start_offsets.find(tp);
    const StartAt start = exact == options_.start_offsets.end() ? options_.start : StartAt::offset(exact->second);
    if (exact != options_.start_offsets.end() && exact->second > high) {
      return give_up(Error::conflict("reading " + name(tp) + " from offset " + std::to_string(exact->second) +
                                     ": past its end " + std::to_string(high) +
                                     " (the log was truncated or the topic recreated)"));
    }
    switch (start.kind) {
      case StartAt::Kind::kBeginning: break;
      case StartAt::Kind::kEnd: from = high; break;
      case StartAt::Kind::kOffset: from = std::clamp(start.value, low, high); break;
      case StartAt::Kind::kLast: from = std::max(low, high - std::max<int64_t>(0, start.value)); break;
      case StartAt::Kind::kTime: {
        std::vector<RdKafka::TopicPartition*> query{
            RdKafka::TopicPartition::create(tp.first, tp.second, start.value)};
        rc = consumer_->offsetsForTimes(query, remaining_ms(deadline));
        from = query[0]->offset() < 0 ? high : query[0]->offset();  // -1: no record that late
        RdKafka::TopicPartition::destroy(query);
        if (rc != RdKafka::ERR_NO_ERROR) {
          return give_up(Error::unavailable("reading " + name(tp) + ": offset for time: " + RdKafka::err2str(rc)));
        }
        break;
      }
    }
    ends_[tp] = high;
    const bool empty = high <= low || (from >= 0 && from >= high);
    positions_[tp] = from >= 0 ? from : (empty ? high : low);
    if (!empty) open_[tp].end = high;
    // Assigned even when nothing is left before the end, so a follower sees later records.
    assignment.push_back(RdKafka::TopicPartition::create(tp.first, tp.second, empty && from < 0 ? high : from));
  }
  const RdKafka::ErrorCode assigned = consumer_->assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  if (assigned != RdKafka::ERR_NO_ERROR) return Error::unavailable("assign: " + RdKafka::err2str(assigned));
  return Status::success();
}

// End of partition: reported again each time the LSO moves (also past commit markers alone).
void TopicReader::on_partition_eof(const RdKafka::Message& m) {
  const TopicPartition tp{m.topic_name(), m.partition()};
  auto& position = positions_[tp];
  position = std::max(position, m.offset());
  auto it = open_.find(tp);
  if (it == open_.end()) return;
  if (m.offset() >= it->second.end || options_.end == EndAt::kStableNow) {
    open_.erase(it);
    return;
  }
  it->second.stable = m.offset();
  if (options_.on_waiting && Clock::now() - it->second.last_report > std::chrono::seconds(5)) {
    it->second.last_report = Clock::now();
    options_.on_waiting(it->first, m.offset(), it->second.end);
  }
}

Status TopicReader::handle(RdKafka::Message& m, const RecordVisitor& visit) {
  switch (m.err()) {
    case RdKafka::ERR_NO_ERROR: {
      ConsumedRecord record = to_consumed_record(m);
      visit(record);
      const TopicPartition tp{std::move(record.topic), record.partition};
      positions_[tp] = m.offset() + 1;
      if (waker_) handed_out_.insert(tp);
      // Readable at end-1 means everything before the open's watermark is settled.
      auto it = open_.find(tp);
      if (it != open_.end() && m.offset() + 1 >= it->second.end) open_.erase(it);
      return Status::success();
    }
    case RdKafka::ERR__PARTITION_EOF:
      on_partition_eof(m);
      return Status::success();
    case RdKafka::ERR__UNKNOWN_PARTITION:
    case RdKafka::ERR__UNKNOWN_TOPIC:
    case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART:
      return Error::unavailable("reading " + m.topic_name() + ": " + m.errstr());
    case RdKafka::ERR__ALL_BROKERS_DOWN:
      if (options_.fail_when_brokers_down) return Error::unavailable("no broker reachable: " + m.errstr());
      return Status::success();
    default:
      return Status::success();  // timed out or transient (librdkafka retries)
  }
}

Status TopicReader::poll(std::chrono::milliseconds timeout, const RecordVisitor& visit) {
  std::unique_ptr<RdKafka::Message> m(consumer_->consume(static_cast<int>(timeout.count())));
  if (Status st = handle(*m, visit); !st.ok()) return st;
  // Whatever else is buffered already, without waiting (bounded, so a caller can stop).
  for (int i = 0; i < 1000 && m->err() == RdKafka::ERR_NO_ERROR; ++i) {
    m.reset(consumer_->consume(0));
    if (m->err() == RdKafka::ERR__TIMED_OUT) break;
    if (Status st = handle(*m, visit); !st.ok()) return st;
  }
  if (waker_ && !handed_out_.empty()) {
    waker_->wake(handed_out_);
    handed_out_.clear();
  }
  return Status::success();
}

Result<int64_t> TopicReader::behind(std::chrono::milliseconds timeout) {
  int64_t total = 0;
  for (const auto& [tp, position] : positions_) {
    int64_t low = 0;
    int64_t high = 0;
    const RdKafka::ErrorCode rc =
        watermarks_->query_watermark_offsets(tp.first, tp.second, &low, &high, static_cast<int>(timeout.count()));
    if (rc != RdKafka::ERR_NO_ERROR) {
      return Error::unavailable("reading " + name(tp) + ": high watermark: " + RdKafka::err2str(rc));
    }
    total += std::max<int64_t>(high - position, 0);
  }
  return total;
}

Status TopicReader::read_to_end(const RecordVisitor& visit) {
  const auto deadline = Clock::now() + options_.timeout;
  while (!at_end()) {
    if (Clock::now() > deadline) {
      std::string detail;
      for (const auto& [tp, progress] : open_) {
        detail += " " + name(tp) + " (stable offset " + std::to_string(progress.stable) + " of " +
                  std::to_string(progress.end) + ")";
      }
      return Error::unavailable("not at the end after " + std::to_string(options_.timeout.count()) +
                                " ms; partition(s)" + detail +
                                " (an open transaction that neither commits nor times out holds the stable offset)");
    }
    if (Status st = poll(std::chrono::milliseconds(200), visit); !st.ok()) return st;
  }
  return Status::success();
}

Status read_topics_to_end(const KafkaSettings& settings, TopicReaderOptions options, const RecordVisitor& visit) {
  auto reader = TopicReader::open(settings, std::move(options));
  if (!reader.ok()) return reader.error();
  return (*reader)->read_to_end(visit);
}

}  // namespace caselink::kafka
