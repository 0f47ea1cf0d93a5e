#include "grid/allocation/equal_share_policy.h"

namespace grid::allocation {

// Who stays charging when not every minimum fits: those who came first (the allocator's tie-break
// by arrival does it; no session comes before another on its own account).
bool EqualSharePolicy::before(const SessionDemand&, const SessionDemand&) const { return false; }

}  // namespace grid::allocation
