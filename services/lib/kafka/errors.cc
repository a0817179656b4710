#include "services/lib/kafka/errors.h"

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

ErrorCode classify_request_error(RdKafka::ErrorCode code) {
  switch (code) {
    // Nothing answered in time, or the answer came from the wrong node: try again later.
    case RdKafka::ERR__TRANSPORT:
    case RdKafka::ERR__ALL_BROKERS_DOWN:
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR__RESOLVE:
    case RdKafka::ERR__WAIT_COORD:
    case RdKafka::ERR_REQUEST_TIMED_OUT:
    case RdKafka::ERR_NETWORK_EXCEPTION:
    case RdKafka::ERR_NOT_CONTROLLER:
    case RdKafka::ERR_LEADER_NOT_AVAILABLE:
    case RdKafka::ERR_BROKER_NOT_AVAILABLE:
    case RdKafka::ERR_NOT_ENOUGH_REPLICAS:
    case RdKafka::ERR_REASSIGNMENT_IN_PROGRESS:
    case RdKafka::ERR_THROTTLING_QUOTA_EXCEEDED:
      return ErrorCode::kUnavailable;
    // The broker (or, for an unsupported feature, the client on its behalf) understood and
    // said no: the request, or the cluster setup, has to change.
    case RdKafka::ERR__UNSUPPORTED_FEATURE:
      return ErrorCode::kInvalid;
    default:
      break;
  }
  // Every broker code not listed above is a refusal (INVALID_CONFIG, POLICY_VIOLATION,
  // TOPIC_ALREADY_EXISTS, *_AUTHORIZATION_FAILED, ...); other local (negative) codes are our bug.
  return code > 0 ? ErrorCode::kInvalid : ErrorCode::kInternal;
}

Error request_error(RdKafka::ErrorCode code, std::string message) {
  const ErrorCode what = classify_request_error(code);
  return {what, std::move(message), {}, what == ErrorCode::kInvalid ? kBrokerRefused : ""};
}

}  // namespace caselink::kafka
