#include "substation_metrics.h"

#include "grid/power/admission.h"
#include "grid/proto/codec.h"

namespace grid::substation {

using prometheus::BuildCounter;
using prometheus::BuildGauge;

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
      energy(BuildCounter()
                 .Name("substation_energy_delivered_kwh_total")
                 .Help("Energy delivered by completed sessions, in kWh")
                 .Register(r)
                 .Add(labels)),
      heartbeats(BuildCounter().Name("substation_heartbeats_sent_total").Help("Heartbeats published").Register(r).Add(labels)),
      cancelled(BuildCounter()
                    .Name("substation_sessions_cancelled_total")
                    .Help("Sessions ended early because the balancer had placed their request elsewhere")
                    .Register(r)
                    .Add(labels)),
      dropped(BuildCounter()
                  .Name("substation_messages_dropped_total")
                  .Help("Inbound messages dropped, by reason")
                  .Register(r),
              labels, "reason") {
  for (const auto error : proto::all_decode_errors) dropped.get(proto::reason_label(error));
  for (const auto* reason : node_drop_reasons) dropped.get(reason);
  for (const auto refusal : power::all_refusals) rejected.get(power::to_string(refusal));  // at 0 from the start
}

}  // namespace grid::substation
