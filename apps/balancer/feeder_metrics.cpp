#include "feeder_metrics.h"

namespace grid::balancer {

FeederMetrics::FeederMetrics(prometheus::Registry& r)
    : limit_(prometheus::BuildGauge()
                 .Name("feeder_limit_kw")
                 .Help("A feeder's effective limit: its topology limit, or a demand-response limit in force, in kW")
                 .Register(r)),
      allocated_(prometheus::BuildGauge()
                     .Name("feeder_allocated_kw")
                     .Help("The sum of the load its substations report, nested feeders included, in kW")
                     .Register(r)),
      granted_(prometheus::BuildGauge()
                   .Name("feeder_granted_kw")
                   .Help("The newest grant sent to a substation for its feeder's sake, in kW")
                   .Register(r)),
      leading_(prometheus::BuildGauge()
                   .Name("balancer_feeder_leading")
                   .Help("1 while this balancer grants the feeder, 0 while it stands down because a lower balancer "
                         "boot's grant is in force there (or it is still listening after its start)")
                   .Register(r)),
      grants_(prometheus::BuildCounter()
                  .Name("balancer_feeder_grants_total")
                  .Help("Feeder grants sent to substations (changes and lease renewals)")
                  .Register(r)
                  .Add({})),
      conflicts_(prometheus::BuildCounter()
                     .Name("balancer_feeder_conflicts_total")
                     .Help("Times a substation's heartbeat began naming a feeder other than the topology's")
                     .Register(r)
                     .Add({})) {}

}  // namespace grid::balancer
