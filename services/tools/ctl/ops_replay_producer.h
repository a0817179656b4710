#pragma once
// The transactional producer of `dlq replay`: writes a batch of records in one Kafka
// transaction (all or none). Created with a fixed transactional id, so creating one fences any
// other replay still running (its commit then fails and it writes nothing).

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "services/lib/core/record.h"
#include "services/lib/core/result.h"
#include "services/lib/kafka/producer.h"
#include "services/lib/kafka/settings.h"

namespace caselink::ctl {

class ReplayProducer {
 public:
  // Creates the producer and runs init_transactions (which waits for, or aborts, a transaction
  // an earlier incarnation of the same id left open).
  static Result<std::unique_ptr<ReplayProducer>> create(const kafka::KafkaSettings& settings,
                                                        const std::string& transactional_id,
                                                        std::chrono::milliseconds timeout);
  virtual ~ReplayProducer() = default;
  // One transaction: where each record landed, in order; on any error the transaction is
  // aborted and nothing is visible to read_committed readers.
  virtual Result<std::vector<kafka::Delivery>> write_transaction(const std::vector<OutgoingRecord>& records) = 0;
};

}  // namespace caselink::ctl
