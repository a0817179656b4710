// The process's memory gauges (process_metrics.h): set at every scrape from /proc, and
// jemalloc's heap gauges only when jemalloc serves malloc.
#include "services/lib/metrics/process_metrics.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

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
  const double before = sample(registry.render(), "process_resident_memory_bytes");
  EXPECT_GT(before, 1024.0 * 1024) << "VmRSS of a running test is more than 1 MiB";
  // 64 MiB touched: the next scrape shows it (the peak at least, whatever the allocator returns).
  std::vector<char> block(64 << 20);
  for (size_t i = 0; i < block.size(); i += 4096) block[i] = 1;
  const std::string text = registry.render();
  EXPECT_GE(sample(text, "caselink_process_resident_memory_peak_bytes"), before + (60 << 20));
  EXPECT_GE(sample(text, "caselink_process_resident_memory_peak_bytes"), sample(text, "process_resident_memory_bytes"));
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
