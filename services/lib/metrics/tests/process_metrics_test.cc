// The process's memory gauges (process_metrics.h): set at every scrape from /proc, and
// jemalloc's heap gauges only when jemalloc serves malloc.
#include "services/lib/metrics/process_metrics.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <memory>
#include <string>
#include <vector>

namespace caselink::metrics {
namespace {

double sample(const std::string& text, const std::string& name) {
  const auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

TEST(ProcessMetrics, ResidentMemoryAndItsPeakAreSetAtEveryScrape) {
  Registry registry;
  register_process_metrics(registry);
  const std::string before = registry.render();
  const double rss0 = sample(before, "process_resident_memory_bytes");
  const double peak0 = sample(before, "caselink_process_resident_memory_peak_bytes");
  EXPECT_GT(rss0, 1024.0 * 1024) << "VmRSS of a running test is more than 1 MiB";
  ASSERT_GE(peak0, rss0);
  // Touch enough pages to lift the peak 64 MiB above where it was, whatever earlier tests did,
  // and read them back so the allocation cannot be optimised away; then free them.
  const size_t bytes = static_cast<size_t>(peak0 - rss0) + (64u << 20);
  {
    auto block = std::make_unique<char[]>(bytes);
    volatile char* pages = block.get();
    for (size_t i = 0; i < bytes; i += 4096) pages[i] = 1;
    size_t touched = 0;
    for (size_t i = 0; i < bytes; i += 4096) touched += static_cast<size_t>(pages[i]);
    ASSERT_EQ(touched, (bytes + 4095) / 4096);
  }
  const std::string after = registry.render();
  EXPECT_GE(sample(after, "caselink_process_resident_memory_peak_bytes"), peak0 + (60 << 20)) << "the peak of the scrape";
  // glibc returns a block this large to the system when it is freed: the resident gauge falls
  // back while the peak stays (the two gauges are not fed from the same field).
  EXPECT_LT(sample(after, "process_resident_memory_bytes"), sample(after, "caselink_process_resident_memory_peak_bytes") - (32 << 20));
}

TEST(ProcessMetrics, HeapGaugesOnlyWithJemalloc) {
  Registry registry;
  register_process_metrics(registry);
  const std::string text = registry.render();
  const bool jemalloc = dlsym(RTLD_DEFAULT, "mallctl") != nullptr;
  for (const char* name : {"caselink_heap_allocated_bytes", "caselink_heap_active_bytes", "caselink_heap_resident_bytes",
                           "caselink_heap_retained_bytes"}) {
    if (jemalloc) {
      EXPECT_GT(sample(text, name), 0) << name;
    } else {
      EXPECT_EQ(text.find(name), std::string::npos) << name << " registered without jemalloc";
    }
  }
}

}  // namespace
}  // namespace caselink::metrics
