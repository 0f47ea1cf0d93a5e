#pragma once
// The standard process_* metrics of Prometheus client libraries, read from /proc at every scrape,
// so dashboards written for any Prometheus client work on our nodes too. prometheus-cpp's core
// has no such collector.
// Thread-safety: Collect() is safe from any thread (it only reads /proc).

#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace grid::metrics {

// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds and process_start_time_seconds, with the Go client's help
// texts. A figure /proc does not give (not Linux, a sandbox) is left out of the scrape rather than
// shown as a made-up 0.
class ProcessCollector final : public prometheus::Collectable {
public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace grid::metrics
