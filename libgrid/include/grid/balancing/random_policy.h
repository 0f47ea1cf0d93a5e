#pragma once
// Uniformly random among the eligible substations: the baseline that ignores load entirely.
//
// Thread-safety: none; owned by the balancer's thread (see policy.h).

#include "grid/balancing/policy.h"

namespace grid::balancing {

class RandomPolicy final : public Policy {
public:
  static constexpr std::string_view policy_name = "random";
  std::string_view name() const override { return policy_name; }
  const Substation* pick(const LoadTable& table, const PickRequest& request,
                         Random& random) override;

private:
  std::vector<std::size_t> scratch_;
};

}  // namespace grid::balancing
