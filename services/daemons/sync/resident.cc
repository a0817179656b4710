#include "services/daemons/sync/resident.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#define ZDICT_STATIC_LINKING_ONLY  // ZDICT_trainFromBuffer_fastCover with fixed parameters (exported by libzstd 1.5)
#include <zdict.h>
#include <zstd.h>

#include "services/lib/logging/logging.h"

namespace caselink::sync {

namespace {

using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;
using google::protobuf::io::StringOutputStream;

// First byte of the plain encoding; bump when the layout changes (in-process only, never stored).
constexpr uint8_t kPlainFormat = 2;
// First byte of a packed value stored uncompressed (compression failed).
constexpr uint8_t kPlainMarker = 0xFF;
// Upper bound for one unpacked record; a larger "content size" means corrupted bytes.
constexpr unsigned long long kMaxPlainBytes = 64ULL * 1024 * 1024;

void put(CodedOutputStream& out, const std::string& s) {
  out.WriteVarint32(static_cast<uint32_t>(s.size()));
  out.WriteString(s);
}

bool get(CodedInputStream& in, std::string* s) {
  uint32_t n = 0;
  return in.ReadVarint32(&n) && in.ReadString(s, static_cast<int>(n));
}

bool get_count(CodedInputStream& in, uint32_t* n) { return in.ReadVarint32(n); }

}  // namespace

void encode_plain(const CaseRecord& record, std::string* plain, std::string_view snapshot_bytes) {
  plain->clear();
  {
    StringOutputStream stream(plain);
    CodedOutputStream out(&stream);
    const Internal& in = record.internal;
    out.WriteRaw(&kPlainFormat, 1);
    if (!snapshot_bytes.empty()) {
      out.WriteVarint32(static_cast<uint32_t>(snapshot_bytes.size()));
      out.WriteRaw(snapshot_bytes.data(), static_cast<int>(snapshot_bytes.size()));
    } else {
      // Serialized in place: a temporary string of the snapshot would cost another multi-KB allocation.
      out.WriteVarint32(static_cast<uint32_t>(record.snapshot.ByteSizeLong()));
      record.snapshot.SerializeWithCachedSizes(&out);
    }
    put(out, in.profile);
    out.WriteVarint32(static_cast<uint32_t>(in.applied.size()));
    for (const auto& id : in.applied) put(out, id);
    out.WriteVarint32(static_cast<uint32_t>(in.marks.size()));
    for (const auto& m : in.marks) put(out, m);
    out.WriteVarint32(static_cast<uint32_t>(in.decided.size()));
    for (const auto& [step, id] : in.decided) {
      put(out, step);
      put(out, id);
    }
    out.WriteVarint32(static_cast<uint32_t>(in.hashes.size()));
    for (const auto& [version, hash] : in.hashes) {
      out.WriteVarint64(version);
      put(out, hash);
    }
    out.WriteVarint32(static_cast<uint32_t>(in.step_seq.size()));
    for (const auto& [step, n] : in.step_seq) {
      put(out, step);
      out.WriteVarint64(static_cast<uint64_t>(static_cast<int64_t>(n)));
    }
    out.WriteVarint32(static_cast<uint32_t>(in.suspended_ns.size()));
    for (const auto& [id, ns] : in.suspended_ns) {
      put(out, id);
      out.WriteVarint64(static_cast<uint64_t>(ns));
    }
    out.WriteVarint32(static_cast<uint32_t>(in.parked.size()));
    for (const auto& p : in.parked) {
      put(out, p.topic);
      out.WriteVarint32(static_cast<uint32_t>(p.partition));
      out.WriteVarint64(static_cast<uint64_t>(p.offset));
      out.WriteVarint64(static_cast<uint64_t>(p.timestamp_ms));
      put(out, p.value);
      out.WriteVarint64(static_cast<uint64_t>(p.parked_at_ns));
    }
  }
}

std::optional<std::string_view> snapshot_bytes_of(std::string_view envelope) {
  using google::protobuf::internal::WireFormatLite;
  CodedInputStream in(reinterpret_cast<const uint8_t*>(envelope.data()), static_cast<int>(envelope.size()));
  std::optional<std::string_view> found;
  int seen = 0;
  while (const uint32_t tag = in.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) != v1::Envelope::kCaseStateSnapshotFieldNumber ||
        WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!WireFormatLite::SkipField(&in, tag)) return std::nullopt;
      continue;
    }
    uint32_t length = 0;
    if (!in.ReadVarint32(&length) || length > envelope.size() - static_cast<size_t>(in.CurrentPosition())) {
      return std::nullopt;
    }
    found = envelope.substr(static_cast<size_t>(in.CurrentPosition()), length);
    ++seen;
    if (!in.Skip(static_cast<int>(length))) return std::nullopt;
  }
  if (!in.ConsumedEntireMessage() || seen != 1) return std::nullopt;
  return found;
}

bool decode_plain(std::string_view plain, CaseRecord* out) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(plain.data()), static_cast<int>(plain.size()));
  uint8_t format = 0;
  if (!in.ReadRaw(&format, 1) || format != kPlainFormat) return false;
  uint32_t snapshot_bytes = 0;
  if (!in.ReadVarint32(&snapshot_bytes) || snapshot_bytes > plain.size()) return false;
  const auto limit = in.PushLimit(static_cast<int>(snapshot_bytes));
  if (!out->snapshot.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage()) return false;
  in.PopLimit(limit);
  Internal& i = out->internal;
  i = Internal{};
  uint32_t n = 0;
  if (!get(in, &i.profile) || !get_count(in, &n)) return false;
  for (uint32_t k = 0; k < n; ++k) {
    std::string id;
    if (!get(in, &id)) return false;
    i.applied.push_back(std::move(id));
  }
  if (!get_count(in, &n)) return false;
  for (uint32_t k = 0; k < n; ++k) {
    std::string mark;
    if (!get(in, &mark)) return false;
    i.marks.insert(std::move(mark));
  }
  if (!get_count(in, &n)) return false;
  for (uint32_t k = 0; k < n; ++k) {
    std::string step;
    std::string id;
    if (!get(in, &step) || !get(in, &id)) return false;
    i.decided.emplace(std::move(step), std::move(id));
  }
  if (!get_count(in, &n)) return false;
  for (uint32_t k = 0; k < n; ++k) {
    uint64_t version = 0;
    std::string hash;
    if (!in.ReadVarint64(&version) || !get(in, &hash)) return false;
    i.hashes.emplace(version, std::move(hash));
  }
  if (!get_count(in, &n)) return false;
  for (uint32_t k = 0; k < n; ++k) {
    std::string step;
    uint64_t seq = 0;
    if (!get(in, &step) || !in.ReadVarint64(&seq)) return false;
    i.step_seq.emplace(std::move(step), static_cast<int>(static_cast<int64_t>(seq)));
  }
  if (!get_count(in, &n)) return false;
  for (uint32_t k = 0; k < n; ++k) {
    std::string id;
    uint64_t ns = 0;
    if (!get(in, &id) || !in.ReadVarint64(&ns)) return false;
    i.suspended_ns.emplace(std::move(id), static_cast<int64_t>(ns));
  }
  if (!get_count(in, &n)) return false;
  for (uint32_t k = 0; k < n; ++k) {
    ParkedEvent p;
    uint32_t partition = 0;
    uint64_t offset = 0;
    uint64_t timestamp = 0;
    uint64_t parked_at = 0;
    if (!get(in, &p.topic) || !in.ReadVarint32(&partition) || !in.ReadVarint64(&offset) ||
        !in.ReadVarint64(&timestamp) || !get(in, &p.value) || !in.ReadVarint64(&parked_at)) {
      return false;
    }
    p.partition = static_cast<int32_t>(partition);
    p.offset = static_cast<int64_t>(offset);
    p.timestamp_ms = static_cast<int64_t>(timestamp);
    p.parked_at_ns = static_cast<int64_t>(parked_at);
    i.parked.push_back(std::move(p));
  }
  return in.BytesUntilLimit() <= 0 && in.CurrentPosition() == static_cast<int>(plain.size());
}

// zstd state: one compression and one decompression context, reused, and the trained
// dictionaries (index i + 1 in a packed value's first byte).
struct ResidentCodec::Zstd {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  std::vector<ZSTD_CDict*> cdicts;
  std::vector<ZSTD_DDict*> ddicts;
  ~Zstd() {
    for (auto* d : cdicts) ZSTD_freeCDict(d);
    for (auto* d : ddicts) ZSTD_freeDDict(d);
    ZSTD_freeCCtx(cctx);
    ZSTD_freeDCtx(dctx);
  }
};

ResidentCodec::ResidentCodec(ResidentOptions options) : options_(options), zstd_(std::make_unique<Zstd>()) {
  if (zstd_->cctx == nullptr || zstd_->dctx == nullptr) throw std::bad_alloc();
}

ResidentCodec::~ResidentCodec() = default;

size_t ResidentCodec::dictionaries() const {
  std::lock_guard lock(mutex_);
  return zstd_->cdicts.size();
}

size_t ResidentCodec::retrains_turned_down() const {
  std::lock_guard lock(mutex_);
  return turned_down_;
}

void ResidentCodec::remember(std::string_view plain) {
  if (options_.training_samples == 0 || zstd_->cdicts.size() >= options_.max_dictionaries) return;
  if (recent_.size() < options_.training_samples) {
    recent_.emplace_back(plain);
  } else {
    recent_[recent_next_].assign(plain);
    recent_next_ = (recent_next_ + 1) % recent_.size();
  }
}

void ResidentCodec::observe(size_t plain_bytes, size_t packed_bytes) {
  if (options_.training_samples == 0 || zstd_->cdicts.size() >= options_.max_dictionaries) return;
  ++packs_since_training_;
  const double ratio = static_cast<double>(packed_bytes) / static_cast<double>(std::max<size_t>(plain_bytes, 1));
  if (zstd_->cdicts.empty()) {
    if (packs_since_training_ >= options_.training_samples) train();
    return;
  }
  if (measuring_baseline_) {
    baseline_sum_ += ratio;
    if (packs_since_training_ == options_.training_samples) {
      baseline_ = baseline_sum_ / static_cast<double>(options_.training_samples);
      recent_ratio_ = baseline_;
      measuring_baseline_ = false;
    }
    return;
  }
  recent_ratio_ = 0.99 * recent_ratio_ + 0.01 * ratio;
  // Twice the sample count since the last training: the ring then holds only packs made with
  // the current dictionary's shortcomings, not the ones it was trained on. After a retrain was
  // turned down, twice as long again each time (at most 64 times): a drift the current
  // dictionary packs nearly as well is not worth a training every 2,000 cases.
  const uint64_t wait = (2 * options_.training_samples) << std::min<uint32_t>(turned_down_in_a_row_, 6);
  if (recent_ratio_ > baseline_ * options_.drift_factor && packs_since_training_ >= wait) {
    train();
  }
}

void ResidentCodec::train() {
  std::string joined;
  std::vector<size_t> sizes;
  for (const auto& sample : recent_) {
    joined.append(sample);
    sizes.push_back(sample.size());
  }
  const double drifted = recent_ratio_;
  packs_since_training_ = 0;
  auto log = logging::get("sync.resident");
  std::string dictionary(options_.dictionary_bytes, '\0');
  // Fixed fastCover parameters instead of ZDICT_trainFromBuffer's parameter search: the search
  // costs about a second of the loop thread per training, these a few tens of milliseconds.
  ZDICT_fastCover_params_t params{};
  params.k = 200;
  params.d = 8;
  params.f = 18;
  params.accel = 1;
  params.zParams.compressionLevel = options_.compression_level;
  const auto started = std::chrono::steady_clock::now();
  const size_t size = ZDICT_trainFromBuffer_fastCover(dictionary.data(), dictionary.size(), joined.data(),
                                                      sizes.data(), static_cast<unsigned>(sizes.size()), params);
  const auto took_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  if (ZDICT_isError(size)) {
    ++turned_down_in_a_row_;
    log->warn("no new compression dictionary: training on {} cases failed ({}); packing goes on with the last one",
              sizes.size(), ZDICT_getErrorName(size));
    return;
  }
  ZSTD_CDict* cdict = ZSTD_createCDict(dictionary.data(), size, options_.compression_level);
  ZSTD_DDict* ddict = ZSTD_createDDict(dictionary.data(), size);
  if (cdict == nullptr || ddict == nullptr) {
    ZSTD_freeCDict(cdict);
    ZSTD_freeDDict(ddict);
    return;
  }
  // Drift is often only a shift in the mix of case states (the first launch on 400,000 waiting
  // events retrained 8-15 times), and a dictionary trained on one mix can pack the next worse:
  // which one a launch ended with moved its packed cases between 42 and 86 MB.
  if (!zstd_->cdicts.empty()) {
    const size_t with_new = packed_samples(cdict);
    const size_t with_current = packed_samples(zstd_->cdicts.back());
    if (static_cast<double>(with_new) > options_.adopt_below * static_cast<double>(with_current)) {
      ZSTD_freeCDict(cdict);
      ZSTD_freeDDict(ddict);
      ++turned_down_in_a_row_;
      ++turned_down_;
      log->info("compression dictionary #{} kept: one retrained on the last {} packed cases packs them to {} bytes, "
                "it to {} (ratio had drifted to {:.2f} from {:.2f})",
                zstd_->cdicts.size(), sizes.size(), with_new, with_current, drifted, baseline_);
      return;
    }
  }
  zstd_->cdicts.push_back(cdict);
  zstd_->ddicts.push_back(ddict);
  measuring_baseline_ = true;
  baseline_sum_ = 0;
  turned_down_in_a_row_ = 0;
  log->info("compression dictionary #{} ({} bytes, {} in memory) trained in {} ms on the last {} packed cases{}",
            zstd_->cdicts.size(), size, ZSTD_sizeof_CDict(cdict) + ZSTD_sizeof_DDict(ddict), took_ms, sizes.size(),
            zstd_->cdicts.size() > 1 ? fmt::format(" (ratio had drifted to {:.2f} from {:.2f})", drifted, baseline_) : "");
}

size_t ResidentCodec::packed_samples(const ZSTD_CDict* dictionary) {
  // frame_ is free here: pack() has copied its frame out before it calls observe().
  size_t total = 0;
  for (const auto& sample : recent_) {
    frame_.resize(ZSTD_compressBound(sample.size()));
    const size_t n = dictionary == nullptr
                         ? ZSTD_compressCCtx(zstd_->cctx, frame_.data(), frame_.size(), sample.data(), sample.size(),
                                             options_.compression_level)
                         : ZSTD_compress_usingCDict(zstd_->cctx, frame_.data(), frame_.size(), sample.data(),
                                                    sample.size(), dictionary);
    total += ZSTD_isError(n) ? sample.size() : n;
  }
  return total;
}

std::string ResidentCodec::pack(const CaseRecord& record, std::string_view snapshot_bytes) {
  std::lock_guard lock(mutex_);
  encode_plain(record, &plain_, snapshot_bytes);
  remember(plain_);
  const uint8_t dict_id = static_cast<uint8_t>(zstd_->cdicts.size());
  frame_.resize(ZSTD_compressBound(plain_.size()));
  size_t n = 0;
  if (dict_id == 0) {
    n = ZSTD_compressCCtx(zstd_->cctx, frame_.data(), frame_.size(), plain_.data(), plain_.size(),
                          options_.compression_level);
  } else {
    n = ZSTD_compress_usingCDict(zstd_->cctx, frame_.data(), frame_.size(), plain_.data(), plain_.size(),
                                 zstd_->cdicts[dict_id - 1]);
  }
  std::string packed;
  if (ZSTD_isError(n)) {
    // Only "destination too small" can fail here, and the bound rules it out; keep the plain form then.
    packed.reserve(1 + plain_.size());
    packed.push_back(static_cast<char>(kPlainMarker));
    packed.append(plain_);
    return packed;
  }
  packed.reserve(1 + n);
  packed.push_back(static_cast<char>(dict_id));
  packed.append(frame_.data(), n);
  observe(plain_.size(), packed.size());
  return packed;
}

bool ResidentCodec::unpack(std::string_view packed, CaseRecord* out) {
  std::lock_guard lock(mutex_);
  if (packed.empty()) return false;
  const auto dict_id = static_cast<uint8_t>(packed[0]);
  const std::string_view frame = packed.substr(1);
  if (dict_id == kPlainMarker) return decode_plain(frame, out);
  if (dict_id > zstd_->ddicts.size()) return false;
  const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxPlainBytes) return false;
  plain_.resize(static_cast<size_t>(size));
  size_t n = 0;
  if (dict_id == 0) {
    n = ZSTD_decompressDCtx(zstd_->dctx, plain_.data(), plain_.size(), frame.data(), frame.size());
  } else {
    n = ZSTD_decompress_usingDDict(zstd_->dctx, plain_.data(), plain_.size(), frame.data(), frame.size(),
                                   zstd_->ddicts[dict_id - 1]);
  }
  if (ZSTD_isError(n) || n != plain_.size()) return false;
  return decode_plain(plain_, out);
}

}  // namespace caselink::sync
