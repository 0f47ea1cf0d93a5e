#include "grid/allocation/fcfs_policy.h"

namespace grid::allocation {

// Admission counters stay far below 2^53, so every arrival is a distinct, exact double.
double FirstComeFirstServedPolicy::rank(const SessionDemand& session) const {
  return static_cast<double>(session.arrival);
}

}  // namespace grid::allocation
