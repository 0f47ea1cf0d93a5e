#include "substation_metrics.h"

#include "grid/power/admission.h"
#include "grid/proto/codec.h"

namespace grid::substation {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

SubstationMetrics::SubstationMetrics(prometheus::Registry& r, const std::string& id)
    : labels{{"substation", id}},
      current_load(BuildGauge().Name("substation_current_load").Help("Active charging sessions").Register(r).Add(labels)),
      load_kw(BuildGauge().Name("substation_load_kw").Help("Power drawn by active sessions, in kW").Register(r).Add(labels)),
      capacity_kw(BuildGauge()
                      .Name("substation_capacity_kw")
                      .Help("Power the substation can supply, in kW")
                      .Register(r)
                      .Add(labels)),
      utilization(BuildGauge().Name("substation_utilization_ratio").Help("load_kw / capacity_kw").Register(r).Add(labels)),
      limit_kw(BuildGauge()
                   .Name("substation_limit_kw")
                   .Help("The effective limit: capacity, or the operator's limit when lower, in kW")
                   .Register(r)
                   .Add(labels)),
      allocated_kw(BuildGauge()
                       .Name("substation_allocated_kw")
                       .Help("Power allocated to the sessions right now, in kW (never above the limit)")
                       .Register(r)
                       .Add(labels)),
      demand_kw(BuildGauge()
                    .Name("substation_demand_kw")
                    .Help("What the sessions could take: the sum of their maximum powers, in kW")
                    .Register(r)
                    .Add(labels)),
      min_kw(BuildGauge()
                 .Name("substation_min_kw")
                 .Help("The sum of the active sessions' minimum powers, in kW: a new car is admitted while its minimum fits under the limit on top of it")
                 .Register(r)
                 .Add(labels)),
      charging(BuildGauge()
                   .Name("substation_sessions")
                   .Help("Active sessions by status: charging (power above 0) or paused")
                   .Register(r)
                   .Add({{"substation", labels.at("substation")}, {"status", "charging"}})),
      paused(BuildGauge()
                 .Name("substation_sessions")
                 .Help("Active sessions by status: charging (power above 0) or paused")
                 .Register(r)
                 .Add({{"substation", labels.at("substation")}, {"status", "paused"}})),
      started(BuildCounter()
                  .Name("substation_sessions_started_total")
                  .Help("Charging sessions admitted")
                  .Register(r)
                  .Add(labels)),
      completed(BuildCounter()
                    .Name("substation_sessions_completed_total")
                    .Help("Charging sessions that delivered their energy")
                    .Register(r)
                    .Add(labels)),
      departed(BuildCounter()
                   .Name("substation_sessions_departed_total")
                   .Help("Charging sessions whose car left at its departure time before it was full")
                   .Register(r)
                   .Add(labels)),
      stopped(BuildCounter()
                  .Name("substation_sessions_stopped_total")
                  .Help("Charging sessions stopped by their car unplugging (DELETE /sessions/{id})")
                  .Register(r)
                  .Add(labels)),
      rejected(BuildCounter()
                   .Name("substation_sessions_rejected_total")
                   .Help("Charge jobs refused, by reason")
                   .Register(r),
               {{"substation", id}}, "reason"),
      repeated(BuildCounter()
                   .Name("substation_sessions_repeated_total")
                   .Help("Charge jobs for a request already admitted, answered with the same session")
                   .Register(r)
                   .Add(labels)),
      energy_requested(BuildCounter()
                           .Name("substation_energy_requested_kwh_total")
                           .Help("Energy the admitted sessions asked for, in kWh")
                           .Register(r)
                           .Add(labels)),
      energy(BuildCounter()
                 .Name("substation_energy_delivered_kwh_total")
                 .Help("Energy delivered to the sessions, counted as it flows, in kWh")
                 .Register(r)
                 .Add(labels)),
      energy_unserved(BuildCounter()
                          .Name("substation_energy_unserved_kwh_total")
                          .Help("Energy the departed cars asked for and did not get, in kWh")
                          .Register(r)
                          .Add(labels)),
      switches(BuildCounter()
                   .Name("substation_session_switches_total")
                   .Help("Sessions paused or resumed by re-allocation")
                   .Register(r)
                   .Add(labels)),
      limit_changes(BuildCounter()
                        .Name("substation_limit_changes_total")
                        .Help("Operator limits set, cleared or expired")
                        .Register(r)
                        .Add(labels)),
      heartbeats(BuildCounter().Name("substation_heartbeats_sent_total").Help("Heartbeats published").Register(r).Add(labels)),
      announced(BuildCounter()
                    .Name("substation_admissions_announced_total")
                    .Help("New admissions announced to every balancer on the heartbeat socket (Admitted)")
                    .Register(r)
                    .Add(labels)),
      cancelled(BuildCounter()
                    .Name("substation_sessions_cancelled_total")
                    .Help("Sessions ended early because the balancer had placed their request elsewhere")
                    .Register(r)
                    .Add(labels)),
      dropped(BuildCounter()
                  .Name("substation_messages_dropped_total")
                  .Help("Inbound messages dropped, by reason")
                  .Register(r),
              labels, "reason"),
      granted_kw(BuildGauge()
                     .Name("substation_granted_kw")
                     .Help("The feeder limit in force, in kW: the balancer's grant, or the fallback once its lease ran out; 0 when none")
                     .Register(r)
                     .Add(labels)),
      in_fallback(BuildGauge()
                      .Name("substation_in_fallback")
                      .Help("1 while no fresh feeder grant holds and the substation draws at most its fallback, else 0")
                      .Register(r)
                      .Add(labels)),
      fallbacks(BuildCounter()
                    .Name("substation_fallbacks_total")
                    .Help("Times a feeder grant's lease ran out and the substation fell back")
                    .Register(r)
                    .Add(labels)),
      grants(BuildCounter()
                 .Name("substation_grants_total")
                 .Help("Feeder grants accepted (a stale one is dropped instead)")
                 .Register(r)
                 .Add(labels)),
      grants_refused(BuildCounter()
                         .Name("substation_grants_refused_total")
                         .Help("Feeder grants refused because a lower balancer boot's grant is in force (its follower "
                               "has not stood down yet)")
                         .Register(r)
                         .Add(labels)),
      state_commits(BuildCounter()
                        .Name("substation_state_commits_total")
                        .Help("Transactions committed to the --state file (each before the answer it guards)")
                        .Register(r)
                        .Add(labels)),
      // From a tenth of a millisecond (WAL append, no fsync) to a second (a slow or busy disk).
      state_commit_seconds(BuildHistogram()
                               .Name("substation_state_commit_seconds")
                               .Help("Time to commit one transaction to the --state file, in seconds")
                               .Register(r)
                               .Add(labels, prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001,
                                                                                     0.0025, 0.005, 0.01, 0.025, 0.05,
                                                                                     0.1, 0.25, 1})) {
  for (const auto error : proto::all_decode_errors) dropped.get(proto::reason_label(error));
  for (const auto* reason : node_drop_reasons) dropped.get(reason);
  for (const auto refusal : power::all_refusals) rejected.get(power::to_string(refusal));  // at 0 from the start
}

void SubstationMetrics::count(const Progress& progress) {
  if (progress.delivered_kwh > 0) energy.Increment(progress.delivered_kwh);
  if (progress.switches > 0) switches.Increment(progress.switches);
  if (progress.limit_expired) limit_changes.Increment();
  if (progress.entered_fallback) fallbacks.Increment();
  for (const auto& ended : progress.ended) {
    switch (ended.status) {
      case proto::SessionStatus::completed: completed.Increment(); break;
      case proto::SessionStatus::departed:
        departed.Increment();
        energy_unserved.Increment(ended.session.energy_left_kwh());
        break;
      case proto::SessionStatus::stopped: stopped.Increment(); break;
      case proto::SessionStatus::charging:
      case proto::SessionStatus::paused: break;  // not an end
    }
  }
}

void SubstationMetrics::show(const StationTotals& totals, double capacity) {
  const double allocated = power::to_kw(totals.allocated_w);
  current_load.Set(totals.sessions);
  load_kw.Set(allocated);
  allocated_kw.Set(allocated);
  utilization.Set(power::utilization(allocated, capacity));
  limit_kw.Set(power::to_kw(totals.limit_w));
  demand_kw.Set(power::to_kw(totals.demand_w));
  min_kw.Set(power::to_kw(totals.min_w));
  charging.Set(totals.sessions - totals.paused);
  paused.Set(totals.paused);
}

void SubstationMetrics::show(const FeederLease& feeder) {
  granted_kw.Set(power::to_kw(feeder.limit_w().value_or(0)));
  in_fallback.Set(feeder.in_fallback() ? 1 : 0);
}

}  // namespace grid::substation
