#include "grid/balancing/least_utilization_policy.h"

namespace grid::balancing {

const Substation* LeastUtilizationPolicy::pick(const LoadTable& table, const PickRequest& request,
                                               Random& /*random: deterministic policy*/) {
  const Substation* best = nullptr;
  double best_score = 0;
  // Branch and bound over ascending current utilization u. A row's score (u once the request is
  // placed) is >= u, so once u exceeds the best score no later row can win. Rows with u equal to
  // the best score are still visited: they can tie, and ties are broken by headroom and id.
  table.for_each_by_utilization([&](const Substation& substation) {
    if (best != nullptr && substation.utilization() > best_score) return false;
    if (eligible(substation, request) &&
        (best == nullptr || preferred(substation, *best, request.power_kw))) {
      best = &substation;
      best_score = utilization_with(substation, request.power_kw);
    }
    return true;
  });
  return best;
}

}  // namespace grid::balancing
