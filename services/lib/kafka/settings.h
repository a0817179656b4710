#pragma once

// Typed Kafka settings shared by every service, and their validation.
//
// The settings that make exactly-once work (idempotence, acks, isolation level, manual
// commits, transactional id) are owned by caselink and cannot be overridden through
// `kafka.properties`: an attempt is rejected at start-up, naming the key.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "services/lib/config/config.h"
#include "services/lib/core/result.h"
#include "services/lib/envelope/topics.h"

namespace caselink::kafka {

// Every caselink producer partitions by the Java client's murmur2 hash of the key (case id),
// so one case lands on the same partition whichever client — C++ or Java — writes it.
inline constexpr const char* kCasePartitioner = "murmur2_random";

// How every client connects (kafka.security_*, kafka.sasl_*, kafka.ssl_*), applied by the client
// factory (factory.h) to every producer, consumer and admin handle. An empty value leaves
// librdkafka's default (plaintext, no SASL). deploy/local/kafka.sh --secure serves SASL_SSL with
// SCRAM-SHA-512; `kafka.sh client-config PRINCIPAL` prints a principal's credentials.
struct SecuritySettings {
  std::string protocol;           // plaintext | ssl | sasl_plaintext | sasl_ssl (librdkafka security.protocol)
  std::string sasl_mechanism;     // SCRAM-SHA-512 (default with sasl_*) | SCRAM-SHA-256 | PLAIN
  std::string sasl_username;
  std::string sasl_password;      // a secret: --print-config shows ***
  std::string ssl_ca_location;    // CA certificate (PEM) the broker certificates are checked against
  std::string ssl_certificate_location;  // client certificate (PEM), for mutual TLS
  std::string ssl_key_location;          // its private key (PEM)

  // The librdkafka properties these settings stand for, each with its config key.
  std::vector<std::pair<std::string, std::pair<std::string, std::string>>> properties() const;
};

struct KafkaSettings {
  // Broker list, host:port[,host:port].
  std::string bootstrap = "127.0.0.1:9092";
  // Extra librdkafka properties for every client (e.g. linger.ms, compression.type,
  // security settings). caselink-owned properties are rejected (see owned_properties()).
  std::map<std::string, std::string> properties;
  // librdkafka statistics interval; feeds consumer lag and broker-connected metrics.
  int64_t statistics_interval_ms = 1000;
  // Upper bound for one produce to be acknowledged (acks=all) before it counts as failed.
  int64_t message_timeout_ms = 30000;
  // Connection security (TLS, SASL) of every client.
  SecuritySettings security;
  // A principal's connection in one librdkafka properties file, as deploy/local/kafka.sh --secure
  // writes it (`kafka.sh client-config NAME`): so a service, tool or test is given a path, not a
  // password. Read when the settings are bound (load_client_config_file): security.protocol,
  // sasl.mechanism(s), sasl.username, sasl.password and ssl.{ca,certificate,key}.location fill
  // the typed security settings, other keys kafka.properties; bootstrap.servers in the file is
  // ignored (kafka.bootstrap names the brokers); a key also set another way is refused.
  std::string client_config_file;
  // The file client_config_file was read from (so reading is done once).
  std::string client_config_loaded;
};

struct LoopSettings {
  // Consumer group of the service; all instances of one service share it.
  std::string group_id;
  // Topics this service consumes.
  std::vector<std::string> input_topics;
  // Stable per instance: a restarted instance must reuse its id so that Kafka fences the
  // old incarnation and aborts its open transaction. Default: "<group_id>-<instance_id>".
  std::string transactional_id;
  // Distinguishes instances of one service (only used for the default transactional id).
  std::string instance_id = "0";
  // Static group membership (Kafka KIP-345, librdkafka group.instance.id): when set, an instance
  // restarted with the same id (after kill -9, an upgrade) gets its partitions back at once,
  // without waiting for the session timeout of its dead incarnation or a rebalance of the others.
  // The price: a static member does not leave the group when it stops, so partitions of an
  // instance that is stopped for good stand still until session.timeout.ms (45 s) has passed.
  // Unique per running instance: two live instances with one id fence each other; each replaces
  // its consumer, up to 5 times in 10 minutes, then one stops with an error naming this key.
  // Empty (default): dynamic membership.
  std::string group_instance_id;
  // Dead-letter topic for records that cannot be decoded, are invalid or unauthorized.
  std::string dlq_topic = envelope::topics::kDlq;
  // A transaction is committed after this many input records or this many milliseconds,
  // whichever comes first. Time sets the latency; the record count is only a bound on how much
  // one transaction holds (and an abort re-processes). It was 500 until 2026-12-05: at 17-50k
  // records/s that closed a transaction every 10-30 ms and halved the loop's throughput against
  // a Kafka Streams peer with the same 100 ms interval (docs/performance.md "Against Kafka
  // Streams").
  int64_t commit_every_records = 10000;
  // ... or once the outputs produced in it (keys and values) reach this many bytes: what a
  // transaction holds stays bounded when each input yields a large record (a case's snapshot can
  // be 768 KiB: 10,000 of them would be 7.5 GiB).
  int64_t commit_every_bytes = 64LL * 1024 * 1024;
  int64_t commit_every_ms = 100;
  // How long the broker lets a transaction stay open before it aborts it. It also bounds how long
  // the partitions of an instance killed with kill -9 stand still: the instance that takes them
  // over waits until the dead one's open transaction is aborted (a stateful service's restore
  // reads its changelog read_committed to the end; and while the transaction holds offsets of the
  // group, KIP-447's OffsetFetch answers UNSTABLE_OFFSET_COMMIT), at this timeout plus the
  // broker's scan for timed-out transactions (transaction.abort.timed.out.transaction.cleanup.
  // interval.ms: 10 s by default, 1 s in deploy/local/kafka.sh). 5 s with the 6 s session of
  // the loop's consumer: takeover within 10 s (docs/performance.md "Takeover after kill -9").
  // A transaction lasts loop.commit_every_ms plus its commit (milliseconds on a healthy broker),
  // so at least 3 s more than commit_every_ms is required. The loop's producer waits at most this
  // long for a produce (kafka.message_timeout_ms when lower): a record that cannot be delivered
  // within the transaction cannot commit with it. A transaction that does time out (a broker gone
  // for longer) is aborted by the broker; the loop then recreates its producer and rewinds.
  int64_t transaction_timeout_ms = 5000;
  // Partition assignment: "cooperative-sticky" (default; incremental rebalances) for
  // stateless services, "range" for stateful ones that keep per-case state across several
  // input topics: range gives one instance partition N of every subscribed topic (all case
  // topics have the same partition count and partitioner), so a case's events from all
  // topics meet in one place. cooperative-sticky does not promise that.
  std::string partition_assignment_strategy = "cooperative-sticky";
  // Where a group with no committed offset starts: earliest | latest.
  std::string auto_offset_reset = "earliest";
  // Back-off between attempts to reach the broker at start (doubles up to the max).
  // Also the back-off after transactions fail twice or more in a row (e.g. the DLQ topic is
  // missing), so a failure that repeats never becomes a tight abort-and-rewind loop.
  int64_t retry_backoff_ms = 500;
  int64_t retry_backoff_max_ms = 10000;
  // /readyz turns 503 when the loop has not come round for this long (blocked in a Kafka call
  // while the broker is gone, or restoring state), so readiness follows the broker even when
  // librdkafka's statistics cannot be served. Larger than the slowest single record.
  int64_t ready_stall_ms = 5000;
  // Read-ahead of the consumer, per input partition: librdkafka fetches while a partition's
  // local queue holds fewer records than this (queued.min.messages) and fewer KB than this
  // (queued.max.messages.kbytes). The defaults are librdkafka's: fastest catch-up, but a service
  // catching up on a backlog holds up to that much of it in memory. Stateful services with a
  // memory budget lower them (caselink-sync: sync::loop_defaults); docs/performance.md has the
  // trade measured.
  int64_t prefetch_messages = 100000;
  int64_t prefetch_kbytes = 65536;
  // With a bounded read-ahead: wake librdkafka's fetcher this often while records are handed out
  // (fetch_waker.h), or librdkafka 2.0.2 refills a partition queue that ran full only on its
  // broker thread's one-second idle wake-up. 0: never (librdkafka's read-ahead does not run dry).
  int64_t wake_fetcher_every_ms = 0;
};

// The least time a transaction must have left to commit after collecting for loop.commit_every_ms.
inline constexpr int64_t kTransactionCommitMarginMs = 3000;

// librdkafka properties caselink sets itself.
const std::vector<std::string>& owned_properties();

// Binds kafka.* keys.
void bind(config::ConfigBinder& binder, KafkaSettings* settings);
// Binds loop.* keys and registers their checks (needs the KafkaSettings for cross checks).
void bind(config::ConfigBinder& binder, LoopSettings* settings, const KafkaSettings* kafka);

// The broker list from the environment: CASELINK_KAFKA_BOOTSTRAP (the one name services, tools,
// tests and scripts use), else the deprecated aliases KAFKA_BOOTSTRAP and CASELINK_BOOTSTRAP
// (a warning on stderr names the new variable); nullopt when none is set.
std::optional<std::string> bootstrap_from_environment(const config::EnvLookup& env = config::process_environment());

// kafka.* from the environment alone (CASELINK_KAFKA_BOOTSTRAP, CASELINK_KAFKA_SECURITY_PROTOCOL,
// CASELINK_KAFKA_SASL_PASSWORD, …): for command-line tools and tests that have no config file,
// so they connect the way the services do.
Result<KafkaSettings> settings_from_environment(config::EnvLookup env = config::process_environment());

// Reads settings.client_config_file into settings (see there); does nothing when it is empty or
// was read already. Errors name kafka.client_config_file and never quote a value.
Status load_client_config_file(KafkaSettings& settings);

// How the clients of these settings connect, for the start-up log line: "plaintext", or e.g.
// "SASL_SSL as caselink-sync (SCRAM-SHA-512), CA /x/ca.crt, from /x/caselink-sync.properties".
// Never a password.
std::string describe_connection(const KafkaSettings& settings);

// Stand-alone checks (also run by the binder): every error names its key.
Status validate(const KafkaSettings& settings);
Status validate(const LoopSettings& settings, const KafkaSettings& kafka);

// message.timeout.ms of the loop's transactional producer: kafka.message_timeout_ms, capped at
// the transaction timeout (librdkafka refuses a larger one; such a produce could not commit).
int64_t loop_message_timeout_ms(const LoopSettings& loop, const KafkaSettings& kafka);

// The transactional id actually used.
std::string effective_transactional_id(const LoopSettings& settings);

}  // namespace caselink::kafka
