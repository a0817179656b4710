#pragma once

// The three Prometheus metric kinds. Hot-path updates are lock-free atomics (relaxed order);
// objects are neither copyable nor movable, so a reference handed out by a family stays valid
// for the family's lifetime and is safe to cache.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace caselink::metrics {

// Monotonic counter. Whole increments (`inc`) are exact uint64 adds; fractional amounts
// (`add`, e.g. bytes as double or seconds) go to a separate double so counts never lose precision.
class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void inc(std::uint64_t n = 1) noexcept { whole_.fetch_add(n, std::memory_order_relaxed); }

  // Adds a non-negative finite amount. A negative, NaN or infinite amount is a programming
  // error: throws std::invalid_argument.
  void add(double amount);

  // whole() + real(); exact as long as real() == 0 and whole() < 2^53.
  [[nodiscard]] double value() const noexcept;
  [[nodiscard]] std::uint64_t whole() const noexcept { return whole_.load(std::memory_order_relaxed); }
  [[nodiscard]] double real() const noexcept { return real_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> whole_{0};
  std::atomic<double> real_{0.0};
};

// A value that goes up and down (set from a periodic updater, or inc/dec around a resource).
class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void inc(double v = 1.0) noexcept { value_.fetch_add(v, std::memory_order_relaxed); }
  void dec(double v = 1.0) noexcept { value_.fetch_sub(v, std::memory_order_relaxed); }
  [[nodiscard]] double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Default latency buckets, in seconds: 0.0005 … 10.
[[nodiscard]] std::vector<double> default_latency_buckets();

// Checks bucket upper bounds: finite, strictly increasing. A trailing +Inf is accepted and
// dropped (the +Inf bucket is always implicit). Throws std::invalid_argument otherwise.
[[nodiscard]] std::vector<double> validated_buckets(std::vector<double> upper_bounds);

// Fixed-bucket histogram. observe() is one relaxed atomic add on the bucket plus one on the sum.
class Histogram {
 public:
  // Throws std::invalid_argument on bad bounds (see validated_buckets).
  explicit Histogram(std::vector<double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Records a value into the first bucket whose bound is >= v. NaN is ignored.
  void observe(double v) noexcept;

  template <typename Rep, typename Period>
  void observe(std::chrono::duration<Rep, Period> d) noexcept {
    observe(std::chrono::duration<double>(d).count());
  }

  struct Snapshot {
    std::vector<double> upper_bounds;             // without +Inf
    std::vector<std::uint64_t> cumulative_counts;  // upper_bounds.size() + 1; last is +Inf
    double sum = 0.0;
    std::uint64_t count = 0;  // == cumulative_counts.back()
  };
  // A point-in-time copy; concurrent observations may land in the counts but not yet the sum.
  [[nodiscard]] Snapshot snapshot() const;

  [[nodiscard]] const std::vector<double>& upper_bounds() const noexcept { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket, not cumulative
  std::atomic<double> sum_{0.0};
};

}  // namespace caselink::metrics
