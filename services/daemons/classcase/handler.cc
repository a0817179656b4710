#include "services/daemons/classcase/handler.h"

#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/decode.h"
#include "services/lib/logging/logging.h"

namespace caselink::classcase {

namespace {

std::shared_ptr<spdlog::logger> log() { return logging::get("classcase.handler"); }

}  // namespace

void bind(config::ConfigBinder& b, Settings* s) {
  b.bind("classcase.models_file", &s->models_file, "Class-case supervision models (rules/classcase/models.yaml)");
  b.bind("classcase.organs_file", &s->organs_file,
         "Organ registry: the procuratorate competent for a recommendation's recipient");
  b.bind("classcase.facts_topic", &s->facts_topic, "Repartition topic: qualifying facts keyed by group (written and read)");
  b.bind("classcase.state_topic", &s->state_topic,
         "Compacted per-group state (written, restored from); same partition count as the facts topic");
  b.bind("classcase.classcase_topic", &s->classcase_topic, "Topic for ClassCaseOpened and ClassCaseMemberJoined");
  b.bind("classcase.recommendation_topic", &s->recommendation_topic, "Topic for the RecommendationIssued a model opens");
  b.bind("classcase.restore_timeout_ms", &s->restore_timeout_ms, "Upper bound for restoring partitions of the state topic");
  b.check([s]() -> Status {
    if (s->restore_timeout_ms < 1000) return Error::invalid("must be >= 1000 (1 second)", "classcase.restore_timeout_ms");
    if (s->facts_topic == s->state_topic) {
      return Error::invalid("must differ from classcase.facts_topic", "classcase.state_topic");
    }
    return Status::success();
  });
}

ClassCaseHandler::ClassCaseHandler(const Extractor& extractor, Settings settings, const Clock& clock,
                                   kafka::ChangelogReader* reader, metrics::Registry* registry)
    : extractor_(extractor), settings_(std::move(settings)), clock_(clock), reader_(reader) {
  if (registry != nullptr) {
    events_total_ = &registry->counter("caselink_classcase_events_total",
                                       "Records handled by caselink-classcase, by outcome.", {"outcome"});
    opened_total_ = &registry->counter("caselink_classcase_opened_total", "Class cases opened, by model.", {"model"});
    groups_gauge_ = &registry->gauge("caselink_classcase_groups", "Groups (model, group, window) held in memory.");
  }
}

void ClassCaseHandler::count(const std::string& outcome, uint64_t n) {
  if (events_total_ != nullptr && n > 0) events_total_->labels({outcome}).inc(n);
}

kafka::HandlerResult ClassCaseHandler::handle(const ConsumedRecord& record) {
  return record.topic == settings_.facts_topic ? fold_fact(record) : extract(record);
}

kafka::HandlerResult ClassCaseHandler::extract(const ConsumedRecord& record) {
  auto env = kafka::decode_record(record);
  if (!env.ok()) {
    count("rejected");
    return kafka::refuse(env.error());
  }
  Extracted ex = extractor_.extract(env.value(), clock_.now());
  count("ungroupable", ex.ungroupable);
  count(ex.facts.empty() ? "not_qualifying" : "qualifying");
  std::vector<OutgoingRecord> out;
  for (const auto& f : ex.facts) out.push_back(envelope::to_record(f, settings_.facts_topic));
  return kafka::HandlerResult::emit(std::move(out));
}

kafka::HandlerResult ClassCaseHandler::fold_fact(const ConsumedRecord& record) {
  auto env = kafka::decode_record(record);
  if (!env.ok()) {
    count("rejected");
    return kafka::refuse(env.error());
  }
  if (!env.value().has_class_case_fact()) {
    count("rejected");
    return kafka::HandlerResult::reject(kNotAFact, "record on " + record.topic + " carries " + env.value().event_type() +
                                                       ", not a ClassCaseFact");
  }
  const std::string& id = env.value().case_id();
  Groups& staged = staging_[record.partition];
  auto it = staged.find(id);
  if (it == staged.end()) {
    const Groups& committed = committed_[record.partition];
    auto c = committed.find(id);
    it = staged.emplace(id, c == committed.end() ? v1::ClassCaseGroupState() : c->second).first;
  }
  Folded folded = fold(it->second, env.value(), clock_.now());
  count(folded.changed ? "fact_applied" : "fact_no_effect");
  std::vector<OutgoingRecord> out;
  if (folded.changed) out.push_back(envelope::to_record(folded.state, settings_.state_topic));
  for (const auto& e : folded.events) {
    if (e.has_class_case_opened() && opened_total_ != nullptr) {
      opened_total_->labels({e.class_case_opened().model().model_id()}).inc();
    }
    out.push_back(envelope::to_record(
        e, e.has_recommendation_issued() ? settings_.recommendation_topic : settings_.classcase_topic));
  }
  return kafka::HandlerResult::emit(std::move(out));
}

void ClassCaseHandler::on_transaction_committed() {
  for (auto& [partition, groups] : staging_) {
    auto& target = committed_[partition];
    for (auto& [id, state] : groups) target[id] = std::move(state);
  }
  staging_.clear();
  if (groups_gauge_ != nullptr) groups_gauge_->get().set(static_cast<double>(group_count()));
}

void ClassCaseHandler::on_transaction_aborted() { staging_.clear(); }

void ClassCaseHandler::on_partitions_assigned(const std::vector<kafka::TopicPartition>& partitions) {
  for (const auto& tp : partitions) {
    if (tp.topic == settings_.facts_topic) restore(tp.partition);
  }
}

void ClassCaseHandler::on_partitions_revoked(const std::vector<kafka::TopicPartition>& partitions) {
  for (const auto& tp : partitions) {
    if (tp.topic == settings_.facts_topic) {
      committed_.erase(tp.partition);
      staging_.erase(tp.partition);
    }
  }
}

void ClassCaseHandler::restore(int32_t partition) {
  committed_.erase(partition);
  staging_.erase(partition);
  Groups& groups = committed_[partition];
  if (reader_ == nullptr) return;
  size_t unusable = 0;
  const Status status = reader_->read(settings_.state_topic, {partition}, [&](const ConsumedRecord& r) {
    auto env = r.value ? envelope::decode(*r.value) : Result<v1::Envelope>(Error::invalid("tombstone", "value"));
    if (!env.ok() || !env.value().has_class_case_group_state()) {
      ++unusable;
      return;
    }
    // Compaction keeps the latest; before it, a later record of the same group replaces an earlier one.
    groups[env.value().case_id()] = env.value().class_case_group_state();
  });
  if (!status.ok()) {
    // Counting without the state would open a class case twice: crash, restart, retry.
    log()->critical("cannot restore {} partition {}: {}", settings_.state_topic, partition, status.error().describe());
    std::abort();
  }
  log()->info("restored {} group(s) of {} partition {} ({} unusable record(s) skipped)", groups.size(),
              settings_.state_topic, partition, unusable);
}

const v1::ClassCaseGroupState* ClassCaseHandler::committed_group(const std::string& group_id) const {
  for (const auto& [partition, groups] : committed_) {
    auto it = groups.find(group_id);
    if (it != groups.end()) return &it->second;
  }
  return nullptr;
}

size_t ClassCaseHandler::group_count() const {
  size_t n = 0;
  for (const auto& [partition, groups] : committed_) n += groups.size();
  return n;
}

}  // namespace caselink::classcase
