#pragma once
// Allocation policy "llf": least laxity first: the car with the least slack (time to departure minus the time it still needs at full power) is served first.
// Thread-safety: immutable; safe from any thread.

#include "grid/allocation/policy.h"

namespace grid::allocation {

class LeastLaxityFirstPolicy final : public AllocationPolicy {
public:
  static constexpr std::string_view policy_name = "llf";
  std::string_view name() const override { return policy_name; }
  double rank(const SessionDemand& session) const override;
};

}  // namespace grid::allocation
