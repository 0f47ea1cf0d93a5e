#pragma once
// The gathering of SubstationInfo answers lives in libgrid (grid/proto/queries.h), shared with
// the load generator's ZeroMQ replay; these names keep the edge's code as it was.

#include "grid/proto/queries.h"

namespace grid::edge {

using proto::max_listed_substations;
using proto::SubstationGathering;
using proto::SubstationList;

}  // namespace grid::edge
