#pragma once
// The one place where a substation's limit is shared among its sessions. Pure: sessions and a
// limit in, one power per session out; the substation passes the time in through the demands.
//
// Guarantees, for any policy and any input (tests/unit/allocation checks them as properties):
// - the powers sum to at most the limit (whole watts, exact);
// - each power is 0 (paused) or between the session's minimum and maximum;
// - work-conserving: no power is left while a session that may switch, or is charging, could take
//   more (a paused session that may not switch yet stays paused, so a car does not flap);
// - priority classes are served before lower ones;
// - a session that may not switch keeps its state (charging or paused) unless the limit cannot
//   hold the minimums of those kept charging; then the last in order are paused.
// Costs O(n log n) for n sessions. Thread-safety: pure function.

#include <span>
#include <vector>

#include "grid/allocation/policy.h"

namespace grid::allocation {

// One power per demand, in the demands' order.
std::vector<power::Watts> allocate(const AllocationPolicy& policy, std::span<const SessionDemand> sessions,
                                   power::Watts limit_w);

}  // namespace grid::allocation
