#pragma once
// The balancer's metrics, registered once; per-substation series are cached so the hot path does
// no label lookup. Thread-safety: the balancer thread updates; scrapes read atomics.

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "grid/balancing/load_table.h"
#include "grid/metrics/registry.h"

namespace grid::balancer {

class BalancerMetrics {
public:
  explicit BalancerMetrics(metrics::Registry& registry);

  void request(std::string_view outcome);
  void dispatch(const std::string& substation, std::string_view outcome);
  void dropped(std::string_view reason) { dropped_.add({{"reason", std::string(reason)}}).inc(); }
  void decision_seconds(double seconds) { decision_.observe(seconds); }
  void request_seconds(double seconds) { request_duration_.observe(seconds); }
  void in_flight(std::size_t count) { in_flight_.set(static_cast<double>(count)); }
  void heartbeat() { heartbeats_.inc(); }
  void cancel(std::string_view reason) { cancels_.add({{"reason", std::string(reason)}}).inc(); }
  void ejection() { ejections_.inc(); }
  void id_conflict() { id_conflicts_.inc(); }
  // Mirrors what the table believes of one substation, and how many are live.
  void substation(const balancing::Substation& row, std::size_t live_count);

private:
  // Series of a labelled counter by the value of its last label, looked up once: building a Labels
  // map and searching the family per request was a tenth of the balancer's time per request.
  // Outcomes are a handful of fixed words, so a short vector is the fastest map.
  using CounterCache = std::vector<std::pair<std::string, metrics::Counter*>>;
  static metrics::Counter* find(const CounterCache& cache, std::string_view value);

  struct SubstationSeries {
    metrics::Gauge& utilization;
    metrics::Gauge& load_kw;
    metrics::Gauge& reserved_kw;
    metrics::Gauge& capacity_kw;
    metrics::Gauge& sessions;
    metrics::Gauge& live;
    metrics::Gauge& ejected;
    CounterCache dispatch{};  // balancer_dispatch_total by outcome
  };
  SubstationSeries& series(const std::string& substation);

  metrics::Family<metrics::Counter>& requests_;
  metrics::Family<metrics::Counter>& dispatch_;
  metrics::Family<metrics::Counter>& dropped_;
  metrics::Histogram& decision_;
  metrics::Histogram& request_duration_;
  metrics::Gauge& in_flight_;
  metrics::Gauge& live_;
  metrics::Counter& heartbeats_;
  metrics::Family<metrics::Counter>& cancels_;
  metrics::Family<metrics::Gauge>& utilization_;
  metrics::Family<metrics::Gauge>& load_kw_;
  metrics::Family<metrics::Gauge>& reserved_kw_;
  metrics::Family<metrics::Gauge>& capacity_kw_;
  metrics::Family<metrics::Gauge>& sessions_;
  metrics::Family<metrics::Gauge>& substation_live_;
  metrics::Family<metrics::Gauge>& substation_ejected_;
  metrics::Counter& ejections_;
  metrics::Counter& id_conflicts_;
  std::unordered_map<std::string, SubstationSeries> series_;
  CounterCache request_counters_;
};

}  // namespace grid::balancer
