// caselink-sync's bookkeeping header (`caselink-sync.internal` on every state record): Internal
// as JSON, written by hand and read with nlohmann's SAX interface, both on hot paths (docs/
// services/case-sync.md, "State, restore, partitioning").

#include <nlohmann/json.hpp>

#include <charconv>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "services/daemons/sync/case_engine.h"
#include "services/lib/crypto/hex.h"

namespace caselink::sync {

namespace {

// JSON string literal (RFC 8259 escaping). Hand-written because to_json runs for every state
// record and nlohmann's DOM build was an eighth of caselink-sync's handler time.
void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out.push_back(kHex[(c >> 4) & 0xF]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

template <typename Range, typename Emit>
void append_json_array(std::string& out, const Range& items, Emit emit) {
  out.push_back('[');
  bool first = true;
  for (const auto& item : items) {
    if (!first) out.push_back(',');
    first = false;
    emit(item);
  }
  out.push_back(']');
}

template <typename Map, typename Emit>
void append_json_object(std::string& out, const Map& items, Emit emit_value) {
  out.push_back('{');
  bool first = true;
  for (const auto& [key, value] : items) {
    if (!first) out.push_back(',');
    first = false;
    if constexpr (std::is_integral_v<std::decay_t<decltype(key)>>) {
      append_json_string(out, std::to_string(key));
    } else {
      append_json_string(out, key);
    }
    out.push_back(':');
    emit_value(value);
  }
  out.push_back('}');
}

}  // namespace

// Keys in alphabetical order; from_json (nlohmann) reads it, and so can any JSON reader.
std::string Internal::to_json() const {
  std::string out;
  out.reserve(256 + applied.size() * 40 + hashes.size() * 72);
  const auto str = [&out](const std::string& v) { append_json_string(out, v); };
  const auto num = [&out](auto v) { out += std::to_string(v); };
  out += "{\"applied\":";
  append_json_array(out, applied, str);
  out += ",\"decided\":";
  append_json_object(out, decided, str);
  out += ",\"hashes\":";
  append_json_object(out, hashes, str);
  out += ",\"marks\":";
  append_json_array(out, marks, str);
  if (!parked.empty()) {
    // Written only when there is something parked: a case without keeps the header it always had.
    out += ",\"parked\":";
    append_json_array(out, parked, [&out](const ParkedEvent& p) {
      out += "{\"offset\":" + std::to_string(p.offset) + ",\"parked_at_ns\":" + std::to_string(p.parked_at_ns) +
             ",\"partition\":" + std::to_string(p.partition) + ",\"timestamp_ms\":" + std::to_string(p.timestamp_ms) +
             ",\"topic\":";
      append_json_string(out, p.topic);
      out += ",\"value_hex\":\"" + crypto::to_hex(p.value) + "\"}";
    });
  }
  out += ",\"profile\":";
  append_json_string(out, profile);
  out += ",\"step_seq\":";
  append_json_object(out, step_seq, num);
  out += ",\"suspended_ns\":";
  append_json_object(out, suspended_ns, num);
  out += "}";
  return out;
}

namespace {

using Json = nlohmann::json;

// Reads the header straight into Internal, without building nlohmann's DOM (which, with a string
// allocated per key and value, was a fifth of a restore's CPU). The same header is accepted as
// before: an object whose known keys have the types to_json writes (unknown keys skipped,
// whatever they hold; `hashes` not an object is ignored, as the DOM reader did); every field of
// a parked event required.
class InternalReader final : public nlohmann::json_sax<Json> {
 public:
  explicit InternalReader(Internal* out) : out_(out) {}

  bool null() override { return scalar(); }
  bool boolean(bool) override { return scalar(); }
  bool number_integer(number_integer_t v) override { return number(static_cast<int64_t>(v)); }
  bool number_unsigned(number_unsigned_t v) override {
    if (v > static_cast<number_unsigned_t>(INT64_MAX)) return scalar();
    return number(static_cast<int64_t>(v));
  }
  bool number_float(number_float_t v, const string_t&) override {
    // Converted only when it fits (the cast is undefined otherwise), as the DOM reader's get<> did.
    if (!(v > -9.2e18 && v < 9.2e18)) return scalar();
    return number(static_cast<int64_t>(v));
  }
  bool binary(binary_t&) override { return scalar(); }
  bool string(string_t& v) override;
  bool key(string_t& k) override;
  bool start_object(std::size_t) override;
  bool end_object() override;
  bool start_array(std::size_t) override;
  bool end_array() override;
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

  // The text was one object, read to its end.
  bool finished() const { return depth_ == 0 && seen_top_; }

 private:
  enum class Field { kNone, kProfile, kApplied, kMarks, kDecided, kHashes, kStepSeq, kSuspended, kParked, kUnknown };
  static Field field_of(std::string_view name);
  // A value that is neither a string nor a number: fine only where anything is (an unknown key,
  // hashes not an object, an unknown key of a parked event, inside a skipped value).
  bool scalar() const {
    return skip_ > 0 || (depth_ == 1 && (field_ == Field::kUnknown || field_ == Field::kHashes)) || parked_other();
  }
  bool parked_other() const { return depth_ == 3 && field_ == Field::kParked && parked_key_ == kOtherKey; }
  bool number(int64_t v);
  bool parked_number(int64_t v);

  static constexpr std::string_view kOtherKey = "";
  Internal* out_;
  int depth_ = 0;     // 1: the top object, 2: a field's array or object, 3: a parked event
  int skip_ = 0;      // nesting inside a value skipped (unknown key, or hashes not an object)
  bool seen_top_ = false;
  Field field_ = Field::kNone;
  std::string key_;   // the key inside a depth-2 object
  std::string parked_key_;
  ParkedEvent parked_;
  unsigned parked_seen_ = 0;  // bit per required field of a parked event
};

InternalReader::Field InternalReader::field_of(std::string_view name) {
  if (name == "profile") return Field::kProfile;
  if (name == "applied") return Field::kApplied;
  if (name == "marks") return Field::kMarks;
  if (name == "decided") return Field::kDecided;
  if (name == "hashes") return Field::kHashes;
  if (name == "step_seq") return Field::kStepSeq;
  if (name == "suspended_ns") return Field::kSuspended;
  if (name == "parked") return Field::kParked;
  return Field::kUnknown;
}

bool InternalReader::key(string_t& k) {
  if (skip_ > 0) return true;
  if (depth_ == 1) {
    field_ = field_of(k);
  } else if (depth_ == 2) {
    key_ = std::move(k);
  } else if (depth_ == 3) {
    static constexpr std::string_view kKnown[] = {"topic", "partition", "offset", "timestamp_ms", "parked_at_ns",
                                                  "value_hex"};
    parked_key_ = std::string(kOtherKey);
    for (const auto known : kKnown) {
      if (k == known) parked_key_ = std::move(k);
    }
  }
  return true;
}

bool InternalReader::start_object(std::size_t) {
  if (skip_ > 0) return ++skip_, true;
  if (depth_ == 0) return depth_ = 1, seen_top_ = true, true;
  if (depth_ == 1) {
    switch (field_) {
      case Field::kDecided:
      case Field::kHashes:
      case Field::kStepSeq:
      case Field::kSuspended:
        return depth_ = 2, true;
      case Field::kUnknown:
        return skip_ = 1, true;
      default:
        return false;  // profile, applied, marks and parked are never objects
    }
  }
  if (depth_ == 2 && field_ == Field::kParked) {
    parked_ = ParkedEvent{};
    parked_seen_ = 0;
    return depth_ = 3, true;
  }
  if (parked_other()) return skip_ = 1, true;
  return false;
}

bool InternalReader::end_object() {
  if (skip_ > 0) return --skip_, true;
  if (depth_ == 3) {
    if (parked_seen_ != 0x3F) return false;  // a field of the parked event missing
    out_->parked.push_back(std::move(parked_));
    return depth_ = 2, true;
  }
  return --depth_, true;
}

bool InternalReader::start_array(std::size_t) {
  if (skip_ > 0) return ++skip_, true;
  if (depth_ == 1) {
    if (field_ == Field::kApplied || field_ == Field::kMarks || field_ == Field::kParked) return depth_ = 2, true;
    // hashes not an object was ignored by the DOM reader; an unknown key holds anything.
    if (field_ == Field::kHashes || field_ == Field::kUnknown) return skip_ = 1, true;
    return false;
  }
  if (parked_other()) return skip_ = 1, true;
  return false;
}

bool InternalReader::end_array() {
  if (skip_ > 0) return --skip_, true;
  return --depth_, true;
}

bool InternalReader::string(string_t& v) {
  if (skip_ > 0) return true;
  if (depth_ == 1) {
    if (field_ == Field::kProfile) return out_->profile = std::move(v), true;
    return field_ == Field::kUnknown || field_ == Field::kHashes;
  }
  if (depth_ == 2) {
    switch (field_) {
      case Field::kApplied: return out_->applied.push_back(std::move(v)), true;
      case Field::kMarks: return out_->marks.insert(std::move(v)), true;
      case Field::kDecided: return out_->decided[key_] = std::move(v), true;
      case Field::kHashes: return out_->hashes[std::stoull(key_)] = std::move(v), true;  // throws on a bad key
      default: return false;
    }
  }
  if (depth_ == 3) {
    if (parked_key_ == "topic") return parked_.topic = std::move(v), parked_seen_ |= 0x01, true;
    if (parked_key_ == "value_hex") {
      std::optional<std::string> value = crypto::from_hex(v);
      if (!value) return false;
      return parked_.value = std::move(*value), parked_seen_ |= 0x20, true;
    }
    return parked_other();
  }
  return false;
}

bool InternalReader::number(int64_t v) {
  if (skip_ > 0) return true;
  if (depth_ == 1) return field_ == Field::kUnknown || field_ == Field::kHashes;
  if (depth_ == 2 && field_ == Field::kStepSeq) return out_->step_seq[key_] = static_cast<int>(v), true;
  if (depth_ == 2 && field_ == Field::kSuspended) return out_->suspended_ns[key_] = v, true;
  if (depth_ == 3) return parked_number(v);
  return false;
}

bool InternalReader::parked_number(int64_t v) {
  if (parked_key_ == "partition") return parked_.partition = static_cast<int32_t>(v), parked_seen_ |= 0x02, true;
  if (parked_key_ == "offset") return parked_.offset = v, parked_seen_ |= 0x04, true;
  if (parked_key_ == "timestamp_ms") return parked_.timestamp_ms = v, parked_seen_ |= 0x08, true;
  if (parked_key_ == "parked_at_ns") return parked_.parked_at_ns = v, parked_seen_ |= 0x10, true;
  return parked_other();
}

// Reads exactly what to_json writes (keys in its order, no whitespace, ASCII strings without
// escapes, integers without leading zeros) a few times faster than nlohmann's lexer, which was a
// fifth of a restore's CPU. False on anything else, and Internal::from_json then reads the text
// with the general reader: the fast one decides nothing the general one would decide otherwise.
class ExactReader {
 public:
  explicit ExactReader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool read(Internal* out) {
    const auto applied = [&] { return string_to([&](std::string v) { out->applied.push_back(std::move(v)); }); };
    const auto mark = [&] { return string_to([&](std::string v) { out->marks.insert(std::move(v)); }); };
    const auto decided = [&](std::string key) {
      return string_to([&](std::string v) { out->decided[key] = std::move(v); });
    };
    const auto hash = [&](std::string key) {
      uint64_t version = 0;
      const auto [at, ec] = std::from_chars(key.data(), key.data() + key.size(), version);
      if (ec != std::errc() || at != key.data() + key.size() || key.empty()) return false;
      return string_to([&](std::string v) { out->hashes[version] = std::move(v); });
    };
    const auto step = [&](std::string key) {
      int64_t n = 0;
      return integer(&n) && (out->step_seq[key] = static_cast<int>(n), true);
    };
    const auto suspended = [&](std::string key) {
      int64_t ns = 0;
      return integer(&ns) && (out->suspended_ns[key] = ns, true);
    };
    return literal("{\"applied\":") && array(applied) && literal(",\"decided\":") && object(decided) &&
           literal(",\"hashes\":") && object(hash) && literal(",\"marks\":") && array(mark) &&
           literal(",\"profile\":") && string_to([&](std::string v) { out->profile = std::move(v); }) &&
           literal(",\"step_seq\":") && object(step) && literal(",\"suspended_ns\":") && object(suspended) &&
           literal("}") && p_ == end_;  // parked events (rare) are left to the general reader
  }

 private:
  bool literal(std::string_view s) {
    if (static_cast<size_t>(end_ - p_) < s.size() || std::string_view(p_, s.size()) != s) return false;
    p_ += s.size();
    return true;
  }
  template <typename Take>
  bool string_to(Take take) {
    if (!literal("\"")) return false;
    const char* begin = p_;
    while (p_ < end_ && *p_ != '"') {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '\\' || c < 0x20 || c >= 0x80) return false;
      ++p_;
    }
    if (p_ == end_) return false;
    take(std::string(begin, p_));
    ++p_;
    return true;
  }
  bool integer(int64_t* v) {
    const char* digits = p_ < end_ && *p_ == '-' ? p_ + 1 : p_;
    if (digits + 1 < end_ && *digits == '0' && digits[1] >= '0' && digits[1] <= '9') return false;
    const auto [at, ec] = std::from_chars(p_, end_, *v);
    if (ec != std::errc() || at == p_) return false;
    if (at < end_ && (*at == '.' || *at == 'e' || *at == 'E')) return false;
    p_ = at;
    return true;
  }
  template <typename Item>
  bool array(Item item) {
    if (!literal("[")) return false;
    if (literal("]")) return true;
    do {
      if (!item()) return false;
    } while (literal(","));
    return literal("]");
  }
  template <typename Entry>
  bool object(Entry entry) {
    if (!literal("{")) return false;
    if (literal("}")) return true;
    do {
      std::string key;
      if (!string_to([&](std::string k) { key = std::move(k); }) || !literal(":") || !entry(std::move(key))) return false;
    } while (literal(","));
    return literal("}");
  }

  const char* p_;
  const char* end_;
};

}  // namespace

bool Internal::from_json(const std::string& text, Internal* out) {
  return from_exact_json(text, out) || from_any_json(text, out);
}

bool Internal::from_exact_json(const std::string& text, Internal* out) {
  *out = Internal{};
  return ExactReader(text).read(out);
}

bool Internal::from_any_json(const std::string& text, Internal* out) {
  *out = Internal{};
  InternalReader reader(out);
  try {
    return Json::sax_parse(text, &reader) && reader.finished();
  } catch (const std::exception&) {
    return false;  // a hashes key that is not a number
  }
}

}  // namespace caselink::sync
