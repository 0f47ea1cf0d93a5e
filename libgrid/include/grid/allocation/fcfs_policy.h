#pragma once
// Allocation policy "fcfs": first come, first served: the baseline of the charging literature; each session in arrival order gets up to its maximum.
// Thread-safety: immutable; safe from any thread.

#include "grid/allocation/policy.h"

namespace grid::allocation {

class FirstComeFirstServedPolicy final : public AllocationPolicy {
public:
  static constexpr std::string_view policy_name = "fcfs";
  std::string_view name() const override { return policy_name; }
  double rank(const SessionDemand& session) const override;
};

}  // namespace grid::allocation
