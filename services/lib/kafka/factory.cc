#include "services/lib/kafka/factory.h"

#include <librdkafka/rdkafka_mock.h>

#include <array>

namespace caselink::kafka {

namespace {

// librdkafka's refusal, naming the config key. A secret's value is never repeated (librdkafka's
// text may quote it).
Error refused(const Property& p, const std::string& why) {
  if (config::is_secret_entry(p.key)) {
    return Error::invalid("librdkafka refused the setting '" + p.key + "'", p.origin);
  }
  return Error::invalid("librdkafka refused " + p.key + "=" + p.value + ": " + why, p.origin);
}

Result<std::unique_ptr<RdKafka::Conf>> conf_for(const KafkaSettings& settings, const Properties& role,
                                                const Callbacks& callbacks) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const Property& p : client_properties(settings, role, callbacks.event != nullptr)) {
    if (conf->set(p.key, p.value, err) != RdKafka::Conf::CONF_OK) return refused(p, err);
  }
  if ((callbacks.event != nullptr && conf->set("event_cb", callbacks.event, err) != RdKafka::Conf::CONF_OK) ||
      (callbacks.delivery != nullptr && conf->set("dr_cb", callbacks.delivery, err) != RdKafka::Conf::CONF_OK) ||
      (callbacks.rebalance != nullptr && conf->set("rebalance_cb", callbacks.rebalance, err) != RdKafka::Conf::CONF_OK)) {
    return Error::internal("cannot install a librdkafka callback: " + err);
  }
  return conf;
}

}  // namespace

std::vector<Property> client_properties(const KafkaSettings& settings, const Properties& role, bool statistics) {
  std::vector<Property> out;
  // TCP_NODELAY, as Kafka's Java clients and its brokers always set it. librdkafka leaves Nagle's
  // algorithm on, and over TLS that held back the last segment of each request until the peer's
  // delayed ACK: the loop ran at 0.60-0.85 of plaintext on the secured broker, at 0.96-1.00 with
  // it off, plaintext unchanged (docs/performance.md "The secured broker on the shared loop").
  // kafka.properties may still set it, after this.
  out.push_back({"socket.nagle.disable", "true", "caselink default (kafka.properties.socket.nagle.disable)"});
  for (const auto& [key, value] : settings.properties) out.push_back({key, value, "kafka.properties." + key});
  out.push_back({"bootstrap.servers", settings.bootstrap, "kafka.bootstrap"});
  for (const auto& [property, typed] : settings.security.properties()) {
    out.push_back({property, typed.second, typed.first});
  }
  if (statistics) {
    out.push_back({"statistics.interval.ms", std::to_string(settings.statistics_interval_ms),
                   "kafka.statistics_interval_ms"});
  }
  for (const auto& [key, value] : role) out.push_back({key, value, key});
  return out;
}

Result<std::unique_ptr<RdKafka::Conf>> make_conf(const KafkaSettings& settings, const Properties& role) {
  return conf_for(settings, role, {});
}

Result<std::unique_ptr<RdKafka::Producer>> make_producer(const KafkaSettings& settings, const Properties& role,
                                                         const Callbacks& callbacks) {
  auto conf = conf_for(settings, role, callbacks);
  if (!conf.ok()) return conf.error();
  std::string err;
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf->get(), err));
  if (!producer) return Error::invalid("cannot create producer: " + err);
  return producer;
}

Result<std::unique_ptr<RdKafka::KafkaConsumer>> make_consumer(const KafkaSettings& settings, const Properties& role,
                                                              const Callbacks& callbacks) {
  auto conf = conf_for(settings, role, callbacks);
  if (!conf.ok()) return conf.error();
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (!consumer) return Error::invalid("cannot create consumer: " + err);
  return consumer;
}

Result<std::unique_ptr<RdKafka::Consumer>> make_offsets_handle(const KafkaSettings& settings, const Properties& role) {
  auto conf = conf_for(settings, role, {});
  if (!conf.ok()) return conf.error();
  std::string err;
  std::unique_ptr<RdKafka::Consumer> handle(RdKafka::Consumer::create(conf->get(), err));
  if (!handle) return Error::invalid("cannot create consumer: " + err);
  return handle;
}

Result<std::unique_ptr<IdempotentProducer>> make_idempotent_producer(const KafkaSettings& settings,
                                                                     const std::string& client_id) {
  return IdempotentProducer::create(settings, client_id);
}

Result<AdminHandle> make_admin(const KafkaSettings& settings, const Properties& role,
                               const AdminCallbacks& callbacks) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, 512> err{};
  for (const Property& p : client_properties(settings, role)) {
    if (rd_kafka_conf_set(conf, p.key.c_str(), p.value.c_str(), err.data(), err.size()) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return refused(p, err.data());
    }
  }
  if (callbacks.opaque != nullptr) rd_kafka_conf_set_opaque(conf, callbacks.opaque);
  if (callbacks.log != nullptr) rd_kafka_conf_set_log_cb(conf, callbacks.log);
  if (callbacks.error != nullptr) rd_kafka_conf_set_error_cb(conf, callbacks.error);
  // rd_kafka_new takes ownership of conf only on success.
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err.data(), err.size());
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Error::internal(std::string("cannot create the Kafka client: ") + err.data());
  }
  return AdminHandle(rk);
}

MockCluster::MockCluster(int brokers) {
  std::array<char, 256> err{};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", err.data(), err.size());
  handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err.data(), err.size());
  cluster_ = rd_kafka_mock_cluster_new(handle_, brokers);
  bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
}

MockCluster::~MockCluster() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(handle_);
}

void MockCluster::create_topic(const std::string& name, int partitions) {
  rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, 1);
}

}  // namespace caselink::kafka
