#include "services/tools/ctl/commands.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <tuple>

#include "services/lib/core/clock.h"
#include "services/lib/envelope/codec.h"
#include "services/tools/ctl/case_view.h"

namespace caselink::ctl {

int case_show(const std::string& case_id, const ReadOptions& options, bool json, std::ostream& out, std::ostream& err,
              const std::string& key_registry) {
  std::optional<signing::KeyRegistry> registry;
  if (!key_registry.empty()) {
    auto loaded = signing::KeyRegistry::load(key_registry);
    if (!loaded.ok()) {
      err << "caselinkctl: --key-registry: " << loaded.error().message << "\n";
      return kUsage;
    }
    registry = std::move(*loaded);
  }
  auto history = read_case(case_id, options);
  if (!history.ok()) {
    err << "caselinkctl: " << history.error().message << "\n";
    return kBrokerError;
  }
  if (history.value().empty()) {
    err << "caselinkctl: no record of case " << case_id << " on the case topics"
        << (options.all_partitions ? "" : " (records produced with another partitioner: try --all-partitions)") << "\n";
    return kNotFound;
  }
  const CaseView view = build_view(case_id, history.value(), registry ? &*registry : nullptr);
  if (json) {
    out << render_json(view) << "\n";
  } else {
    out << render_text(view, SystemClock().now());
    if (history.value().undecodable > 0) {
      out << "(" << history.value().undecodable << " record(s) with this key could not be decoded; see the DLQ)\n";
    }
  }
  return view.chain.ok ? kOk : kChainBroken;
}

int case_list(const std::string& state_filter, const ReadOptions& options, std::ostream& out, std::ostream& err) {
  auto records = read_topic(kStateTopic, options);
  if (!records.ok()) {
    err << "caselinkctl: " << records.error().message << "\n";
    return kBrokerError;
  }
  std::map<std::string, v1::CaseStateSnapshot> latest;
  for (const auto& r : records.value()) {
    if (!r.envelope.has_case_state_snapshot()) continue;
    const auto& s = r.envelope.case_state_snapshot();
    auto it = latest.find(r.envelope.case_id());
    if (it == latest.end() || s.version() >= it->second.version()) latest[r.envelope.case_id()] = s;
  }
  size_t shown = 0;
  for (const auto& [id, s] : latest) {
    std::string state = v1::CaseState_Name(s.state()).substr(std::string("CASE_STATE_").size());
    if (!state_filter.empty() && state != state_filter) continue;
    size_t open = 0;
    size_t overdue = 0;
    for (const auto& d : s.deadlines()) {
      if (!d.closed_by_event_id().empty()) continue;  // closed by the snapshot's own event
      if (d.status() == v1::DEADLINE_STATUS_OPEN) ++open;
      if (d.status() == v1::DEADLINE_STATUS_OVERDUE) ++overdue;
    }
    char line[256];
    std::snprintf(line, sizeof line, "%-40s %-30s v%-4llu open deadlines %zu, overdue %zu%s", id.c_str(), state.c_str(),
                  static_cast<unsigned long long>(s.version()), open, overdue,
                  s.recognition().recognized_version() == s.version() ? ", recognized" : "");
    out << line << "\n";
    ++shown;
  }
  out << shown << " case(s)\n";
  return kOk;
}

namespace {

std::string header(const CaseRecordRef& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "-";
}

}  // namespace

int dlq_tail(int64_t count, const ReadOptions& options, std::ostream& out, std::ostream& err) {
  // The last `count` of every partition, then the newest `count` of those across partitions.
  auto records = read_topic(kDlqTopic, options, count);
  if (!records.ok()) {
    err << "caselinkctl: " << records.error().message << "\n";
    return kBrokerError;
  }
  auto& all = records.value();
  std::stable_sort(all.begin(), all.end(), [](const CaseRecordRef& a, const CaseRecordRef& b) {
    return std::tie(a.timestamp_ms, a.partition, a.offset) < std::tie(b.timestamp_ms, b.partition, b.offset);
  });
  if (all.size() > static_cast<size_t>(count)) all.erase(all.begin(), all.end() - count);
  for (const auto& r : all) {
    out << header(r, "dlq.failed.at") << "  " << kDlqTopic << "[" << r.partition << "]@" << r.offset << "  key "
        << (r.key.empty() ? "-" : r.key) << "\n";
    out << "    original   " << header(r, "dlq.original.topic") << "[" << header(r, "dlq.original.partition") << "]@"
        << header(r, "dlq.original.offset") << "\n";
    out << "    service    " << header(r, "dlq.service") << "  (group " << header(r, "dlq.consumer.group")
        << ", attempts " << header(r, "dlq.attempts") << ")\n";
    out << "    class      " << header(r, "dlq.error.class") << "\n";
    out << "    reason     " << header(r, "dlq.error.message") << "\n";
    if (!r.envelope.event_type().empty()) {
      out << "    event      " << r.envelope.event_type() << " " << r.envelope.event_id() << "\n";
    }
  }
  out << all.size() << " record(s)\n";
  return kOk;
}

}  // namespace caselink::ctl
