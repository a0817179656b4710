#include "services/feedback/changelog_reader.h"

#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <memory>
#include <set>

#include "services/common/kafka/client.h"

namespace caselink::feedback {

Result<std::vector<ChangelogRecord>> KafkaChangelogReader::read(const std::string& topic,
                                                               const std::vector<int32_t>& partitions) {
  auto conf = kafka::make_conf(kafka_, {{"group.id", client_id_ + ".restore"},
                                        {"client.id", client_id_ + "-restore"},
                                        {"isolation.level", "read_committed"},
                                        {"enable.auto.commit", "false"},
                                        {"enable.auto.offset.store", "false"},
                                        {"enable.partition.eof", "true"},
                                        {"auto.offset.reset", "earliest"}});
  if (!conf.ok()) {
    return conf.error();
  }
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (!consumer) {
    return Error::invalid("cannot create the changelog consumer: " + err);
  }
  std::vector<ChangelogRecord> out;
  std::set<int32_t> open;
  std::vector<RdKafka::TopicPartition*> assignment;
  for (int32_t p : partitions) {
    int64_t low = -1;
    int64_t high = -1;
    const RdKafka::ErrorCode code = consumer->query_watermark_offsets(topic, p, &low, &high, 10000);
    if (code != RdKafka::ERR_NO_ERROR) {
      for (auto* tp : assignment) {
        delete tp;
      }
      consumer->close();
      return Error::unavailable("changelog " + topic + "[" + std::to_string(p) + "]: " + RdKafka::err2str(code));
    }
    if (high > low) {
      assignment.push_back(RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
      open.insert(p);
    }
  }
  if (!assignment.empty()) {
    consumer->assign(assignment);
  }
  for (auto* tp : assignment) {
    delete tp;
  }
  const auto deadline = std::chrono::steady_clock::now() + read_timeout_;
  while (!open.empty()) {
    if (std::chrono::steady_clock::now() > deadline) {
      consumer->close();
      return Error::unavailable("changelog " + topic + ": not at the end of " + std::to_string(open.size()) +
                                " partition(s) after " + std::to_string(read_timeout_.count()) + " ms");
    }
    std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
    switch (m->err()) {
      case RdKafka::ERR_NO_ERROR: {
        ChangelogRecord r;
        r.key = m->key() ? *m->key() : std::string();
        if (m->payload() != nullptr) {
          r.value = std::string(static_cast<const char*>(m->payload()), m->len());
        }
        out.push_back(std::move(r));
        break;
      }
      case RdKafka::ERR__PARTITION_EOF:
        open.erase(m->partition());
        break;
      case RdKafka::ERR__TIMED_OUT:
        break;
      default:
        if (m->err() == RdKafka::ERR__UNKNOWN_PARTITION || m->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART ||
            m->err() == RdKafka::ERR__UNKNOWN_TOPIC) {
          consumer->close();
          return Error::unavailable("changelog " + topic + ": " + m->errstr());
        }
        break;  // transient: keep reading until the deadline
    }
  }
  consumer->close();
  return out;
}

}  // namespace caselink::feedback
