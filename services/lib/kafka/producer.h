#pragma once

// An idempotent producer with delivery confirmation (acks=all, enable.idempotence=true —
// librdkafka 2.0.2 defaults idempotence to off, so we set it). For adapters, the ingress and
// tools that publish outside a consume→produce transaction.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "services/lib/core/record.h"
#include "services/lib/core/result.h"
#include "services/lib/kafka/settings.h"
#include "services/lib/kafka/statistics.h"

namespace RdKafka {
class Producer;
}

namespace caselink::kafka {

struct Delivery {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
};

using DeliveryCallback = std::function<void(Result<Delivery>)>;

class IdempotentProducer;
// Creates the producer and its delivery thread (factory.h, the one place clients are made).
// Does not wait for the broker.
Result<std::unique_ptr<IdempotentProducer>> make_idempotent_producer(const KafkaSettings& settings,
                                                                     const std::string& client_id);

class IdempotentProducer {
 public:
  ~IdempotentProducer();
  IdempotentProducer(const IdempotentProducer&) = delete;
  IdempotentProducer& operator=(const IdempotentProducer&) = delete;

  // Queues the record; `done` runs on the delivery thread once the broker acknowledged the
  // write (acks=all) or it failed for good (kafka.message_timeout_ms). A full local queue
  // is reported as kUnavailable at once.
  Status send_async(const OutgoingRecord& record, DeliveryCallback done);

  // Sends and waits for the acknowledgement.
  Result<Delivery> send(const OutgoingRecord& record);

  // Waits until every queued record is acknowledged or failed.
  Status flush(std::chrono::milliseconds timeout);

  // True when librdkafka reported at least one broker up in its latest statistics, or a
  // delivery succeeded since the last all-brokers-down event.
  bool broker_connected() const { return connected_.load(); }

  // librdkafka's latest statistics of this producer (every kafka.statistics_interval_ms), or
  // nullopt before the first or when statistics are off. For the metrics exporter.
  std::optional<ClientStatistics> statistics() const;

  // The fatal error librdkafka raised on this producer, or "" when none. After one (e.g. the
  // idempotence state was lost, librdkafka #4438 in 2.0.2) every send fails: recreate it.
  std::string fatal_error() const;

  // Test seam: raises a fatal error as librdkafka would (rd_kafka_test_fatal_error), so the
  // recreate-on-fatal path of a caller can be tested without a broker that misbehaves.
  void raise_fatal_error_for_testing(const std::string& reason);

 private:
  friend Result<std::unique_ptr<IdempotentProducer>> make_idempotent_producer(const KafkaSettings&,
                                                                              const std::string&);
  class Callbacks;
  IdempotentProducer() = default;
  static Result<std::unique_ptr<IdempotentProducer>> create(const KafkaSettings& settings, const std::string& client_id);

  std::unique_ptr<Callbacks> callbacks_;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{false};
  mutable std::mutex statistics_mutex_;
  std::optional<ClientStatistics> statistics_;  // guarded by statistics_mutex_
  std::thread poller_;
};

}  // namespace caselink::kafka
