#include "services/lib/metrics/process_metrics.h"

#include <dlfcn.h>

#include <array>
#include <cstdint>
#include <fstream>
#include <string>

namespace caselink::metrics {

namespace {

using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);

// Looked up at run time, as build_info.cc does: this library also links without jemalloc.
Mallctl find_mallctl() { return reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl")); }

// jemalloc's statistics are a snapshot refreshed by writing "epoch"; false when it has none.
bool read_heap(Mallctl mallctl, std::array<double, 4>& out) {
  uint64_t epoch = 1;
  size_t length = sizeof(epoch);
  if (mallctl("epoch", &epoch, &length, &epoch, sizeof(epoch)) != 0) return false;
  const char* names[] = {"stats.allocated", "stats.active", "stats.resident", "stats.retained"};
  for (size_t i = 0; i < out.size(); ++i) {
    size_t value = 0;
    length = sizeof(value);
    if (mallctl(names[i], &value, &length, nullptr, 0) != 0) return false;
    out[i] = static_cast<double>(value);
  }
  return true;
}

}  // namespace

ProcessMemory read_process_memory() {
  ProcessMemory m;
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    double kib = 0;
    if (key == "VmRSS:" && status >> kib) m.resident = kib * 1024;
    if (key == "VmHWM:" && status >> kib) m.resident_peak = kib * 1024;
    status.ignore(4096, '\n');
  }
  return m;
}

void register_process_metrics(Registry& registry) {
  Gauge& rss = registry.gauge("process_resident_memory_bytes", "Resident memory size (VmRSS) in bytes.").get();
  Gauge& peak = registry
                    .gauge("caselink_process_resident_memory_peak_bytes",
                           "Peak resident memory size since the process started (VmHWM) in bytes.")
                    .get();
  const Mallctl mallctl = find_mallctl();
  std::array<double, 4> probe{};
  std::array<Gauge*, 4> heap{};
  if (mallctl != nullptr && read_heap(mallctl, probe)) {
    heap = {&registry.gauge("caselink_heap_allocated_bytes", "jemalloc: bytes allocated and not freed.").get(),
            &registry.gauge("caselink_heap_active_bytes", "jemalloc: bytes of the pages holding allocations.").get(),
            &registry
                 .gauge("caselink_heap_resident_bytes",
                        "jemalloc: bytes of the pages it has touched and not returned to the system, metadata included.")
                 .get(),
            &registry
                 .gauge("caselink_heap_retained_bytes", "jemalloc: virtual memory kept for reuse, not resident, in bytes.")
                 .get()};
  }
  registry.on_collect([&rss, &peak, heap, mallctl] {
    const ProcessMemory m = read_process_memory();
    rss.set(m.resident);
    peak.set(m.resident_peak);
    std::array<double, 4> values{};
    if (heap[0] == nullptr || !read_heap(mallctl, values)) return;
    for (size_t i = 0; i < heap.size(); ++i) heap[i]->set(values[i]);
  });
}

}  // namespace caselink::metrics
