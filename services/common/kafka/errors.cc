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
    case TxnAction::kOutcomeUnknown:
      return "outcome_unknown";
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
  // Fenced by a newer incarnation with the same transactional.id: this producer is unusable,
  // and its open transaction is aborted by the newer epoch (a fenced EndTxn never commits).
  if (f.code == RdKafka::ERR__FENCED || f.code == RdKafka::ERR_PRODUCER_FENCED ||
      f.code == RdKafka::ERR_INVALID_PRODUCER_EPOCH) {
    return TxnAction::kRecreateProducer;
  }
  // Any other fatal error wins over the abort/retry flags: the instance is unusable. During a
  // commit it may have struck after the broker committed (e.g. librdkafka #4438).
  if (f.fatal) {
    return is_commit ? TxnAction::kOutcomeUnknown : TxnAction::kRecreateProducer;
  }
  if (f.txn_requires_abort) {
    return TxnAction::kAbortAndRewind;
  }
  if (f.retriable) {
    return TxnAction::kRetry;
  }
  // Unclassified: a commit is indeterminate (it may have reached the broker); any other call
  // has committed nothing. Either way a fresh producer resolves the old transaction.
  return is_commit ? TxnAction::kOutcomeUnknown : TxnAction::kRecreateProducer;
}

ProduceAction classify_produce_error(RdKafka::ErrorCode code) {
  switch (code) {
    case RdKafka::ERR_NO_ERROR:
      return ProduceAction::kOk;
    case RdKafka::ERR__QUEUE_FULL:
      return ProduceAction::kPollAndRetry;
    // The record itself (also as reported by the broker in a delivery report): too large for
    // the topic, or invalid for it (e.g. no key on a compacted topic).
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
    case RdKafka::ERR_RECORD_LIST_TOO_LARGE:
    case RdKafka::ERR_INVALID_RECORD:
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
