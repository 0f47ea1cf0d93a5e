#include "grid/allocation/edf_policy.h"

namespace grid::allocation {

// Infinity (no departure) last; cars that do not say when they leave share equally.
double EarliestDeadlineFirstPolicy::rank(const SessionDemand& session) const { return session.seconds_to_departure; }

}  // namespace grid::allocation
