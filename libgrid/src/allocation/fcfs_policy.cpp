#include "grid/allocation/fcfs_policy.h"

namespace grid::allocation {

// Arrival order alone: the allocator breaks every tie by arrival.
bool FirstComeFirstServedPolicy::before(const SessionDemand&, const SessionDemand&) const { return false; }

}  // namespace grid::allocation
