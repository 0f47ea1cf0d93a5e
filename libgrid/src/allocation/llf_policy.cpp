#include "grid/allocation/llf_policy.h"

namespace grid::allocation {

// Infinity (no departure) last; cars that do not say when they leave share equally.
double LeastLaxityFirstPolicy::rank(const SessionDemand& session) const { return session.laxity_s(); }

}  // namespace grid::allocation
