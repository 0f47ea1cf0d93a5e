#include "grid/balancing/random_policy.h"

namespace grid::balancing {

const Substation* RandomPolicy::pick(const LoadTable& table, const PickRequest& request,
                                     Random& random) {
  return sample_eligible(table, request, random, nullptr, scratch_);
}

}  // namespace grid::balancing
