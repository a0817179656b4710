#pragma once
// Keeps the read model current: one assign-only, read_committed kafka::TopicReader over every
// case topic and the DLQ, from the beginning, following after the end. Ready (for /readyz) once
// every partition was read to where it stood when the reader opened; the console's pages then
// show what the topics held at start-up and everything committed since.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "services/lib/kafka/settings.h"
#include "services/daemons/console/read_model.h"

namespace caselink::kafka {
class TopicReader;  // topic_reader.h; not included here: its TopicPartition clashes with record_handler.h's
}  // namespace caselink::kafka

namespace caselink::console {

// The topics the console reads (docs/services/console.md, "Consumes").
std::vector<std::string> console_topics();

class Follower {
 public:
  Follower(kafka::KafkaSettings kafka, std::string client_id, ReadModel& model);
  ~Follower();  // stop()
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  void start();
  void stop();
  [[nodiscard]] bool caught_up() const { return caught_up_.load(); }
  // Why it is not caught up; empty when it is.
  [[nodiscard]] std::string status() const;

 private:
  void run();
  std::unique_ptr<kafka::TopicReader> open_reader();
  void set_status(std::string status);

  kafka::KafkaSettings kafka_;
  std::string client_id_;
  ReadModel& model_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> caught_up_{false};
  mutable std::mutex status_mutex_;
  std::string status_ = "topics not read yet";
  std::thread thread_;
};

}  // namespace caselink::console
