// caselink-ingress on the real broker (KAFKA_BOOTSTRAP): the server runs in-process, over HTTPS
// with a certificate from the local CA, on an ephemeral loopback port with the real idempotent producer, publishing to uniquely named
// topics (routing.topic_overrides), so the test never touches the demo topics. Every answer
// is checked against what is really on the topic (read back read_committed).

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "services/lib/crypto/sha256.h"
#include "services/lib/envelope/codec.h"
#include "services/lib/http/client.h"
#include "services/lib/kafka/producer.h"
#include "services/daemons/evidence/local_blob_store.h"
#include "services/daemons/ingress/event_mapping.h"
#include "services/daemons/ingress/server.h"
#include "services/daemons/standards/engine/loader.h"
#include "tests/support/kafka_test_env.h"

namespace caselink::ingress {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using nlohmann::json;

const std::string kEnvToken = "it-env-token";
const std::string kTaxToken = "it-tax-token";
const std::string kPoliceToken = "it-police-token";

struct Reply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  json as_json() const { return json::parse(body, nullptr, false); }
};

// The local CA the ingress's certificate comes from (scripts/tls.sh, SetUpTestSuite): every
// call goes over HTTPS, verified against it, as an agency's system would.
std::string& ca_file() {
  static std::string path;
  return path;
}

Reply call(uint16_t port, http::verb method, const std::string& target, const std::string& body,
           const std::string& token, const std::string& content_type = "application/json",
           const std::map<std::string, std::string>& extra = {}) {
  caselink::http::ClientOptions options;
  options.port = std::to_string(port);
  options.tls.ca_file = ca_file();
  caselink::http::ClientRequest request{std::string(http::to_string(method)), target, {}, body};
  if (!token.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + token);
  }
  if (!content_type.empty()) {
    request.headers.emplace_back("Content-Type", content_type);
  }
  request.headers.insert(request.headers.end(), extra.begin(), extra.end());
  auto answer = caselink::http::call(options, request);
  Reply reply;
  if (!answer.ok()) {
    return reply;
  }
  reply.status = static_cast<unsigned>(answer->status);
  reply.headers = std::move(answer->headers);
  reply.body = std::move(answer->body);
  return reply;
}

std::string event_json(const std::string& case_id, const std::string& extra = "") {
  return R"({"case_id":")" + case_id + R"(","occurred_at":"2026-03-01T08:30:00Z")" + extra +
         R"(,"suspected_crime_reported":{}})";
}

// Records of `case_id` on `topic`, read from the beginning, read_committed. Reads again until
// at least `at_least` records of the case are there (deadline 60 s), and each read lasts until
// the topic has been idle for 2.5 s, so a duplicate published with them is seen too: callers
// assert the exact count.
std::vector<ConsumedRecord> records_of_case(const std::string& bootstrap, const std::string& topic,
                                            const std::string& case_id, size_t at_least) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::vector<ConsumedRecord> out;
  do {
    auto all = caselink::testing::read_topic(bootstrap, topic, caselink::testing::Isolation::kReadCommitted, 0,
                                             std::chrono::seconds(30), std::chrono::milliseconds(2500));
    out.clear();
    for (auto& r : all) {
      if (r.key && *r.key == case_id) {
        out.push_back(std::move(r));
      }
    }
  } while (out.size() < at_least && std::chrono::steady_clock::now() < deadline);
  return out;
}

class IngressIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto bootstrap = caselink::testing::kafka_bootstrap();
    if (!bootstrap) {
      return;
    }
    bootstrap_ = *bootstrap;
    referral_ = caselink::testing::unique_name("it.ingress.referral");
    state_ = caselink::testing::unique_name("it.ingress.state");
    decision_ = caselink::testing::unique_name("it.ingress.decision");
    ASSERT_TRUE(caselink::testing::create_topics(bootstrap_, {referral_, state_, decision_}, 3).ok());
    dir_ = std::filesystem::temp_directory_path() / caselink::testing::unique_name("it-ingress");

    settings_ = new IngressSettings(default_settings());
    settings_->kafka = caselink::testing::kafka_settings(bootstrap_);
    settings_->kafka.message_timeout_ms = 4000;
    settings_->api.port = 0;
    const char* source = std::getenv("CASELINK_SOURCE_DIR");
    const std::string tls_sh = std::string(source != nullptr ? source : ".") + "/scripts/tls.sh";
    ASSERT_EQ(std::system(("bash '" + tls_sh + "' --ca '" + (dir_ / "ca").string() + "' --out '" +
                           (dir_ / "tls").string() + "' caselink-ingress >/dev/null")
                              .c_str()),
              0)
        << "scripts/tls.sh could not issue the ingress's certificate";
    ca_file() = (dir_ / "ca/ca.crt").string();
    settings_->api.tls.cert_file = (dir_ / "tls/caselink-ingress.crt").string();
    settings_->api.tls.key_file = (dir_ / "tls/caselink-ingress.key").string();
    settings_->api.max_body_bytes = 64 * 1024;
    settings_->api.max_blob_bytes = 1 << 20;
    settings_->api.max_batch_events = 10;
    settings_->limits = {100000, 100000};
    settings_->auth.token_sha256 = {{"sthjj-330100", crypto::sha256_hex(kEnvToken)},
                                    {"swj-330100", crypto::sha256_hex(kTaxToken)},
                                    {"ga-330100", crypto::sha256_hex(kPoliceToken)}};
    settings_->auth.party_kinds = {{"ga-330100", "police"}};
    // Recommendations go to a topic that does not exist (auto-creation is off): the way to
    // make one event of a batch fail on a healthy broker.
    settings_->topic_overrides = {{"caselink.referral.v1", referral_},
                                  {"caselink.decision.v1", decision_},
                                  {"caselink.recommendation.v1", caselink::testing::unique_name("it.ingress.missing")}};
    settings_->case_state_topic = state_;

    producer_ = kafka::make_idempotent_producer(settings_->kafka, "it-ingress")->release();
    blobs_ = evidence::LocalBlobStore::create(dir_ / "store")->release();
    // The fact catalogue, as the service loads it from facts.rules_dir (issue 20 #10).
    const char* src = std::getenv("CASELINK_SOURCE_DIR");
    auto rules = standards::load_rule_set(std::string(src != nullptr ? src : ".") + "/rules");
    ASSERT_TRUE(rules.ok()) << rules.error().message;
    rules_ = new standards::RuleSet(std::move(*rules));
    cases_ = new CaseStateView();
    follower_ = new CaseStateFollower(settings_->kafka, state_, "it-ingress", *cases_);
    follower_->start();
    server_ = new IngressServer({*settings_, clock_, registry_,
                                 [](const OutgoingRecord& r, kafka::DeliveryCallback done) {
                                   return producer_->send_async(r, std::move(done));
                                 },
                                 *blobs_, *cases_, &rules_->catalogue});
    auto port = server_->start();
    ASSERT_TRUE(port.ok()) << port.error().describe();
    port_ = *port;
  }

  static void TearDownTestSuite() {
    if (server_ == nullptr) {
      return;
    }
    server_->stop_accepting();
    (void)producer_->flush(std::chrono::seconds(10));
    delete server_;
    delete follower_;
    delete cases_;
    delete producer_;
    delete blobs_;
    delete rules_;
    delete settings_;
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  void SetUp() override {
    if (bootstrap_.empty()) {
      GTEST_SKIP() << "KAFKA_BOOTSTRAP not set; run through scripts/test.sh";
    }
  }

  static Reply post(const std::string& body, const std::string& token = kEnvToken,
                    const std::map<std::string, std::string>& extra = {}) {
    return call(port_, http::verb::post, "/v1/events", body, token, "application/json", extra);
  }

  static inline std::string bootstrap_, referral_, state_, decision_;
  static inline std::filesystem::path dir_;
  static inline IngressSettings* settings_ = nullptr;
  static inline SystemClock clock_;
  static inline metrics::Registry registry_;
  static inline kafka::IdempotentProducer* producer_ = nullptr;
  static inline evidence::LocalBlobStore* blobs_ = nullptr;
  static inline standards::RuleSet* rules_ = nullptr;
  static inline CaseStateView* cases_ = nullptr;
  static inline CaseStateFollower* follower_ = nullptr;
  static inline IngressServer* server_ = nullptr;
  static inline uint16_t port_ = 0;
};

TEST_F(IngressIntegration, AcceptedEventIsOnTheTopicAtTheAnsweredOffset) {
  const std::string case_id = caselink::testing::unique_name("case");
  Reply reply = post(event_json(case_id));
  ASSERT_EQ(reply.status, 202u) << reply.body;
  json answer = reply.as_json();
  EXPECT_EQ(answer["topic"], referral_);
  const std::string event_id = answer["event_id"];
  auto records = records_of_case(bootstrap_, referral_, case_id, 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].partition, answer["partition"].get<int32_t>());
  EXPECT_EQ(records[0].offset, answer["offset"].get<int64_t>());
  auto envelope = envelope::decode(*records[0].value);
  ASSERT_TRUE(envelope.ok()) << envelope.error().describe();
  EXPECT_EQ(envelope->event_id(), event_id);
  EXPECT_EQ(envelope->producer_agency_id(), "sthjj-330100");
  EXPECT_EQ(find_header(records[0].headers, envelope::kCeId), event_id);
  EXPECT_EQ(find_header(records[0].headers, envelope::kCeType), "caselink.v1.SuspectedCrimeReported");
}

TEST_F(IngressIntegration, EachClassOfBadInputIsRefusedNamingFieldAndRuleAndNothingIsPublished) {
  const std::string case_id = caselink::testing::unique_name("case");
  struct Case {
    std::string name;
    Reply reply;
    unsigned status;
    std::string field;
    std::string rule;
  };
  std::vector<Case> cases = {
      {"invalid json", post("{\"case_id\":"), 400, "", "json.syntax"},
      {"unknown field", post(event_json(case_id, R"(,"colour":"red")")), 400, "colour", "json.unknown_field"},
      {"unknown event type", post(event_json(case_id, R"(,"event_type":"caselink.v1.Nope")")), 422, "event_type",
       "envelope.unknown_type"},
      {"missing case id", post(R"({"occurred_at":"2026-03-01T08:30:00Z","case_referral":{}})"), 422, "case_id",
       "envelope.missing_field"},
      {"timestamp format",
       post(R"({"case_id":")" + case_id + R"(","occurred_at":"yesterday","case_referral":{}})"), 400, "occurred_at",
       "json.timestamp_format"},
      {"wrong agency", post(event_json(case_id, R"(,"producer_agency_id":"swj-330100")")), 403,
       "producer_agency_id", "auth.producer_agency"},
      {"oversized", post(event_json(case_id, R"(,"causation_id":")" + std::string(70 * 1024, 'x') + "\"")), 413, "body",
       "http.body_too_large"},
      {"content type", call(port_, http::verb::post, "/v1/events", event_json(case_id), kEnvToken, "text/plain"), 415,
       "Content-Type", "http.content_type"},
      {"no token", post(event_json(case_id), ""), 401, "Authorization", "auth.bearer_token"},
      {"bad token", post(event_json(case_id), "wrong"), 401, "Authorization", "auth.bearer_token"},
      {"unknown route", call(port_, http::verb::get, "/v1/nothing", "", kEnvToken), 404, "", "http.unknown_route"},
      {"wrong method", call(port_, http::verb::delete_, "/v1/events", "", kEnvToken), 405, "",
       "http.method_not_allowed"},
      {"bad batch", post(R"({"events":[)" + event_json(case_id) + R"(,{"occurred_at":"2026-03-01T08:30:00Z"}]})"), 422,
       "events[1].case_id", "envelope.missing_field"},
      // Issue 13 B-F: values that crashed the ingress or were accepted and dead-lettered later.
      {"number out of range", post(R"({"case_id":")" + case_id +
                                   R"(","occurred_at":"2026-03-01T08:30:00Z","case_referral":{"prior_fine_paid_yuan":1e400}})"),
       400, "case_referral.prior_fine_paid_yuan", "json.number_range"},
      {"negative money", post(R"({"case_id":")" + case_id +
                              R"(","occurred_at":"2026-03-01T08:30:00Z","case_referral":{"prior_fine_paid_yuan":-1}})"),
       400, "case_referral.prior_fine_paid_yuan", "envelope.invalid_value"},
      {"yes as boolean", post(R"({"case_id":")" + case_id +
                              R"(","occurred_at":"2026-03-01T08:30:00Z","case_referral":{"copy_to_procuratorate":"yes"}})"),
       400, "case_referral.copy_to_procuratorate", "json.wrong_type"},
      {"occurred_at 9999", post(R"({"case_id":")" + case_id + R"(","occurred_at":"9999-12-31T00:00:00Z","case_referral":{}})"),
       400, "occurred_at", "json.timestamp_format"},
      // Issue 20 #10: facts against the catalogue (docs/facts.md, the OpenAPI schema Fact).
      {"unknown fact", post(R"({"case_id":")" + case_id + R"(","occurred_at":"2026-03-01T08:30:00Z","case_referral":)"
                            R"({"facts":[{"name":"hazardous_waste_tons","number":5,"unit":"t"}]}})"),
       422, "case_referral.facts[0].name", "facts.catalogue"},
      {"wrong unit", post(R"({"case_id":")" + case_id + R"(","occurred_at":"2026-03-01T08:30:00Z","case_referral":)"
                          R"({"facts":[{"name":"hazardous_waste_tonnes","number":5,"unit":"kg"}]}})"),
       422, "case_referral.facts[0].unit", "facts.catalogue"},
      {"deep nesting", post(R"({"case_id":")" + case_id + R"(","x":)" + std::string(30000, '[') + std::string(30000, ']') + "}"),
       400, "x[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]", "json.too_deep"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.reply.status, c.status) << c.name << ": " << c.reply.body;
    json error = c.reply.as_json();
    ASSERT_TRUE(error.contains("error")) << c.name << ": " << c.reply.body;
    EXPECT_EQ(error["error"]["field"], c.field) << c.name;
    EXPECT_EQ(error["error"]["rule"], c.rule) << c.name;
    EXPECT_FALSE(error["error"]["message"].get<std::string>().empty()) << c.name;
  }
  EXPECT_EQ(cases[11].reply.headers["Allow"], "POST");
  // One valid event of this case afterwards, so the read below has something to wait for.
  ASSERT_EQ(post(event_json(case_id)).status, 202u);
  EXPECT_EQ(records_of_case(bootstrap_, referral_, case_id, 1).size(), 1u);
}

TEST_F(IngressIntegration, RetryWithTheSameKeyPublishesOnce) {
  const std::string case_id = caselink::testing::unique_name("case");
  const std::string key = caselink::testing::unique_name("key");
  Reply first = post(event_json(case_id), kEnvToken, {{"Idempotency-Key", key}});
  ASSERT_EQ(first.status, 202u) << first.body;
  Reply retry = post(event_json(case_id), kEnvToken, {{"Idempotency-Key", key}});
  EXPECT_EQ(retry.status, 202u);
  EXPECT_EQ(retry.body, first.body);
  EXPECT_EQ(retry.headers["Idempotent-Replayed"], "true");
  Reply other_body = post(event_json(case_id, R"(,"causation_id":"x")"), kEnvToken, {{"Idempotency-Key", key}});
  EXPECT_EQ(other_body.status, 422u);
  EXPECT_EQ(other_body.as_json()["error"]["rule"], "idempotency.key_reuse");
  // Without the header, the caller's event_id is the key.
  const std::string event_id = "6f1c2a9e-8b3d-4e5f-a1b2-c3d4e5f60718";
  const std::string with_id = event_json(case_id, R"(,"event_id":")" + event_id + "\"");
  ASSERT_EQ(post(with_id).status, 202u);
  Reply again = post(with_id);
  EXPECT_EQ(again.status, 202u);
  EXPECT_EQ(again.headers["Idempotent-Replayed"], "true");

  auto records = records_of_case(bootstrap_, referral_, case_id, 2);
  EXPECT_EQ(records.size(), 2u);  // one per key, not one per request
}

TEST_F(IngressIntegration, BatchAnswersPerEventAndOnlyAfterTheBrokerDecided) {
  const std::string case_id = caselink::testing::unique_name("case");
  Reply all = post(R"({"events":[)" + event_json(case_id) + "," + event_json(case_id) + "]}");
  ASSERT_EQ(all.status, 202u) << all.body;
  json results = all.as_json()["results"];
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["status"], 202);
  EXPECT_EQ(results[1]["status"], 202);
  EXPECT_LT(results[0]["offset"].get<int64_t>(), results[1]["offset"].get<int64_t>());  // same case, same partition

  // The second event goes to a topic that does not exist: it fails, the first is stored.
  const std::string recommendation = R"({"case_id":")" + case_id +
                                     R"(","occurred_at":"2026-03-01T08:30:00Z","recommendation_replied":{}})";
  Reply mixed = post(R"({"events":[)" + event_json(case_id) + "," + recommendation + "]}");
  ASSERT_EQ(mixed.status, 207u) << mixed.body;
  json mixed_results = mixed.as_json()["results"];
  EXPECT_EQ(mixed_results[0]["status"], 202);
  EXPECT_EQ(mixed_results[1]["status"], 503);
  // The failed report and the answer deadline both come at message.timeout.ms: either rule.
  const std::string rule = mixed_results[1]["error"]["rule"];
  EXPECT_TRUE(rule == "publish.unavailable" || rule == "publish.timeout") << rule;
  EXPECT_EQ(records_of_case(bootstrap_, referral_, case_id, 3).size(), 3u);
}

TEST_F(IngressIntegration, BlobsAreStoredUnderTheirHash) {
  const std::string content = "scanned transfer letter " + caselink::testing::unique_name("blob");
  const std::string digest = crypto::sha256_hex(content);
  auto put = [&](const std::string& hash, const std::string& body) {
    return call(port_, http::verb::put, "/v1/blobs/" + hash, body, kEnvToken, "application/octet-stream");
  };
  Reply created = put(digest, content);
  EXPECT_EQ(created.status, 201u) << created.body;
  EXPECT_EQ(created.as_json()["sha256"], digest);
  EXPECT_EQ(put(digest, content).status, 200u);
  auto stored = evidence::read_all(*blobs_, *crypto::Sha256Digest::from_hex(digest));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, content);

  Reply mismatch = put(crypto::sha256_hex("other"), content);
  EXPECT_EQ(mismatch.status, 422u);
  EXPECT_EQ(mismatch.as_json()["error"]["field"], "sha256");
  EXPECT_EQ(mismatch.as_json()["error"]["rule"], "blob.digest_mismatch");
  EXPECT_NE(mismatch.body.find(digest), std::string::npos) << "names the body's real hash";
  Reply malformed = put("abc", content);
  EXPECT_EQ(malformed.status, 400u);
  EXPECT_EQ(malformed.as_json()["error"]["rule"], "blob.digest_format");
}

// Publishes a snapshot of `case_id` (version 7, REFERRED, referred by sthjj-330100) to the state
// topic as caselink-sync would, and polls until the ingress serves it to that agency (bounded, no
// timing claim). Returns the last answer.
Reply publish_referred_case(kafka::IdempotentProducer& producer, const std::string& state,
                            const Clock& clock, uint16_t port, const std::string& case_id) {
  auto env = envelope::make_envelope(CaseId(case_id), AgencyId("caselink-sync"), clock.now(), clock.now());
  auto* snapshot = env.mutable_case_state_snapshot();
  snapshot->set_case_id(case_id);
  snapshot->set_version(7);
  snapshot->set_state(caselink::v1::CASE_STATE_REFERRED);
  auto* party = snapshot->add_parties();
  party->set_party_id("sthjj-330100");
  party->set_role(caselink::v1::PARTY_ROLE_REFERRING_AGENCY);
  envelope::seal(env);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  // Run alone, this is the suite's first write to the state topic just created: the producer may
  // not have its metadata yet (a transient refusal): retried until stored or the deadline.
  auto sent = producer.send(envelope::to_record(env, state));
  while (!sent.ok() && std::chrono::steady_clock::now() < deadline) {
    sent = producer.send(envelope::to_record(env, state));
  }
  EXPECT_TRUE(sent.ok()) << sent.error().describe();
  Reply reply;
  do {
    reply = call(port, http::verb::get, "/v1/cases/" + case_id, "", kEnvToken, "");
    if (reply.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  return reply;
}

TEST_F(IngressIntegration, CaseStateIsServedToItsPartiesOnly) {
  const std::string case_id = caselink::testing::unique_name("case");
  Reply reply = publish_referred_case(*producer_, state_, clock_, port_, case_id);
  ASSERT_EQ(reply.status, 200u) << reply.body;
  json state = reply.as_json();
  EXPECT_EQ(state["case_id"], case_id);
  EXPECT_EQ(state["version"], "7");  // uint64 is a JSON string in the proto3 mapping
  EXPECT_EQ(state["state"], "CASE_STATE_REFERRED");

  Reply stranger = call(port_, http::verb::get, "/v1/cases/" + case_id, "", kTaxToken, "");
  EXPECT_EQ(stranger.status, 403u);
  EXPECT_EQ(stranger.as_json()["error"]["rule"], "case.not_a_party");
  EXPECT_EQ(call(port_, http::verb::get, "/v1/cases/no-such-case", "", kEnvToken, "").status, 404u);
}

// Issue 15 §2 with the real follower: once the ingress has read a case from the state topic,
// another agency's token may not close it, acknowledge its state as the referring agency, or
// refer it in that agency's name (403 naming the rule); the referring agency's own
// acknowledgement is accepted.
TEST_F(IngressIntegration, AnotherAgencysStepsInACaseAreRefusedNamingTheRule) {
  const std::string case_id = caselink::testing::unique_name("case");
  ASSERT_EQ(publish_referred_case(*producer_, state_, clock_, port_, case_id).status, 200u);
  const std::string head = R"({"case_id":")" + case_id + R"(","occurred_at":"2026-03-01T08:30:00Z",)";
  const std::string as_referrer = R"("state_acknowledged":{"party_id":"sthjj-330100","state_version":7}})";
  struct Forgery {
    std::string payload;
    std::string rule;
  };
  for (const Forgery& f : std::vector<Forgery>{
           {R"("case_closed":{}})", "authz.case_party"},
           {as_referrer, "authz.acknowledge_as_itself"},
           {R"("case_referral":{"referring_agency":{"organ_id":"sthjj-330100"}}})", "authz.referring_agency_as_itself"}}) {
    Reply r = post(head + f.payload, kTaxToken);
    EXPECT_EQ(r.status, 403u) << r.body;
    EXPECT_EQ(r.as_json()["error"]["rule"], f.rule) << r.body;
  }
  EXPECT_EQ(post(head + as_referrer, kEnvToken).status, 202u);
  EXPECT_EQ(call(port_, http::verb::get, "/v1/cases/" + case_id, "", kTaxToken, "").status, 403u);
}

// Issue 20 #8 over HTTP on the broker: a police system has a token too (kind police). Its
// acceptance is published to the decision topic in its name; a referral or a crime report from
// it is refused 403 auth.party_kind naming the type, and nothing of it reaches the referral topic.
TEST_F(IngressIntegration, APoliceTokenSendsDecisionsNotReferrals) {
  const std::string case_id = caselink::testing::unique_name("case");
  const std::string head = R"({"case_id":")" + case_id + R"(","occurred_at":"2026-03-01T08:30:00Z",)";
  for (const std::string payload : {R"("case_referral":{"target_police_organ":{"organ_id":"ga-330100"}}})",
                                    R"("suspected_crime_reported":{}})"}) {
    Reply refused = post(head + payload, kPoliceToken);
    EXPECT_EQ(refused.status, 403u) << refused.body;
    json error = refused.as_json()["error"];
    EXPECT_EQ(error["rule"], "auth.party_kind") << refused.body;
    EXPECT_EQ(error["field"], "event_type") << refused.body;
    EXPECT_NE(error["message"].get<std::string>().find("a police token (ga-330100) may not send"), std::string::npos)
        << refused.body;
  }
  Reply accepted = post(head + R"("referral_accepted":{"police_organ":{"organ_id":"ga-330100"}}})", kPoliceToken);
  ASSERT_EQ(accepted.status, 202u) << accepted.body;
  EXPECT_EQ(accepted.as_json()["topic"], decision_);
  auto decisions = records_of_case(bootstrap_, decision_, case_id, 1);
  ASSERT_EQ(decisions.size(), 1u);
  auto envelope = envelope::decode(*decisions[0].value);
  ASSERT_TRUE(envelope.ok()) << envelope.error().describe();
  EXPECT_EQ(envelope->producer_agency_id(), "ga-330100");
  EXPECT_TRUE(envelope->has_referral_accepted());
  // The agency's own report of the case afterwards is the only record of it on the referral topic.
  ASSERT_EQ(post(event_json(case_id)).status, 202u);
  auto referrals = records_of_case(bootstrap_, referral_, case_id, 1);
  ASSERT_EQ(referrals.size(), 1u) << "a refused police event was published";
  EXPECT_EQ(envelope::decode(*referrals[0].value)->producer_agency_id(), "sthjj-330100");
}

// Broker unavailable: a second server whose producer points at a loopback port where nothing
// listens. Stopping the broker instead would break the other integration tests that share it
// (ctest runs them serially against one broker that scripts/test.sh owns); for a queued record
// the two look the same to librdkafka: no connection, and the delivery report fails when
// message.timeout.ms expires. The answer must be 503 with Retry-After, never 2xx.
TEST_F(IngressIntegration, BrokerUnavailableAnswers503NeverAccepted) {
  IngressSettings settings = *settings_;
  settings.kafka.bootstrap = "127.0.0.1:1";
  settings.kafka.message_timeout_ms = 1500;
  auto producer = kafka::make_idempotent_producer(settings.kafka, "it-ingress-down");
  ASSERT_TRUE(producer.ok());
  kafka::IdempotentProducer& down = **producer;
  metrics::Registry registry;
  IngressServer server({settings, clock_, registry,
                        [&down](const OutgoingRecord& r, kafka::DeliveryCallback done) {
                          return down.send_async(r, std::move(done));
                        },
                        *blobs_, *cases_});
  auto port = server.start();
  ASSERT_TRUE(port.ok());
  // The delivery report (publish.unavailable) and the server's answer deadline
  // (publish.timeout), both at message.timeout.ms, race: either 503 is right.
  auto unavailable = [](const Reply& r) {
    const std::string rule = r.as_json()["error"]["rule"].get<std::string>();
    return r.status == 503u && !r.headers.at("Retry-After").empty() &&
           (rule == "publish.unavailable" || rule == "publish.timeout");
  };
  Reply reply = call(*port, http::verb::post, "/v1/events", event_json("down-case"), kEnvToken);
  EXPECT_TRUE(unavailable(reply)) << reply.status << " " << reply.body;
  // With a key: the 503 releases it (at once, or when a late report comes after a
  // publish.timeout: 409 until then), so the retry is published again and fails again here
  // — a new 503, not a replay of the first answer.
  auto post_keyed = [&] {
    return call(*port, http::verb::post, "/v1/events", event_json("down-case"), kEnvToken, "application/json",
                {{"Idempotency-Key", "k1"}});
  };
  Reply keyed = post_keyed();
  ASSERT_TRUE(unavailable(keyed)) << keyed.status << " " << keyed.body;
  Reply retry;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  do {
    retry = post_keyed();
  } while (retry.status == 409u && std::chrono::steady_clock::now() < deadline);
  EXPECT_TRUE(unavailable(retry)) << retry.status << " " << retry.body;
  EXPECT_EQ(retry.headers.count("Idempotent-Replayed"), 0u);
  EXPECT_NE(registry.render().find("caselink_ingress_idempotency_hits_total 0"), std::string::npos)
      << "nothing was answered from the idempotency memory";
  server.stop_accepting();
  (void)down.flush(std::chrono::seconds(3));
  server.stop();
}

// Rate limiting on a small server of its own (burst 2, almost no refill), so the shared one
// keeps its generous limits. GETs cost one token each.
TEST_F(IngressIntegration, OverTheRateLimitAnswers429WithRetryAfter) {
  IngressSettings settings = *settings_;
  settings.limits = {0.01, 2};
  settings.api.max_batch_events = 2;
  metrics::Registry registry;
  IngressServer server({settings, clock_, registry,
                        [](const OutgoingRecord& r, kafka::DeliveryCallback done) {
                          return producer_->send_async(r, std::move(done));
                        },
                        *blobs_, *cases_});
  auto port = server.start();
  ASSERT_TRUE(port.ok());
  EXPECT_EQ(call(*port, http::verb::get, "/v1/cases/x", "", kEnvToken, "").status, 404u);
  EXPECT_EQ(call(*port, http::verb::get, "/v1/cases/x", "", kEnvToken, "").status, 404u);
  Reply limited = call(*port, http::verb::get, "/v1/cases/x", "", kEnvToken, "");
  EXPECT_EQ(limited.status, 429u);
  EXPECT_FALSE(limited.headers["Retry-After"].empty());
  EXPECT_EQ(limited.as_json()["error"]["rule"], "limits.rate");
  // Another agency has its own bucket.
  EXPECT_EQ(call(*port, http::verb::get, "/v1/cases/x", "", kTaxToken, "").status, 404u);
  EXPECT_NE(registry.render().find("caselink_ingress_rejected_total{reason=\"limits.rate\"} 1"), std::string::npos);
  server.stop();
}

// A client that sends half a request and then nothing is disconnected by the server once
// api.header_timeout_ms passes (the assertion is on the disconnect, not on its timing).
TEST_F(IngressIntegration, HalfOpenClientIsDisconnected) {
  IngressSettings settings = *settings_;
  settings.api.header_timeout_ms = 300;
  // A raw socket writing half an HTTP request: plain HTTP on loopback (over HTTPS the same
  // deadline is tls_test.cc's TheHeaderDeadlineStillAppliesAfterTheHandshake).
  settings.api.tls.enabled = false;
  metrics::Registry registry;
  IngressServer server({settings, clock_, registry,
                        [](const OutgoingRecord& r, kafka::DeliveryCallback done) {
                          return producer_->send_async(r, std::move(done));
                        },
                        *blobs_, *cases_});
  auto port = server.start();
  ASSERT_TRUE(port.ok());
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), *port));
  const std::string partial = "POST /v1/events HTTP/1.1\r\nHost: x\r\n";
  net::write(stream.socket(), net::buffer(partial));
  char byte = 0;
  beast::error_code ec;
  stream.socket().non_blocking(false);
  // SO_RCVTIMEO as a safety net so a broken server fails the test instead of hanging it.
  struct timeval tv{30, 0};
  ::setsockopt(stream.socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const size_t n = stream.socket().read_some(net::buffer(&byte, 1), ec);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(ec, net::error::eof) << ec.message();
  // Beast closes the socket when the deadline passes, then runs the handler that counts it:
  // wait for the count (bounded) instead of reading it the instant the client saw EOF.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (registry.render().find("caselink_ingress_rejected_total{reason=\"http.header_timeout\"} 1") ==
             std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_NE(registry.render().find("caselink_ingress_rejected_total{reason=\"http.header_timeout\"} 1"),
            std::string::npos);
  server.stop();
}

}  // namespace
}  // namespace caselink::ingress
