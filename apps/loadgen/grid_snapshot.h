#pragma once
// The balancer's substation list (the SubstationInfo answers to one SubstationsQuery) as one
// GridSnapshot of the replay, read as the edge's GET /substations reads it: a limit of 0 is the
// capacity, and paused sessions are counted apart from charging ones.
// Thread-safety: a pure function.

#include "grid/proto/queries.h"
#include "run_report.h"

namespace grid::loadgen {

GridSnapshot snapshot_of(double trace_s, const proto::SubstationList& substations);

}  // namespace grid::loadgen
