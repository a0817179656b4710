#include "services/tools/ctl/conformance_run.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <map>
#include <set>

#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/routing.h"
#include "services/lib/envelope/topics.h"
#include "services/lib/kafka/factory.h"
#include "services/lib/kafka/producer.h"
#include "services/lib/kafka/topic_reader.h"

namespace caselink::ctl::conformance {

namespace v1 = caselink::v1;
using Clock = std::chrono::system_clock;

namespace {

// Ctrl-C or SIGTERM ends the run early: the adapters are stopped and what was seen is judged.
std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int /*signal*/) { g_interrupted.store(true); }

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The adapter commands: each its own process group, so one SIGTERM reaches what its shell started.
class Commands {
 public:
  ~Commands() { stop(); }
  Status start(const std::string& command) {
    const pid_t pid = fork();
    if (pid < 0) return Error::unavailable("cannot start the adapter command: fork failed");
    if (pid == 0) {
      setpgid(0, 0);
      dup2(STDERR_FILENO, STDOUT_FILENO);  // the kit's stdout is the report
      execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    setpgid(pid, pid);
    running_.emplace(pid, command);
    return Status{};
  }
  // Reaps the commands that ended; true when none is left.
  bool reap(std::vector<std::string>& notes) {
    for (auto it = running_.begin(); it != running_.end();) {
      int status = 0;
      if (waitpid(it->first, &status, WNOHANG) == it->first) {
        notes.push_back(describe(it->second, status));
        it = running_.erase(it);
      } else {
        ++it;
      }
    }
    return running_.empty();
  }
  // SIGTERM to every command still running (their process groups), then waits for them.
  void stop(std::vector<std::string>* notes = nullptr) {
    for (const auto& [pid, command] : running_) kill(-pid, SIGTERM);
    for (const auto& [pid, command] : running_) {
      int status = 0;
      waitpid(pid, &status, 0);
      if (notes != nullptr) notes->push_back(describe(command, status) + " (stopped at the time bound)");
    }
    running_.clear();
  }

 private:
  static std::string describe(const std::string& command, int status) {
    if (WIFEXITED(status)) return "adapter command exited " + std::to_string(WEXITSTATUS(status)) + ": " + command;
    return "adapter command ended by signal " + std::to_string(WTERMSIG(status)) + ": " + command;
  }
  std::map<pid_t, std::string> running_;
};

std::vector<std::string> watched_topics(const std::string& prefix) {
  std::vector<std::string> topics;
  for (const std::string& topic : envelope::event_topics()) topics.push_back(prefix + topic);
  return topics;
}

// The police's filing decision on the case, as caselink-feedback forwards it to the agency.
OutgoingRecord filing_decision(const RunOptions& options, const std::string& police, const std::string& topic) {
  const auto now = Clock::now();
  v1::Envelope e = envelope::make_envelope(CaseId(options.profile.case_id), AgencyId(police), now, now);
  v1::FilingDecision* d = e.mutable_filing_decision();
  d->set_outcome(v1::FILING_OUTCOME_FILED);
  d->mutable_police_organ()->set_organ_id(police);
  d->mutable_police_organ()->set_name("conformance kit (police)");
  d->mutable_police_organ()->set_kind(v1::ORGAN_KIND_POLICE);
  d->set_decision_document_number("conformance-" + e.event_id().substr(0, 8));
  envelope::seal(e);
  return envelope::to_record(e, topic);
}

// State of one run between polls.
struct Live {
  std::map<std::tuple<std::string, int32_t, int64_t>, int64_t> seen_ms;  // first read of each record
  std::set<std::string> types;
  std::set<std::string> acked;  // feedback event ids acknowledged
  std::string police;
  bool any = false;
};

void observe(const ConsumedRecord& record, const std::string& case_id, Live& live) {
  Observed o{record.topic, record.partition, record.offset, record.key, record.headers, record.value.value_or(""), 0};
  if (!belongs_to_case(o, case_id)) return;
  live.seen_ms.emplace(std::make_tuple(record.topic, record.partition, record.offset), now_ms());
  live.any = true;
  auto e = envelope::decode(o.value);
  if (!e.ok()) return;
  live.types.insert(e->event_type());
  if (e->has_feedback_acknowledged()) live.acked.insert(e->feedback_acknowledged().feedback_event_id());
  if (e->has_case_referral() && !e->case_referral().target_police_organ().organ_id().empty()) {
    live.police = e->case_referral().target_police_organ().organ_id();
  }
}

bool acks_settled(const RunResult& result, const Live& live, const Profile& profile) {
  if (result.sent.empty()) return true;
  for (const SentFeedback& f : result.sent) {
    if (live.acked.count(f.event_id) == 0 && now_ms() - f.sent_ms <= profile.ack_deadline.count()) return false;
  }
  return true;
}

bool expected_seen(const Profile& profile, const Live& live) {
  for (const std::string& type : profile.expected_types) {
    if (live.types.count("caselink.v1." + type) == 0) return false;
  }
  return true;
}

// Sends the filing decision twice (the second a redelivery: the same record, the same event id).
Status send_feedback(kafka::IdempotentProducer& producer, const RunOptions& options, const std::string& police,
                     RunResult& result, std::ostream& log) {
  const std::string topic = options.profile.topic_prefix +
                            envelope::feedback_topic_for(options.profile.agency_id, options.feedback_template);
  const OutgoingRecord record = filing_decision(options, police, topic);
  for (int copy = 0; copy < 2; ++copy) {
    auto sent = producer.send(record);
    if (!sent.ok()) return sent.error();
    result.sent.push_back({*find_header(record.headers, envelope::kCeId), "caselink.v1.FilingDecision", now_ms()});
    log << "conformance: sent " << (copy == 0 ? "a filing decision" : "the same filing decision again") << " to "
        << topic << "\n";
  }
  return Status{};
}

// Every record of the case written at or after `starts` (the watermarks when the run began): the
// judged set, read to the end once the adapter is done.
Result<std::vector<Observed>> read_case(const kafka::KafkaSettings& settings, const RunOptions& options,
                                        const std::map<kafka::TopicPartition, int64_t>& starts, int64_t began_ms,
                                        const Live& live) {
  kafka::TopicReaderOptions reader;
  reader.topics = watched_topics(options.profile.topic_prefix);
  // An hour of slack for the adapter's clock (CreateTime); the offsets below decide.
  reader.start = kafka::StartAt::time(began_ms - 3600000);
  reader.client_id = "caselinkctl-conformance";
  reader.fail_when_brokers_down = true;
  std::vector<Observed> out;
  Status read = kafka::read_topics_to_end(settings, reader, [&](const ConsumedRecord& r) {
    auto start = starts.find({r.topic, r.partition});
    if (start == starts.end() || r.offset < start->second) return;
    Observed o{r.topic, r.partition, r.offset, r.key, r.headers, r.value.value_or(""), r.timestamp_ms};
    if (!belongs_to_case(o, options.profile.case_id)) return;
    auto live_seen = live.seen_ms.find(std::make_tuple(r.topic, r.partition, r.offset));
    o.seen_ms = live_seen != live.seen_ms.end() ? live_seen->second : now_ms();
    out.push_back(std::move(o));
  });
  if (!read.ok()) return read.error();
  return out;
}

}  // namespace

std::string fill_placeholders(std::string command, const Profile& profile, const std::string& bootstrap) {
  command = replace_all(std::move(command), "{bootstrap}", bootstrap);
  command = replace_all(std::move(command), "{agency}", profile.agency_id);
  command = replace_all(std::move(command), "{case_id}", profile.case_id);
  return replace_all(std::move(command), "{topic_prefix}", profile.topic_prefix);
}

Result<RunResult> run(const kafka::KafkaSettings& settings, const RunOptions& options, std::ostream& log) {
  const int64_t began_ms = now_ms();
  kafka::TopicReaderOptions follow;
  follow.topics = watched_topics(options.profile.topic_prefix);
  follow.start = kafka::StartAt::end();
  follow.end = kafka::EndAt::kStableNow;
  follow.client_id = "caselinkctl-conformance";
  follow.fail_when_brokers_down = true;
  auto reader = kafka::TopicReader::open(settings, follow);
  if (!reader.ok()) return reader.error();
  auto producer = kafka::make_idempotent_producer(settings, "caselinkctl-conformance");
  if (!producer.ok()) return producer.error();
  RunResult result;
  Live live;
  Commands commands;
  for (const std::string& command : options.adapter_cmds) {
    const std::string filled = fill_placeholders(command, options.profile, settings.bootstrap);
    log << "conformance: starting " << filled << "\n";
    if (Status started = commands.start(filled); !started.ok()) return started.error();
  }
  const auto deadline = std::chrono::steady_clock::now() + options.time_bound;
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  bool commands_done = options.adapter_cmds.empty() ? false : commands.reap(result.notes);
  while (std::chrono::steady_clock::now() < deadline && !g_interrupted.load()) {
    Status polled = (*reader)->poll(std::chrono::milliseconds(200), [&](const ConsumedRecord& r) {
      observe(r, options.profile.case_id, live);
    });
    if (!polled.ok()) return polled.error();
    // Feedback topics are per agency: only an agency's adapter gets the police's decision.
    if (live.any && result.sent.empty() && options.profile.kind == authz::PartyKind::kAgency) {
      const std::string police = live.police.empty() ? options.police_organ : live.police;
      if (Status sent = send_feedback(**producer, options, police, result, log); !sent.ok()) return sent.error();
    }
    if (!options.adapter_cmds.empty()) commands_done = commands.reap(result.notes);
    const bool adapter_done = options.adapter_cmds.empty() ? expected_seen(options.profile, live) && live.any
                                                           : commands_done;
    if (adapter_done && acks_settled(result, live, options.profile)) break;
  }
  if (g_interrupted.load()) result.notes.push_back("interrupted: the run was cut short");
  commands.stop(&result.notes);
  auto seen = read_case(settings, options, (*reader)->end_offsets(), began_ms, live);
  if (!seen.ok()) return seen.error();
  result.seen = std::move(*seen);
  return result;
}

}  // namespace caselink::ctl::conformance
