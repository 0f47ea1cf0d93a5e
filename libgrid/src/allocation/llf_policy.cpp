#include "grid/allocation/llf_policy.h"

namespace grid::allocation {

bool LeastLaxityFirstPolicy::before(const SessionDemand& a, const SessionDemand& b) const {
  return a.laxity_s() < b.laxity_s();  // infinity (no departure) last
}

}  // namespace grid::allocation
