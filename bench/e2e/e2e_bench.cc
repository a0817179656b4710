// End-to-end latency of a referral through a running caselink stack, with the same events
// published straight to Kafka as the baseline, in one invocation (docs/performance.md,
// "## End-to-end latency (ingress → feedback topic)"):
//
//   ingress  CaseReferral events POSTed one per request (POST /v1/events, keep-alive
//            connections) at a steady rate; the chain measured is
//            ingress → caselink.referral.v1 → caselink-standards →
//            caselink.standards.assessment.v1 → caselink-feedback →
//            caselink.feedback.<agency>.v1
//   sdk      the same kind of events published by AgencyClient::publish (idempotent, acks=all)
//            at the same rate; the chain is the same minus the HTTP hop
//
// A read_committed consumer, assigned to every partition of the agency's feedback topic at its
// end before anything is sent, stamps each feedback record when it is read. A record is matched
// to its event by case id (one unique case per event; the feedback copy keeps case_id) and, for
// a StandardsAssessment, checked against subject_event_id = the referral's event_id.
// Latency = record seen − request sent (the moment the POST / publish call started), on one
// steady clock in this process. Events sent but not seen within the grace period are reported
// as missing, never folded into the percentiles.
//
// Events are scheduled open loop (event i at start + i/rate) and taken by a pool of workers,
// each with its own connection / AgencyClient, because both a POST and publish() wait for the
// broker's acknowledgement; the lag of the actual send behind the schedule is reported so a
// saturated sender is visible.

#include <CLI/CLI.hpp>
#include <google/protobuf/util/json_util.h>
#include <librdkafka/rdkafkacpp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/core/build_info.h"
#include "services/lib/core/clock.h"
#include "services/lib/core/uuid.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/routing.h"
#include "services/lib/http/client.h"
#include "services/lib/kafka/factory.h"
#include "services/lib/kafka/client.h"
#include "services/lib/sdk/agency_client.h"

namespace caselink {
namespace {

using Steady = std::chrono::steady_clock;

struct Options {
  std::string bootstrap = "127.0.0.1:9092";
  std::string ingress = "127.0.0.1:8080";
  std::string ingress_ca;
  bool ingress_plain_http = false;
  std::string tokens_file = "deploy/config/demo-agency-tokens.yaml";
  std::string agency = "sthjj-330100";
  std::string feedback_topic_template = envelope::topics::kFeedbackTemplate;
  double rate = 200;
  double duration_s = 60;
  int64_t events = 0;  // overrides duration_s when > 0
  double grace_s = 30;
  // Sent at the rate before each path's measured events and not counted: the first transactions
  // on each partition, connection set-up and the JIT of the broker otherwise land in the tail of
  // whichever path runs first (docs/performance.md, 2026-12-05).
  double warmup_s = 10;
  // Each round runs every path; odd rounds in --paths order, even rounds reversed.
  int rounds = 1;
  int workers = 16;
  std::vector<std::string> paths = {"ingress", "sdk"};
  // The agency's own Ed25519 key for the SDK path: services running with signing.verify:
  // required (run.sh's stack) dead-letter unsigned events, which would then never arrive.
  std::string sdk_signing_key_file;
  std::string sdk_signing_key_id;
};

// ---------------------------------------------------------------------------------------------
// The events

v1::Organ organ(const std::string& id, const std::string& name, v1::OrganKind kind) {
  v1::Organ o;
  o.set_organ_id(id);
  o.set_name(name);
  o.set_kind(kind);
  return o;
}

// A suspected pollution crime as an ecology and environment bureau transfers it (the SDK's
// worked example, services/lib/sdk/examples/submit_referral.cc), with the cadmium multiple varied
// per event so caselink-standards reaches different outcomes (below / meets the threshold).
// Materials are named by id only: no manifest is sent, which this chain does not read.
void fill_referral(v1::CaseReferral* referral, const std::string& agency, int64_t index) {
  referral->set_transfer_letter_number("杭环移〔2026〕" + std::to_string(1000 + index) + "号");
  *referral->mutable_referring_agency() = organ(agency, "杭州市生态环境局", v1::ORGAN_KIND_ADMINISTRATIVE_AGENCY);
  *referral->mutable_target_police_organ() = organ("ga-330100", "杭州市公安局", v1::ORGAN_KIND_POLICE);
  referral->set_offence_code("pollution_environment");
  referral->set_offence_name("污染环境罪");
  referral->set_domain(v1::DOMAIN_ENVIRONMENT);
  referral->mutable_jurisdiction()->set_province_code("330000");
  referral->mutable_jurisdiction()->set_city_code("330100");
  referral->mutable_jurisdiction()->set_county_code("330114");
  v1::Fact* fact = referral->add_facts();
  fact->set_name("heavy_metal_multiple");
  fact->set_number(1.5 + static_cast<double>(index % 50) / 10.0);  // 1.5 .. 6.4 times the standard
  fact->set_unit("multiple");
  fact->add_evidence_item_ids("monitoring-report");
  referral->set_act_date("2026-09-14");
  referral->set_conduct_start_date("2026-06-01");
  referral->set_conduct_end_date("2026-09-14");
  referral->set_discovery_date("2026-09-14");
  v1::Suspect* company = referral->add_suspects();
  company->set_suspect_id("s1");
  company->set_kind(v1::SUSPECT_KIND_UNIT);
  company->set_name("杭州某电镀有限公司");
  company->set_id_document_type(v1::ID_DOCUMENT_TYPE_UNIFIED_SOCIAL_CREDIT_CODE);
  company->set_id_number_masked("913301********5X7K");
  v1::Suspect* manager = referral->add_suspects();
  manager->set_suspect_id("s2");
  manager->set_kind(v1::SUSPECT_KIND_PERSON);
  manager->set_name("王某");
  manager->set_id_document_type(v1::ID_DOCUMENT_TYPE_RESIDENT_ID_CARD);
  manager->set_id_number_masked("330104********2311");
  manager->set_unit_suspect_id("s1");
  referral->set_copy_to_procuratorate(true);
  *referral->mutable_procuratorate() = organ("jcy-330100", "杭州市人民检察院", v1::ORGAN_KIND_PROCURATORATE);
  referral->set_materials_manifest_id(new_uuid());
  referral->set_facts_summary("杭州某电镀有限公司通过暗管排放含镉电镀废水，涉嫌污染环境罪，依法移送。");
  referral->set_case_officer_name("陈明");
  referral->set_case_officer_phone("0571-87000000");
}

// ---------------------------------------------------------------------------------------------
// The feedback side

struct Arrival {
  Steady::time_point seen;
  std::string event_type;
  std::string subject_event_id;  // StandardsAssessment.subject_event_id, else empty
};

// Reads the agency's feedback topic from its end (read_committed, assign-only, no commits) and
// remembers the first record of each case with when it was read.
class FeedbackWatcher {
 public:
  static Result<std::unique_ptr<FeedbackWatcher>> start(const std::string& bootstrap, const std::string& topic) {
    kafka::KafkaSettings settings;
    settings.bootstrap = bootstrap;
    settings.statistics_interval_ms = 0;
    auto made = kafka::make_consumer(settings, {{"client.id", "caselink-e2e-bench"},
                                                {"group.id", "caselink-e2e-bench-" + new_uuid()},
                                                {"isolation.level", "read_committed"},
                                                {"enable.auto.commit", "false"},
                                                {"enable.auto.offset.store", "false"}});
    if (!made.ok()) return made.error();
    std::unique_ptr<RdKafka::KafkaConsumer> consumer = std::move(made).value();
    std::string err;

    // Position every partition at its current end, so only records written from now on count.
    RdKafka::Metadata* raw = nullptr;
    std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(consumer.get(), topic, nullptr, err));
    if (RdKafka::ErrorCode code = consumer->metadata(false, handle.get(), &raw, 10000); code != RdKafka::ERR_NO_ERROR) {
      return Error::unavailable("metadata of " + topic + ": " + RdKafka::err2str(code));
    }
    std::unique_ptr<RdKafka::Metadata> metadata(raw);
    std::vector<RdKafka::TopicPartition*> assignment;
    for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
      if (t->topic() != topic) continue;
      if (t->err() != RdKafka::ERR_NO_ERROR) {
        return Error::not_found("topic " + topic + ": " + RdKafka::err2str(t->err()));
      }
      for (const RdKafka::PartitionMetadata* p : *t->partitions()) {
        int64_t low = 0;
        int64_t high = 0;
        if (RdKafka::ErrorCode code = consumer->query_watermark_offsets(topic, p->id(), &low, &high, 10000);
            code != RdKafka::ERR_NO_ERROR) {
          return Error::unavailable("watermarks of " + topic + ": " + RdKafka::err2str(code));
        }
        assignment.push_back(RdKafka::TopicPartition::create(topic, p->id(), high));
      }
    }
    if (assignment.empty()) {
      return Error::not_found("topic " + topic + " has no partitions");
    }
    RdKafka::ErrorCode assigned = consumer->assign(assignment);
    const size_t partitions = assignment.size();
    RdKafka::TopicPartition::destroy(assignment);
    if (assigned != RdKafka::ERR_NO_ERROR) return Error::unavailable("assign: " + RdKafka::err2str(assigned));

    std::unique_ptr<FeedbackWatcher> watcher(new FeedbackWatcher(std::move(consumer), partitions));
    watcher->thread_ = std::thread([w = watcher.get()] { w->run(); });
    return watcher;
  }

  ~FeedbackWatcher() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    consumer_->close();
  }

  size_t partitions() const { return partitions_; }

  std::optional<Arrival> arrival(const std::string& case_id) const {
    std::lock_guard lock(mutex_);
    auto it = arrivals_.find(case_id);
    if (it == arrivals_.end()) return std::nullopt;
    return it->second;
  }

  size_t count_arrived(const std::vector<std::string>& case_ids) const {
    std::lock_guard lock(mutex_);
    size_t n = 0;
    for (const auto& id : case_ids) n += arrivals_.count(id);
    return n;
  }

  uint64_t records() const { return records_; }
  uint64_t undecodable() const { return undecodable_; }
  uint64_t repeated() const { return repeated_; }

 private:
  FeedbackWatcher(std::unique_ptr<RdKafka::KafkaConsumer> consumer, size_t partitions)
      : consumer_(std::move(consumer)), partitions_(partitions) {}

  void run() {
    while (!stop_) {
      std::unique_ptr<RdKafka::Message> message(consumer_->consume(100));
      if (!message || message->err() != RdKafka::ERR_NO_ERROR) continue;  // timeouts, transient errors
      const Steady::time_point seen = Steady::now();
      ++records_;
      auto envelope = envelope::decode(
          std::string_view(static_cast<const char*>(message->payload()), message->len()));
      if (!envelope.ok()) {
        ++undecodable_;
        continue;
      }
      Arrival arrival{seen, envelope->event_type(), ""};
      if (envelope->payload_case() == v1::Envelope::kStandardsAssessment) {
        arrival.subject_event_id = envelope->standards_assessment().subject_event_id();
      }
      std::lock_guard lock(mutex_);
      if (!arrivals_.emplace(envelope->case_id(), std::move(arrival)).second) ++repeated_;
    }
  }

  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  size_t partitions_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Arrival> arrivals_;
  std::atomic<uint64_t> records_{0};
  std::atomic<uint64_t> undecodable_{0};
  std::atomic<uint64_t> repeated_{0};
};

// ---------------------------------------------------------------------------------------------
// The sending side

struct Sent {
  std::string case_id;
  std::string event_id;
  Steady::time_point scheduled;
  Steady::time_point sent;   // the POST / publish() call started
  Steady::time_point acked;  // its answer came back
  bool accepted = false;     // 202 / Delivery
  std::string failure;       // else why
};

// Sends one event; fills sent/acked/accepted/failure. One per worker thread.
class Sender {
 public:
  virtual ~Sender() = default;
  // Builds the event for `index` (not timed), returning its event id.
  virtual std::string prepare(const std::string& case_id, int64_t index) = 0;
  virtual void send(Sent& s) = 0;
};

class IngressSender : public Sender {
 public:
  IngressSender(const Options& o, http::ClientOptions client, std::string token)
      : options_(o), client_(std::move(client)), token_(std::move(token)) {}

  std::string prepare(const std::string& case_id, int64_t index) override {
    // What an agency system sends: its own event_id (so a retry is deduplicated downstream),
    // the case, when the act was recorded, the payload; the ingress fills the rest.
    v1::Envelope env;
    env.set_event_id(new_uuid());
    env.set_case_id(case_id);
    env.set_producer_agency_id(options_.agency);
    envelope::set_timestamp(env.mutable_occurred_at(), SystemClock().now());
    fill_referral(env.mutable_case_referral(), options_.agency, index);
    google::protobuf::util::JsonPrintOptions json;
    json.preserve_proto_field_names = true;
    body_.clear();
    (void)google::protobuf::util::MessageToJsonString(env, &body_, json);
    return env.event_id();
  }

  // One keep-alive HTTPS connection per worker (a new one after an error or a close).
  void send(Sent& s) override {
    s.sent = Steady::now();
    if (!connection_) {
      auto opened = http::Connection::open(client_);
      if (!opened.ok()) {
        s.acked = Steady::now();
        s.failure = "connection: " + opened.error().message;
        return;
      }
      connection_ = std::move(*opened);
    }
    auto response = connection_->send(
        {"POST", "/v1/events", {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}}, body_});
    s.acked = Steady::now();
    if (!response.ok()) {
      s.failure = "connection: " + response.error().message;
      connection_.reset();
      return;
    }
    if (response->status == 202) {
      s.accepted = true;
    } else {
      s.failure = "HTTP " + std::to_string(response->status) + " " + response->body.substr(0, 200);
    }
    if (response->headers.count("Connection") > 0 && response->headers["Connection"] == "close") connection_.reset();
  }

 private:
  const Options& options_;
  http::ClientOptions client_;
  std::string token_;
  std::unique_ptr<http::Connection> connection_;
  std::string body_;
};

class SdkSender : public Sender {
 public:
  explicit SdkSender(std::unique_ptr<sdk::AgencyClient> client) : client_(std::move(client)) {}

  std::string prepare(const std::string& case_id, int64_t index) override {
    envelope_ = client_->new_envelope(case_id);
    fill_referral(envelope_.mutable_case_referral(), client_->options().agency_id, index);
    return envelope_.event_id();
  }

  void send(Sent& s) override {
    s.sent = Steady::now();
    auto delivery = client_->publish(envelope_);
    s.acked = Steady::now();
    if (delivery.ok()) {
      s.accepted = true;
    } else {
      s.failure = delivery.error().describe();
    }
  }

 private:
  std::unique_ptr<sdk::AgencyClient> client_;
  v1::Envelope envelope_;
};

// ---------------------------------------------------------------------------------------------
// One path: send, wait, match, summarize

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  // Nearest rank: the smallest value with at least p of the sample at or below it.
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

double ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct PathResult {
  std::string name;
  int64_t events = 0;
  double send_seconds = 0;
  int64_t accepted = 0;
  std::map<std::string, int64_t> failures;  // first 60 characters of the failure → count
  std::vector<double> e2e_ms;               // accepted and arrived
  std::vector<double> ack_ms;               // request sent → 202 / delivery
  std::vector<double> send_lag_ms;          // actual send − scheduled send
  int64_t missing = 0;                      // accepted, not seen within the grace period
  int64_t subject_mismatch = 0;             // an assessment for the case, but of another event
  std::map<std::string, int64_t> arrived_types;
};

// Sends `items` open loop (item i at start + i/rate) over the senders, one worker each.
// Returns when the schedule started.
Steady::time_point send_open_loop(std::vector<std::unique_ptr<Sender>>& senders, const Options& o,
                                  std::vector<Sent>& items) {
  const auto interval = std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(1.0 / o.rate));
  const Steady::time_point start = Steady::now() + std::chrono::milliseconds(200);
  std::atomic<int64_t> next{0};
  std::vector<std::thread> threads;
  for (auto& sender : senders) {
    threads.emplace_back([&, s = sender.get()] {
      for (;;) {
        const int64_t i = next.fetch_add(1);
        if (i >= static_cast<int64_t>(items.size())) return;
        Sent& item = items[static_cast<size_t>(i)];
        item.event_id = s->prepare(item.case_id, i);
        item.scheduled = start + interval * i;
        std::this_thread::sleep_until(item.scheduled);
        s->send(item);
      }
    });
  }
  for (auto& t : threads) t.join();
  return start;
}

// Events with unique case ids (a feedback record is matched by case id).
std::vector<Sent> events_named(const std::string& prefix, int64_t n) {
  std::vector<Sent> items(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) items[static_cast<size_t>(i)].case_id = prefix + std::to_string(i);
  return items;
}

// Not measured: one event per worker, so connections, producers and their metadata exist (the
// SDK creates its producer on the first publish()), then --warmup-s at the rate.
void warm_up(std::vector<std::unique_ptr<Sender>>& senders, const Options& o, const std::string& prefix) {
  std::vector<std::thread> warmers;
  for (size_t w = 0; w < senders.size(); ++w) {
    warmers.emplace_back([&, w, s = senders[w].get()] {
      Sent warm;
      warm.case_id = prefix + "connect-" + std::to_string(w);
      s->prepare(warm.case_id, static_cast<int64_t>(w));
      s->send(warm);
    });
  }
  for (auto& t : warmers) t.join();
  std::vector<Sent> items = events_named(prefix, std::llround(o.rate * o.warmup_s));
  send_open_loop(senders, o, items);
}

void collect(const std::vector<Sent>& sent, const FeedbackWatcher& watcher, PathResult& result) {
  for (const Sent& s : sent) {
    result.send_lag_ms.push_back(ms(s.sent - s.scheduled));
    if (!s.accepted) {
      ++result.failures[s.failure.substr(0, 60)];
      continue;
    }
    ++result.accepted;
    result.ack_ms.push_back(ms(s.acked - s.sent));
    auto arrival = watcher.arrival(s.case_id);
    if (!arrival) {
      ++result.missing;
      continue;
    }
    ++result.arrived_types[arrival->event_type];
    if (!arrival->subject_event_id.empty() && arrival->subject_event_id != s.event_id) {
      ++result.subject_mismatch;
      continue;
    }
    result.e2e_ms.push_back(ms(arrival->seen - s.sent));
  }
}

PathResult run_path(const std::string& name, std::vector<std::unique_ptr<Sender>>& senders, const Options& o,
                    int64_t n, const std::string& run_tag, const FeedbackWatcher& watcher) {
  PathResult result;
  result.name = name;
  result.events = n;
  const std::string prefix = o.agency + "-e2e-" + run_tag + "-" + name + "-";
  warm_up(senders, o, prefix + "warmup-");
  std::vector<Sent> sent = events_named(prefix, n);
  const Steady::time_point start = send_open_loop(senders, o, sent);
  const Steady::time_point last_send = Steady::now();
  result.send_seconds = ms(last_send - start) / 1000.0;

  std::vector<std::string> expected;
  for (const Sent& s : sent) {
    if (s.accepted) expected.push_back(s.case_id);
  }
  const auto deadline = last_send + std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(o.grace_s));
  while (watcher.count_arrived(expected) < expected.size() && Steady::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  collect(sent, watcher, result);
  return result;
}

void print(const PathResult& r, const Options& o) {
  auto f = [](double v) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(1) << v;
    return s.str();
  };
  std::cout << "== " << r.name << ": " << r.events << " events in " << f(r.send_seconds) << " s (target "
            << f(o.rate) << "/s), accepted " << r.accepted << "\n";
  for (const auto& [why, count] : r.failures) std::cout << "   not accepted x" << count << ": " << why << "\n";
  std::cout << "   send lag behind schedule  p99 " << f(percentile(r.send_lag_ms, 0.99)) << " ms, max "
            << f(percentile(r.send_lag_ms, 1.0)) << " ms\n";
  std::cout << "   request -> ack            p50 " << f(percentile(r.ack_ms, 0.5)) << " ms, p99 "
            << f(percentile(r.ack_ms, 0.99)) << " ms\n";
  std::cout << "   end-to-end (sent -> feedback record read)  n=" << r.e2e_ms.size() << "  p50 "
            << f(percentile(r.e2e_ms, 0.5)) << " ms  p90 " << f(percentile(r.e2e_ms, 0.9)) << " ms  p99 "
            << f(percentile(r.e2e_ms, 0.99)) << " ms  max " << f(percentile(r.e2e_ms, 1.0)) << " ms\n";
  std::cout << "   never arrived within " << f(o.grace_s) << " s: " << r.missing
            << "   assessment of another event: " << r.subject_mismatch << "\n";
  for (const auto& [type, count] : r.arrived_types) std::cout << "   arrived " << type << " x" << count << "\n";
}

Result<std::string> token_for(const std::string& file, const std::string& agency) {
  try {
    YAML::Node tokens = YAML::LoadFile(file);
    if (!tokens[agency] || !tokens[agency].IsScalar()) {
      return Error::invalid("has no token for agency " + agency, "tokens-file");
    }
    return tokens[agency].as<std::string>();
  } catch (const std::exception& e) {
    return Error::invalid(std::string("cannot read: ") + e.what(), "tokens-file");
  }
}

void add_options(CLI::App& app, Options& o) {
  app.add_option("--bootstrap", o.bootstrap, "Kafka bootstrap host:port")->capture_default_str();
  app.add_option("--ingress", o.ingress, "caselink-ingress public API host:port (HTTPS)")->capture_default_str();
  app.add_option("--ingress-ca", o.ingress_ca, "PEM CA the ingress's certificate must chain to (run dir's tls/ca.crt)");
  app.add_flag("--ingress-plain-http", o.ingress_plain_http, "plain HTTP to an ingress with api.tls.enabled: false");
  app.add_option("--tokens-file", o.tokens_file, "YAML map agency -> bearer token")->capture_default_str();
  app.add_option("--agency", o.agency, "referring agency (needs a token and a feedback topic)")
      ->capture_default_str();
  app.add_option("--feedback-topic-template", o.feedback_topic_template, "feedback topic, {agency} replaced")
      ->capture_default_str();
  app.add_option("--rate", o.rate, "events per second per path")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--duration-s", o.duration_s, "seconds of sending per path")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--events", o.events, "events per path (overrides --duration-s)")->check(CLI::NonNegativeNumber);
  app.add_option("--grace-s", o.grace_s, "how long after the last send a feedback record may still arrive")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--warmup-s", o.warmup_s, "seconds of uncounted events at the rate before each path's measured ones")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--rounds", o.rounds, "rounds of every path; even rounds run the paths in reverse order")
      ->capture_default_str()->check(CLI::Range(1, 100));
  app.add_option("--workers", o.workers, "concurrent senders (each its own connection / AgencyClient)")
      ->capture_default_str()->check(CLI::Range(1, 256));
  app.add_option("--sdk-signing-key", o.sdk_signing_key_file,
                 "the agency's Ed25519 private key (PEM) the SDK path signs with (run dir's keys/<agency>/<agency>.k1.pem)");
  app.add_option("--sdk-signing-key-id", o.sdk_signing_key_id, "its id in the key registry (<agency>.k1)");
  app.add_option("--paths", o.paths, "which paths, in order: ingress, sdk")->capture_default_str()
      ->check(CLI::IsMember({"ingress", "sdk"}));
}

// One sender per worker for `path` (ingress: HTTP connections; sdk: AgencyClients). 0, or exit
// code 2 after saying why.
int make_senders(const std::string& path, const Options& o, std::vector<std::unique_ptr<Sender>>* senders) {
  if (path == "ingress") {
    auto token = token_for(o.tokens_file, o.agency);
    if (!token.ok()) {
      std::cerr << "--tokens-file " << o.tokens_file << ": " << token.error().describe() << "\n";
      return 2;
    }
    const auto colon = o.ingress.rfind(':');
    if (colon == std::string::npos) {
      std::cerr << "--ingress must be host:port\n";
      return 2;
    }
    http::ClientOptions client;
    client.host = o.ingress.substr(0, colon);
    client.port = o.ingress.substr(colon + 1);
    client.tls.enabled = !o.ingress_plain_http;
    client.tls.ca_file = o.ingress_ca;
    if (client.tls.enabled && client.tls.ca_file.empty()) {
      std::cerr << "--ingress-ca: required to verify the ingress's certificate (or --ingress-plain-http)\n";
      return 2;
    }
    for (int w = 0; w < o.workers; ++w) {
      senders->push_back(std::make_unique<IngressSender>(o, client, *token));
    }
    return 0;
  }
  for (int w = 0; w < o.workers; ++w) {
    sdk::ClientOptions options;
    options.bootstrap = o.bootstrap;
    options.agency_id = o.agency;
    options.client_id = "caselink-e2e-bench";
    options.signing_key_file = o.sdk_signing_key_file;
    options.signing_key_id = o.sdk_signing_key_id;
    auto client = sdk::AgencyClient::create(options);
    if (!client.ok()) {
      std::cerr << "AgencyClient: " << client.error().describe() << "\n";
      return 2;
    }
    senders->push_back(std::make_unique<SdkSender>(std::move(*client)));
  }
  return 0;
}

void print_ratio(const std::vector<PathResult>& results) {
  const PathResult* ingress = nullptr;
  const PathResult* direct = nullptr;
  for (const auto& r : results) (r.name == "ingress" ? ingress : direct) = &r;
  if (ingress && direct && !direct->e2e_ms.empty()) {
    const double ratio = percentile(ingress->e2e_ms, 0.99) / percentile(direct->e2e_ms, 0.99);
    std::cout << "== p99 ingress / p99 sdk = " << std::fixed << std::setprecision(2) << ratio << " ==\n";
  }
}

// Per path, each round's p50 / p99 and the spread of the p99s.
void print_summary(const std::vector<PathResult>& results) {
  std::map<std::string, std::vector<const PathResult*>> by_path;
  for (const auto& r : results) by_path[r.name].push_back(&r);
  std::cout << std::fixed << std::setprecision(1);
  for (const auto& [name, runs] : by_path) {
    std::vector<double> p99s;
    std::cout << "== " << name << " end-to-end p50 / p99 per round (ms):";
    for (const PathResult* r : runs) {
      p99s.push_back(percentile(r->e2e_ms, 0.99));
      std::cout << "  " << percentile(r->e2e_ms, 0.5) << " / " << p99s.back();
    }
    std::cout << "; p99 min " << percentile(p99s, 0.0) << ", median " << percentile(p99s, 0.5) << ", max "
              << percentile(p99s, 1.0) << " ==\n";
  }
}

int run(int argc, char** argv) {
  Options o;
  CLI::App app{"caselink-e2e-bench — end-to-end latency POST /v1/events → the agency's feedback topic, "
               "against the same events published by the SDK (needs a running stack)"};
  add_options(app, o);
  CLI11_PARSE(app, argc, argv);
  // Which allocator the numbers were made with (docs/performance.md).
  std::cerr << caselink::version_line("caselink-e2e-bench") << "\n";

  const int64_t n = o.events > 0 ? o.events : static_cast<int64_t>(std::llround(o.rate * o.duration_s));
  const std::string topic = envelope::feedback_topic_for(o.agency, o.feedback_topic_template);
  const std::string run_tag = new_uuid().substr(0, 8);

  auto watcher = FeedbackWatcher::start(o.bootstrap, topic);
  if (!watcher.ok()) {
    std::cerr << "feedback consumer: " << watcher.error().describe() << "\n";
    return 1;
  }
  // Let the consumer establish its fetch sessions before the first event is sent.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  std::cout << "== e2e: broker " << o.bootstrap << ", ingress " << o.ingress << ", agency " << o.agency
            << ", feedback topic " << topic << " (" << (*watcher)->partitions() << " partitions, read_committed), "
            << n << " events per path at " << o.rate << "/s after " << o.warmup_s << " s of warm-up, " << o.rounds
            << " round(s), " << o.workers << " workers, grace " << o.grace_s
            << " s, run " << run_tag << " ==\n";

  std::vector<PathResult> results;
  for (int round = 1; round <= o.rounds; ++round) {
    std::vector<std::string> order = o.paths;
    if (round % 2 == 0) std::reverse(order.begin(), order.end());
    std::vector<PathResult> this_round;
    for (const std::string& path : order) {
      std::vector<std::unique_ptr<Sender>> senders;
      if (int code = make_senders(path, o, &senders); code != 0) return code;
      std::cout << "== round " << round << " of " << o.rounds << ", " << path << " (warm-up " << o.warmup_s
                << " s first, not counted) ==\n";
      this_round.push_back(run_path(path, senders, o, n, run_tag + "-r" + std::to_string(round), **watcher));
      print(this_round.back(), o);
    }
    print_ratio(this_round);
    results.insert(results.end(), this_round.begin(), this_round.end());
  }
  std::cout << "== feedback records read: " << (*watcher)->records() << " (undecodable "
            << (*watcher)->undecodable() << ", second record of a case " << (*watcher)->repeated() << ") ==\n";
  print_summary(results);
  bool complete = true;
  for (const auto& r : results) complete = complete && r.missing == 0 && r.accepted == r.events;
  return complete ? 0 : 3;
}

}  // namespace
}  // namespace caselink

int main(int argc, char** argv) { return caselink::run(argc, argv); }
