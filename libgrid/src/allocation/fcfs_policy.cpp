#include "grid/allocation/fcfs_policy.h"

namespace grid::allocation {

bool FirstComeFirstServedPolicy::before(const SessionDemand& a, const SessionDemand& b) const {
  return a.arrival < b.arrival;
}

}  // namespace grid::allocation
