// Example 3: an agency acknowledges its feedback exactly once.
//
// Where example 2 (read_feedback.cc) reads at least once and prints, this one answers: for each
// filing decision, prosecution decision, evidence receipt and threshold assessment on
// caselink.feedback.<agency>.v1 it publishes a FeedbackAcknowledged to caselink.ack.v1 (which
// caselink-feedback tracks) in the same Kafka transaction as the feedback record's offset. It is
// built on the SDK's TypedConsumer (services/lib/sdk/typed_consumer.h) — one callback per event type —
// run by caselink's own transactional loop: read_committed input, a transactional producer, a
// bad record dead-lettered with its reason. A crash anywhere re-delivers the record and the
// aborted acknowledgement is never seen, so each record is acknowledged once; the acknowledgement's
// event id is derived from the feedback's, so even a replay of the topic gives the same id.
// Other payload types are skipped (committed, not acknowledged): a real adapter registers every
// type it receives. The lines printed are printed when a record is handled, before its
// transaction commits, so after a crash a line can appear twice; the acknowledgement cannot.
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

#include "services/lib/config/cli.h"
#include "services/lib/crypto/derived_uuid.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/topics.h"
#include "services/lib/kafka/transactional_loop.h"
#include "services/lib/sdk/examples/examples.h"
#include "services/lib/sdk/receipts.h"
#include "services/lib/sdk/typed_consumer.h"

namespace caselink::sdk::examples {

v1::Envelope acknowledgement_for(const v1::Envelope& feedback, const std::string& agency_id,
                                 const std::string& acknowledged_by, TimePoint now) {
  v1::Envelope ack = envelope::make_envelope(CaseId(feedback.case_id()), AgencyId(agency_id), now, now);
  ack.set_event_id(crypto::derived_uuid("feedback-ack", feedback.event_id() + "/" + agency_id));
  ack.set_correlation_id(feedback.case_id());
  ack.set_causation_id(feedback.event_id());
  // With the feedback record's event digest and the case numbers it states (receipts.h).
  *ack.mutable_feedback_acknowledged() = feedback_acknowledgement(feedback, agency_id, acknowledged_by);
  return ack;
}

namespace {

std::atomic<bool> g_signalled{false};
extern "C" void on_signal(int /*signal*/) { g_signalled.store(true); }

struct AckArgs {
  ClientOptions options;
  std::string group_id;
  std::string acknowledged_by;
  std::string dlq_topic = envelope::topics::kDlq;
  int64_t max_records = 0;
  int64_t idle_timeout_ms = 0;
};

// -1 when the consumer should run, else the exit code (help: 0, bad arguments: 2).
int parse_args(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, AckArgs* a) {
  a->options.agency_id = "sthjj-330100";
  CLI::App app{"caselink-example-acknowledge-feedback — an agency acknowledges its feedback records exactly once "
               "(caselink adapter SDK example: TypedConsumer on the transactional loop)"};
  app.add_option("--bootstrap", a->options.bootstrap, "Kafka bootstrap host:port")->required();
  app.add_option("--client-config", a->options.kafka_config_file,
                 "The agency's broker credentials, a librdkafka client file (kafka.sh --secure's "
                 "<agency>.properties); none: plaintext")
      ->envname("CASELINK_KAFKA_CLIENT_CONFIG_FILE");
  app.add_option("--agency", a->options.agency_id, "Agency whose caselink.feedback.<agency>.v1 to read")
      ->capture_default_str();
  app.add_option("--group", a->group_id, "Consumer group, also the transactional id's stem (default: <agency>-ack)");
  app.add_option("--acknowledged-by", a->acknowledged_by, "FeedbackAcknowledged.acknowledged_by (default: <agency>-adapter)");
  app.add_option("--dlq-topic", a->dlq_topic, "Where a record that is not a valid envelope goes")->capture_default_str();
  app.add_option("--topic-prefix", a->options.topic_prefix,
                 "Sandbox topics: prefix of every topic name, the DLQ's included (default none)");
  app.add_option("--signing-key-file", a->options.signing_key_file, "The agency's Ed25519 key (PKCS#8 PEM)");
  app.add_option("--signing-key-id", a->options.signing_key_id, "Its id in the key registry");
  app.add_option("--max-records", a->max_records, "Stop after acknowledging this many (0 = until SIGINT/SIGTERM)")
      ->capture_default_str();
  app.add_option("--idle-timeout-ms", a->idle_timeout_ms, "Stop after this long without a record to acknowledge (0 = never)")
      ->capture_default_str();
  app.footer("Prints one line per acknowledged record, then a summary. Exit status: 0 done, 1 the loop could not "
             "run, 2 bad arguments.");
  if (std::optional<int> status = parse_with_limits(app, args, out, err, a->max_records, a->idle_timeout_ms)) {
    return *status;
  }
  if (a->group_id.empty()) {
    a->group_id = a->options.agency_id + "-ack";
  }
  if (a->acknowledged_by.empty()) {
    a->acknowledged_by = a->options.agency_id + "-adapter";
  }
  return -1;
}

// The typed callbacks: each prints what the agency learnt and acknowledges it.
class Acknowledger {
 public:
  Acknowledger(const AckArgs& args, const EventSigner* signer, std::ostream& out)
      : args_(args), signer_(signer), out_(out) {
    consumer_.on<v1::FilingDecision>([this](const v1::Envelope& e, const v1::FilingDecision& d) {
      return acknowledge(e, "filing decision " + v1::FilingOutcome_Name(d.outcome()));
    });
    consumer_.on<v1::ProsecutionDecision>([this](const v1::Envelope& e, const v1::ProsecutionDecision& d) {
      return acknowledge(e, "prosecution decision " + v1::ProsecutionOutcome_Name(d.outcome()));
    });
    consumer_.on<v1::EvidenceReceipt>([this](const v1::Envelope& e, const v1::EvidenceReceipt& r) {
      return acknowledge(e, "evidence receipt " + v1::ReceiptStatus_Name(r.status()) + " for " + r.manifest_id());
    });
    consumer_.on<v1::StandardsAssessment>([this](const v1::Envelope& e, const v1::StandardsAssessment& a) {
      return acknowledge(e, "threshold assessment of " + a.offence_code());
    });
  }

  TypedConsumer& consumer() { return consumer_; }
  int64_t acknowledged() const { return acknowledged_.load(); }
  std::chrono::steady_clock::time_point last() const { return std::chrono::steady_clock::time_point(
      std::chrono::steady_clock::duration(last_.load())); }

 private:
  kafka::HandlerResult acknowledge(const v1::Envelope& feedback, const std::string& what) {
    v1::Envelope ack = acknowledgement_for(feedback, args_.options.agency_id, args_.acknowledged_by, clock_.now());
    auto record = prepare_record(ack, args_.options.agency_id, signer_);
    if (!record.ok()) {
      return kafka::refuse(record.error());  // this record cannot be acknowledged: say why, go on
    }
    record->topic = args_.options.topic_prefix + record->topic;
    out_ << "acknowledged case=" << feedback.case_id() << " event=" << feedback.event_id() << ": " << what << "\n";
    out_.flush();
    acknowledged_.fetch_add(1);
    last_.store(std::chrono::steady_clock::now().time_since_epoch().count());
    return kafka::HandlerResult::emit({std::move(*record)});
  }

  const AckArgs& args_;
  const EventSigner* signer_;
  std::ostream& out_;
  SystemClock clock_;
  TypedConsumer consumer_;
  std::atomic<int64_t> acknowledged_{0};
  std::atomic<std::chrono::steady_clock::rep> last_{std::chrono::steady_clock::now().time_since_epoch().count()};
};

bool should_stop(const AckArgs& a, const Acknowledger& acks) {
  if (g_signalled.load()) {
    return true;
  }
  if (a.max_records > 0 && acks.acknowledged() >= a.max_records) {
    return true;
  }
  return a.idle_timeout_ms > 0 &&
         std::chrono::steady_clock::now() - acks.last() >= std::chrono::milliseconds(a.idle_timeout_ms);
}

}  // namespace

int acknowledge_feedback_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  AckArgs a;
  if (int code = parse_args(args, out, err, &a); code >= 0) {
    return code;
  }
  auto signer = load_signer(a.options.signing_key_file, a.options.signing_key_id);
  if (!signer.ok()) {
    err << "cannot start: " << signer.error().describe() << "\n";
    return 2;
  }
  Acknowledger acks(a, signer->get(), out);
  kafka::KafkaSettings kafka;
  kafka.bootstrap = a.options.bootstrap;
  kafka.client_config_file = a.options.kafka_config_file;
  if (Status loaded = kafka::load_client_config_file(kafka); !loaded.ok()) {
    err << "cannot start: --client-config: " << loaded.error().describe() << "\n";
    return 2;
  }
  kafka::LoopSettings loop;
  loop.group_id = a.group_id;
  loop.input_topics = {a.options.topic_prefix + envelope::feedback_topic_for(a.options.agency_id)};
  loop.dlq_topic = a.options.topic_prefix + a.dlq_topic;
  SystemClock clock;
  kafka::TransactionalLoop runner(kafka, loop, "caselink-example-acknowledge-feedback", acks.consumer(), nullptr, clock);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::atomic<bool> stop{false};
  Status result;
  std::thread thread([&] { result = runner.run(stop); });
  while (!should_stop(a, acks)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a poll interval for the stop conditions
  }
  stop.store(true);  // the loop commits its open transaction, then leaves the group
  thread.join();
  if (!result.ok()) {
    err << "the loop could not run: " << result.error().describe() << "\n";
    return 1;
  }
  out << "acknowledged " << acks.acknowledged() << ", skipped " << acks.consumer().skipped()
      << " record(s) of other types\n";
  return 0;
}

}  // namespace caselink::sdk::examples
