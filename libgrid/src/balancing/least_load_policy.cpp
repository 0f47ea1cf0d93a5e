#include "grid/balancing/least_load_policy.h"

namespace grid::balancing {
namespace {

bool fewer_sessions(const Substation& a, const Substation& b) {
  if (a.active_sessions != b.active_sessions) return a.active_sessions < b.active_sessions;
  const double utilization_a = a.utilization();
  const double utilization_b = b.utilization();
  if (utilization_a != utilization_b) return utilization_a < utilization_b;
  return a.id < b.id;
}

}  // namespace

const Substation* LeastLoadPolicy::pick(const LoadTable& table, const PickRequest& request,
                                        Random& /*random: deterministic policy*/) {
  const Substation* best = nullptr;
  for (std::size_t i = 0; i < table.live_count(); ++i) {
    const Substation& substation = table.live(i);
    if (eligible(substation, request) && (best == nullptr || fewer_sessions(substation, *best))) {
      best = &substation;
    }
  }
  return best;
}

}  // namespace grid::balancing
