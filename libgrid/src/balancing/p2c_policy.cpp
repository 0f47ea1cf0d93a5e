#include "grid/balancing/p2c_policy.h"

namespace grid::balancing {

const Substation* PowerOfTwoChoicesPolicy::pick(const LoadTable& table, const PickRequest& request,
                                                Random& random) {
  const Substation* first = sample_eligible(table, request, random, nullptr, scratch_);
  if (first == nullptr) return nullptr;
  // Distinct from the first, so the comparison is a real choice; nullptr: first is the only one.
  const Substation* second = sample_eligible(table, request, random, first, scratch_);
  if (second == nullptr) return first;
  return preferred(*second, *first, request.power_kw) ? second : first;
}

}  // namespace grid::balancing
