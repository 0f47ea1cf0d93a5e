#pragma once
// Allocation policy "equal-share": arrival order decides who is paused when not every minimum fits; the power above the minimums is shared equally (water-filling).
// Thread-safety: immutable; safe from any thread.

#include "grid/allocation/policy.h"

namespace grid::allocation {

class EqualSharePolicy final : public AllocationPolicy {
public:
  static constexpr std::string_view policy_name = "equal-share";
  std::string_view name() const override { return policy_name; }
  double rank(const SessionDemand& session) const override;
};

}  // namespace grid::allocation
