#include "grid/allocation/edf_policy.h"

namespace grid::allocation {

bool EarliestDeadlineFirstPolicy::before(const SessionDemand& a, const SessionDemand& b) const {
  // Infinity (no departure) last; cars that do not say when they leave share equally.
  return a.seconds_to_departure < b.seconds_to_departure;
}

}  // namespace grid::allocation
