#pragma once

// How caselink-sync keeps a case in memory between events.
//
// A parsed CaseRecord (snapshot protobuf with parties, deadlines, timeline and the bookkeeping
// maps) costs about 9 KB of heap; a province holds hundreds of thousands of open cases, almost
// all of them idle. So a committed case rests as one compact byte string — its snapshot and
// bookkeeping serialized and zstd-compressed — and is unpacked only when an event or a due
// timer touches it. The packed form never leaves the process: the state topic stays the only
// durable copy, so the encoding can change between releases without a migration.
//
// Compression uses a dictionary trained (zstd's ZDICT) on cases this process packed: case
// records of one deployment share most of their text (rule sources, event type names, party
// ids, bookkeeping keys), so a dictionary shrinks a ~2.7 KB record several times. The first
// dictionary is trained on the first `training_samples` packs. Early cases are not typical of
// later ones (a fresh deployment sees only first steps; later states carry other deadlines and
// rule texts), so the codec watches its compression ratio and, when it drifts well above the
// ratio it had right after the last training, trains a new dictionary on the most recent packs
// and adopts it only when it packs them clearly better than the current one (a drift is often
// just a shift in the mix of case states, and spent dictionary slots are not given back).
// Each packed value names the dictionary it was packed with (0 = none), so older values stay
// readable; a case moves to the newest dictionary the next time it changes.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "services/daemons/sync/case_engine.h"

struct ZSTD_CDict_s;

namespace caselink::sync {

struct ResidentOptions {
  // Samples a dictionary is trained on, and packs before the first one; 0 disables dictionaries.
  size_t training_samples = 1000;
  // At most this many dictionaries per process (the last one then stays); each costs ~0.3 MB.
  size_t max_dictionaries = 16;
  // Retrain when the recent ratio (packed/plain) exceeds the post-training one by this factor.
  double drift_factor = 1.25;
  // A retrained dictionary is adopted only when it packs the remembered samples to at most this
  // fraction of what the current one packs them to; otherwise the current one stays, no
  // dictionary slot is spent, and the drift is tried again later (the baseline stays the one the
  // current dictionary had on the mix it was trained for: taking its ratio on the drifted mix as
  // the new baseline left a launch packing 100,000 cases with its first dictionary, 106-108 MB
  // instead of 37-56).
  double adopt_below = 0.9;
  size_t dictionary_bytes = 32 * 1024;
  int compression_level = 1;
};

class ResidentCodec {
 public:
  explicit ResidentCodec(ResidentOptions options = {});
  ~ResidentCodec();
  ResidentCodec(const ResidentCodec&) = delete;
  ResidentCodec& operator=(const ResidentCodec&) = delete;

  // Thread-safe (one mutex): the loop thread and the standby replicas' thread (standby.h) share
  // one codec, so a case packed by either unpacks with the other's dictionaries.
  // `snapshot_bytes`: record.snapshot serialized, when the caller has them (a restore has them in
  // the state record it parsed the snapshot from), written as they are instead of serializing
  // the snapshot again; empty: serialized here.
  std::string pack(const CaseRecord& record, std::string_view snapshot_bytes = {});
  // False when `packed` is not something pack() produced (never expected; callers treat it as a bug).
  bool unpack(std::string_view packed, CaseRecord* out);

  // Dictionaries adopted so far (at most max_dictionaries).
  size_t dictionaries() const;
  // Retrained dictionaries turned down so far (adopt_below).
  size_t retrains_turned_down() const;

 private:
  struct Zstd;
  void remember(std::string_view plain);

  ResidentOptions options_;
  mutable std::mutex mutex_;  // guards everything below
  std::unique_ptr<Zstd> zstd_;
  // Scratch buffers reused across calls: a fresh multi-KB buffer per event fragments the heap.
  std::string plain_;
  std::string frame_;
  void observe(size_t plain_bytes, size_t packed_bytes);
  void train();
  // Bytes the remembered samples pack to with `dictionary` (nullptr: none).
  size_t packed_samples(const ZSTD_CDict_s* dictionary);

  std::vector<std::string> recent_;  // the last `training_samples` plain records (ring)
  size_t recent_next_ = 0;
  uint64_t packs_since_training_ = 0;
  bool measuring_baseline_ = false;  // the first packs after an adopted dictionary set the baseline
  uint32_t turned_down_in_a_row_ = 0;
  size_t turned_down_ = 0;
  double baseline_sum_ = 0;          // sum of ratios over the first packs after a training
  double baseline_ = 0;              // their mean, once known
  double recent_ratio_ = 0;          // exponentially weighted recent ratio
};

// The plain (uncompressed) encoding of a record, exposed for tests. `out` is overwritten;
// `snapshot_bytes` as in ResidentCodec::pack.
void encode_plain(const CaseRecord& record, std::string* out, std::string_view snapshot_bytes = {});

// The serialized CaseStateSnapshot inside an encoded Envelope (its case_state_snapshot field),
// read from the wire bytes; nullopt when the field is absent or occurs more than once (the parser
// merges repeated occurrences). Only for bytes that parsed to an Envelope carrying a snapshot
// (CaseEngine::restore succeeded): this scan does not apply the payload oneof (a later member
// clears the snapshot) nor refuse over-long length varints as the parser does.
std::optional<std::string_view> snapshot_bytes_of(std::string_view envelope);
bool decode_plain(std::string_view plain, CaseRecord* out);

// One committed case at rest.
struct ResidentCase {
  std::string packed;
  uint64_t version = 0;
  // CaseEngine::next_timer() of the record, so the timer pass does not unpack idle cases.
  TimePoint next_timer = TimePoint::max();
  // Deadlines overdue and not yet closed by the step they wait for (caselink_sync_deadlines_overdue_open).
  uint32_t overdue_open = 0;
};

// The committed cases of one partition, by case id.
using ResidentCases = std::unordered_map<std::string, ResidentCase>;

}  // namespace caselink::sync
