#pragma once
// caselink SDK: a typed consumer on the shared transactional loop — one callback per event
// type instead of a switch over Envelope.payload in every integrator's handler.
//
//   sdk::TypedConsumer consumer;
//   consumer.on<v1::FilingDecision>([](const v1::Envelope& env, const v1::FilingDecision& d) {
//     ...;                                   // what to publish in the same transaction
//     return kafka::HandlerResult::emit({});
//   });
//   kafka::TransactionalLoop loop(kafka, loop_settings, "my-consumer", consumer, nullptr, clock);
//   loop.run(stop);
//
// Every record goes through kafka::decode_record first (tombstone, decoding, the contracts'
// value rules, the key rule and, where the process verifies signatures, the signature), so a
// bad record is dead-lettered with the same reason a caselink service would give it. A record
// whose payload type has no callback is skipped: its offset is committed with the transaction
// and nothing is published (skipped() counts them), so a consumer interested in two types on a
// topic that carries ten never blocks on the other eight. What a callback returns is what the
// loop does: emit records in the transaction of the input offset (exactly once), reject to the
// DLQ, or retry later. The loop calls everything on its one thread.
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/kafka/decode.h"
#include "services/lib/kafka/record_handler.h"

namespace caselink::sdk {

class TypedConsumer : public kafka::RecordHandler {
 public:
  template <class Payload>
  using Callback = std::function<kafka::HandlerResult(const v1::Envelope&, const Payload&)>;

  // `key_rule`: kCaseId (default) refuses a record whose key is not its case id, as caselink's
  // own services do; kAny for a consumer that does not keep per-case state.
  explicit TypedConsumer(kafka::KeyRule key_rule = kafka::KeyRule::kCaseId) : key_rule_(key_rule) {}

  // Registers the callback for one payload type of Envelope.payload (v1::CaseReferral,
  // v1::FilingDecision, ...), replacing an earlier one for that type. Throws
  // std::invalid_argument, at start-up, for a message that is not an Envelope payload.
  template <class Payload>
  TypedConsumer& on(Callback<Payload> callback) {
    const google::protobuf::FieldDescriptor* field = payload_field(*Payload::descriptor());
    callbacks_[field->number()] = [field, callback = std::move(callback)](const v1::Envelope& envelope) {
      const auto& payload = envelope.GetReflection()->GetMessage(envelope, field);
      return callback(envelope, static_cast<const Payload&>(payload));
    };
    return *this;
  }

  kafka::HandlerResult handle(const ConsumedRecord& record) override;

  // Records decoded whose payload type had no callback (committed, nothing published).
  uint64_t skipped() const { return skipped_; }
  // Records handed to a callback.
  uint64_t dispatched() const { return dispatched_; }

 private:
  // The Envelope.payload field of message type `type`; throws std::invalid_argument if none.
  static const google::protobuf::FieldDescriptor* payload_field(const google::protobuf::Descriptor& type);

  kafka::KeyRule key_rule_;
  std::map<int, std::function<kafka::HandlerResult(const v1::Envelope&)>> callbacks_;
  uint64_t skipped_ = 0;
  uint64_t dispatched_ = 0;
};

}  // namespace caselink::sdk
