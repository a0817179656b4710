#include "services/lib/metrics/registry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace caselink::metrics {
namespace {

TEST(MetricsRegistry, CounterExposition) {
  Registry r;
  auto& c = r.counter("caselink_test_total", "A test counter.", {"service", "topic"});
  c.labels({"svc", "b.topic"}).inc(3);
  c.labels({"svc", "a.topic"}).inc();
  r.counter("caselink_plain_total", "No labels.");
  EXPECT_EQ(r.render(),
            "# HELP caselink_plain_total No labels.\n"
            "# TYPE caselink_plain_total counter\n"
            "caselink_plain_total 0\n"
            "# HELP caselink_test_total A test counter.\n"
            "# TYPE caselink_test_total counter\n"
            "caselink_test_total{service=\"svc\",topic=\"a.topic\"} 1\n"
            "caselink_test_total{service=\"svc\",topic=\"b.topic\"} 3\n");
}

TEST(MetricsRegistry, CounterFractionalAdd) {
  Registry r;
  auto& c = r.counter("bytes_total", "Bytes.").get();
  c.inc(2);
  c.add(0.5);
  EXPECT_DOUBLE_EQ(c.value(), 2.5);
  EXPECT_EQ(r.render(), "# HELP bytes_total Bytes.\n# TYPE bytes_total counter\nbytes_total 2.5\n");
  EXPECT_THROW(c.add(-1.0), std::invalid_argument);
  EXPECT_THROW(c.add(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
}

TEST(MetricsRegistry, CounterLargeWholeValueIsExact) {
  Registry r;
  auto& c = r.counter("big_total", "Big.").get();
  c.inc(std::uint64_t{1} << 60);
  c.inc();
  EXPECT_EQ(r.render(), "# HELP big_total Big.\n# TYPE big_total counter\nbig_total 1152921504606846977\n");
}

TEST(MetricsRegistry, GaugeExposition) {
  Registry r;
  auto& g = r.gauge("caselink_lag", "Lag.", {"partition"});
  g.labels({"0"}).set(42);
  g.labels({"1"}).set(10);
  g.labels({"1"}).inc();
  g.labels({"1"}).dec(3.5);
  auto& plain = r.gauge("caselink_up", "Up.").get();
  plain.set(1);
  EXPECT_EQ(r.render(),
            "# HELP caselink_lag Lag.\n"
            "# TYPE caselink_lag gauge\n"
            "caselink_lag{partition=\"0\"} 42\n"
            "caselink_lag{partition=\"1\"} 7.5\n"
            "# HELP caselink_up Up.\n"
            "# TYPE caselink_up gauge\n"
            "caselink_up 1\n");
}

TEST(MetricsRegistry, HistogramExposition) {
  Registry r;
  auto& h = r.histogram("caselink_latency_seconds", "Latency.", {"service"}, {0.1, 0.5, 1});
  auto& child = h.labels({"svc"});
  child.observe(0.05);
  child.observe(0.1);  // le is inclusive
  child.observe(0.3);
  child.observe(std::chrono::milliseconds(2000));
  EXPECT_EQ(r.render(),
            "# HELP caselink_latency_seconds Latency.\n"
            "# TYPE caselink_latency_seconds histogram\n"
            "caselink_latency_seconds_bucket{service=\"svc\",le=\"0.1\"} 2\n"
            "caselink_latency_seconds_bucket{service=\"svc\",le=\"0.5\"} 3\n"
            "caselink_latency_seconds_bucket{service=\"svc\",le=\"1\"} 3\n"
            "caselink_latency_seconds_bucket{service=\"svc\",le=\"+Inf\"} 4\n"
            "caselink_latency_seconds_sum{service=\"svc\"} 2.45\n"
            "caselink_latency_seconds_count{service=\"svc\"} 4\n");
}

TEST(MetricsRegistry, HistogramWithoutLabelsAndDefaultBuckets) {
  Registry r;
  auto& h = r.histogram("d_seconds", "D.").get();
  h.observe(0.0004);
  const std::string text = r.render();
  EXPECT_NE(text.find("d_seconds_bucket{le=\"0.0005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("d_seconds_bucket{le=\"10\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("d_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("d_seconds_count 1\n"), std::string::npos) << text;
  EXPECT_EQ(h.upper_bounds(), default_latency_buckets());
  EXPECT_EQ(default_latency_buckets().front(), 0.0005);
  EXPECT_EQ(default_latency_buckets().back(), 10.0);
}

TEST(MetricsRegistry, HistogramBucketsAreCumulative) {
  Histogram h({1, 2, 3, 4});
  const std::vector<double> values{0.5, 1.5, 1.7, 2.5, 3.5, 3.6, 3.7, 9, 10, 11};
  for (const double v : values) {
    h.observe(v);
  }
  h.observe(std::numeric_limits<double>::quiet_NaN());  // ignored
  const auto s = h.snapshot();
  ASSERT_EQ(s.cumulative_counts.size(), 5U);
  EXPECT_EQ(s.cumulative_counts, (std::vector<std::uint64_t>{1, 3, 4, 7, 10}));
  for (std::size_t i = 1; i < s.cumulative_counts.size(); ++i) {
    EXPECT_LE(s.cumulative_counts[i - 1], s.cumulative_counts[i]);
  }
  EXPECT_EQ(s.count, 10U);
  EXPECT_DOUBLE_EQ(s.sum, 47.0);
}

TEST(MetricsRegistry, HistogramRejectsBadBuckets) {
  Registry r;
  EXPECT_THROW(r.histogram("h1", "h", {}, {1, 1}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h2", "h", {}, {2, 1}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h3", "h", {}, {std::numeric_limits<double>::quiet_NaN()}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h4", "h", {"le"}), std::invalid_argument);
  // A trailing +Inf is accepted and implicit.
  auto& h = r.histogram("h5", "h", {}, {1, std::numeric_limits<double>::infinity()}).get();
  EXPECT_EQ(h.upper_bounds(), std::vector<double>{1});
}

TEST(MetricsRegistry, LabelValueEscaping) {
  Registry r;
  r.counter("esc_total", "Help with \\ and\nnewline.", {"v"}).labels({"a\\b\"c\nd"}).inc();
  EXPECT_EQ(r.render(),
            "# HELP esc_total Help with \\\\ and\\nnewline.\n"
            "# TYPE esc_total counter\n"
            "esc_total{v=\"a\\\\b\\\"c\\nd\"} 1\n");
  EXPECT_EQ(escape_label_value("plain"), "plain");
  EXPECT_EQ(escape_label_value("\\"), "\\\\");
  EXPECT_EQ(escape_label_value("\""), "\\\"");
  EXPECT_EQ(escape_label_value("\n"), "\\n");
}

TEST(MetricsRegistry, FormatValue) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(1), "1");
  EXPECT_EQ(format_value(-2.5), "-2.5");
  EXPECT_EQ(format_value(0.0005), "0.0005");
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(format_value(1e-5), "1e-05");
  EXPECT_EQ(format_value(123456789.0), "123456789");
  EXPECT_EQ(format_value(1e21), "1e+21");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(MetricsRegistry, InvalidNamesRejected) {
  Registry r;
  EXPECT_THROW(r.counter("caselink_messages", "no _total suffix"), std::invalid_argument);
  EXPECT_THROW(r.counter("9starts_with_digit_total", "h"), std::invalid_argument);
  EXPECT_THROW(r.counter("has-dash_total", "h"), std::invalid_argument);
  EXPECT_THROW(r.gauge("", "h"), std::invalid_argument);
  EXPECT_THROW(r.gauge("has space", "h"), std::invalid_argument);
  EXPECT_THROW(r.gauge("g", "h", {"bad-label"}), std::invalid_argument);
  EXPECT_THROW(r.gauge("g", "h", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(r.gauge("g", "h", {"1x"}), std::invalid_argument);
  EXPECT_THROW(r.gauge("g", "h", {"a", "a"}), std::invalid_argument);
  EXPECT_THROW(r.gauge("g", "h", {"with:colon"}), std::invalid_argument);
  EXPECT_NO_THROW(r.gauge("ns:sub_name", "colons are fine in metric names"));
  EXPECT_NO_THROW(r.counter("_x:y_total", "h", {"_a1"}));
  EXPECT_TRUE(is_valid_metric_name("a_b:c1"));
  EXPECT_FALSE(is_valid_metric_name("a.b"));
  EXPECT_TRUE(is_valid_label_name("_a"));
  EXPECT_FALSE(is_valid_label_name("__a"));
}

TEST(MetricsRegistry, WrongLabelArityRejected) {
  Registry r;
  auto& c = r.counter("arity_total", "h", {"a", "b"});
  EXPECT_THROW(c.labels({"only-one"}), std::invalid_argument);
  EXPECT_THROW(c.labels({"1", "2", "3"}), std::invalid_argument);
  EXPECT_NO_THROW(c.labels({"1", "2"}));
}

TEST(MetricsRegistry, ReRegistration) {
  Registry r;
  auto& a = r.counter("same_total", "h", {"x"});
  auto& b = r.counter("same_total", "h", {"x"});
  EXPECT_EQ(&a, &b);
  EXPECT_THROW(r.counter("same_total", "other help", {"x"}), std::invalid_argument);
  EXPECT_THROW(r.counter("same_total", "h", {"y"}), std::invalid_argument);
  EXPECT_THROW(r.gauge("same_total", "h", {"x"}), std::invalid_argument);
  r.histogram("hist", "h", {}, {1, 2});
  EXPECT_NO_THROW(r.histogram("hist", "h", {}, {1, 2}));
  EXPECT_THROW(r.histogram("hist", "h", {}, {1, 3}), std::invalid_argument);
}

TEST(MetricsRegistry, ChildrenAreStableAndRemovable) {
  Registry r;
  auto& f = r.gauge("lag", "h", {"p"});
  Gauge& first = f.labels({"0"});
  for (int i = 1; i < 1000; ++i) {
    f.labels({std::to_string(i)});
  }
  EXPECT_EQ(&first, &f.labels({"0"}));
  EXPECT_EQ(f.size(), 1000U);
  EXPECT_TRUE(f.remove({"5"}));
  EXPECT_FALSE(f.remove({"5"}));
  EXPECT_EQ(f.size(), 999U);
  EXPECT_EQ(r.render().find("lag{p=\"5\"}"), std::string::npos);
}

TEST(MetricsRegistry, OnCollectHookRunsBeforeRender) {
  Registry r;
  auto& g = r.gauge("cb", "h").get();
  int calls = 0;
  r.on_collect([&] { g.set(++calls); });
  EXPECT_NE(r.render().find("cb 1\n"), std::string::npos);
  EXPECT_NE(r.render().find("cb 2\n"), std::string::npos);
}

TEST(MetricsRegistry, ConcurrentIncrementsAreExact) {
  Registry r;
  auto& counters = r.counter("conc_total", "h", {"t"});
  auto& hist = r.histogram("conc_seconds", "h", {}, {0.5});
  auto& gauge = r.gauge("conc_gauge", "h").get();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Counter& cached = counters.labels({"cached"});
      for (int i = 0; i < kPerThread; ++i) {
        cached.inc();
        counters.labels({"lookup" + std::to_string(i % 4)}).inc();  // concurrent child creation
        hist.get().observe((i + t) % 2 == 0 ? 0.25 : 1.0);
        gauge.inc();
        if (i % 1000 == 0) {
          (void)r.render();  // readers alongside writers
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(counters.labels({"cached"}).whole(), std::uint64_t{kThreads} * kPerThread);
  std::uint64_t looked_up = 0;
  for (int k = 0; k < 4; ++k) {
    looked_up += counters.labels({"lookup" + std::to_string(k)}).whole();
  }
  EXPECT_EQ(looked_up, std::uint64_t{kThreads} * kPerThread);
  const auto s = hist.get().snapshot();
  EXPECT_EQ(s.count, std::uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(s.cumulative_counts[0], std::uint64_t{kThreads} * kPerThread / 2);
  EXPECT_DOUBLE_EQ(s.sum, kThreads * kPerThread / 2 * 0.25 + kThreads * kPerThread / 2 * 1.0);
  EXPECT_DOUBLE_EQ(gauge.value(), kThreads * kPerThread);
}

}  // namespace
}  // namespace caselink::metrics
