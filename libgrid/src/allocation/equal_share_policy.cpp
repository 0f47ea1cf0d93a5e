#include "grid/allocation/equal_share_policy.h"

namespace grid::allocation {

// Nobody comes before anybody: the power is shared equally, and when not every minimum fits the
// earlier arrivals stay (the allocator's tie-break).
double EqualSharePolicy::rank(const SessionDemand&) const { return 0; }

}  // namespace grid::allocation
