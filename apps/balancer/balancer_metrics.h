#pragma once
// The balancer's metrics, registered once in a prometheus-cpp Registry; the series the hot path
// counts are looked up once and cached, so an event does no label lookup.
// Thread-safety: the balancer thread updates (the caches are not shared); scrapes read
// prometheus-cpp's atomics from any thread.

#include <array>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "grid/balancing/load_table.h"
#include "grid/metrics/series_cache.h"

namespace grid::balancer {

class BalancerMetrics {
public:
  // The reasons of balancer_messages_dropped_total beyond the codec's, each shown at 0 from the
  // start so dashboards and rate() see a zero rather than no data on a healthy grid.
  static constexpr std::array node_drop_reasons{"unexpected_command", "requester_gone", "table_full", "stale_seq",
                                                "late_acceptance",    "unknown_job",    "wrong_peer",
                                                 "id_conflict",        "unknown_query",  "identity_mismatch",
                                                "unexpected_index",   "previous_boot"};
  // The sockets of balancer_auth_refused_total: the ZAP domain each of them is checked in.
  static constexpr std::array auth_sockets{"frontend", "backend", "heartbeats"};
  // The bounded labels of balancer_forwarded_queries_total, every pair shown at 0 from the start.
  static constexpr std::array query_kinds{"session", "stop", "set_limit", "substations"};
  static constexpr std::array query_outcomes{"answered", "timeout", "not_live", "unknown", "unreachable", "busy"};
  // The outcomes of balancer_admission_reads_total.
  static constexpr std::array index_read_outcomes{"complete", "abandoned"};
  // The reasons of balancer_cancels_sent_total.
  static constexpr std::array cancel_reasons{"timeout", "late_acceptance", "duplicate"};

  explicit BalancerMetrics(prometheus::Registry& registry);

  void request(std::string_view outcome) { requests_.get(outcome).Increment(); }
  void dispatch(const std::string& substation, std::string_view outcome) {
    series(substation).dispatch.get(outcome).Increment();
  }
  void dropped(std::string_view reason) { dropped_.get(reason).Increment(); }
  // A CURVE handshake the ZAP handler refused; `socket` is one of auth_sockets.
  void auth_refused(std::string_view socket) { auth_refused_.get(socket).Increment(); }
  void decision_seconds(double seconds) { decision_.Observe(seconds); }
  void request_seconds(double seconds) { request_duration_.Observe(seconds); }
  void in_flight(std::size_t count) { in_flight_.Set(static_cast<double>(count)); }
  void heartbeat() { heartbeats_.Increment(); }
  void cancel(std::string_view reason) { cancels_.get(reason).Increment(); }
  void ejection() { ejections_.Increment(); }
  // A reading of a (re)connected substation's admissions ended; outcome from index_read_outcomes.
  void index_read(std::string_view outcome) { index_reads_.get(outcome).Increment(); }
  void learned(std::size_t requests) { learned_.Increment(static_cast<double>(requests)); }
  // An admission another balancer placed, heard from the substation's announcement.
  void peer_admission() { peer_admissions_.Increment(); }
  void id_conflict() { id_conflicts_.Increment(); }
  // A query from a requester that the balancer forwarded to a substation or answered itself.
  // kind and outcome must come from query_kinds and query_outcomes (bounded labels).
  void forwarded_query(std::string_view kind, std::string_view outcome);
  // Mirrors what the table believes of one substation, and how many are live.
  void substation(const balancing::Substation& row, std::size_t live_count);

private:
  using CounterFamily = prometheus::Family<prometheus::Counter>;
  using GaugeFamily = prometheus::Family<prometheus::Gauge>;

  struct SubstationSeries {
    prometheus::Gauge& utilization;
    prometheus::Gauge& load_kw;
    prometheus::Gauge& reserved_kw;
    prometheus::Gauge& capacity_kw;
    prometheus::Gauge& limit_kw;
    prometheus::Gauge& demand_kw;
    prometheus::Gauge& min_kw;
    prometheus::Gauge& sessions;
    prometheus::Gauge& live;
    prometheus::Gauge& ejected;
    metrics::SeriesCache<prometheus::Counter> dispatch;  // balancer_dispatch_total by outcome
  };
  SubstationSeries& series(const std::string& substation);

  CounterFamily& dispatch_family_;
  GaugeFamily& utilization_;
  GaugeFamily& load_kw_;
  GaugeFamily& reserved_kw_;
  GaugeFamily& capacity_kw_;
  GaugeFamily& limit_kw_;
  GaugeFamily& demand_kw_;
  GaugeFamily& min_kw_;
  GaugeFamily& sessions_;
  GaugeFamily& substation_live_;
  GaugeFamily& substation_ejected_;
  metrics::SeriesCache<prometheus::Counter> requests_;  // by outcome
  metrics::SeriesCache<prometheus::Counter> dropped_;   // by reason
  metrics::SeriesCache<prometheus::Counter> cancels_;   // by reason
  metrics::SeriesCache<prometheus::Counter> auth_refused_;  // by socket
  metrics::SeriesCache<prometheus::Counter> index_reads_;   // by outcome
  prometheus::Counter& learned_;
  prometheus::Counter& peer_admissions_;
  CounterFamily& forwarded_;
  prometheus::Histogram& decision_;
  prometheus::Histogram& request_duration_;
  prometheus::Gauge& in_flight_;
  prometheus::Gauge& live_;
  prometheus::Counter& heartbeats_;
  prometheus::Counter& ejections_;
  prometheus::Counter& id_conflicts_;
  std::unordered_map<std::string, SubstationSeries> series_;
  std::pair<const std::string, SubstationSeries>* last_ = nullptr;  // the entry series() found last
};

}  // namespace grid::balancer
