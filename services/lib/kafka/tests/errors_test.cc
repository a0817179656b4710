#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "services/lib/kafka/errors.h"

namespace caselink::kafka {
namespace {

struct TxnRow {
  const char* name;
  TxnErrorFlags flags;
  bool is_commit;
  TxnAction expected;
};

class TxnClassification : public ::testing::TestWithParam<TxnRow> {};

TEST_P(TxnClassification, DecidesTheNextStep) {
  EXPECT_EQ(classify_txn_error(GetParam().flags, GetParam().is_commit), GetParam().expected)
      << to_string(classify_txn_error(GetParam().flags, GetParam().is_commit));
}

INSTANTIATE_TEST_SUITE_P(
    Table, TxnClassification,
    ::testing::Values(
        TxnRow{"success", {}, false, TxnAction::kNone},
        TxnRow{"retriable", {true, true, false, false, RdKafka::ERR__TIMED_OUT}, false, TxnAction::kRetry},
        TxnRow{"retriable_commit", {true, true, false, false, RdKafka::ERR__TIMED_OUT}, true, TxnAction::kRetry},
        TxnRow{"abortable", {true, false, true, false, RdKafka::ERR__STATE}, false, TxnAction::kAbortAndRewind},
        TxnRow{"abortable_and_retriable", {true, true, true, false, RdKafka::ERR__STATE}, true,
               TxnAction::kAbortAndRewind},
        TxnRow{"fatal", {true, false, false, true, RdKafka::ERR__FATAL}, false, TxnAction::kRecreateProducer},
        TxnRow{"fatal_beats_abortable", {true, false, true, true, RdKafka::ERR__FATAL}, false,
               TxnAction::kRecreateProducer},
        TxnRow{"fatal_commit_is_indeterminate", {true, false, true, true, RdKafka::ERR__FATAL}, true,
               TxnAction::kOutcomeUnknown},
        TxnRow{"fatal_retriable_commit_is_indeterminate", {true, true, false, true, RdKafka::ERR__FATAL}, true,
               TxnAction::kOutcomeUnknown},
        TxnRow{"fenced_local", {true, false, false, false, RdKafka::ERR__FENCED}, false, TxnAction::kRecreateProducer},
        TxnRow{"fenced_broker", {true, false, true, false, RdKafka::ERR_PRODUCER_FENCED}, false,
               TxnAction::kRecreateProducer},
        TxnRow{"fenced_commit_never_committed", {true, false, true, true, RdKafka::ERR_PRODUCER_FENCED}, true,
               TxnAction::kRecreateProducer},
        TxnRow{"invalid_epoch", {true, false, false, false, RdKafka::ERR_INVALID_PRODUCER_EPOCH}, false,
               TxnAction::kRecreateProducer},
        TxnRow{"unclassified_commit_is_indeterminate", {true, false, false, false, RdKafka::ERR__TRANSPORT}, true,
               TxnAction::kOutcomeUnknown},
        TxnRow{"unclassified_send_offsets_is_not", {true, false, false, false, RdKafka::ERR__TRANSPORT}, false,
               TxnAction::kRecreateProducer},
        TxnRow{"unclassified_other", {true, false, false, false, RdKafka::ERR_UNKNOWN}, false,
               TxnAction::kRecreateProducer}),
    [](const ::testing::TestParamInfo<TxnRow>& info) { return std::string(info.param.name); });

TEST(ProduceClassification, Table) {
  EXPECT_EQ(classify_produce_error(RdKafka::ERR_NO_ERROR), ProduceAction::kOk);
  EXPECT_EQ(classify_produce_error(RdKafka::ERR__QUEUE_FULL), ProduceAction::kPollAndRetry);
  EXPECT_EQ(classify_produce_error(RdKafka::ERR_MSG_SIZE_TOO_LARGE), ProduceAction::kInvalidRecord);
  EXPECT_EQ(classify_produce_error(RdKafka::ERR_RECORD_LIST_TOO_LARGE), ProduceAction::kInvalidRecord);
  EXPECT_EQ(classify_produce_error(RdKafka::ERR_INVALID_RECORD), ProduceAction::kInvalidRecord);
  EXPECT_EQ(classify_produce_error(RdKafka::ERR__UNKNOWN_TOPIC), ProduceAction::kAbortTransaction);
  EXPECT_EQ(classify_produce_error(RdKafka::ERR__STATE), ProduceAction::kAbortTransaction);
  EXPECT_EQ(classify_produce_error(RdKafka::ERR__FATAL), ProduceAction::kAbortTransaction);
  EXPECT_EQ(classify_produce_error(RdKafka::ERR_UNKNOWN_TOPIC_OR_PART), ProduceAction::kAbortTransaction);
  EXPECT_EQ(classify_produce_error(RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED), ProduceAction::kAbortTransaction);
}

TEST(ConsumeClassification, Table) {
  EXPECT_EQ(classify_consume_error(RdKafka::ERR_NO_ERROR), ConsumeAction::kRecord);
  EXPECT_EQ(classify_consume_error(RdKafka::ERR__TIMED_OUT), ConsumeAction::kIdle);
  EXPECT_EQ(classify_consume_error(RdKafka::ERR__PARTITION_EOF), ConsumeAction::kIdle);
  EXPECT_EQ(classify_consume_error(RdKafka::ERR__ALL_BROKERS_DOWN), ConsumeAction::kTransient);
  EXPECT_EQ(classify_consume_error(RdKafka::ERR__TRANSPORT), ConsumeAction::kTransient);
  EXPECT_EQ(classify_consume_error(RdKafka::ERR__FATAL), ConsumeAction::kFatal);
}

// The admin and metadata requests (caselink-topics): retry later, the broker refused, or our bug.
TEST(RequestClassification, Table) {
  const std::vector<std::pair<RdKafka::ErrorCode, ErrorCode>> table = {
      {RdKafka::ERR__TRANSPORT, ErrorCode::kUnavailable},
      {RdKafka::ERR__TIMED_OUT, ErrorCode::kUnavailable},
      {RdKafka::ERR__ALL_BROKERS_DOWN, ErrorCode::kUnavailable},
      {RdKafka::ERR_REQUEST_TIMED_OUT, ErrorCode::kUnavailable},
      {RdKafka::ERR_NOT_CONTROLLER, ErrorCode::kUnavailable},
      {RdKafka::ERR_LEADER_NOT_AVAILABLE, ErrorCode::kUnavailable},
      {RdKafka::ERR_INVALID_CONFIG, ErrorCode::kInvalid},
      {RdKafka::ERR_INVALID_PARTITIONS, ErrorCode::kInvalid},
      {RdKafka::ERR_INVALID_REPLICATION_FACTOR, ErrorCode::kInvalid},
      {RdKafka::ERR_POLICY_VIOLATION, ErrorCode::kInvalid},
      {RdKafka::ERR_TOPIC_ALREADY_EXISTS, ErrorCode::kInvalid},
      {RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED, ErrorCode::kInvalid},
      {RdKafka::ERR__UNSUPPORTED_FEATURE, ErrorCode::kInvalid},  // local, but a refusal
      {RdKafka::ERR_UNKNOWN, ErrorCode::kInternal},              // -1: unknown, not a refusal
      {RdKafka::ERR_INVALID_MSG, ErrorCode::kInvalid},           // any other broker code
      {RdKafka::ERR__BAD_MSG, ErrorCode::kInternal},             // any other local code
  };
  for (const auto& [err, code] : table) {
    EXPECT_EQ(classify_request_error(err), code) << RdKafka::err2str(err);
  }
}

TEST(RequestClassification, ARefusalCarriesItsReason) {
  const Error refused = request_error(RdKafka::ERR_POLICY_VIOLATION, "CreateTopics: no");
  EXPECT_EQ(refused.code, ErrorCode::kInvalid);
  EXPECT_EQ(refused.reason, kBrokerRefused);
  EXPECT_EQ(refused.message, "CreateTopics: no");
  EXPECT_EQ(request_error(RdKafka::ERR__TRANSPORT, "down").reason, "");
  EXPECT_EQ(request_error(RdKafka::ERR__BAD_MSG, "bug").reason, "");
}

}  // namespace
}  // namespace caselink::kafka
