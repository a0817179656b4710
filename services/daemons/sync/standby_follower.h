#pragma once

// caselink-sync's standby replicas' Kafka side (standby.h has the fold): a thread that reads the
// followed state partitions as they are committed. Apart from kafka_edge.h because
// kafka::TopicReader's TopicPartition and the handler seam's differ.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "services/daemons/sync/standby.h"
#include "services/lib/kafka/settings.h"
#include "services/lib/metrics/registry.h"

namespace caselink::sync {

// Feeds StandbyReplicas (standby.h) on a thread of its own: a kafka::TopicReader (assign-only,
// read_committed, nothing committed) over the partitions the replicas follow, from their next
// offsets, kept open and polled; opened again whenever the followed set changes (rebalances).
// A broker that cannot be reached delays the replicas, never the loop: the handler then reads
// what they have not folded.
class StandbyFollower {
 public:
  // `read_ahead`: the loop's read-ahead bound (read_ahead_properties, kafka_edge.h), which the
  // follower's reader keeps too (librdkafka's own, 64 MB per partition, took two instances to
  // 344-363 MB peak in the takeover benchmark), with the reader's fetcher wake-ups, without
  // which it read ~5,000 state records/s instead of a restore's ~15,000-20,000.
  StandbyFollower(kafka::KafkaSettings kafka, std::string client_id, std::string state_topic,
                  StandbyReplicas& replicas, metrics::Registry* registry, std::string service,
                  std::map<std::string, std::string> read_ahead);
  ~StandbyFollower();
  StandbyFollower(const StandbyFollower&) = delete;
  StandbyFollower& operator=(const StandbyFollower&) = delete;

  void start();
  void stop();

 private:
  void run();
  // Reads the state topic's partition count into the replicas; false until it could.
  bool resolve_partitions();
  // Follows one plan until it changes or stop; false when the reader could not be opened.
  bool follow(const StandbyReplicas::Plan& plan);
  void publish(int64_t behind, size_t partitions);
  // The first time every followed partition was read to its end since the plan was opened.
  void log_caught_up(const StandbyReplicas::Plan& plan, std::chrono::steady_clock::time_point started) const;

  kafka::KafkaSettings kafka_;
  std::string client_id_;
  std::string topic_;
  std::map<std::string, std::string> read_ahead_;
  StandbyReplicas& replicas_;
  std::string service_;
  metrics::GaugeFamily* cases_gauge_ = nullptr;
  metrics::GaugeFamily* behind_gauge_ = nullptr;
  metrics::GaugeFamily* partitions_gauge_ = nullptr;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace caselink::sync
