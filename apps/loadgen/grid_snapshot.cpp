#include "grid_snapshot.h"

#include <algorithm>

namespace grid::loadgen {

GridSnapshot snapshot_of(double trace_s, const proto::SubstationList& substations) {
  GridSnapshot snapshot{.trace_s = trace_s, .substations = {}};
  for (const auto& substation : substations) {
    if (substation.substation_id.empty()) continue;  // the one answer of a balancer that knows none
    const std::size_t paused = std::min(substation.paused_sessions, substation.sessions);
    snapshot.substations.push_back({.id = substation.substation_id,
                                    .live = substation.live,
                                    .allocated_kw = substation.allocated_kw,
                                    .limit_kw = substation.limit_kw > 0 ? substation.limit_kw : substation.capacity_kw,
                                    .capacity_kw = substation.capacity_kw,
                                    .charging = substation.sessions - paused,
                                    .paused = paused});
  }
  return snapshot;
}

}  // namespace grid::loadgen
