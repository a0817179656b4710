#pragma once

// A small thread-safe Prometheus registry: metric families with label names fixed at
// registration, one child per combination of label values, rendered in the text exposition
// format 0.0.4 for GET /metrics.
//
//   metrics::Registry registry;
//   auto& consumed = registry.counter("caselink_messages_consumed_total", "Records consumed.",
//                                     {"service", "topic"});
//   metrics::Counter& c = consumed.labels({"caselink-sync", "caselink.referral.v1"});  // cache it
//   c.inc();
//
// Programming errors (bad metric or label name, counter without _total, wrong number of label
// values, conflicting re-registration) throw std::invalid_argument where they happen.

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "services/lib/metrics/metric_types.h"

namespace caselink::metrics {

using LabelValues = std::vector<std::string>;

namespace detail {

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& help() const noexcept { return help_; }
  [[nodiscard]] const std::vector<std::string>& label_names() const noexcept { return label_names_; }

  // Appends "# HELP", "# TYPE" and every sample line of this family to `out`.
  virtual void render(std::string& out) const = 0;

 protected:
  void check_arity(const LabelValues& values) const;

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
};

}  // namespace detail

// All children of one metric name. Children are created on first use and live as long as the
// family (i.e. the Registry) unless remove() is called; references are stable, so cache them.
template <typename Metric>
class Family final : public detail::FamilyBase {
 public:
  using Factory = std::function<std::unique_ptr<Metric>()>;

  Family(std::string name, std::string help, std::vector<std::string> label_names, Factory factory);

  // The child for these label values (one per label name, in registration order); created on
  // first use. Throws std::invalid_argument if the number of values is wrong.
  Metric& labels(const LabelValues& values);

  // The only child of a family registered without labels.
  Metric& get() { return labels({}); }

  // Drops a child (e.g. the lag gauge of a partition no longer assigned). Invalidates
  // references to that child. Returns false if it did not exist.
  bool remove(const LabelValues& values);

  [[nodiscard]] std::size_t size() const;

  void render(std::string& out) const override;

 private:
  Factory factory_;
  mutable std::shared_mutex mutex_;
  std::map<LabelValues, std::unique_ptr<Metric>> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registration. Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, counters must end in _total,
  // label names must match [a-zA-Z_][a-zA-Z0-9_]* and not start with "__" ("le" is reserved
  // for histograms). Registering the same name again with the same kind, help, labels (and
  // buckets) returns the existing family; any difference throws std::invalid_argument.
  // A family without labels gets its single child at once, so it renders 0 from the start.
  CounterFamily& counter(const std::string& name, const std::string& help,
                         std::vector<std::string> label_names = {});
  GaugeFamily& gauge(const std::string& name, const std::string& help,
                     std::vector<std::string> label_names = {});
  HistogramFamily& histogram(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names = {},
                             std::vector<double> buckets = default_latency_buckets());

  // A hook run at the start of every render(), before any family is read: the place to set
  // "callback" gauges such as consumer lag from the latest client statistics. Hooks run on the
  // rendering thread, outside the registry's locks; an exception from a hook propagates out of
  // render().
  void on_collect(std::function<void()> hook);

  // Text exposition format 0.0.4; families sorted by name, children by label values.
  [[nodiscard]] std::string render() const;

 private:
  struct Entry {
    std::unique_ptr<detail::FamilyBase> family;
    std::string signature;  // kind, help, labels, buckets: what must match on re-registration
  };
  detail::FamilyBase& insert_or_get(std::unique_ptr<detail::FamilyBase> family, std::string signature);

  mutable std::mutex mutex_;
  std::map<std::string, Entry> families_;
  mutable std::mutex hooks_mutex_;
  std::vector<std::function<void()>> hooks_;
};

// Exposed for tests and for other exporters.
[[nodiscard]] bool is_valid_metric_name(std::string_view name) noexcept;
[[nodiscard]] bool is_valid_label_name(std::string_view name) noexcept;
// Label value escaping: backslash, double quote and newline.
[[nodiscard]] std::string escape_label_value(std::string_view value);
// Prometheus number formatting: "+Inf", "-Inf", "NaN", otherwise the shortest round-trip form.
[[nodiscard]] std::string format_value(double v);

}  // namespace caselink::metrics
