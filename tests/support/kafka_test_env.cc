#include "tests/support/kafka_test_env.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>

#include "services/lib/kafka/factory.h"

namespace caselink::testing {

// Every test client is made by the factory, like the services' (security from the environment).
kafka::KafkaSettings kafka_settings(const std::string& bootstrap) {
  auto settings = kafka::settings_from_environment();
  if (!settings.ok()) {
    throw std::runtime_error("the test's Kafka settings from the environment: " + settings.error().describe());
  }
  kafka::KafkaSettings out = *settings;
  out.bootstrap = bootstrap;
  return out;
}

std::string kafka_client_config_file() {
  const char* file = std::getenv("CASELINK_KAFKA_CLIENT_CONFIG_FILE");
  return file != nullptr ? file : "";
}

std::map<std::string, std::string> kafka_client_properties(const std::string& bootstrap) {
  std::map<std::string, std::string> out;
  for (const kafka::Property& p : kafka::client_properties(kafka_settings(bootstrap), {})) {
    if (p.key != "bootstrap.servers") out[p.key] = p.value;
  }
  return out;
}

namespace {

kafka::KafkaSettings settings_for(const std::string& bootstrap) { return kafka_settings(bootstrap); }

}  // namespace

std::optional<std::string> kafka_bootstrap() { return kafka::bootstrap_from_environment(); }

std::string unique_name(const std::string& prefix) {
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string suffix;
  for (int i = 0; i < 10; ++i) {
    suffix.push_back(kAlphabet[rng() % 36]);
  }
  return prefix + "." + suffix;
}

std::string build_path(const std::string& relative) {
  const char* dir = std::getenv("CASELINK_BUILD_DIR");
  return std::string(dir != nullptr ? dir : ".") + "/" + relative;
}

Status create_topics(const std::string& bootstrap, const std::vector<std::string>& topics, int partitions,
                     int replication_factor) {
  char err[512];
  auto admin = kafka::make_admin(settings_for(bootstrap), {});
  if (!admin.ok()) {
    return admin.error();
  }
  rd_kafka_t* rk = admin->get();
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  for (const auto& name : topics) {
    new_topics.push_back(rd_kafka_NewTopic_new(name.c_str(), partitions, replication_factor, err, sizeof(err)));
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, 30000, err, sizeof(err));
  rd_kafka_CreateTopics(rk, new_topics.data(), new_topics.size(), options, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 60000);
  Status status;
  if (event == nullptr) {
    status = Error::unavailable("CreateTopics timed out");
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = Error::unavailable(std::string("CreateTopics: ") + rd_kafka_event_error_string(event));
  } else {
    const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event);
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
    for (size_t i = 0; i < count; ++i) {
      const rd_kafka_resp_err_t code = rd_kafka_topic_result_error(results[i]);
      if (code != RD_KAFKA_RESP_ERR_NO_ERROR && code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        status = Error::unavailable(std::string("create ") + rd_kafka_topic_result_name(results[i]) + ": " +
                                    rd_kafka_err2str(code));
      }
    }
  }
  if (event != nullptr) {
    rd_kafka_event_destroy(event);
  }
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_queue_destroy(queue);
  for (auto* t : new_topics) {
    rd_kafka_NewTopic_destroy(t);
  }
  return status;
}

// Asked through a read_uncommitted handle: since librdkafka 1.7.1 a read_committed one answers
// the last stable offset instead of the high watermark.
std::map<int32_t, int64_t> end_offsets(const std::string& bootstrap, const std::string& topic, Isolation isolation) {
  std::map<int32_t, int64_t> ends;
  std::string err;
  auto made = kafka::make_offsets_handle(
      settings_for(bootstrap),
      {{"isolation.level", isolation == Isolation::kReadCommitted ? "read_committed" : "read_uncommitted"}});
  if (!made.ok()) return ends;
  std::unique_ptr<RdKafka::Consumer> handle = std::move(made).value();
  std::unique_ptr<RdKafka::Topic> topic_handle(RdKafka::Topic::create(handle.get(), topic, nullptr, err));
  RdKafka::Metadata* raw = nullptr;
  if (handle->metadata(false, topic_handle.get(), &raw, 10000) != RdKafka::ERR_NO_ERROR || raw == nullptr) return ends;
  std::unique_ptr<RdKafka::Metadata> md(raw);
  if (md->topics()->empty()) return ends;
  for (const auto* partition : *md->topics()->at(0)->partitions()) {
    int64_t low = 0;
    int64_t high = 0;
    if (handle->query_watermark_offsets(topic, partition->id(), &low, &high, 10000) == RdKafka::ERR_NO_ERROR &&
        high > low) {
      ends[partition->id()] = high;
    }
  }
  return ends;
}

std::vector<ConsumedRecord> read_topic(const std::string& bootstrap, const std::string& topic, Isolation isolation,
                                       size_t expected, std::chrono::milliseconds timeout,
                                       std::chrono::milliseconds idle) {
  auto made = kafka::make_consumer(
      settings_for(bootstrap),
      {{"group.id", unique_name("reader")},
       {"isolation.level", isolation == Isolation::kReadCommitted ? "read_committed" : "read_uncommitted"},
       {"auto.offset.reset", "earliest"},
       {"enable.auto.commit", "false"},
       {"enable.partition.eof", "true"}});
  if (!made.ok()) return {};
  std::unique_ptr<RdKafka::KafkaConsumer> consumer = std::move(made).value();
  // Idle alone is not "read everything": under read_committed the consumer stops at the last
  // stable offset, held back for up to transaction.timeout.ms by a killed producer's open
  // transaction (and briefly after every commit, until the markers are written). So with
  // expected == 0 the read also goes on until every partition has passed its high watermark of
  // now, i.e. every transaction open now has committed or aborted.
  std::map<int32_t, int64_t> not_passed = expected == 0 ? end_offsets(bootstrap, topic) : std::map<int32_t, int64_t>{};
  consumer->subscribe({topic});
  std::vector<ConsumedRecord> out;
  const auto start = std::chrono::steady_clock::now();
  auto last_record = start;
  while (std::chrono::steady_clock::now() - start < timeout) {
    if (expected > 0 && out.size() >= expected) {
      break;
    }
    if (expected == 0 && not_passed.empty() && std::chrono::steady_clock::now() - last_record > idle) {
      break;
    }
    std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
    if (m->err() == RdKafka::ERR__PARTITION_EOF) {
      // Reported again whenever the stable offset moves, also past commit markers alone.
      if (auto it = not_passed.find(m->partition()); it != not_passed.end() && m->offset() >= it->second) {
        not_passed.erase(it);
      }
      continue;
    }
    if (m->err() != RdKafka::ERR_NO_ERROR) {
      continue;
    }
    if (auto it = not_passed.find(m->partition()); it != not_passed.end() && m->offset() + 1 >= it->second) {
      not_passed.erase(it);
    }
    last_record = std::chrono::steady_clock::now();
    ConsumedRecord r;
    r.topic = m->topic_name();
    r.partition = m->partition();
    r.offset = m->offset();
    r.timestamp_ms = m->timestamp().timestamp;
    if (m->key_pointer() != nullptr) {
      r.key = std::string(static_cast<const char*>(m->key_pointer()), m->key_len());
    }
    if (m->payload() != nullptr) {
      r.value = std::string(static_cast<const char*>(m->payload()), m->len());
    }
    if (m->headers() != nullptr) {
      for (const auto& h : m->headers()->get_all()) {
        r.headers.emplace_back(h.key(), h.value() ? std::string(static_cast<const char*>(h.value()), h.value_size())
                                                  : std::string());
      }
    }
    out.push_back(std::move(r));
  }
  consumer->close();
  return out;
}

struct CommittedOffsetsView::Consumer {
  std::unique_ptr<RdKafka::KafkaConsumer> handle;
};

CommittedOffsetsView::CommittedOffsetsView(const std::string& bootstrap, const std::string& group)
    : consumer_(std::make_unique<Consumer>()) {
  // read_committed would ask for stable offsets only (KIP-447): while a killed producer's
  // transaction holds uncommitted offsets, the broker answers UNSTABLE_OFFSET_COMMIT until the
  // transaction times out. What a test wants is what is committed now, which this answers.
  auto made = kafka::make_consumer(settings_for(bootstrap),
                                   {{"group.id", group}, {"isolation.level", "read_uncommitted"}});
  if (!made.ok()) {
    throw std::runtime_error("committed offsets of " + group + ": " + made.error().describe());
  }
  consumer_->handle = std::move(made).value();
}

CommittedOffsetsView::~CommittedOffsetsView() { consumer_->handle->close(); }

std::vector<int64_t> CommittedOffsetsView::offsets(const std::string& topic, int partitions) {
  std::vector<RdKafka::TopicPartition*> tps;
  for (int p = 0; p < partitions; ++p) {
    tps.push_back(RdKafka::TopicPartition::create(topic, p));
  }
  for (int attempt = 0; attempt < 5 && consumer_->handle->committed(tps, 10000) != RdKafka::ERR_NO_ERROR; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // broker busy: ask again
  }
  std::vector<int64_t> out;
  for (auto* tp : tps) {
    out.push_back(tp->offset());
    delete tp;
  }
  return out;
}

int64_t CommittedOffsetsView::total(const std::string& topic, int partitions) {
  int64_t sum = 0;
  for (const int64_t offset : offsets(topic, partitions)) {
    sum += std::max<int64_t>(offset, 0);
  }
  return sum;
}

std::vector<int64_t> committed_offsets(const std::string& bootstrap, const std::string& group,
                                       const std::string& topic, int partitions) {
  try {
    return CommittedOffsetsView(bootstrap, group).offsets(topic, partitions);
  } catch (const std::runtime_error&) {
    return {};
  }
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(poll);
  }
  return true;
}

int64_t committed_total(const std::string& bootstrap, const std::string& group, const std::string& topic,
                        int partitions) {
  try {
    return CommittedOffsetsView(bootstrap, group).total(topic, partitions);
  } catch (const std::runtime_error&) {
    return 0;
  }
}

bool wait_caught_up(const std::string& bootstrap, const std::string& group, const std::vector<std::string>& topics,
                    std::chrono::milliseconds timeout) {
  std::map<std::string, std::map<int32_t, int64_t>> ends;
  for (const auto& topic : topics) {
    ends[topic] = end_offsets(bootstrap, topic);
  }
  return wait_until(
      [&] {
        for (const auto& [topic, partitions] : ends) {
          if (partitions.empty()) {
            continue;
          }
          const std::vector<int64_t> committed =
              committed_offsets(bootstrap, group, topic, partitions.rbegin()->first + 1);
          for (const auto& [partition, end] : partitions) {
            if (committed[static_cast<size_t>(partition)] < end) {
              return false;
            }
          }
        }
        return true;
      },
      timeout, std::chrono::milliseconds(300));
}

namespace {

GroupView to_view(const rd_kafka_ConsumerGroupDescription_t* description) {
  GroupView view;
  view.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(description));
  for (size_t i = 0; i < rd_kafka_ConsumerGroupDescription_member_count(description); ++i) {
    const rd_kafka_MemberDescription_t* m = rd_kafka_ConsumerGroupDescription_member(description, i);
    GroupMember member;
    const char* instance = rd_kafka_MemberDescription_group_instance_id(m);
    member.instance_id = instance != nullptr ? instance : "";
    member.client_id = rd_kafka_MemberDescription_client_id(m);
    const rd_kafka_topic_partition_list_t* assigned =
        rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(m));
    for (int p = 0; assigned != nullptr && p < assigned->cnt; ++p) {
      member.partitions.emplace_back(assigned->elems[p].topic, assigned->elems[p].partition);
    }
    view.members.push_back(std::move(member));
  }
  return view;
}

}  // namespace

std::optional<GroupView> describe_group(const std::string& bootstrap, const std::string& group) {
  auto admin = kafka::make_admin(settings_for(bootstrap), {});
  if (!admin.ok()) {
    return std::nullopt;
  }
  rd_kafka_t* rk = admin->get();
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  const char* groups[] = {group.c_str()};
  rd_kafka_DescribeConsumerGroups(rk, groups, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 15000);
  std::optional<GroupView> view;
  if (event != nullptr && rd_kafka_event_error(event) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    size_t count = 0;
    const rd_kafka_ConsumerGroupDescription_t** descriptions = rd_kafka_DescribeConsumerGroups_result_groups(
        rd_kafka_event_DescribeConsumerGroups_result(event), &count);
    if (count == 1 && rd_kafka_ConsumerGroupDescription_error(descriptions[0]) == nullptr) {
      view = to_view(descriptions[0]);
    }
  }
  if (event != nullptr) {
    rd_kafka_event_destroy(event);
  }
  rd_kafka_queue_destroy(queue);
  return view;
}

bool wait_group(const std::string& bootstrap, const std::string& group, size_t members, size_t partitions,
                std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        const auto view = describe_group(bootstrap, group);
        if (!view || view->state != "Stable" || view->members.size() != members) {
          return false;
        }
        size_t held = 0;
        for (const auto& m : view->members) {
          held += m.partitions.size();
        }
        return held == partitions;
      },
      timeout, std::chrono::milliseconds(500));
}

ChildProcess::ChildProcess(const std::string& program, const std::vector<std::string>& args,
                           const std::string& log_path) {
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    // A service reads CASELINK_KAFKA_BOOTSTRAP (overriding its config file); the tests' own
    // broker variable must not redirect a child that a test configured otherwise.
    unsetenv("CASELINK_KAFKA_BOOTSTRAP");
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) {
      argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (running()) {
    kill_hard();
  }
}

bool ChildProcess::running() {
  if (pid_ <= 0 || reaped_) {
    return false;
  }
  const pid_t r = waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    return false;
  }
  return true;
}

void ChildProcess::kill_hard() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
    reaped_ = true;
  }
}

int ChildProcess::terminate(std::chrono::milliseconds grace) {
  if (pid_ <= 0) {
    return -1;
  }
  if (!reaped_) {
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline && running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!reaped_) {
      kill_hard();
      return -1;
    }
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
}

}  // namespace caselink::testing
