#include "grid/balancing/least_utilization_policy.h"

namespace grid::balancing {

// The best row by walking limit groups: within one limit, a row's score and headroom both follow
// what it wants (demand + reserved), so the group's first eligible row is its best (rows of equal
// utilization can still tie, and are compared). Eligibility follows the minimums, which need not
// grow with the demand, so an ineligible row is passed over rather than ending its group.
const Substation* LeastUtilizationPolicy::pick_by_groups(const PickRequest& request) const {
  const Substation* best = nullptr;
  double group_best_u = 0;
  bool group_found = false;
  index_.for_each_by_limit_group([&](const Substation& substation, bool first_in_group) {
    if (first_in_group) group_found = false;
    const double u = substation.utilization();
    if (group_found && u > group_best_u) return false;
    if (!eligible(substation, request)) return true;
    if (!group_found) {
      group_found = true;
      group_best_u = u;
    }
    if (best == nullptr || preferred(substation, *best, request.power_kw)) best = &substation;
    return true;
  });
  return best;
}

const Substation* LeastUtilizationPolicy::pick(const LoadTable& table, const PickRequest& request,
                                               Random& /*random: deterministic policy*/) {
  index_.follow(table);  // once per table: from then on the table keeps the index in step
  const Substation* best = nullptr;
  double best_score = 0;
  // Branch and bound over ascending current utilization u. A row's score (u once the request is
  // placed) is >= u, so once u exceeds the best score no later row can win. Rows with u equal to
  // the best score are still visited: they can tie, and ties are broken by headroom and id.
  // The walk is short when loads differ, but covers most rows when utilizations sit within one
  // request's step of each other (the state this policy itself drives a grid to). So it gets a
  // budget of one visit per limit group; past it, the group walk, which costs about that, wins.
  const std::size_t budget = index_.limit_groups();
  std::size_t visited = 0;
  bool over_budget = false;
  index_.for_each_by_utilization([&](const Substation& substation) {
    if (best != nullptr && substation.utilization() > best_score) return false;
    if (++visited > budget) {
      over_budget = true;
      return false;
    }
    if (eligible(substation, request) &&
        (best == nullptr || preferred(substation, *best, request.power_kw))) {
      best = &substation;
      best_score = utilization_with(substation, request.power_kw);
    }
    return true;
  });
  return over_budget ? pick_by_groups(request) : best;
}

}  // namespace grid::balancing
