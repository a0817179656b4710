#pragma once

// The librdkafka admin client the admin module's adapters share (topic_admin.cc): creation
// with the caller's settings, admin options, waiting for one result, error translation.
// Internal header: only the adapters' .cc files include it (it pulls in librdkafka).

#include <librdkafka/rdkafka.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "services/lib/core/result.h"
#include "services/tools/topics/topic_admin.h"  // KafkaAdminConfig

namespace caselink::topics {

// ---- RAII for librdkafka C objects ----------------------------------------------------------

template <auto Destroy>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    if (p != nullptr) {
      Destroy(p);
    }
  }
};

using ConfPtr = std::unique_ptr<rd_kafka_conf_t, Deleter<&rd_kafka_conf_destroy>>;
using KafkaPtr = std::unique_ptr<rd_kafka_t, Deleter<&rd_kafka_destroy>>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, Deleter<&rd_kafka_queue_destroy>>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, Deleter<&rd_kafka_event_destroy>>;
using OptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, Deleter<&rd_kafka_AdminOptions_destroy>>;
using NewTopicPtr = std::unique_ptr<rd_kafka_NewTopic_t, Deleter<&rd_kafka_NewTopic_destroy>>;
using NewPartitionsPtr = std::unique_ptr<rd_kafka_NewPartitions_t, Deleter<&rd_kafka_NewPartitions_destroy>>;
using ConfigResourcePtr = std::unique_ptr<rd_kafka_ConfigResource_t, Deleter<&rd_kafka_ConfigResource_destroy>>;
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, Deleter<&rd_kafka_metadata_destroy>>;

constexpr std::size_t kErrstrSize = 512;

// Raw pointer views of owning vectors, for the librdkafka array arguments.
template <typename T, typename D>
std::vector<T*> raw(const std::vector<std::unique_ptr<T, D>>& owned) {
  std::vector<T*> out;
  out.reserve(owned.size());
  for (const auto& p : owned) {
    out.push_back(p.get());
  }
  return out;
}

// A failed request's Error, classified by kafka::request_error (the one librdkafka error
// classification): librdkafka's detail (or the code's text) and the code's name.
Error kafka_error(rd_kafka_resp_err_t err, const char* detail);

class AdminClient {
 public:
  explicit AdminClient(KafkaAdminConfig config) : config_(std::move(config)) {}
  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  // Creates the client (no connection yet). Settings from config.properties are applied after
  // caselink's own; a refused one is reported by key only (its value may be a secret).
  std::optional<Error> init();

  rd_kafka_t* rk() const { return rk_.get(); }
  rd_kafka_queue_t* queue() const { return queue_.get(); }
  const KafkaAdminConfig& config() const { return config_; }
  int timeout_ms() const { return static_cast<int>(config_.timeout.count()); }
  std::string last_error();

  Result<OptionsPtr> admin_options(rd_kafka_admin_op_t op, bool validate_only);
  // Waits for the result of the one admin request in flight on queue().
  Result<EventPtr> wait_for(rd_kafka_event_type_t type, const char* what);

  // One admin request over `items` (CreateTopics, CreatePartitions, AlterConfigs,
  // DescribeConfigs, CreateAcls, DeleteAcls: librdkafka's `send` functions share this shape):
  // options for `op`, send, then wait for its result event of `type`.
  template <typename T, typename D>
  Result<EventPtr> request(rd_kafka_admin_op_t op, bool validate_only, const std::vector<std::unique_ptr<T, D>>& items,
                           void (*send)(rd_kafka_t*, T**, std::size_t, const rd_kafka_AdminOptions_t*,
                                        rd_kafka_queue_t*),
                           rd_kafka_event_type_t type, const char* what) {
    Result<OptionsPtr> options = admin_options(op, validate_only);
    if (!options) {
      return options.error();
    }
    auto ptrs = raw(items);
    send(rk_.get(), ptrs.data(), ptrs.size(), options.value().get(), queue_.get());
    return wait_for(type, what);
  }

 private:
  static void on_log(const rd_kafka_t* rk, int level, const char* fac, const char* buf);
  static void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque);

  // Destroyed in reverse order: the queue, then the client (whose threads may still call
  // on_log/on_error while it shuts down), then what those callbacks use.
  KafkaAdminConfig config_;
  std::mutex mu_;
  std::string last_error_;
  KafkaPtr rk_;
  QueuePtr queue_;
};

// An adapter over AdminClient (KafkaTopicCluster, KafkaAclCluster) with its client made: the
// settings that can be checked without a broker are checked first.
template <typename Interface, typename Adapter>
Result<std::unique_ptr<Interface>> make_cluster(const KafkaAdminConfig& config) {
  if (config.bootstrap.empty()) {
    return Error{ErrorCode::kInvalid, "--bootstrap is empty: pass host:port of a broker, e.g. 127.0.0.1:9092"};
  }
  if (config.timeout.count() <= 0 || config.timeout.count() > 3600000) {
    return Error{ErrorCode::kInvalid, "--timeout-ms must be between 1 and 3600000"};
  }
  auto cluster = std::make_unique<Adapter>(config);
  if (std::optional<Error> error = cluster->init()) {
    return *error;
  }
  return std::unique_ptr<Interface>(std::move(cluster));
}

}  // namespace caselink::topics
