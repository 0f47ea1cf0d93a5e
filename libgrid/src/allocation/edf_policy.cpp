#include "grid/allocation/edf_policy.h"

namespace grid::allocation {

bool EarliestDeadlineFirstPolicy::before(const SessionDemand& a, const SessionDemand& b) const {
  return a.seconds_to_departure < b.seconds_to_departure;  // infinity (no departure) last
}

}  // namespace grid::allocation
