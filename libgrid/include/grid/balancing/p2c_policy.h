#pragma once
// Power of two choices (Azar, Broder, Karlin, Upfal; Mitzenmacher): two distinct random eligible
// substations, the one with the lower utilization once the request is placed wins (ties as in
// preferred()). Stays robust when load information is stale, where always picking the apparent
// minimum herds. With a single eligible substation it is taken without a second draw.
//
// Thread-safety: none; owned by the balancer's thread (see policy.h).

#include "grid/balancing/policy.h"

namespace grid::balancing {

class PowerOfTwoChoicesPolicy final : public Policy {
public:
  static constexpr std::string_view policy_name = "p2c";
  std::string_view name() const override { return policy_name; }
  const Substation* pick(const LoadTable& table, const PickRequest& request,
                         Random& random) override;

private:
  std::vector<std::size_t> scratch_;
};

}  // namespace grid::balancing
