#include "grid/balancing/round_robin_policy.h"

namespace grid::balancing {

const Substation* RoundRobinPolicy::pick(const LoadTable& table, const PickRequest& request,
                                         Random& /*random: deterministic policy*/) {
  const std::size_t live = table.live_count();
  for (std::size_t step = 0; step < live; ++step) {
    // Modulo on every step: the live set may have shrunk since the cursor was last advanced.
    const std::size_t position = (cursor_ + step) % live;
    const Substation& substation = table.live(position);
    if (eligible(substation, request)) {
      cursor_ = position + 1;
      return &substation;
    }
  }
  return nullptr;
}

}  // namespace grid::balancing
