#pragma once
// A substation's metrics, registered once in a prometheus-cpp Registry, every series labelled with
// the substation's id. The node counts into the series kept here, never looking one up per event.
// Thread-safety: the substation's thread counts (the dropped cache is not shared); scrapes read
// prometheus-cpp's atomics from any thread.

#include <array>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "grid/metrics/series_cache.h"

namespace grid::substation {

struct SubstationMetrics {
  // The reasons of substation_messages_dropped_total beyond the codec's, each shown at 0 from the
  // start so dashboards and rate() see a zero rather than no data on a healthy grid.
  static constexpr std::array node_drop_reasons{"unexpected_command", "reply_would_block"};

  SubstationMetrics(prometheus::Registry& registry, const std::string& id);

  prometheus::Labels labels;
  prometheus::Gauge& current_load;
  prometheus::Gauge& load_kw;
  prometheus::Gauge& capacity_kw;
  prometheus::Gauge& utilization;
  prometheus::Counter& started;
  prometheus::Counter& completed;
  metrics::SeriesCache<prometheus::Counter> rejected;  // by power::Refusal
  prometheus::Counter& repeated;
  prometheus::Counter& energy;
  prometheus::Counter& heartbeats;
  prometheus::Counter& cancelled;
  metrics::SeriesCache<prometheus::Counter> dropped;  // by reason
};

}  // namespace grid::substation
