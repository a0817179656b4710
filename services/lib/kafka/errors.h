#pragma once

// The one place where librdkafka errors are classified into what the caller does next: the
// loop's transactional calls, produce and consume (kafka.md §3), and the requests of the admin
// and metadata API (caselink-topics). Pure functions over the error's code or flags, so the
// tables are unit-tested.

#include <librdkafka/rdkafkacpp.h>

#include <string>

#include "services/lib/core/result.h"

namespace caselink::kafka {

enum class TxnAction {
  kNone,              // success
  kRetry,             // retriable: call the same API again
  kAbortAndRewind,    // abortable: abort_transaction, seek inputs back to committed offsets
  kRecreateProducer,  // fatal, fenced or unclassified, outcome known: new producer, same id
  kOutcomeUnknown,    // commit_transaction failed in a way that leaves open whether it committed
                      // (timeout, unclassified, fatal other than fenced): new producer, then
                      // find out the outcome before rewinding (transactional_loop.h)
};

const char* to_string(TxnAction action);

struct TxnErrorFlags {
  bool is_error = false;
  bool retriable = false;
  bool txn_requires_abort = false;
  bool fatal = false;
  RdKafka::ErrorCode code = RdKafka::ERR_NO_ERROR;
};

// Decides what to do after a transactional API call failed. `is_commit` matters because a
// commit_transaction that failed without saying "abort" or "retry" is indeterminate: the
// broker may have committed it (Jepsen's advice), so the answer is kOutcomeUnknown instead of
// kRecreateProducer. Fenced stays kRecreateProducer for a commit too: a fenced producer's
// EndTxn was refused, and the newer epoch aborts what it left open. Every other call (begin,
// produce, send_offsets, abort) cannot commit anything, so its outcome is always known.
// A retriable commit error is kRetry; the caller treats "retries exhausted" as kOutcomeUnknown.
TxnAction classify_txn_error(const TxnErrorFlags& flags, bool is_commit);

// Reads the flags from an RdKafka::Error (nullptr = success).
TxnErrorFlags flags_of(const RdKafka::Error* error);

// What to do when produce() itself returns an error code (before delivery).
//   kPollAndRetry      local queue full: serve delivery reports, produce again
//   kInvalidRecord     the record itself can never be produced (too large): the only case that
//                      is the input's fault and may dead-letter it (`output.refused`)
//   kAbortTransaction  anything else (ERR__STATE after another delivery failed, ERR__FATAL,
//                      an unknown topic or partition, ...): not the record's fault — abort,
//                      rewind and process the input again
enum class ProduceAction { kOk, kPollAndRetry, kAbortTransaction, kInvalidRecord };
ProduceAction classify_produce_error(RdKafka::ErrorCode code);

// Errors reported by consume(): which ones are just "nothing to read now".
enum class ConsumeAction { kRecord, kIdle, kTransient, kFatal };
ConsumeAction classify_consume_error(RdKafka::ErrorCode code);

// What a failed request (metadata, CreateTopics, DescribeConfigs, ACLs, ...) tells its caller.
// RdKafka::ErrorCode has the values of the C API's rd_kafka_resp_err_t, so either converts.
//   kUnavailable  nothing answered in time, or the wrong node did: try again later
//   kInvalid      the broker understood and said no (bad config, policy, authorization, any
//                 other broker error code): the request has to change, retrying will not help
//   kInternal     any other local (negative) code: a bug on our side
ErrorCode classify_request_error(RdKafka::ErrorCode code);

// Error::reason of a request the broker refused (classify_request_error's kInvalid), so a caller
// can tell the broker's no from its own validation (caselink-topics prints it as [rejected]).
inline constexpr const char* kBrokerRefused = "kafka.refused";

// The Error of a failed request: classified as above, `message` as given, reason kBrokerRefused
// when the broker refused.
Error request_error(RdKafka::ErrorCode code, std::string message);

}  // namespace caselink::kafka
