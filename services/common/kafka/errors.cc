#include "services/common/kafka/errors.h"

namespace caselink::kafka {

const char* to_string(TxnAction action) {
  switch (action) {
    case TxnAction::kNone:
      return "none";
    case TxnAction::kRetry:
      return "retry";
    case TxnAction::kAbortAndRewind:
      return "abort_and_rewind";
    case TxnAction::kRecreateProducer:
      return "recreate_producer";
  }
  return "unknown";
}

TxnErrorFlags flags_of(const RdKafka::Error* error) {
  if (error == nullptr) {
    return {};
  }
  return {true, error->is_retriable(), error->txn_requires_abort(), error->is_fatal(), error->code()};
}

TxnAction classify_txn_error(const TxnErrorFlags& f, bool is_commit) {
  if (!f.is_error) {
    return TxnAction::kNone;
  }
  // Fatal wins over everything: the producer instance is unusable (e.g. fenced by a newer
  // incarnation with the same transactional.id).
  if (f.fatal || f.code == RdKafka::ERR__FENCED || f.code == RdKafka::ERR_PRODUCER_FENCED ||
      f.code == RdKafka::ERR_INVALID_PRODUCER_EPOCH) {
    return TxnAction::kRecreateProducer;
  }
  if (f.txn_requires_abort) {
    return TxnAction::kAbortAndRewind;
  }
  if (f.retriable) {
    return TxnAction::kRetry;
  }
  // A commit that failed without a classification is indeterminate (Jepsen's advice):
  // start over with a fresh producer, which resolves the old transaction either way.
  (void)is_commit;
  return TxnAction::kRecreateProducer;
}

ProduceAction classify_produce_error(RdKafka::ErrorCode code) {
  switch (code) {
    case RdKafka::ERR_NO_ERROR:
      return ProduceAction::kOk;
    case RdKafka::ERR__QUEUE_FULL:
      return ProduceAction::kPollAndRetry;
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
      return ProduceAction::kInvalidRecord;
    case RdKafka::ERR__UNKNOWN_TOPIC:
    case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART:
    case RdKafka::ERR__UNKNOWN_PARTITION:
    default:
      return ProduceAction::kAbortTransaction;
  }
}

ConsumeAction classify_consume_error(RdKafka::ErrorCode code) {
  switch (code) {
    case RdKafka::ERR_NO_ERROR:
      return ConsumeAction::kRecord;
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR__PARTITION_EOF:
      return ConsumeAction::kIdle;
    case RdKafka::ERR__FATAL:
      return ConsumeAction::kFatal;
    default:
      // Transport, all-brokers-down, unknown topic while it is being created, ...:
      // librdkafka recovers by itself; the loop logs, counts and goes on polling.
      return ConsumeAction::kTransient;
  }
}

}  // namespace caselink::kafka
