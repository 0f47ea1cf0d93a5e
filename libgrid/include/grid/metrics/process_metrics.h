#pragma once
// The standard process_* metrics of Prometheus client libraries, read from /proc/self at scrape
// time, so dashboards written for any Prometheus client work on our nodes too.
// Thread-safety: call once per registry (a second call is harmless, but adds a second hook).

#include "grid/metrics/registry.h"

namespace grid::metrics {

// Registers process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds and process_start_time_seconds, refreshed on collect. A value
// /proc does not give (not Linux, a sandbox) is left at its last value.
void add_process_metrics(Registry& registry);

}  // namespace grid::metrics
