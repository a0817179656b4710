// Unit tests of the SDK's TypedConsumer (one callback per event type on the shared loop) and of
// example 3's acknowledgement: no broker, records built in memory.

#include <gtest/gtest.h>

#include <stdexcept>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/dlq.h"
#include "services/lib/sdk/examples/examples.h"
#include "services/lib/sdk/typed_consumer.h"

namespace caselink::sdk {
namespace {

constexpr const char* kCase = "sthjj-330100-2026-0042";

v1::Envelope envelope_with(void (*set_payload)(v1::Envelope&)) {
  const TimePoint now = SystemClock().now();
  v1::Envelope env = envelope::make_envelope(CaseId(kCase), AgencyId("caselink-feedback"), now, now);
  set_payload(env);
  envelope::seal(env);
  return env;
}

ConsumedRecord record_of(const v1::Envelope& env, std::optional<std::string> key = kCase) {
  ConsumedRecord r;
  r.topic = "caselink.feedback.sthjj-330100.v1";
  r.partition = 0;
  r.offset = 7;
  r.key = std::move(key);
  r.value = envelope::encode(env);
  return r;
}

void set_probe(v1::Envelope& env) { env.mutable_probe()->set_sequence(42); }
void set_alert(v1::Envelope& env) { env.mutable_alert()->set_message("not registered"); }

TEST(TypedConsumerTest, HandsEachPayloadToTheCallbackOfItsType) {
  TypedConsumer consumer;
  uint64_t seen_sequence = 0;
  std::string seen_case;
  consumer.on<v1::Probe>([&](const v1::Envelope& env, const v1::Probe& probe) {
    seen_sequence = probe.sequence();
    seen_case = env.case_id();
    return kafka::HandlerResult::emit({OutgoingRecord{"out", env.case_id(), "v", {}}});
  });
  const kafka::HandlerResult result = consumer.handle(record_of(envelope_with(set_probe)));
  EXPECT_EQ(seen_sequence, 42U);
  EXPECT_EQ(seen_case, kCase);
  ASSERT_EQ(result.outputs.size(), 1U);
  EXPECT_EQ(result.outputs[0].topic, "out");
  EXPECT_FALSE(result.dead_letter.has_value());
  EXPECT_EQ(consumer.dispatched(), 1U);
  EXPECT_EQ(consumer.skipped(), 0U);
}

TEST(TypedConsumerTest, SkipsAPayloadWithoutACallbackAndPublishesNothing) {
  TypedConsumer consumer;
  bool called = false;
  consumer.on<v1::Probe>([&](const v1::Envelope&, const v1::Probe&) {
    called = true;
    return kafka::HandlerResult::emit({});
  });
  const kafka::HandlerResult result = consumer.handle(record_of(envelope_with(set_alert)));
  EXPECT_FALSE(called);
  EXPECT_TRUE(result.outputs.empty());
  EXPECT_FALSE(result.dead_letter.has_value());
  EXPECT_FALSE(result.retry_later);
  EXPECT_EQ(consumer.skipped(), 1U);
}

TEST(TypedConsumerTest, DeadLettersWhatACaselinkServiceWouldRefuse) {
  TypedConsumer consumer;
  consumer.on<v1::Probe>([](const v1::Envelope&, const v1::Probe&) { return kafka::HandlerResult::emit({}); });

  ConsumedRecord garbage = record_of(envelope_with(set_probe));
  garbage.value = "not an envelope";
  kafka::HandlerResult result = consumer.handle(garbage);
  ASSERT_TRUE(result.dead_letter.has_value());
  EXPECT_EQ(result.dead_letter->error_class, "envelope.undecodable");

  result = consumer.handle(record_of(envelope_with(set_probe), "another-case"));
  ASSERT_TRUE(result.dead_letter.has_value());
  EXPECT_EQ(result.dead_letter->error_class, kafka::kKeyMismatch);

  // With KeyRule::kAny the key is not checked.
  TypedConsumer any(kafka::KeyRule::kAny);
  any.on<v1::Probe>([](const v1::Envelope&, const v1::Probe&) { return kafka::HandlerResult::emit({}); });
  result = any.handle(record_of(envelope_with(set_probe), "another-case"));
  EXPECT_FALSE(result.dead_letter.has_value());
  EXPECT_EQ(any.dispatched(), 1U);
}

TEST(TypedConsumerTest, RefusesToRegisterAMessageThatIsNoPayload) {
  TypedConsumer consumer;
  EXPECT_THROW(consumer.on<v1::Organ>([](const v1::Envelope&, const v1::Organ&) { return kafka::HandlerResult::emit({}); }),
               std::invalid_argument);
}

TEST(AcknowledgementTest, SameFeedbackGivesTheSameAcknowledgement) {
  const v1::Envelope feedback = envelope_with(set_probe);
  const TimePoint now = SystemClock().now();
  const v1::Envelope a = examples::acknowledgement_for(feedback, "sthjj-330100", "officer-7", now);
  const v1::Envelope b = examples::acknowledgement_for(feedback, "sthjj-330100", "officer-7", now);
  EXPECT_EQ(a.event_id(), b.event_id());
  EXPECT_NE(a.event_id(), examples::acknowledgement_for(feedback, "rsj-330100", "officer-7", now).event_id());
  ASSERT_TRUE(a.has_feedback_acknowledged());
  EXPECT_EQ(a.feedback_acknowledged().feedback_event_id(), feedback.event_id());
  EXPECT_EQ(a.feedback_acknowledged().agency_id(), "sthjj-330100");
  EXPECT_EQ(a.causation_id(), feedback.event_id());
  EXPECT_EQ(a.case_id(), kCase);
  v1::Envelope copy = a;
  auto record = prepare_record(copy, "sthjj-330100");
  ASSERT_TRUE(record.ok()) << record.error().describe();
  EXPECT_EQ(record->topic, "caselink.ack.v1");
  EXPECT_EQ(record->key, kCase);
}

}  // namespace
}  // namespace caselink::sdk
