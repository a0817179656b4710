#pragma once

// The ingress's publish path, which survives a fatal producer error (issue 13 #3).
//
// librdkafka can declare an idempotent producer fatally broken (fatal_error(): e.g. the
// idempotence state was lost, librdkafka #4438 in 2.0.2); every later send then fails. The
// ingress used to keep that producer, so every POST answered 503 forever while /readyz said
// 200. RecoveringProducer checks fatal_error() before each send and on every readiness probe,
// and replaces a broken producer with a new one, as the SDK's AgencyClient does. The old one
// is closed on a thread of its own (its destructor flushes, which must not block an API
// thread); records it still held fail through their delivery reports (503, retry).
//
// Readiness is honest: not ready while there is no usable producer (creation failed, or it is
// broken and could not be replaced) or while the producer has no broker connection.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "services/lib/core/record.h"
#include "services/lib/core/result.h"
#include "services/lib/kafka/producer.h"

namespace caselink::ingress {

// What the ingress needs of a producer; IdempotentProducer in production, a fake in tests.
class ProducerPort {
 public:
  virtual ~ProducerPort() = default;
  virtual Status send_async(const OutgoingRecord& record, kafka::DeliveryCallback done) = 0;
  virtual std::string fatal_error() const = 0;  // "" while usable
  virtual bool broker_connected() const = 0;
  virtual Status flush(std::chrono::milliseconds timeout) = 0;
  // librdkafka's latest statistics, for /metrics; a fake has none.
  virtual std::optional<kafka::ClientStatistics> statistics() const { return std::nullopt; }
};

// The production port.
std::unique_ptr<ProducerPort> wrap(std::unique_ptr<kafka::IdempotentProducer> producer);

struct ProducerHealth {
  bool ready = false;
  bool broker_connected = false;
  std::string reason;  // why not ready
};

class RecoveringProducer {
 public:
  using Factory = std::function<Result<std::unique_ptr<ProducerPort>>()>;

  // Creates the first producer at once (an error is returned by start()).
  explicit RecoveringProducer(Factory factory);
  ~RecoveringProducer();  // joins the threads closing replaced producers
  RecoveringProducer(const RecoveringProducer&) = delete;
  RecoveringProducer& operator=(const RecoveringProducer&) = delete;

  Status start();
  // Queues the record on a usable producer (replacing a broken one first); kUnavailable when
  // there is none.
  Status send_async(const OutgoingRecord& record, kafka::DeliveryCallback done);
  // For /readyz; also replaces a broken producer, so readiness recovers without traffic.
  ProducerHealth health();
  // The current producer's latest librdkafka statistics (nullopt without a producer or before
  // the first); does not replace a broken producer.
  std::optional<kafka::ClientStatistics> statistics() const;
  Status flush(std::chrono::milliseconds timeout);
  // How many producers were made (1 + replacements); for tests and the log.
  int generation() const;

 private:
  std::shared_ptr<ProducerPort> usable();

  Factory factory_;
  mutable std::mutex mutex_;
  std::shared_ptr<ProducerPort> producer_;
  std::string problem_;  // why producer_ is null or was replaced last
  int generation_ = 0;
  std::vector<std::thread> closing_;
};

}  // namespace caselink::ingress
