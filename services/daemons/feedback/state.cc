#include "services/daemons/feedback/state.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <utility>

#include "services/lib/crypto/hex.h"

namespace caselink::feedback {
namespace {

using nlohmann::json;

int64_t to_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint from_ms(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

// The held envelope bytes back from the changelog's hex (crypto::to_hex wrote it).
std::string from_hex(const std::string& hex) {
  std::optional<std::string> bytes = crypto::from_hex(hex);
  if (!bytes) throw std::invalid_argument("held: not hex");
  return std::move(*bytes);
}

}  // namespace

std::string serialize(const CaseState& s) {
  json feedback = json::object();
  for (const auto& [id, e] : s.feedback) {
    feedback[id] = json{{"source_event_id", e.source_event_id},
                        {"source_event_type", e.source_event_type},
                        {"agency", e.agency},
                        {"topic", e.topic},
                        {"due_at_ms", to_ms(e.due_at)},
                        {"acked", e.acked},
                        {"alerted", e.alerted}};
  }
  json j{{"v", 1},
         {"partition", s.partition},
         {"agency", s.agency},
         {"referral_event_id", s.referral_event_id},
         {"police_party", s.police_party},
         {"procuratorate_party", s.procuratorate_party},
         {"filing_expected", s.filing_expected},
         // Fixed values only for a release before issue 20 #2 reading this after a rollback (it
         // requires the keys): "already alerted" keeps it from raising the removed filing alert.
         {"filing_started_at_ms", 0},
         {"filing_due_at_ms", 0},
         {"filing_alerted", true},
         {"filing_decision_event_id", s.filing_decision_event_id},
         {"feedback", std::move(feedback)}};
  if (!s.agency_questions.empty()) {
    json questions = json::array();
    for (const auto& [id, consulted] : s.agency_questions) questions.push_back(json{{"id", id}, {"consulted", consulted}});
    j["agency_questions"] = std::move(questions);
  }
  if (!s.held.empty()) {
    json held = json::object();
    for (const auto& [id, bytes] : s.held) held[id] = crypto::to_hex(bytes);  // envelope bytes are binary
    j["held"] = std::move(held);
  }
  return j.dump();
}

Result<CaseState> deserialize(std::string_view text) {
  try {
    const json j = json::parse(text);
    if (j.value("v", 0) != 1) {
      return Error::invalid("changelog value has unknown format version " + std::to_string(j.value("v", 0)), "v",
                            "feedback.changelog_version");
    }
    CaseState s;
    s.partition = j.at("partition").get<int32_t>();
    s.agency = j.at("agency").get<std::string>();
    s.referral_event_id = j.at("referral_event_id").get<std::string>();
    s.police_party = j.at("police_party").get<std::string>();
    s.procuratorate_party = j.at("procuratorate_party").get<std::string>();
    s.filing_expected = j.at("filing_expected").get<bool>();
    s.filing_decision_event_id = j.at("filing_decision_event_id").get<std::string>();
    for (const auto& [id, e] : j.at("feedback").items()) {
      FeedbackEntry entry;
      entry.source_event_id = e.at("source_event_id").get<std::string>();
      entry.source_event_type = e.at("source_event_type").get<std::string>();
      entry.agency = e.at("agency").get<std::string>();
      entry.topic = e.at("topic").get<std::string>();
      entry.due_at = from_ms(e.at("due_at_ms").get<int64_t>());
      entry.acked = e.at("acked").get<bool>();
      entry.alerted = e.at("alerted").get<bool>();
      s.feedback.emplace(id, std::move(entry));
    }
    if (j.contains("agency_questions")) {  // absent before consultations (2026-12-06)
      for (const auto& q : j.at("agency_questions")) {
        s.agency_questions.emplace_back(q.at("id").get<std::string>(), q.at("consulted").get<std::string>());
      }
    }
    if (j.contains("held")) {  // absent in documents written before holding existed
      for (const auto& [id, hex] : j.at("held").items()) s.held.emplace(id, from_hex(hex.get<std::string>()));
    }
    return s;
  } catch (const std::invalid_argument& e) {
    return Error::invalid(std::string("changelog value has a bad held record: ") + e.what(), "held",
                          "feedback.changelog_undecodable");
  } catch (const json::exception& e) {
    return Error::invalid(std::string("changelog value is not a valid state document: ") + e.what(), "value",
                          "feedback.changelog_undecodable");
  }
}

}  // namespace caselink::feedback
