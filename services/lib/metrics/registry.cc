#include "services/lib/metrics/registry.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace caselink::metrics {

// ---------------------------------------------------------------------------------------------
// Names, escaping, number formatting

namespace {

bool is_name_start(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
}

bool is_name_char(char c, bool allow_colon) {
  return is_name_start(c, allow_colon) || (c >= '0' && c <= '9');
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) {
      out += ',';
    }
    out += p;
  }
  return out;
}

[[noreturn]] void fail(const std::string& metric, const std::string& what) {
  throw std::invalid_argument("metrics: '" + metric + "': " + what);
}

void validate_family(const std::string& name, const std::vector<std::string>& label_names,
                     bool is_counter, bool is_histogram) {
  if (!is_valid_metric_name(name)) {
    fail(name, "invalid metric name (must match [a-zA-Z_:][a-zA-Z0-9_:]*)");
  }
  if (is_counter && !ends_with(name, "_total")) {
    fail(name, "counter names must end in _total");
  }
  std::set<std::string> seen;
  for (const auto& label : label_names) {
    if (!is_valid_label_name(label)) {
      fail(name, "invalid label name '" + label +
                     "' (must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __)");
    }
    if (is_histogram && label == "le") {
      fail(name, "label name 'le' is reserved for histogram buckets");
    }
    if (!seen.insert(label).second) {
      fail(name, "duplicate label name '" + label + "'");
    }
  }
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void append_header(std::string& out, const std::string& name, const std::string& help,
                   const char* type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += escape_help(help);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// name{a="x",b="y"[,le="0.5"]}
void append_series(std::string& out, std::string_view name, const std::vector<std::string>& label_names,
                   const LabelValues& values, const char* extra_name = nullptr,
                   std::string_view extra_value = {}) {
  out += name;
  if (label_names.empty() && extra_name == nullptr) {
    return;
  }
  out += '{';
  bool first = true;
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    if (!first) {
      out += ',';
    }
    first = false;
    out += label_names[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
  if (extra_name != nullptr) {
    if (!first) {
      out += ',';
    }
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void append_value(std::string& out, const std::string& value) {
  out += ' ';
  out += value;
  out += '\n';
}

const char* type_name(const Counter*) { return "counter"; }
const char* type_name(const Gauge*) { return "gauge"; }
const char* type_name(const Histogram*) { return "histogram"; }

void render_child(std::string& out, const std::string& name, const std::vector<std::string>& label_names,
                  const LabelValues& values, const Counter& c) {
  append_series(out, name, label_names, values);
  const double real = c.real();
  append_value(out, real == 0.0 ? std::to_string(c.whole()) : format_value(c.value()));
}

void render_child(std::string& out, const std::string& name, const std::vector<std::string>& label_names,
                  const LabelValues& values, const Gauge& g) {
  append_series(out, name, label_names, values);
  append_value(out, format_value(g.value()));
}

void render_child(std::string& out, const std::string& name, const std::vector<std::string>& label_names,
                  const LabelValues& values, const Histogram& h) {
  const Histogram::Snapshot s = h.snapshot();
  const std::string bucket = name + "_bucket";
  for (std::size_t i = 0; i < s.upper_bounds.size(); ++i) {
    append_series(out, bucket, label_names, values, "le", format_value(s.upper_bounds[i]));
    append_value(out, std::to_string(s.cumulative_counts[i]));
  }
  append_series(out, bucket, label_names, values, "le", "+Inf");
  append_value(out, std::to_string(s.cumulative_counts.back()));
  append_series(out, name + "_sum", label_names, values);
  append_value(out, format_value(s.sum));
  append_series(out, name + "_count", label_names, values);
  append_value(out, std::to_string(s.count));
}

}  // namespace

bool is_valid_metric_name(std::string_view name) noexcept {
  if (name.empty() || !is_name_start(name.front(), true)) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) { return is_name_char(c, true); });
}

bool is_valid_label_name(std::string_view name) noexcept {
  if (name.empty() || !is_name_start(name.front(), false) || name.substr(0, 2) == "__") {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) { return is_name_char(c, false); });
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  // Shortest round-trip digits; fixed notation for "ordinary" magnitudes (0.0005, 2.5, 1234),
  // scientific for very small or very large ones (1e-05, 1e+21).
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::scientific);
  if (ec != std::errc{}) {
    return std::to_string(v);
  }
  const std::string scientific(buf.data(), end);
  const auto e = scientific.find('e');
  const int exponent = e == std::string::npos ? 0 : std::atoi(scientific.c_str() + e + 1);
  if (exponent < -4 || exponent >= 21) {
    return scientific;
  }
  auto [fixed_end, fixed_ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed);
  if (fixed_ec != std::errc{}) {
    return scientific;
  }
  return std::string(buf.data(), fixed_end);
}

// ---------------------------------------------------------------------------------------------
// Families

namespace detail {

FamilyBase::FamilyBase(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

void FamilyBase::check_arity(const LabelValues& values) const {
  if (values.size() != label_names_.size()) {
    fail(name_, "expected " + std::to_string(label_names_.size()) + " label value(s) {" +
                    join(label_names_) + "}, got " + std::to_string(values.size()) + " {" +
                    join(values) + "}");
  }
}

}  // namespace detail

template <typename Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       Factory factory)
    : FamilyBase(std::move(name), std::move(help), std::move(label_names)), factory_(std::move(factory)) {}

template <typename Metric>
Metric& Family<Metric>::labels(const LabelValues& values) {
  check_arity(values);
  {
    std::shared_lock lock(mutex_);
    const auto it = children_.find(values);
    if (it != children_.end()) {
      return *it->second;
    }
  }
  std::unique_lock lock(mutex_);
  auto [it, inserted] = children_.try_emplace(values);
  if (inserted) {
    it->second = factory_();
  }
  return *it->second;
}

template <typename Metric>
bool Family<Metric>::remove(const LabelValues& values) {
  check_arity(values);
  std::unique_lock lock(mutex_);
  return children_.erase(values) > 0;
}

template <typename Metric>
std::size_t Family<Metric>::size() const {
  std::shared_lock lock(mutex_);
  return children_.size();
}

template <typename Metric>
void Family<Metric>::render(std::string& out) const {
  append_header(out, name(), help(), type_name(static_cast<const Metric*>(nullptr)));
  std::shared_lock lock(mutex_);
  for (const auto& [values, child] : children_) {
    render_child(out, name(), label_names(), values, *child);
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---------------------------------------------------------------------------------------------
// Registry

Registry::Registry() = default;
Registry::~Registry() = default;

detail::FamilyBase& Registry::insert_or_get(std::unique_ptr<detail::FamilyBase> family,
                                            std::string signature) {
  std::lock_guard lock(mutex_);
  const std::string name = family->name();
  const auto it = families_.find(name);
  if (it != families_.end()) {
    if (it->second.signature != signature) {
      fail(name, "already registered with a different type, help, label names or buckets");
    }
    return *it->second.family;
  }
  auto& entry = families_[name];
  entry.family = std::move(family);
  entry.signature = std::move(signature);
  return *entry.family;
}

namespace {

template <typename Metric>
std::string signature_of(const std::string& help, const std::vector<std::string>& label_names,
                         const std::vector<double>& buckets = {}) {
  std::string s = type_name(static_cast<const Metric*>(nullptr));
  s += '\0';
  s += help;
  s += '\0';
  s += join(label_names);
  for (const double b : buckets) {
    s += '\0';
    s += format_value(b);
  }
  return s;
}

}  // namespace

CounterFamily& Registry::counter(const std::string& name, const std::string& help,
                                 std::vector<std::string> label_names) {
  validate_family(name, label_names, /*is_counter=*/true, /*is_histogram=*/false);
  auto signature = signature_of<Counter>(help, label_names);
  const bool unlabelled = label_names.empty();
  auto& family = static_cast<CounterFamily&>(insert_or_get(
      std::make_unique<CounterFamily>(name, help, std::move(label_names),
                                      [] { return std::make_unique<Counter>(); }),
      std::move(signature)));
  if (unlabelled) {
    family.get();
  }
  return family;
}

GaugeFamily& Registry::gauge(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names) {
  validate_family(name, label_names, /*is_counter=*/false, /*is_histogram=*/false);
  auto signature = signature_of<Gauge>(help, label_names);
  const bool unlabelled = label_names.empty();
  auto& family = static_cast<GaugeFamily&>(insert_or_get(
      std::make_unique<GaugeFamily>(name, help, std::move(label_names),
                                    [] { return std::make_unique<Gauge>(); }),
      std::move(signature)));
  if (unlabelled) {
    family.get();
  }
  return family;
}

HistogramFamily& Registry::histogram(const std::string& name, const std::string& help,
                                     std::vector<std::string> label_names, std::vector<double> buckets) {
  validate_family(name, label_names, /*is_counter=*/false, /*is_histogram=*/true);
  std::vector<double> bounds;
  try {
    bounds = validated_buckets(std::move(buckets));
  } catch (const std::invalid_argument& e) {
    fail(name, e.what());
  }
  auto signature = signature_of<Histogram>(help, label_names, bounds);
  const bool unlabelled = label_names.empty();
  auto& family = static_cast<HistogramFamily&>(insert_or_get(
      std::make_unique<HistogramFamily>(name, help, std::move(label_names),
                                        [bounds] { return std::make_unique<Histogram>(bounds); }),
      std::move(signature)));
  if (unlabelled) {
    family.get();
  }
  return family;
}

void Registry::on_collect(std::function<void()> hook) {
  std::lock_guard lock(hooks_mutex_);
  hooks_.push_back(std::move(hook));
}

std::string Registry::render() const {
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard lock(hooks_mutex_);
    hooks = hooks_;
  }
  for (const auto& hook : hooks) {
    hook();
  }
  std::string out;
  out.reserve(4096);
  std::lock_guard lock(mutex_);
  for (const auto& [name, entry] : families_) {
    entry.family->render(out);
  }
  return out;
}

}  // namespace caselink::metrics
