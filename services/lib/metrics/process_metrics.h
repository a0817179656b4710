#pragma once

// The process's memory as Prometheus gauges, set at every scrape (Registry::on_collect):
//   process_resident_memory_bytes            VmRSS (the Prometheus client libraries' name)
//   caselink_process_resident_memory_peak_bytes  VmHWM, the peak since start
// and, when jemalloc serves malloc (CASELINK_ALLOCATOR, the default for daemons), its own view,
// which tells live data from memory the allocator holds on to:
//   caselink_heap_allocated_bytes   bytes the process has allocated and not freed
//   caselink_heap_active_bytes      pages holding allocations
//   caselink_heap_resident_bytes    pages jemalloc has touched and not returned (incl. metadata)
//   caselink_heap_retained_bytes    virtual memory kept for reuse, not resident
// Without jemalloc (tests, CASELINK_ALLOCATOR=system) the heap gauges are not registered.

#include "services/lib/metrics/registry.h"

namespace caselink::metrics {

void register_process_metrics(Registry& registry);

// VmRSS and VmHWM of this process in bytes (0 when /proc cannot be read).
struct ProcessMemory {
  double resident = 0;
  double resident_peak = 0;
};
ProcessMemory read_process_memory();

}  // namespace caselink::metrics
