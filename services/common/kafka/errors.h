#pragma once

// The one place where librdkafka errors are classified into what the loop does next
// (kafka.md §3). Pure functions over the error's flags, so the table is unit-tested.

#include <librdkafka/rdkafkacpp.h>

#include <string>

namespace caselink::kafka {

enum class TxnAction {
  kNone,              // success
  kRetry,             // retriable: call the same API again
  kAbortAndRewind,    // abortable: abort_transaction, seek inputs back to committed offsets
  kRecreateProducer,  // fatal, fenced, unclassified or indeterminate: new producer, same id
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
// commit that timed out is indeterminate: it may or may not have committed.
TxnAction classify_txn_error(const TxnErrorFlags& flags, bool is_commit);

// Reads the flags from an RdKafka::Error (nullptr = success).
TxnErrorFlags flags_of(const RdKafka::Error* error);

// What to do when produce() itself returns an error code (before delivery).
enum class ProduceAction { kOk, kPollAndRetry, kAbortTransaction, kInvalidRecord };
ProduceAction classify_produce_error(RdKafka::ErrorCode code);

// Errors reported by consume(): which ones are just "nothing to read now".
enum class ConsumeAction { kRecord, kIdle, kTransient, kFatal };
ConsumeAction classify_consume_error(RdKafka::ErrorCode code);

}  // namespace caselink::kafka
