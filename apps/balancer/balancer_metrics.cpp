#include "balancer_metrics.h"

#include "grid/metrics/buckets.h"
#include "grid/proto/codec.h"

namespace grid::balancer {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

}  // namespace

BalancerMetrics::BalancerMetrics(prometheus::Registry& r)
    : dispatch_family_(BuildCounter()
                           .Name("balancer_dispatch_total")
                           .Help("Charge jobs sent to substations, by substation and outcome")
                           .Register(r)),
      utilization_(BuildGauge()
                       .Name("balancer_substation_utilization_ratio")
                       .Help("(demand + reserved) / limit, as the balancer believes it: what the policies rank by")
                       .Register(r)),
      load_kw_(BuildGauge()
                   .Name("balancer_substation_load_kw")
                   .Help("Load last reported by the substation, in kW")
                   .Register(r)),
      reserved_kw_(BuildGauge()
                       .Name("balancer_substation_reserved_kw")
                       .Help("Maximum power of the sessions dispatched to the substation and not yet answered, in kW")
                       .Register(r)),
      capacity_kw_(BuildGauge()
                       .Name("balancer_substation_capacity_kw")
                       .Help("Capacity reported by the substation, in kW")
                       .Register(r)),
      limit_kw_(BuildGauge()
                    .Name("balancer_substation_limit_kw")
                    .Help("Effective limit the substation reports (capacity for an older substation), in kW")
                    .Register(r)),
      demand_kw_(BuildGauge()
                     .Name("balancer_substation_demand_kw")
                     .Help("What the substation's sessions could take (sum of their maximums; the load for an "
                           "older substation), in kW")
                     .Register(r)),
      min_kw_(BuildGauge()
                  .Name("balancer_substation_min_kw")
                  .Help("Sum of the substation's sessions' minimums (the load for an older substation), in kW")
                  .Register(r)),
      sessions_(BuildGauge()
                    .Name("balancer_substation_active_sessions")
                    .Help("Active sessions reported by the substation")
                    .Register(r)),
      substation_live_(BuildGauge()
                           .Name("balancer_substation_live")
                           .Help("1 while the substation is live, 0 once declared dead")
                           .Register(r)),
      substation_ejected_(BuildGauge()
                              .Name("balancer_substation_ejected")
                              .Help("1 while the substation is out of routing for failing its jobs, else 0")
                              .Register(r)),
      requests_(BuildCounter().Name("balancer_requests_total").Help("Charge requests answered, by outcome").Register(r),
                {}, "outcome"),
      dropped_(BuildCounter()
                   .Name("balancer_messages_dropped_total")
                   .Help("Inbound messages dropped, by reason")
                   .Register(r),
               {}, "reason"),
      cancels_(BuildCounter()
                   .Name("balancer_cancels_sent_total")
                   .Help("Cancels sent to substations: an answer timed out or came after the request moved on, "
                         "or a request was found held twice")
                   .Register(r),
               {}, "reason"),
      auth_refused_(BuildCounter()
                        .Name("balancer_auth_refused_total")
                        .Help("CURVE handshakes the ZAP handler refused (key not allowed on that socket), by socket")
                        .Register(r),
                    {}, "socket"),
      index_reads_(BuildCounter()
                       .Name("balancer_admission_reads_total")
                       .Help("Readings of a (re)connected substation's admissions (which requests it holds), by "
                             "outcome")
                       .Register(r),
                   {}, "outcome"),
      learned_(BuildCounter()
                   .Name("balancer_admissions_learned_total")
                   .Help("Requests learned from substations' admission readings (held there before we knew)")
                   .Register(r)
                   .Add({})),
      peer_admissions_(BuildCounter()
                           .Name("balancer_peer_admissions_total")
                           .Help("Admissions another balancer placed, announced by the substation that admitted them")
                           .Register(r)
                           .Add({})),
      forwarded_(BuildCounter()
                     .Name("balancer_forwarded_queries_total")
                     .Help("Session, stop, limit and substation queries from requesters, by kind and outcome")
                     .Register(r)),
      decision_(BuildHistogram()
                    .Name("balancer_decision_seconds")
                    .Help("Time to pick a substation for one dispatch")
                    .Register(r)
                    .Add({}, metrics::exponential_buckets(1e-7, 4, 10))),
      request_duration_(BuildHistogram()
                            .Name("balancer_request_duration_seconds")
                            .Help("Time from a charge request's arrival to its answer")
                            .Register(r)
                            .Add({}, metrics::exponential_buckets(1e-4, 2.5, 12))),
      in_flight_(BuildGauge()
                     .Name("balancer_requests_in_flight")
                     .Help("Charge requests waiting for a substation's answer")
                     .Register(r)
                     .Add({})),
      live_(BuildGauge()
                .Name("balancer_substations_live")
                .Help("Substations heard from within liveness x heartbeat interval")
                .Register(r)
                .Add({})),
      heartbeats_(BuildCounter()
                      .Name("balancer_heartbeats_received_total")
                      .Help("Heartbeats accepted from substations")
                      .Register(r)
                      .Add({})),
      ejections_(BuildCounter()
                     .Name("balancer_ejections_total")
                     .Help("Times a substation was taken out of routing for failing jobs in a row")
                     .Register(r)
                     .Add({})),
      id_conflicts_(BuildCounter()
                        .Name("balancer_substation_id_conflicts_total")
                        .Help("Heartbeats showing two substation processes with one id")
                        .Register(r)
                        .Add({})) {
  for (const auto error : proto::all_decode_errors) dropped_.get(proto::reason_label(error));
  for (const auto* reason : node_drop_reasons) dropped_.get(reason);
  for (const auto* socket : auth_sockets) auth_refused_.get(socket);
  for (const auto* outcome : index_read_outcomes) index_reads_.get(outcome);
  for (const auto* reason : cancel_reasons) cancels_.get(reason);
  for (const auto* kind : query_kinds) {
    for (const auto* outcome : query_outcomes) forwarded_.Add({{"kind", kind}, {"outcome", outcome}});
  }
}

void BalancerMetrics::forwarded_query(std::string_view kind, std::string_view outcome) {
  // Rare (operator and status queries), so a label lookup per query costs nothing that matters.
  forwarded_.Add({{"kind", std::string(kind)}, {"outcome", std::string(outcome)}}).Increment();
}

BalancerMetrics::SubstationSeries& BalancerMetrics::series(const std::string& substation) {
  // An answer updates the table's row and then counts the dispatch, both for the same substation:
  // remembering the last one saves a hash of its id on every answer.
  if (last_ != nullptr && last_->first == substation) return last_->second;
  auto found = series_.find(substation);
  if (found == series_.end()) {
    const prometheus::Labels labels{{"substation", substation}};
    found = series_
                .emplace(substation,
                         SubstationSeries{utilization_.Add(labels), load_kw_.Add(labels), reserved_kw_.Add(labels),
                                          capacity_kw_.Add(labels), limit_kw_.Add(labels), demand_kw_.Add(labels),
                                          min_kw_.Add(labels), sessions_.Add(labels),
                                          substation_live_.Add(labels), substation_ejected_.Add(labels),
                                          metrics::SeriesCache<prometheus::Counter>(dispatch_family_, labels, "outcome")})
                .first;
  }
  last_ = &*found;  // unordered_map never moves its elements, and this one never erases
  return found->second;
}

void BalancerMetrics::substation(const balancing::Substation& row, std::size_t live_count) {
  auto& s = series(row.id);
  s.utilization.Set(row.utilization());
  s.load_kw.Set(row.load_kw);
  s.reserved_kw.Set(row.reserved_kw);
  s.capacity_kw.Set(row.capacity_kw);
  s.limit_kw.Set(row.limit_kw);
  s.demand_kw.Set(row.demand_kw);
  s.min_kw.Set(row.min_kw);
  s.sessions.Set(row.active_sessions);
  s.live.Set(row.live ? 1.0 : 0.0);
  s.ejected.Set(row.ejected ? 1.0 : 0.0);
  live_.Set(static_cast<double>(live_count));
}

}  // namespace grid::balancer
