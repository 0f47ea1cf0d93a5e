#pragma once
// A substation's metrics, registered once in a prometheus-cpp Registry, every series labelled with
// the substation's id. The node counts into the series kept here, never looking one up per event.
// Thread-safety: the substation's thread counts (the caches are not shared); scrapes read
// prometheus-cpp's atomics from any thread.

#include <array>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "grid/metrics/series_cache.h"
#include "station.h"

namespace grid::substation {

struct SubstationMetrics {
  // The reasons of substation_messages_dropped_total beyond the codec's, each shown at 0 from the
  // start so dashboards and rate() see a zero rather than no data on a healthy grid.
  static constexpr std::array node_drop_reasons{"unexpected_command", "reply_would_block", "grant_for_another_substation",
                                                "stale_grant"};

  SubstationMetrics(prometheus::Registry& registry, const std::string& id);

  // Everything a step of the station's time did: energy, ended sessions, switches.
  void count(const Progress& progress);
  // The gauges, from the station's totals.
  void show(const StationTotals& totals, double capacity_kw);
  // The feeder gauges, from the lease.
  void show(const FeederLease& feeder);

  prometheus::Labels labels;
  prometheus::Gauge& current_load;
  prometheus::Gauge& load_kw;
  prometheus::Gauge& capacity_kw;
  prometheus::Gauge& utilization;
  prometheus::Gauge& limit_kw;
  prometheus::Gauge& allocated_kw;
  prometheus::Gauge& demand_kw;
  prometheus::Gauge& min_kw;
  prometheus::Gauge& charging;
  prometheus::Gauge& paused;
  prometheus::Counter& started;
  prometheus::Counter& completed;
  prometheus::Counter& departed;
  prometheus::Counter& stopped;
  metrics::SeriesCache<prometheus::Counter> rejected;  // by power::Refusal
  prometheus::Counter& repeated;
  prometheus::Counter& energy_requested;
  prometheus::Counter& energy;  // delivered
  prometheus::Counter& energy_unserved;
  prometheus::Counter& switches;
  prometheus::Counter& limit_changes;
  prometheus::Counter& heartbeats;
  prometheus::Counter& announced;  // Admitted messages published
  prometheus::Counter& cancelled;
  metrics::SeriesCache<prometheus::Counter> dropped;  // by reason
  prometheus::Gauge& granted_kw;
  prometheus::Gauge& in_fallback;
  prometheus::Counter& fallbacks;
  prometheus::Counter& grants;
  prometheus::Counter& grants_refused;  // from a higher balancer boot while a lower one's lease runs
  prometheus::Counter& state_commits;  // --state: transactions committed
  prometheus::Histogram& state_commit_seconds;
};

}  // namespace grid::substation
