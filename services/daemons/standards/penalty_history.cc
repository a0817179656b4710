#include "services/daemons/standards/penalty_history.h"

#include <algorithm>
#include <optional>

#include "services/lib/envelope/codec.h"
#include "services/lib/kafka/decode.h"
#include "services/daemons/standards/mapping.h"

namespace caselink::standards {

namespace {

// suspect_id is stable only within a case (Suspect, referral.proto): two cases' "s1" are usually
// two different parties, and joining them would cite one company's penalties against another.
// Across cases a party is its document type, masked number and name together; a party without
// a masked number or a name is neither remembered nor counted (the count stays a lower bound).
std::optional<std::string> party_key(const v1::Suspect& party) {
  if (party.id_number_masked().empty() || party.name().empty()) {
    return std::nullopt;
  }
  return std::to_string(static_cast<int>(party.id_document_type())) + "|" + party.id_number_masked() + "|" +
         party.name();
}

std::vector<std::string> parties_of(const v1::Envelope& event) {
  std::vector<std::string> out;
  const auto& list = event.has_administrative_penalty_reported()
                         ? event.administrative_penalty_reported().penalized_parties()
                         : event.case_referral().suspects();
  for (const auto& party : list) {
    if (auto key = party_key(party); key && std::find(out.begin(), out.end(), *key) == out.end()) {
      out.push_back(std::move(*key));
    }
  }
  return out;
}

}  // namespace

std::vector<SeenPenalty> PenaltyHistory::earlier(const v1::Envelope& event) const {
  std::vector<SeenPenalty> out;
  if (capacity_ == 0) {
    return out;
  }
  const std::string self = event.has_administrative_penalty_reported()
                               ? event.administrative_penalty_reported().decision_number()
                               : std::string();
  auto take = [&](const SeenPenalty& p) {
    const bool dup = std::any_of(out.begin(), out.end(),
                                 [&](const SeenPenalty& q) { return q.decision_number == p.decision_number; });
    if (!dup && p.decision_number != self) {
      out.push_back(p);
    }
  };
  std::lock_guard lock(mutex_);
  for (const std::string& party : parties_of(event)) {
    if (auto it = committed_.find(party); it != committed_.end()) {
      std::for_each(it->second.begin(), it->second.end(), take);
    }
    if (auto it = pending_.find(party); it != pending_.end()) {
      std::for_each(it->second.begin(), it->second.end(), take);
    }
  }
  return out;
}

std::optional<SeenPenalty> PenaltyHistory::remembered(const v1::Envelope& event) {
  if (!event.has_administrative_penalty_reported()) {
    return std::nullopt;
  }
  const auto& p = event.administrative_penalty_reported();
  if (p.outcome() != v1::PENALTY_OUTCOME_IMPOSED || p.decision_number().empty() || !p.has_decided_at()) {
    return std::nullopt;
  }
  // A public-security penalty (治安管理处罚) is a violation record the revised 治安管理处罚法 (in force
  // 2026-01-01) seals: not to be provided to any unit except organs querying for their cases.
  // caselink would cite it to the agency in an assessment, so it neither remembers nor cites one
  // (no encoded windowed item counts 治安 penalties; the count stays a lower bound).
  if (p.domain() == v1::DOMAIN_PUBLIC_SECURITY_GENERAL) {
    return std::nullopt;
  }
  return SeenPenalty{p.decision_number(), p.offence_code(), china_date(envelope::to_time_point(p.decided_at()))};
}

bool PenaltyHistory::remembers(const v1::Envelope& event) {
  return remembered(event).has_value() && !parties_of(event).empty();
}

void PenaltyHistory::add(const v1::Envelope& event) {
  if (capacity_ == 0) {
    return;
  }
  if (const auto seen = remembered(event)) {
    for (const std::string& party : parties_of(event)) {
      pending_[party].push_back(*seen);
    }
  }
}

bool PenaltyHistory::restore(const v1::Envelope& event) {
  const auto seen = capacity_ == 0 ? std::nullopt : remembered(event);
  const std::vector<std::string> parties = seen ? parties_of(event) : std::vector<std::string>{};
  std::lock_guard lock(mutex_);
  for (const std::string& party : parties) {
    keep(party, *seen);
  }
  evict();
  return !parties.empty();
}

bool PenaltyHistory::restore_record(const ConsumedRecord& record, const std::string& producer, std::string* why) {
  auto decoded = kafka::decode_record(record);
  if (!decoded.ok()) {
    *why = decoded.error().describe();
    return false;
  }
  if (decoded->producer_agency_id() != producer) {
    *why = "written by '" + decoded->producer_agency_id() + "', not " + producer + " (the topic's one writer)";
    return false;
  }
  if (!restore(*decoded)) {
    *why = "not a penalty the history remembers";
    return false;
  }
  return true;
}

size_t PenaltyHistory::parties() const {
  std::lock_guard lock(mutex_);
  return committed_.size();
}

void PenaltyHistory::keep(const std::string& party, SeenPenalty penalty) {
  auto [it, fresh] = committed_.try_emplace(party);
  if (fresh) {
    order_.push_back(party);
  }
  const bool known = std::any_of(it->second.begin(), it->second.end(),
                                 [&](const SeenPenalty& q) { return q.decision_number == penalty.decision_number; });
  if (!known) {
    it->second.push_back(std::move(penalty));
  }
}

void PenaltyHistory::evict() {
  while (order_.size() > capacity_) {
    committed_.erase(order_.front());
    order_.pop_front();
  }
}

void PenaltyHistory::commit() {
  std::lock_guard lock(mutex_);
  for (auto& [party, list] : pending_) {
    for (SeenPenalty& p : list) {
      keep(party, std::move(p));
    }
  }
  pending_.clear();
  evict();
}

void PenaltyHistory::abort() { pending_.clear(); }

}  // namespace caselink::standards
