#pragma once
// Cycles over the live rows, skipping ineligible ones. The cursor is a position in the table's
// live order, which changes when a substation dies (swap-remove), so the cycle may skip or repeat
// one substation at that moment; it stays fair in the long run. A pick costs O(1) plus the
// ineligible rows it skips.
//
// Thread-safety: none; owned by the balancer's thread (see policy.h).

#include "grid/balancing/policy.h"

namespace grid::balancing {

class RoundRobinPolicy final : public Policy {
public:
  static constexpr std::string_view policy_name = "round-robin";
  std::string_view name() const override { return policy_name; }
  const Substation* pick(const LoadTable& table, const PickRequest& request,
                         Random& random) override;

private:
  std::size_t cursor_ = 0;
};

}  // namespace grid::balancing
