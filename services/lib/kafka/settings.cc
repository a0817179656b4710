#include "services/lib/kafka/settings.h"

#include <algorithm>
#include <cctype>
#include <iostream>

#include "services/lib/kafka/properties_file.h"

namespace caselink::kafka {

const std::vector<std::string>& owned_properties() {
  static const std::vector<std::string> owned = {
      "bootstrap.servers", "metadata.broker.list", "enable.idempotence", "acks", "request.required.acks",
      "isolation.level",   "enable.auto.commit",   "transactional.id",  "group.id", "enable.auto.offset.store",
      "statistics.interval.ms", "message.timeout.ms", "transaction.timeout.ms", "partitioner",
  };
  return owned;
}

void bind(config::ConfigBinder& binder, KafkaSettings* s) {
  binder.bind("kafka.bootstrap", &s->bootstrap, "Broker list host:port[,host:port]");
  binder.bind("kafka.properties", &s->properties,
              "Extra librdkafka properties for every client (caselink-owned ones are rejected)");
  binder.bind("kafka.statistics_interval_ms", &s->statistics_interval_ms,
              "librdkafka statistics interval (lag and broker metrics), ms");
  binder.bind("kafka.message_timeout_ms", &s->message_timeout_ms,
              "How long a produce may wait for acks=all before it fails, ms");
  binder.bind("kafka.security_protocol", &s->security.protocol,
              "plaintext (default) | ssl | sasl_plaintext | sasl_ssl, for every Kafka client");
  binder.bind("kafka.sasl_mechanism", &s->security.sasl_mechanism,
              "SASL mechanism: SCRAM-SHA-512 (default with sasl_*) | SCRAM-SHA-256 | PLAIN");
  binder.bind("kafka.sasl_username", &s->security.sasl_username, "SASL user name (the service's principal)");
  binder.bind("kafka.sasl_password", &s->security.sasl_password, "SASL password (secret; prefer the environment)",
              config::Need::kOptional, config::Secrecy::kSecret);
  binder.bind("kafka.ssl_ca_location", &s->security.ssl_ca_location,
              "CA certificate (PEM) that broker certificates must chain to");
  binder.bind("kafka.ssl_certificate_location", &s->security.ssl_certificate_location,
              "Client certificate (PEM) for mutual TLS");
  binder.bind("kafka.ssl_key_location", &s->security.ssl_key_location, "Private key (PEM) of the client certificate");
  binder.bind("kafka.client_config_file", &s->client_config_file,
              "librdkafka properties file with the principal's connection (kafka.sh client-config NAME)");
  binder.check([s] {
    if (Status loaded = load_client_config_file(*s); !loaded.ok()) return loaded;
    return validate(*s);
  });
}

void bind(config::ConfigBinder& binder, LoopSettings* s, const KafkaSettings* kafka) {
  binder.bind("loop.group_id", &s->group_id, "Consumer group id (shared by all instances)");
  binder.bind("loop.input_topics", &s->input_topics, "Topics to consume");
  binder.bind("loop.transactional_id", &s->transactional_id,
              "Transactional id, stable per instance (default <group_id>-<instance_id>)");
  binder.bind("loop.instance_id", &s->instance_id, "Instance id within the group (default 0)");
  binder.bind("loop.group_instance_id", &s->group_instance_id,
              "Static group membership id, unique per running instance: a restart gets its partitions back "
              "at once (empty: dynamic membership)");
  binder.bind("loop.dlq_topic", &s->dlq_topic, "Dead-letter topic");
  binder.bind("loop.commit_every_records", &s->commit_every_records, "Commit after this many input records");
  binder.bind("loop.commit_every_ms", &s->commit_every_ms, "Commit after this many milliseconds");
  binder.bind("loop.commit_every_bytes", &s->commit_every_bytes,
              "Commit once the transaction's outputs (keys and values) reach this many bytes");
  binder.bind("loop.transaction_timeout_ms", &s->transaction_timeout_ms,
              "Kafka transaction timeout, ms; also bounds takeover after kill -9 (>= commit_every_ms + 3000)");
  binder.bind("loop.partition_assignment_strategy", &s->partition_assignment_strategy,
              "cooperative-sticky (stateless) | range (stateful: co-partitioned inputs)");
  binder.bind("loop.auto_offset_reset", &s->auto_offset_reset, "earliest | latest for a new group");
  binder.bind("loop.retry_backoff_ms", &s->retry_backoff_ms, "First back-off when the broker is unreachable, ms");
  binder.bind("loop.retry_backoff_max_ms", &s->retry_backoff_max_ms, "Largest back-off, ms");
  binder.bind("loop.ready_stall_ms", &s->ready_stall_ms,
              "/readyz answers 503 when the loop has not come round for this long, ms");
  binder.bind("loop.prefetch_messages", &s->prefetch_messages,
              "Records read ahead per input partition at most (librdkafka queued.min.messages)");
  binder.bind("loop.prefetch_kbytes", &s->prefetch_kbytes,
              "KB read ahead per input partition at most (librdkafka queued.max.messages.kbytes)");
  binder.bind("loop.wake_fetcher_every_ms", &s->wake_fetcher_every_ms,
              "With a bounded read-ahead: ask for the read partitions' offsets this often while records are "
              "handed out, which wakes librdkafka 2.0.2's fetcher (else a full queue is refilled up to 1 s later); 0: never");
  binder.check([s, kafka] { return validate(*s, *kafka); });
}

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

bool uses_sasl(const SecuritySettings& s) { return lower(s.protocol).rfind("sasl_", 0) == 0; }

Status validate(const SecuritySettings& s, const std::map<std::string, std::string>& properties) {
  const std::string protocol = lower(s.protocol);
  if (!protocol.empty() && protocol != "plaintext" && protocol != "ssl" && protocol != "sasl_plaintext" &&
      protocol != "sasl_ssl") {
    return Error::invalid("must be plaintext, ssl, sasl_plaintext or sasl_ssl", "kafka.security_protocol");
  }
  if (uses_sasl(s) && (s.sasl_username.empty() || s.sasl_password.empty())) {
    return Error::invalid("kafka.security_protocol=" + s.protocol + " needs kafka.sasl_username and kafka.sasl_password",
                          s.sasl_username.empty() ? "kafka.sasl_username" : "kafka.sasl_password");
  }
  if (!uses_sasl(s) && (!s.sasl_username.empty() || !s.sasl_password.empty() || !s.sasl_mechanism.empty())) {
    return Error::invalid("SASL credentials given but kafka.security_protocol is not sasl_plaintext or sasl_ssl",
                          "kafka.security_protocol");
  }
  // One source per librdkafka property: a typed setting and the same key in kafka.properties
  // would leave the reader guessing which one wins.
  for (const auto& [key, typed] : s.properties()) {
    if (properties.count(key) != 0) {
      return Error::invalid("'" + key + "' is also set by " + typed.first + "; set it in one place",
                            "kafka.properties." + key);
    }
  }
  return Status::success();
}

}  // namespace

std::vector<std::pair<std::string, std::pair<std::string, std::string>>> SecuritySettings::properties() const {
  std::vector<std::pair<std::string, std::pair<std::string, std::string>>> out;
  auto add = [&out](const char* property, const char* key, const std::string& value) {
    if (!value.empty()) out.push_back({property, {key, value}});
  };
  add("security.protocol", "kafka.security_protocol", protocol);
  if (uses_sasl(*this)) {
    add("sasl.mechanisms", "kafka.sasl_mechanism", sasl_mechanism.empty() ? "SCRAM-SHA-512" : sasl_mechanism);
  }
  add("sasl.username", "kafka.sasl_username", sasl_username);
  add("sasl.password", "kafka.sasl_password", sasl_password);
  add("ssl.ca.location", "kafka.ssl_ca_location", ssl_ca_location);
  add("ssl.certificate.location", "kafka.ssl_certificate_location", ssl_certificate_location);
  add("ssl.key.location", "kafka.ssl_key_location", ssl_key_location);
  return out;
}

std::optional<std::string> bootstrap_from_environment(const config::EnvLookup& env) {
  auto set = [&env](const char* name) -> std::optional<std::string> {
    auto value = env(name);
    return value && !value->empty() ? value : std::nullopt;
  };
  if (auto value = set("CASELINK_KAFKA_BOOTSTRAP")) return value;
  for (const char* alias : {"KAFKA_BOOTSTRAP", "CASELINK_BOOTSTRAP"}) {
    if (auto value = set(alias)) {
      std::cerr << "warning: " << alias << " is deprecated; set CASELINK_KAFKA_BOOTSTRAP instead\n";
      return value;
    }
  }
  return std::nullopt;
}

Result<KafkaSettings> settings_from_environment(config::EnvLookup env) {
  // The deprecated bootstrap aliases still work here (with a warning).
  const std::optional<std::string> bootstrap = bootstrap_from_environment(env);
  env = [inner = std::move(env), bootstrap](const std::string& name) -> std::optional<std::string> {
    return name == "CASELINK_KAFKA_BOOTSTRAP" ? bootstrap : inner(name);
  };
  auto binder = config::ConfigBinder::parse("{}", "environment", "CASELINK_", std::move(env));
  if (!binder.ok()) return binder.error();
  KafkaSettings settings;
  bind(*binder, &settings);
  if (Status st = binder->finish(); !st.ok()) return st.error();
  return settings;
}

namespace {

// The typed setting a librdkafka key of a client config file fills; null for other keys.
std::string* typed_field(SecuritySettings& s, const std::string& key) {
  if (key == "security.protocol") return &s.protocol;
  if (key == "sasl.mechanisms" || key == "sasl.mechanism") return &s.sasl_mechanism;
  if (key == "sasl.username") return &s.sasl_username;
  if (key == "sasl.password") return &s.sasl_password;
  if (key == "ssl.ca.location") return &s.ssl_ca_location;
  if (key == "ssl.certificate.location") return &s.ssl_certificate_location;
  if (key == "ssl.key.location") return &s.ssl_key_location;
  return nullptr;
}

}  // namespace

Status load_client_config_file(KafkaSettings& s) {
  if (s.client_config_file.empty() || s.client_config_loaded == s.client_config_file) {
    return Status::success();
  }
  const std::string key = "kafka.client_config_file";
  auto file = read_properties_file(s.client_config_file);
  if (!file.ok()) return Error::invalid(file.error().message, key);
  for (const auto& [property, value] : file.value()) {
    if (property == "bootstrap.servers" || property == "metadata.broker.list") continue;
    const std::string twice = "'" + property + "' in " + s.client_config_file + " is also set ";
    if (std::string* typed = typed_field(s.security, property)) {
      if (!typed->empty()) return Error::invalid(twice + "by its kafka.* key; set it in one place", key);
      *typed = value;
    } else if (!s.properties.emplace(property, value).second) {
      return Error::invalid(twice + "in kafka.properties; set it in one place", key);
    }
  }
  s.client_config_loaded = s.client_config_file;
  return Status::success();
}

std::string describe_connection(const KafkaSettings& s) {
  const SecuritySettings& sec = s.security;
  std::string out = sec.protocol.empty() ? "plaintext" : sec.protocol;
  if (uses_sasl(sec)) {
    out += " as " + sec.sasl_username + " (" + (sec.sasl_mechanism.empty() ? "SCRAM-SHA-512" : sec.sasl_mechanism) + ")";
  }
  if (!sec.ssl_ca_location.empty()) out += ", CA " + sec.ssl_ca_location;
  if (!sec.ssl_certificate_location.empty()) out += ", client certificate " + sec.ssl_certificate_location;
  if (!s.client_config_file.empty()) out += ", from " + s.client_config_file;
  return out;
}

Status validate(const KafkaSettings& s) {
  if (s.bootstrap.empty()) {
    return Error::invalid("must list at least one broker host:port", "kafka.bootstrap");
  }
  if (Status security = validate(s.security, s.properties); !security.ok()) {
    return security;
  }
  for (const auto& [key, value] : s.properties) {
    const auto& owned = owned_properties();
    if (std::find(owned.begin(), owned.end(), key) != owned.end()) {
      return Error::invalid("'" + key +
                                "' is set by caselink for exactly-once delivery and cannot be overridden; remove it",
                            "kafka.properties." + key);
    }
    // Set from typed loop settings; here they would be silently overwritten.
    if (key == "queued.min.messages" || key == "queued.max.messages.kbytes") {
      return Error::invalid(
          "set through loop." + std::string(key == "queued.min.messages" ? "prefetch_messages" : "prefetch_kbytes") +
              " instead",
          "kafka.properties." + key);
    }
    if (key == "group.instance.id") {
      return Error::invalid("set through loop.group_instance_id instead (one per running instance)",
                            "kafka.properties." + key);
    }
  }
  if (s.statistics_interval_ms < 0) {
    return Error::invalid("must be >= 0 (0 disables statistics)", "kafka.statistics_interval_ms");
  }
  if (s.message_timeout_ms < 1000) {
    return Error::invalid("must be at least 1000", "kafka.message_timeout_ms");
  }
  return Status::success();
}

Status validate(const LoopSettings& s, const KafkaSettings& /*kafka*/) {
  if (s.group_id.empty()) {
    return Error::invalid("must be set", "loop.group_id");
  }
  if (s.input_topics.empty()) {
    return Error::invalid("must list at least one topic", "loop.input_topics");
  }
  if (s.dlq_topic.empty()) {
    return Error::invalid("must be set", "loop.dlq_topic");
  }
  for (const auto& topic : s.input_topics) {
    if (topic == s.dlq_topic) {
      return Error::invalid("consuming the dead-letter topic '" + topic + "' would loop bad records forever",
                            "loop.input_topics");
    }
  }
  if (s.commit_every_records < 1) {
    return Error::invalid("must be at least 1", "loop.commit_every_records");
  }
  if (s.commit_every_bytes < 1) {
    return Error::invalid("must be at least 1", "loop.commit_every_bytes");
  }
  if (s.commit_every_ms < 1) {
    return Error::invalid("must be at least 1", "loop.commit_every_ms");
  }
  if (s.transaction_timeout_ms < s.commit_every_ms + kTransactionCommitMarginMs) {
    return Error::invalid("must be at least loop.commit_every_ms + " + std::to_string(kTransactionCommitMarginMs) +
                              " (" + std::to_string(s.commit_every_ms + kTransactionCommitMarginMs) +
                              "): a transaction that collects for commit_every_ms must have time left to commit",
                          "loop.transaction_timeout_ms");
  }
  if (s.partition_assignment_strategy != "cooperative-sticky" && s.partition_assignment_strategy != "range" &&
      s.partition_assignment_strategy != "roundrobin") {
    return Error::invalid("must be cooperative-sticky, range or roundrobin", "loop.partition_assignment_strategy");
  }
  if (s.group_instance_id.size() > 249 ||
      !std::all_of(s.group_instance_id.begin(), s.group_instance_id.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '.' || c == '_' || c == '-';
      })) {
    return Error::invalid("must be at most 249 characters of a-z, A-Z, 0-9, '.', '_' and '-'",
                          "loop.group_instance_id");
  }
  if (s.auto_offset_reset != "earliest" && s.auto_offset_reset != "latest") {
    return Error::invalid("must be 'earliest' or 'latest'", "loop.auto_offset_reset");
  }
  if (s.retry_backoff_ms < 1 || s.retry_backoff_max_ms < s.retry_backoff_ms) {
    return Error::invalid("must be >= 1 and <= loop.retry_backoff_max_ms", "loop.retry_backoff_ms");
  }
  if (s.ready_stall_ms < 100) {
    return Error::invalid("must be at least 100", "loop.ready_stall_ms");
  }
  // librdkafka's own ranges for queued.min.messages and queued.max.messages.kbytes.
  if (s.prefetch_messages < 1 || s.prefetch_messages > 10000000) {
    return Error::invalid("must be 1..10000000", "loop.prefetch_messages");
  }
  if (s.prefetch_kbytes < 1 || s.prefetch_kbytes > 2097151) {
    return Error::invalid("must be 1..2097151", "loop.prefetch_kbytes");
  }
  if (s.wake_fetcher_every_ms < 0 || s.wake_fetcher_every_ms > 10000) {
    return Error::invalid("must be 0..10000", "loop.wake_fetcher_every_ms");
  }
  return Status::success();
}

int64_t loop_message_timeout_ms(const LoopSettings& loop, const KafkaSettings& kafka) {
  return std::min(kafka.message_timeout_ms, loop.transaction_timeout_ms);
}

std::string effective_transactional_id(const LoopSettings& s) {
  return s.transactional_id.empty() ? s.group_id + "-" + s.instance_id : s.transactional_id;
}

}  // namespace caselink::kafka
