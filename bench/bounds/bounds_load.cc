// Hostile-load inputs for scripts/bounds.sh (issue 14 §3; docs/reliability.md "Bounded
// resources"). Produces, waits for the broker's answer for every record, prints one line:
//
//   one-case   a referral, its acceptance, then events of one case until --events in all, as
//              fast as the producer takes them: supplement requested (police) / supplemented
//              (agency) / recommendation issued (procuratorate), round robin. Every one is an
//              allowed step from an allowed sender, so caselink-sync applies each (each adds
//              a deadline or a recommendation: the snapshot grows with the history).
//   big-record one record of --bytes bytes (not an envelope) keyed --case, with the client's own
//              message.max.bytes raised above it so that the broker, not librdkafka, decides.

#include <CLI/CLI.hpp>

#include <atomic>
#include <iostream>
#include <thread>

#include "services/daemons/sync/tests/test_support.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/producer.h"

namespace caselink {
namespace {

using Steady = std::chrono::steady_clock;
using sync::test::organ;

double seconds_since(Steady::time_point start) { return std::chrono::duration<double>(Steady::now() - start).count(); }

// Event `i` of the flooded case (0: referral, 1: acceptance, then the round robin).
v1::Envelope flood_event(const std::string& case_id, int64_t i, TimePoint t) {
  const int64_t k = (i - 2) % 3;
  return sync::test::make(case_id, t, [&](v1::Envelope& e) {
    if (i == 0) {
      auto* p = e.mutable_case_referral();
      *p->mutable_referring_agency() = organ("rsj-330100");
      *p->mutable_target_police_organ() = organ("ga-330100");
    } else if (i == 1) {
      *e.mutable_referral_accepted()->mutable_police_organ() = organ("ga-330100");
    } else if (k == 0) {
      *e.mutable_materials_supplement_requested()->mutable_police_organ() = organ("ga-330100");
    } else if (k == 1) {
      e.mutable_materials_supplemented()->set_note("supplied");
    } else {
      auto* r = e.mutable_recommendation_issued();
      r->set_recommendation_id(case_id + "-rec-" + std::to_string(i));
      *r->mutable_procuratorate() = organ("jcy-330100");
      *r->mutable_recipient() = organ("sthjj-330100");
      envelope::set_timestamp(r->mutable_received_at(), t);
    }
  }, i >= 2 && k == 1 ? "rsj-330100" : "").env;
}

struct Sent {
  std::atomic<int64_t> acknowledged{0};
  std::atomic<int64_t> failed{0};
  std::mutex mutex;
  std::string first_error;
};

void send_all(kafka::IdempotentProducer& producer, const std::vector<OutgoingRecord>& records, Sent& sent) {
  for (const auto& rec : records) {
    for (;;) {
      Status st = producer.send_async(rec, [&sent](Result<kafka::Delivery> r) {
        if (r.ok()) {
          sent.acknowledged.fetch_add(1);
          return;
        }
        std::lock_guard lock(sent.mutex);
        if (sent.failed.fetch_add(1) == 0) sent.first_error = r.error().describe();
      });
      if (st.ok()) break;
      if (st.error().code != ErrorCode::kUnavailable) {  // refused locally, not a full queue
        std::lock_guard lock(sent.mutex);
        if (sent.failed.fetch_add(1) == 0) sent.first_error = st.error().describe();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // local queue full: let it drain
    }
  }
}

int run(const std::string& mode, const std::string& bootstrap, const std::string& topic, const std::string& case_id,
        int64_t events, int64_t bytes) {
  kafka::KafkaSettings settings;
  settings.bootstrap = bootstrap;
  settings.properties["linger.ms"] = "5";
  std::vector<OutgoingRecord> records;
  if (mode == "one-case") {
    const TimePoint t0 = SystemClock().now();
    for (int64_t i = 0; i < events; ++i) {
      records.push_back(envelope::to_record(flood_event(case_id, i, t0 + std::chrono::milliseconds(i)), topic));
    }
  } else {
    settings.properties["message.max.bytes"] = std::to_string(bytes + (1 << 20));
    records.push_back(OutgoingRecord{topic, case_id, std::string(static_cast<size_t>(bytes), 'x'), {}});
  }
  auto producer = kafka::make_idempotent_producer(settings, "caselink-bounds-load");
  if (!producer.ok()) {
    std::cerr << producer.error().describe() << "\n";
    return 2;
  }
  Sent sent;
  const auto start = Steady::now();
  send_all(**producer, records, sent);
  const bool flushed = (*producer)->flush(std::chrono::minutes(2)).ok();
  std::cout << mode << ": records=" << records.size() << " acknowledged=" << sent.acknowledged.load()
            << " failed=" << sent.failed.load() << " seconds=" << seconds_since(start)
            << (sent.first_error.empty() ? "" : " first_error=\"" + sent.first_error + "\"")
            << (flushed ? "" : " (flush timed out)") << "\n";
  return 0;
}

}  // namespace
}  // namespace caselink

int main(int argc, char** argv) {
  CLI::App app{"caselink-bounds-load: hostile-load inputs for scripts/bounds.sh"};
  std::string mode, bootstrap = "127.0.0.1:9092", topic = "caselink.referral.v1", case_id = "bounds-case";
  int64_t events = 1000, bytes = 10 << 20;
  app.add_option("mode", mode, "one-case | big-record")->required()->check(CLI::IsMember({"one-case", "big-record"}));
  app.add_option("--bootstrap", bootstrap, "Broker");
  app.add_option("--topic", topic, "Input topic");
  app.add_option("--case", case_id, "Case id (record key)");
  app.add_option("--events", events, "one-case: events in all (referral and acceptance included)")->check(CLI::Range(2, 1000000));
  app.add_option("--bytes", bytes, "big-record: value size")->check(CLI::Range(1, 1 << 30));
  CLI11_PARSE(app, argc, argv);
  return caselink::run(mode, bootstrap, topic, case_id, events, bytes);
}
