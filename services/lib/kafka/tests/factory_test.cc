// The client factory: every client gets the user's properties, the broker list and the typed
// connection security; settings are bound from YAML and the environment, the password masked.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>
#include <map>

#include "services/lib/kafka/client.h"
#include "services/lib/kafka/factory.h"
#include "services/lib/kafka/statistics.h"

namespace caselink::kafka {
namespace {

std::optional<std::string> no_env(const std::string&) { return std::nullopt; }

Result<config::ConfigBinder> bound(const std::string& yaml, KafkaSettings* kafka, config::EnvLookup env = no_env) {
  auto binder = config::ConfigBinder::parse(yaml, "svc.yaml", "CASELINK_", std::move(env));
  if (!binder.ok()) return binder.error();
  bind(*binder, kafka);
  if (Status st = binder->finish(); !st.ok()) return st.error();
  return binder;
}

std::string value_of(const std::vector<Property>& props, const std::string& key) {
  auto it = std::find_if(props.begin(), props.end(), [&](const Property& p) { return p.key == key; });
  return it == props.end() ? "<unset>" : it->value;
}

TEST(ClientFactory, PlaintextByDefault) {
  KafkaSettings kafka;
  ASSERT_TRUE(bound("kafka: {bootstrap: '127.0.0.1:19092'}", &kafka).ok());
  const auto props = client_properties(kafka, {{"client.id", "t"}});
  EXPECT_EQ(value_of(props, "security.protocol"), "<unset>");
  EXPECT_EQ(value_of(props, "sasl.username"), "<unset>");
  EXPECT_EQ(value_of(props, "bootstrap.servers"), "127.0.0.1:19092");
}

TEST(ClientFactory, SecuritySettingsFromYamlAndEnvironmentReachEveryClient) {
  KafkaSettings kafka;
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "CASELINK_KAFKA_SASL_PASSWORD") return std::string("s3cret-from-env");
    return std::nullopt;
  };
  auto binder = bound(
      "kafka: {bootstrap: 'b:1', security_protocol: SASL_SSL, sasl_username: caselink-sync, "
      "ssl_ca_location: /run/ca.crt}",
      &kafka, env);
  ASSERT_TRUE(binder.ok()) << binder.error().message;
  const auto props = client_properties(kafka, {{"client.id", "t"}});
  EXPECT_EQ(value_of(props, "security.protocol"), "SASL_SSL");
  EXPECT_EQ(value_of(props, "sasl.mechanisms"), "SCRAM-SHA-512");
  EXPECT_EQ(value_of(props, "sasl.username"), "caselink-sync");
  EXPECT_EQ(value_of(props, "sasl.password"), "s3cret-from-env");
  EXPECT_EQ(value_of(props, "ssl.ca.location"), "/run/ca.crt");
  // --print-config masks the password.
  const std::string shown = binder->describe();
  EXPECT_EQ(shown.find("s3cret-from-env"), std::string::npos) << shown;
  EXPECT_NE(shown.find("kafka.sasl_password"), std::string::npos);
  // Every kind of client gets them: each loads the (here missing) CA file at creation.
  auto producer = make_producer(kafka, {{"client.id", "t"}, {"log_level", "0"}});
  ASSERT_FALSE(producer.ok());
  EXPECT_NE(producer.error().message.find("ssl.ca.location"), std::string::npos) << producer.error().message;
  auto consumer = make_consumer(kafka, {{"client.id", "t"}, {"group.id", "g"}, {"log_level", "0"}});
  ASSERT_FALSE(consumer.ok());
  EXPECT_NE(consumer.error().message.find("ssl.ca.location"), std::string::npos) << consumer.error().message;
  auto admin = make_admin(kafka, {{"client.id", "t"}, {"log_level", "0"}});
  ASSERT_FALSE(admin.ok());
  EXPECT_NE(admin.error().message.find("ssl.ca.location"), std::string::npos) << admin.error().message;
  auto handle = make_offsets_handle(kafka, {{"client.id", "t"}, {"log_level", "0"}});
  ASSERT_FALSE(handle.ok());
}

TEST(ClientFactory, SaslNeedsCredentialsAndOneSourcePerProperty) {
  KafkaSettings kafka;
  auto missing = bound("kafka: {security_protocol: sasl_ssl, sasl_username: u}", &kafka);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("kafka.sasl_password"), std::string::npos) << missing.error().message;

  KafkaSettings twice;
  auto both = bound("kafka: {security_protocol: ssl, properties: {security.protocol: ssl}}", &twice);
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message.find("kafka.properties.security.protocol"), std::string::npos);

  KafkaSettings unknown;
  auto bad = bound("kafka: {security_protocol: tls}", &unknown);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("kafka.security_protocol"), std::string::npos);
}

TEST(ClientFactory, RefusedSecretIsNotRepeated) {
  KafkaSettings kafka;
  kafka.properties = {{"unknown.password", "do-not-print-me"}};  // librdkafka refuses the key
  auto producer = make_producer(kafka, {});
  ASSERT_FALSE(producer.ok());
  EXPECT_EQ(producer.error().message.find("do-not-print-me"), std::string::npos);
}

TEST(ClientFactory, OneBootstrapVariableWithDeprecatedAliases) {
  auto env_of = [](std::map<std::string, std::string> vars) {
    return [vars](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
  };
  EXPECT_EQ(bootstrap_from_environment(env_of({{"CASELINK_KAFKA_BOOTSTRAP", "a:1"}, {"KAFKA_BOOTSTRAP", "b:2"}})),
            "a:1");
  EXPECT_EQ(bootstrap_from_environment(env_of({{"KAFKA_BOOTSTRAP", "b:2"}})), "b:2");
  EXPECT_EQ(bootstrap_from_environment(env_of({{"CASELINK_BOOTSTRAP", "c:3"}})), "c:3");
  EXPECT_EQ(bootstrap_from_environment(env_of({})), std::nullopt);
  auto settings = settings_from_environment(env_of({{"KAFKA_BOOTSTRAP", "b:2"}}));
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings->bootstrap, "b:2");
}

TEST(ClientFactory, MockClusterServesFactoryClients) {
  MockCluster cluster;
  cluster.create_topic("t.v1", 2);
  KafkaSettings kafka;
  kafka.bootstrap = cluster.bootstrap();
  auto producer = make_idempotent_producer(kafka, "factory-test");
  ASSERT_TRUE(producer.ok()) << producer.error().message;
  auto delivered = (*producer)->send({"t.v1", "k", std::string("v"), {}});
  EXPECT_TRUE(delivered.ok()) << delivered.error().message;
}

// The idempotent producer keeps its latest statistics for the ingress's /metrics.
TEST(ClientFactory, IdempotentProducerKeepsItsLatestStatistics) {
  MockCluster cluster;
  KafkaSettings kafka;
  kafka.bootstrap = cluster.bootstrap();
  kafka.statistics_interval_ms = 100;
  auto producer = make_idempotent_producer(kafka, "stats-test");
  ASSERT_TRUE(producer.ok()) << producer.error().message;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::optional<ClientStatistics> stats;
  while ((!stats || !stats->any_broker_up()) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // its own thread polls; we only look
    stats = (*producer)->statistics();
  }
  ASSERT_TRUE(stats.has_value()) << "no statistics within 20 s";
  EXPECT_EQ(stats->type, "producer");
  EXPECT_TRUE((*producer)->broker_connected());
}

// Nagle's algorithm is off by default (it cost the secured broker a quarter of the loop's
// throughput); kafka.properties can still turn it back on, since it is set after the default.
TEST(ClientFactory, NagleIsOffByDefaultAndKafkaPropertiesMayOverrideIt) {
  KafkaSettings kafka;
  EXPECT_EQ(value_of(client_properties(kafka, {}), "socket.nagle.disable"), "true");
  kafka.properties["socket.nagle.disable"] = "false";
  const auto props = client_properties(kafka, {});
  auto last = std::find_if(props.rbegin(), props.rend(), [](const Property& p) { return p.key == "socket.nagle.disable"; });
  ASSERT_NE(last, props.rend());
  EXPECT_EQ(last->value, "false");
  EXPECT_EQ(last->origin, "kafka.properties.socket.nagle.disable");
  auto conf = make_conf(kafka, {});
  ASSERT_TRUE(conf.ok()) << conf.error().describe();
  std::string value;
  ASSERT_EQ((*conf)->get("socket.nagle.disable", value), RdKafka::Conf::CONF_OK);
  EXPECT_EQ(value, "false");
}

// A client with an event callback gets statistics at kafka.statistics_interval_ms (the role may
// override it); one without gets none.
TEST(ClientFactory, StatisticsIntervalFollowsTheEventCallback) {
  KafkaSettings kafka;
  kafka.statistics_interval_ms = 2500;
  EXPECT_EQ(value_of(client_properties(kafka, {}), "statistics.interval.ms"), "<unset>");
  EXPECT_EQ(value_of(client_properties(kafka, {}, true), "statistics.interval.ms"), "2500");
  const auto overridden = client_properties(kafka, {{"statistics.interval.ms", "0"}}, true);
  EXPECT_EQ(overridden.back().value, "0");  // set last: the role's wins
}

class StatsCollector : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override {
    if (event.type() != RdKafka::Event::EVENT_STATS) return;
    if (auto stats = parse_statistics(event.str()); stats.ok()) last = *stats;
  }
  std::optional<ClientStatistics> last;
};

TEST(ClientFactory, EventCallbackReceivesParsableStatistics) {
  MockCluster cluster;
  KafkaSettings kafka;
  kafka.bootstrap = cluster.bootstrap();
  kafka.statistics_interval_ms = 100;
  StatsCollector collector;
  auto producer = make_producer(kafka, {{"client.id", "stats-test"}}, {.event = &collector});
  ASSERT_TRUE(producer.ok()) << producer.error().message;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((!collector.last || !collector.last->any_broker_up()) && std::chrono::steady_clock::now() < deadline) {
    (*producer)->poll(100);
  }
  ASSERT_TRUE(collector.last.has_value()) << "no statistics within 20 s";
  EXPECT_EQ(collector.last->type, "producer");
  EXPECT_TRUE(collector.last->any_broker_up());
}

}  // namespace
}  // namespace caselink::kafka
