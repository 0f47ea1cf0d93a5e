#include "grid/allocation/llf_policy.h"

namespace grid::allocation {

bool LeastLaxityFirstPolicy::before(const SessionDemand& a, const SessionDemand& b) const {
  // Infinity (no departure) last; cars that do not say when they leave share equally.
  return a.laxity_s() < b.laxity_s();
}

}  // namespace grid::allocation
