#pragma once
// Allocation policy "edf": earliest departure first: the car leaving soonest is served first; a car with no departure comes last.
// Thread-safety: immutable; safe from any thread.

#include "grid/allocation/policy.h"

namespace grid::allocation {

class EarliestDeadlineFirstPolicy final : public AllocationPolicy {
public:
  static constexpr std::string_view policy_name = "edf";
  std::string_view name() const override { return policy_name; }
  double rank(const SessionDemand& session) const override;
};

}  // namespace grid::allocation
