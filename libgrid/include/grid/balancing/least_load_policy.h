#pragma once
// The original design's rule: fewest active sessions (HAProxy leastconn); ties go to the lower
// utilization, then the id. Sessions differ in power, so this balances counts, not kW: kept for
// comparison and for grids of uniform chargers. A full scan of the live rows per pick.
//
// Thread-safety: none; owned by the balancer's thread (see policy.h).

#include "grid/balancing/policy.h"

namespace grid::balancing {

class LeastLoadPolicy final : public Policy {
public:
  static constexpr std::string_view policy_name = "least-load";
  std::string_view name() const override { return policy_name; }
  const Substation* pick(const LoadTable& table, const PickRequest& request,
                         Random& random) override;
};

}  // namespace grid::balancing
