#pragma once

// The one place where librdkafka clients are made (issue 12 §2). Every producer, consumer and
// admin handle of the repository — services, SDK, caselinkctl, the scenario, caselink-topics,
// benchmarks and test support — is built here from `KafkaSettings`, so the broker list, the
// user's `kafka.properties` and the connection security (TLS, SASL) are applied the same way
// to every client. Each function takes the role's own properties (which win over the user's;
// caselink-owned ones cannot be set by the user, see settings.h) and, where a role needs them,
// the librdkafka callbacks.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "services/lib/core/result.h"
#include "services/lib/kafka/producer.h"
#include "services/lib/kafka/settings.h"

namespace caselink::kafka {

using Properties = std::map<std::string, std::string>;

// librdkafka callbacks a client may install (not owned; must outlive the client). A client with
// an event callback also gets librdkafka's statistics every kafka.statistics_interval_ms (0 turns
// them off; a role may set statistics.interval.ms itself): the event callback is where they
// arrive (EVENT_STATS; parse them with statistics.h), and a client without one has nobody to
// read them.
struct Callbacks {
  RdKafka::EventCb* event = nullptr;
  RdKafka::DeliveryReportCb* delivery = nullptr;
  RdKafka::RebalanceCb* rebalance = nullptr;
};

// Every property a client gets, in the order they are set: caselink's defaults that the user
// may override (socket.nagle.disable=true), the user's kafka.properties, the
// broker list, the typed security settings, the statistics interval (when `statistics`: the
// client has an event callback), then the role's. Each with the config key that
// set it (for error messages that name the key, never the value of a secret).
struct Property {
  std::string key;
  std::string value;
  std::string origin;
};
std::vector<Property> client_properties(const KafkaSettings& settings, const Properties& role,
                                        bool statistics = false);

// A producer (idempotent or transactional: the role says which through its properties).
Result<std::unique_ptr<RdKafka::Producer>> make_producer(const KafkaSettings& settings, const Properties& role,
                                                         const Callbacks& callbacks = {});

// A high-level consumer (subscribe, or assign-only when the role commits nothing).
Result<std::unique_ptr<RdKafka::KafkaConsumer>> make_consumer(const KafkaSettings& settings, const Properties& role,
                                                              const Callbacks& callbacks = {});

// A simple (legacy) consumer handle: for offset queries (query_watermark_offsets) outside a
// group, e.g. the high watermarks a read_committed reader must not take from its own handle.
Result<std::unique_ptr<RdKafka::Consumer>> make_offsets_handle(const KafkaSettings& settings, const Properties& role);

// The idempotent producer with delivery confirmation (producer.h).
Result<std::unique_ptr<IdempotentProducer>> make_idempotent_producer(const KafkaSettings& settings,
                                                                     const std::string& client_id);

// A C API handle for the admin API (CreateTopics, DescribeConfigs, ACLs), which the C++ API
// does not offer. `opaque`, `log_cb` and `error_cb` are installed when non-null.
struct AdminHandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using AdminHandle = std::unique_ptr<rd_kafka_t, AdminHandleDeleter>;
struct AdminCallbacks {
  void* opaque = nullptr;
  void (*log)(const rd_kafka_t*, int, const char*, const char*) = nullptr;
  void (*error)(rd_kafka_t*, int, const char*, void*) = nullptr;
};
Result<AdminHandle> make_admin(const KafkaSettings& settings, const Properties& role,
                               const AdminCallbacks& callbacks = {});

// librdkafka's in-process mock cluster (one or more brokers) for unit tests without a broker.
// No judge of exactly-once: 2.0.2's mock lets a read_committed consumer see aborted records.
class MockCluster {
 public:
  explicit MockCluster(int brokers = 1);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  void create_topic(const std::string& name, int partitions);
  const std::string& bootstrap() const { return bootstrap_; }
  rd_kafka_mock_cluster_t* cluster() const { return cluster_; }

 private:
  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_;
};

}  // namespace caselink::kafka
