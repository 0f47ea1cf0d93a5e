#include "balancer_metrics.h"

#include "grid/metrics/histogram.h"

namespace grid::balancer {

BalancerMetrics::BalancerMetrics(metrics::Registry& r)
    : requests_(r.counter("balancer_requests_total", "Charge requests answered, by outcome", {"outcome"})),
      dispatch_(r.counter("balancer_dispatch_total", "Charge jobs sent to substations, by substation and outcome",
                          {"substation", "outcome"})),
      dropped_(r.counter("balancer_messages_dropped_total", "Inbound messages dropped, by reason", {"reason"})),
      decision_(r.histogram("balancer_decision_seconds", "Time to pick a substation for one dispatch",
                            metrics::exponential_buckets(1e-7, 4, 10))
                    .add({})),
      request_duration_(r.histogram("balancer_request_duration_seconds",
                                    "Time from a charge request's arrival to its answer",
                                    metrics::exponential_buckets(1e-4, 2.5, 12))
                            .add({})),
      in_flight_(r.gauge("balancer_requests_in_flight", "Charge requests waiting for a substation's answer").add({})),
      live_(r.gauge("balancer_substations_live", "Substations heard from within liveness x heartbeat interval").add({})),
      heartbeats_(r.counter("balancer_heartbeats_received_total", "Heartbeats accepted from substations").add({})),
      cancels_(r.counter("balancer_cancels_sent_total",
                         "Cancels sent to substations whose answer timed out or came after the request moved on",
                         {"reason"})),
      utilization_(r.gauge("balancer_substation_utilization_ratio",
                           "(load + reserved) / capacity, as the balancer believes it", {"substation"})),
      load_kw_(r.gauge("balancer_substation_load_kw", "Load last reported by the substation, in kW", {"substation"})),
      reserved_kw_(r.gauge("balancer_substation_reserved_kw", "Power dispatched to the substation and not yet answered, in kW",
                           {"substation"})),
      capacity_kw_(r.gauge("balancer_substation_capacity_kw", "Capacity reported by the substation, in kW", {"substation"})),
      sessions_(r.gauge("balancer_substation_active_sessions", "Active sessions reported by the substation", {"substation"})),
      substation_live_(r.gauge("balancer_substation_live", "1 while the substation is live, 0 once declared dead",
                               {"substation"})),
      substation_ejected_(r.gauge("balancer_substation_ejected",
                                  "1 while the substation is out of routing for failing its jobs, else 0", {"substation"})),
      ejections_(r.counter("balancer_ejections_total",
                           "Times a substation was taken out of routing for failing jobs in a row").add({})),
      id_conflicts_(r.counter("balancer_substation_id_conflicts_total",
                              "Heartbeats showing two substation processes with one id").add({})) {}

metrics::Counter* BalancerMetrics::find(const CounterCache& cache, std::string_view value) {
  for (const auto& [known, counter] : cache) {
    if (known == value) return counter;
  }
  return nullptr;
}

void BalancerMetrics::request(std::string_view outcome) {
  auto* counter = find(request_counters_, outcome);
  if (counter == nullptr) {
    counter = &requests_.add({{"outcome", std::string(outcome)}});
    request_counters_.emplace_back(std::string(outcome), counter);
  }
  counter->inc();
}

void BalancerMetrics::dispatch(const std::string& substation, std::string_view outcome) {
  auto& cache = series(substation).dispatch;
  auto* counter = find(cache, outcome);
  if (counter == nullptr) {
    counter = &dispatch_.add({{"substation", substation}, {"outcome", std::string(outcome)}});
    cache.emplace_back(std::string(outcome), counter);
  }
  counter->inc();
}

BalancerMetrics::SubstationSeries& BalancerMetrics::series(const std::string& substation) {
  if (const auto found = series_.find(substation); found != series_.end()) return found->second;
  const metrics::Labels labels{{"substation", substation}};
  return series_
      .emplace(substation, SubstationSeries{utilization_.add(labels), load_kw_.add(labels), reserved_kw_.add(labels),
                                            capacity_kw_.add(labels), sessions_.add(labels), substation_live_.add(labels),
                                            substation_ejected_.add(labels)})
      .first->second;
}

void BalancerMetrics::substation(const balancing::Substation& row, std::size_t live_count) {
  auto& s = series(row.id);
  s.utilization.set(row.utilization());
  s.load_kw.set(row.load_kw);
  s.reserved_kw.set(row.reserved_kw);
  s.capacity_kw.set(row.capacity_kw);
  s.sessions.set(row.active_sessions);
  s.live.set(row.live ? 1.0 : 0.0);
  s.ejected.set(row.ejected ? 1.0 : 0.0);
  live_.set(static_cast<double>(live_count));
}

}  // namespace grid::balancer
