#include "services/daemons/sync/restore_plan.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <set>

#include "caselink/v1/envelope.pb.h"
#include "services/lib/envelope/codec.h"

namespace caselink::sync {

namespace {

using google::protobuf::io::CodedInputStream;
using WireFormat = google::protobuf::internal::WireFormatLite;

constexpr auto kLengthDelimited = WireFormat::WIRETYPE_LENGTH_DELIMITED;
constexpr auto kVarint = WireFormat::WIRETYPE_VARINT;

// Field numbers of the Envelope's payload oneof other than the snapshot: a later one replaces
// the snapshot, as the parser would.
const std::set<int>& other_payloads() {
  static const std::set<int> numbers = [] {
    std::set<int> out;
    const auto* snapshot = v1::Envelope::descriptor()->FindFieldByNumber(v1::Envelope::kCaseStateSnapshotFieldNumber);
    const auto* oneof = snapshot->containing_oneof();
    for (int i = 0; i < oneof->field_count(); ++i) {
      if (oneof->field(i) != snapshot) out.insert(oneof->field(i)->number());
    }
    return out;
  }();
  return numbers;
}

// Runs `field(number, wire type)` for each field up to the current limit; `field` returns false
// to have the field skipped. False on malformed bytes.
template <typename Field>
bool scan(CodedInputStream& in, Field&& field) {
  while (const uint32_t tag = in.ReadTag()) {
    const int number = WireFormat::GetTagFieldNumber(tag);
    const auto type = WireFormat::GetTagWireType(tag);
    bool read = false;
    if (!field(number, type, read)) return false;
    if (!read && !WireFormat::SkipField(&in, tag)) return false;
  }
  return in.ConsumedEntireMessage();
}

// Reads a length-delimited submessage with `fields`, within its length.
template <typename Fields>
bool nested(CodedInputStream& in, Fields&& fields) {
  uint32_t length = 0;
  if (!in.ReadVarint32(&length)) return false;
  const auto limit = in.PushLimit(static_cast<int>(length));
  if (!scan(in, fields)) return false;
  in.PopLimit(limit);
  return true;
}

bool read_timestamp(CodedInputStream& in, google::protobuf::Timestamp* ts) {
  return nested(in, [&](int number, auto type, bool& read) {
    uint64_t v = 0;
    if (type != kVarint || (number != 1 && number != 2)) return true;
    read = true;
    if (!in.ReadVarint64(&v)) return false;
    if (number == 1) ts->set_seconds(static_cast<int64_t>(v));
    if (number == 2) ts->set_nanos(static_cast<int32_t>(v));
    return true;
  });
}

// Merges one occurrence of the snapshot field into `out` (repeated occurrences merge).
bool read_snapshot(CodedInputStream& in, StatePeek& out, google::protobuf::Timestamp& occurred, bool& has_occurred) {
  using S = v1::CaseStateSnapshot;
  return nested(in, [&](int number, auto type, bool& read) {
    if (number == S::kCaseIdFieldNumber && type == kLengthDelimited) {
      read = true;
      return WireFormat::ReadString(&in, &out.case_id);
    }
    if (number == S::kVersionFieldNumber && type == kVarint) {
      read = true;
      return in.ReadVarint64(&out.version);
    }
    if (number == S::kLastEventOccurredAtFieldNumber && type == kLengthDelimited) {
      read = true;
      has_occurred = true;
      return read_timestamp(in, &occurred);
    }
    return true;
  });
}

}  // namespace

std::optional<StatePeek> peek_state_record(std::string_view value) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(value.data()), static_cast<int>(value.size()));
  StatePeek out;
  google::protobuf::Timestamp occurred;
  bool has_occurred = false;
  bool snapshot = false;
  const bool ok = scan(in, [&](int number, auto type, bool& read) {
    if (number == v1::Envelope::kCaseStateSnapshotFieldNumber && type == kLengthDelimited) {
      read = true;
      snapshot = true;
      return read_snapshot(in, out, occurred, has_occurred);
    }
    if (other_payloads().count(number) > 0) {
      snapshot = false;
      out = StatePeek{};
      occurred.Clear();
      has_occurred = false;
    }
    return true;
  });
  if (!ok || !snapshot) return std::nullopt;
  if (has_occurred) out.last_event_occurred_at = envelope::to_time_point(occurred);
  return out;
}

std::optional<StatePeek> RestorePlan::see(const ConsumedRecord& record) {
  Partition& p = partitions_[record.partition];
  p.next_offset = std::max(p.next_offset, record.offset + 1);
  std::optional<StatePeek> peek;
  if (record.value) peek = peek_state_record(*record.value);
  if (!peek) {
    p.unreadable.push_back(record.offset);
    return peek;
  }
  // In offset order, so ">=" lets the later of two equal versions win, as the in-order fold does.
  auto [it, inserted] = p.best.try_emplace(peek->case_id, Best{peek->version, record.offset});
  if (!inserted && peek->version >= it->second.version) it->second = Best{peek->version, record.offset};
  return peek;
}

void RestorePlan::finish() {
  for (auto& [number, p] : partitions_) {
    p.winners.clear();
    p.winners.reserve(p.best.size());
    for (const auto& [id, best] : p.best) p.winners.push_back(best.offset);
    std::unordered_map<std::string, Best>().swap(p.best);
    std::sort(p.winners.begin(), p.winners.end());
    std::sort(p.unreadable.begin(), p.unreadable.end());
  }
}

bool RestorePlan::folds(const ConsumedRecord& record) const {
  const auto it = partitions_.find(record.partition);
  if (it == partitions_.end() || record.offset >= it->second.next_offset) return true;
  const auto& u = it->second.unreadable;
  return winner(record) || std::binary_search(u.begin(), u.end(), record.offset);
}

bool RestorePlan::winner(const ConsumedRecord& record) const {
  const auto it = partitions_.find(record.partition);
  if (it == partitions_.end()) return false;
  const auto& w = it->second.winners;
  return std::binary_search(w.begin(), w.end(), record.offset);
}

}  // namespace caselink::sync
